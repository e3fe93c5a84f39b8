"""Type-check a syntax tree against the tenant's fields and turn it into closures.

Checking and compiling are one pass: each node yields its static type and a
Python closure over already-compiled children. Nothing is looked up by name
at run time except the field values of the evaluation, so a compiled
expression can reach exactly what the tree names and no more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, DivisionByZero, InvalidOperation, Overflow
from functools import lru_cache
from typing import Any

from pacetrack.engine.calendar import BusinessCalendar, CalendarError
from pacetrack.engine.expressions import runtime as rt
from pacetrack.engine.expressions.functions import (
    FUNCTION_NAMES,
    FUNCTIONS,
    SignatureError,
    literal_date,
)
from pacetrack.engine.expressions.limits import TOO_LARGE, number_problem
from pacetrack.engine.expressions.suggest import closest_name
from pacetrack.engine.expressions.syntax import (
    Call,
    Chain,
    Clock,
    Compare,
    Conditional,
    ExpressionError,
    FieldRef,
    Literal,
    Logical,
    Node,
    Power,
    Unary,
    call_names,
    field_names,
    field_paths,
    parse,
)
from pacetrack.engine.expressions.types import ValueType, type_of_field, unify
from pacetrack.engine.fields import FieldSpec
from pacetrack.engine.patterns import pattern_problem

T = ValueType
Run = Callable[[rt.Env], object]
Compiled = tuple[ValueType, Run]


@dataclass(frozen=True, kw_only=True)
class EvalOutcome:
    """The value of one evaluation, or ``error`` saying why there is none."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, kw_only=True, eq=False)
class Expression:
    """A checked, compiled expression; evaluate it as often as needed."""

    source: str
    result_type: ValueType
    referenced_fields: frozenset[str]
    run: Run = field(repr=False)
    inputs: tuple[tuple[str, Callable[[object], object]], ...] = field(repr=False)

    def evaluate(
        self, values: Mapping[str, Any], *, now: datetime, calendar: BusinessCalendar
    ) -> EvalOutcome:
        """Evaluate on canonical field values; failures come back as ``error``, never raised."""
        value, error = self.value_or_error(values, now, calendar)
        return EvalOutcome(value=value, error=error)

    def value_or_error(
        self, values: Mapping[str, Any], now: datetime, calendar: BusinessCalendar
    ) -> tuple[object, str | None]:
        """``evaluate`` as a plain pair, for hot paths that decide many rules per request."""
        try:
            converted = {name: convert(values.get(name)) for name, convert in self.inputs}
            result = self.run(rt.Env(converted, rt.now_utc(now), calendar))
        except rt.EvalError as exc:
            return None, str(exc)
        except DivisionByZero:
            return None, "division by zero"
        except Overflow:
            return None, TOO_LARGE
        except InvalidOperation:
            return None, "invalid arithmetic (result out of range or undefined)"
        except (ArithmeticError, ValueError, CalendarError, RecursionError) as exc:
            return None, f"evaluation failed: {type(exc).__name__}"
        # Values are bounded as they are read and computed; this keeps any result that
        # escaped a guard from reaching a caller that spells it out in full.
        if type(result) is Decimal:
            problem = number_problem(result)
            if problem is not None:
                return None, f"the result {problem}"
        return result, None


# --- the compiler ----------------------------------------------------------------------------

_ADD_RESULTS = {
    (T.NUMBER, T.NUMBER): T.NUMBER,
    (T.TEXT, T.TEXT): T.TEXT,
    (T.DATE, T.NUMBER): T.DATE,
    (T.DATETIME, T.NUMBER): T.DATETIME,
    (T.NUMBER, T.DATE): T.DATE,
    (T.NUMBER, T.DATETIME): T.DATETIME,
}
_SUBTRACT_RESULTS = {
    (T.NUMBER, T.NUMBER): T.NUMBER,
    (T.DATE, T.DATE): T.NUMBER,
    (T.DATETIME, T.DATETIME): T.NUMBER,
    (T.DATE, T.NUMBER): T.DATE,
    (T.DATETIME, T.NUMBER): T.DATETIME,
}
_NUMERIC_RESULTS = {(T.NUMBER, T.NUMBER): T.NUMBER}
_RESULTS = {
    "+": _ADD_RESULTS,
    "-": _SUBTRACT_RESULTS,
    "*": _NUMERIC_RESULTS,
    "/": _NUMERIC_RESULTS,
    "%": _NUMERIC_RESULTS,
}
_VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "take % of"}
_ORDERABLE = frozenset({T.NUMBER, T.TEXT, T.DATE, T.DATETIME})
_CONTAINERS = frozenset({T.BOOLEAN, T.LIST, T.OBJECT})


