"""The PaceTrack expression language: a small evaluator we own.

Tenant admins write expressions for custom validations, custom calculations
and conditions (field visibility, notifications, automations). They are
untrusted, so the language is parsed by our own tokenizer and recursive-descent
parser (``syntax``) into a tree of exactly ten node kinds, checked against the
tenant's field definitions and compiled into Python closures (``compiler``).
Field access is a key lookup into the item's values, dotted access is a key
lookup inside object fields, calls go only to the named functions in
``functions``; there are no attributes, subscripts, builtins, imports, lambdas
or comprehensions to refuse, because the grammar cannot express them.

Why own it rather than use a library (figures measured for the issue, µs per
evaluation after parsing once on a 30-field item, abuse cases each in their
own process):

- plain ``eval``: 0.14-0.41, but ``().__class__.__bases__[0].__subclasses__()``
  escapes; the speed limit, not an option;
- a validated-AST-to-bytecode prototype: 0.10-0.54 and every escape refused,
  but ``'%999999999d' % 1`` allocated 1.9 GB (string ``%`` unguarded);
- simpleeval: 1.4-7.3; ``3999999**3999999`` hung > 20 s, ``'a'.ljust(10**9)``
  allocated 1.9 GB, ``owner.clear()`` emptied the request data; a deny-list
  design with escapes fixed as late as 2026;
- asteval: 2.8-10; ``open()`` reads files even in minimal mode, state leaks
  between rules;
- cel-expr-python: 1.9-3.5 and safe, but ``5000*1.5`` is a compile error,
  ``discount_pct/100*deal_value`` is 0, no Decimal, no dates, nesting limit 32;
- the Rust CEL binding: 0.17-1.12, but a 15,000-term ``1+1+…`` segfaulted the
  process and it has no time budget.

An allow-list grammar of our own keeps every reachable operation in view: each
one that could allocate or loop is guarded in ``runtime`` within the bounds of
``limits`` (decimal context with bounded exponent and precision, field numbers
outside the bounds refused when read, every numeric result bounded, capped text
length, no text repetition or formatting, bounded day offsets), the source is
limited in length, node count and nesting depth, and arithmetic chains are n-ary
so evaluation never recurses deeply. Numbers are ``Decimal`` (0.1 + 0.2 = 0.3),
dates are ``date`` and ``datetime``. docs/expressions.md is the reference for
tenant admins.
"""

from pacetrack.engine.expressions.compiler import (
    EvalOutcome,
    Expression,
    compile_expression,
    referenced_names,
    referenced_paths,
)
from pacetrack.engine.expressions.functions import FUNCTION_NAMES, function_summaries
from pacetrack.engine.expressions.syntax import ExpressionError, line_and_column
from pacetrack.engine.expressions.types import ValueType, type_of_field

__all__ = [
    "FUNCTION_NAMES",
    "EvalOutcome",
    "Expression",
    "ExpressionError",
    "ValueType",
    "compile_expression",
    "function_summaries",
    "line_and_column",
    "referenced_names",
    "referenced_paths",
    "type_of_field",
]