class _Compiler:
    def __init__(self, fields: Mapping[str, FieldSpec]) -> None:
        self.fields = fields

    def compile(self, node: Node) -> Compiled:
        if isinstance(node, Literal):
            return self.literal(node.value)
        if isinstance(node, FieldRef):
            return self.field_ref(node)
        if isinstance(node, Clock):
            return self.clock(node.name)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Chain):
            return self.chain(node)
        if isinstance(node, Power):
            return self.power(node)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, Logical):
            return self.logical(node)
        if isinstance(node, Conditional):
            return self.conditional(node.condition, node.then, node.otherwise)
        return self.call(node)

    @staticmethod
    def literal(value: object) -> Compiled:
        if isinstance(value, bool):
            kind = T.BOOLEAN
        elif isinstance(value, Decimal):
            kind = T.NUMBER
        elif isinstance(value, str):
            kind = T.TEXT
        elif value is None:
            kind = T.NULL
        elif isinstance(value, datetime):
            kind = T.DATETIME
        else:
            kind = T.DATE
        return kind, lambda env: value

    @staticmethod
    def clock(name: str) -> Compiled:
        if name == "today":
            return T.DATE, lambda env: env.today
        return T.DATETIME, lambda env: env.now

    def field_ref(self, node: FieldRef) -> Compiled:
        spec = self.fields.get(node.name)
        if spec is None:
            if node.name in FUNCTION_NAMES:
                raise ExpressionError(
                    f"`{node.name}` is a function; call it as {node.name}(…)", node.position
                )
            raise ExpressionError(
                f"unknown field `{node.name}`",
                node.position,
                closest_name(node.name, self.fields),
            )
        name = node.name
        kind = type_of_field(spec)
        if not node.path:
            return kind, lambda env: env.values[name]
        if kind is not T.OBJECT:
            raise ExpressionError(
                f"`{name}` is a {spec.field_type.value} field and has no keys",
                node.position + len(name),
            )
        path = node.path
        label = ".".join((name, *path))

        def lookup(env: rt.Env) -> object:
            value: object = env.values[name]
            for key in path:
                if value is None:
                    return None
                if not isinstance(value, Mapping):
                    raise rt.EvalError(
                        f"`{label}`: {rt.kind(rt.from_json(value))} has no key `{key}`"
                    )
                value = value.get(key)
            return rt.from_json(value, f"`{label}`")

        return T.ANY, lookup

    def unary(self, node: Unary) -> Compiled:
        kind, operand = self.compile(node.operand)
        if node.operator == "not":
            self.expect(kind, T.BOOLEAN, node.operand, "`not`")
            return T.BOOLEAN, lambda env: not rt.truth(operand(env), "operand of not")
        self.expect(kind, T.NUMBER, node.operand, f"unary `{node.operator}`")
        if node.operator == "+":
            return T.NUMBER, lambda env: rt.need_number(operand(env), "operand of +")
        return T.NUMBER, lambda env: rt.negate(operand(env))

    def expect(self, found: ValueType, wanted: ValueType, node: Node, where: str) -> None:
        if found is T.NULL and wanted is not T.BOOLEAN:
            raise ExpressionError(f"null cannot be used in {where}", _position(node))
        if found.known and found is not wanted:
            raise ExpressionError(
                f"{where} needs {wanted.value}, got {found.value}", _position(node)
            )

    def chain(self, node: Chain) -> Compiled:
        kind, first = self.compile(node.first)
        steps: list[tuple[Callable[[object, object], object], Run]] = []
        left_node: Node = node.first
        for operator, position, operand_node in node.rest:
            right_kind, operand = self.compile(operand_node)
            kind = self.arithmetic_type(operator, position, kind, right_kind, left_node)
            steps.append((rt.ARITHMETIC[operator], operand))
            left_node = operand_node
        frozen_steps = tuple(steps)

        def run(env: rt.Env) -> object:
            value = first(env)
            for apply, operand in frozen_steps:
                value = apply(value, operand(env))
            return value

        return kind, run

    @staticmethod
    def arithmetic_type(
        operator: str, position: int, left: ValueType, right: ValueType, left_node: Node
    ) -> ValueType:
        del left_node
        verb = _VERBS[operator]
        for side in (left, right):
            if side is T.NULL:
                raise ExpressionError(f"cannot {verb} null", position)
            if side in _CONTAINERS:
                raise ExpressionError(f"cannot {verb} a {side.value} value", position)
        if not (left.known and right.known):
            return T.ANY
        result = _RESULTS[operator].get((left, right))
        if result is None:
            raise ExpressionError(f"cannot {verb} {left.value} and {right.value}", position)
        return result

    def power(self, node: Power) -> Compiled:
        base_kind, base = self.compile(node.base)
        exp_kind, exponent = self.compile(node.exponent)
        self.expect(base_kind, T.NUMBER, node.base, "`**`")
        self.expect(exp_kind, T.NUMBER, node.exponent, "`**`")
        return T.NUMBER, lambda env: rt.power(base(env), exponent(env))

    def compare(self, node: Compare) -> Compiled:
        left_kind, left = self.compile(node.left)
        right_kind, right = self.compile(node.right)
        operator = node.operator
        if left_kind.known and right_kind.known and left_kind is not right_kind:
            raise ExpressionError(
                f"cannot compare {left_kind.value} with {right_kind.value}", node.position
            )
        if operator in {"=", "!="}:
            if operator == "=":
                return T.BOOLEAN, lambda env: rt.equal(left(env), right(env))
            return T.BOOLEAN, lambda env: not rt.equal(left(env), right(env))
        for kind in (left_kind, right_kind):
            if kind is T.NULL:
                raise ExpressionError(
                    f"null cannot be ordered with {operator}; use is_empty", node.position
                )
            if kind.known and kind not in _ORDERABLE:
                raise ExpressionError(
                    f"{kind.value} values cannot be ordered with {operator}", node.position
                )
        return T.BOOLEAN, lambda env: rt.ordered(operator, left(env), right(env))

    def logical(self, node: Logical) -> Compiled:
        runs: list[Run] = []
        for operand in node.operands:
            kind, run = self.compile(operand)
            self.expect(kind, T.BOOLEAN, operand, f"`{node.operator}`")
            runs.append(run)
        operands = tuple(runs)
        what = f"operand of {node.operator}"
        if node.operator == "and":
            return T.BOOLEAN, lambda env: all(rt.truth(run(env), what) for run in operands)
        return T.BOOLEAN, lambda env: any(rt.truth(run(env), what) for run in operands)

    def conditional(self, condition: Node, then: Node, otherwise: Node) -> Compiled:
        test_kind, test = self.compile(condition)
        self.expect(test_kind, T.BOOLEAN, condition, "a condition")
        then_kind, then_run = self.compile(then)
        else_kind, else_run = self.compile(otherwise)
        kind = unify([then_kind, else_kind])
        if kind is None:
            raise ExpressionError(
                f"the two branches give {then_kind.value} and {else_kind.value}",
                _position(otherwise),
            )

        def run(env: rt.Env) -> object:
            return then_run(env) if rt.truth(test(env), "the condition") else else_run(env)

        return kind, run

    def call(self, node: Call) -> Compiled:
        name = node.name
        if name == "if":
            if len(node.args) != 3:
                raise ExpressionError(
                    f"if takes 3 arguments (condition, then, else), got {len(node.args)}",
                    node.position,
                )
            return self.conditional(*node.args)
        if name == "coalesce":
            return self.coalesce(node)
        function = FUNCTIONS.get(name)
        if function is None:
            if name in self.fields:
                raise ExpressionError(f"`{name}` is a field, not a function", node.position)
            raise ExpressionError(
                f"unknown function `{name}`", node.position, closest_name(name, FUNCTION_NAMES)
            )
        compiled = [self.compile(arg) for arg in node.args]
        try:
            kind = function.check(name, [k for k, _ in compiled])
        except SignatureError as exc:
            at = node.position if exc.index is None else _position(node.args[exc.index])
            raise ExpressionError(exc.message, at) from None
        self.check_literals(node)
        runs = tuple(run for _, run in compiled)
        body = function.run
        if name in {"date", "datetime"} and isinstance(node.args[0], Literal):
            value = literal_date(name, str(node.args[0].value))
            return kind, lambda env: value
        if len(runs) == 1:
            only = runs[0]
            return kind, lambda env: body(env, (only(env),))
        return kind, lambda env: body(env, [run(env) for run in runs])

    def check_literals(self, node: Call) -> None:
        """Refuse now what would surely fail later: a bad literal pattern or date."""
        if node.name == "matches" and len(node.args) == 2:
            pattern = node.args[1]
            if isinstance(pattern, Literal) and isinstance(pattern.value, str):
                problem = pattern_problem(pattern.value)
                if problem is not None:
                    raise ExpressionError(problem, pattern.position)
        if node.name in {"date", "datetime"} and node.args:
            text = node.args[0]
            if (
                isinstance(text, Literal)
                and isinstance(text.value, str)
                and literal_date(node.name, text.value) is None
            ):
                form = "YYYY-MM-DD" if node.name == "date" else "ISO 8601 with a zone"
                raise ExpressionError(
                    f"`{text.value[:40]}` is not a valid {node.name} ({form})", text.position
                )

    def coalesce(self, node: Call) -> Compiled:
        if not node.args:
            raise ExpressionError("coalesce takes one or more arguments, got 0", node.position)
        compiled = [self.compile(arg) for arg in node.args]
        kind = unify([k for k, _ in compiled])
        if kind is None:
            raise ExpressionError(
                "coalesce needs arguments of one kind, got "
                + ", ".join(sorted({k.value for k, _ in compiled if k.known})),
                node.position,
            )
        runs = tuple(run for _, run in compiled)

        def run(env: rt.Env) -> object:
            for candidate in runs:
                value = candidate(env)
                if value is not None:
                    return value
            return None

        return kind, run


def _position(node: Node) -> int:
    if isinstance(node, Chain):
        return _position(node.first)
    if isinstance(node, Compare):
        return _position(node.left)
    if isinstance(node, Logical):
        return _position(node.operands[0])
    if isinstance(node, Power):
        return _position(node.base)
    if isinstance(node, Conditional):
        return _position(node.then)
    return node.position


# --- entry points ----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _parsed(source: str) -> tuple[Node, frozenset[str]]:
    tree = parse(source)
    return tree, field_names(tree)


@lru_cache(maxsize=4096)
def _called(source: str) -> frozenset[str]:
    return call_names(_parsed(source)[0])


def referenced_names(source: str) -> frozenset[str]:
    """The top-level field names ``source`` reads (syntax only; raises ExpressionError)."""
    return _parsed(source)[1]


def referenced_paths(source: str) -> frozenset[str]:
    """The dotted paths ``source`` reads, ``material.cost_per_sqft`` (syntax only; raises
    ExpressionError)."""
    return field_paths(_parsed(source)[0])


def _build(
    source: str, tree: Node, names: frozenset[str], fields: Mapping[str, FieldSpec]
) -> Expression:
    kind, run = _Compiler(fields).compile(tree)
    inputs = tuple((name, rt.converter(fields[name])) for name in sorted(names))
    return Expression(
        source=source, result_type=kind, referenced_fields=names, run=run, inputs=inputs
    )


@lru_cache(maxsize=4096)
def _bound(source: str, specs: tuple[FieldSpec, ...]) -> Expression:
    tree, names = _parsed(source)
    return _build(source, tree, names, {spec.name: spec for spec in specs})


def compile_expression(source: str, *, fields: Mapping[str, FieldSpec]) -> Expression:
    """Parse and check ``source`` against ``fields``; raises ExpressionError with a position.

    Compiled expressions are cached by source text and the definitions of the
    fields they read, so a rule is parsed once per process, not per request.
    """
    tree, names = _parsed(source)
    specs = [fields.get(name) for name in sorted(names)]
    misses = any(
        spec is None or spec.name != name for spec, name in zip(specs, sorted(names), strict=True)
    )
    # A call to a field's name gets a clearer message when the compiler sees every field.
    if misses or any(name in fields for name in _called(source)):
        return _build(source, tree, names, fields)
    return _bound(source, tuple(spec for spec in specs if spec is not None))
