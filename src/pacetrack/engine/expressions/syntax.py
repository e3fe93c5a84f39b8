"""Tokenizer and parser: source text to a small, positioned syntax tree.

The grammar is written out here rather than borrowed from Python's ``ast``
so that only the constructs below can exist at all: there is no attribute,
subscript, lambda, comprehension or call on anything but a function name.
Chains of ``+``/``-``, ``*``/``/``/``%`` and ``and``/``or`` become one n-ary
node, so a long sum is wide, not deep, and evaluation never recurses deeply.

    expr        := or_expr ["if" or_expr "else" expr]
    or_expr     := and_expr (("or" | "||") and_expr)*
    and_expr    := not_expr (("and" | "&&") not_expr)*
    not_expr    := ("not" | "!") not_expr | comparison
    comparison  := additive [("<" | "<=" | ">" | ">=" | "=" | "==" | "!=" | "<>") additive]
    additive    := term (("+" | "-") term)*
    term        := unary (("*" | "/" | "%") unary)*
    unary       := ("-" | "+") unary | power
    power       := primary [("**" | "^") unary]
    primary     := number | string | "true" | "false" | "null" | "today" | "now"
                 | name ("." name)* | name "(" [expr ("," expr)*] ")" | "(" expr ")"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

MAX_SOURCE_LENGTH: Final = 4_000
MAX_NODES: Final = 1_000
MAX_DEPTH: Final = 40
MAX_NUMBER_DIGITS: Final = 40
# Only ASCII digits make numbers: "." before "٣" is not the start of one.
_ASCII_DIGITS: Final = frozenset("0123456789")

KEYWORDS: Final = frozenset(
    {"and", "or", "not", "if", "else", "true", "false", "null", "today", "now"}
)
COMPARISONS: Final = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "=", "==": "="}
COMPARISONS.update({"!=": "!=", "<>": "!="})
_OPERATORS: Final = (
    "**", "<=", ">=", "==", "!=", "<>", "&&", "||",
    "+", "-", "*", "/", "%", "^", "(", ")", ",", ".", "<", ">", "=", "!",
)  # fmt: skip
_ESCAPES: Final = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}


class ExpressionError(ValueError):
    """The expression cannot be used; ``position`` is a 0-based character offset."""

    def __init__(self, message: str, position: int, suggestion: str | None = None) -> None:
        self.message = message
        self.position = position
        self.suggestion = suggestion
        hint = f", did you mean `{suggestion}`?" if suggestion else ""
        super().__init__(f"{message} at {position}{hint}")


def line_and_column(source: str, position: int) -> tuple[int, int]:
    """The 1-based line and column of the 0-based character offset ``position``.

    Lines end at ``\n`` (a ``\r\n`` pair counts as one end); an offset past the end
    is clamped to the end of the source.
    """
    before = source[: max(0, min(position, len(source)))]
    line = before.count("\n") + 1
    return line, len(before) - (before.rfind("\n") + 1) + 1


# --- tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "number", "string", "name", "op", "end"
    text: str
    position: int
    value: object = None


def tokenize(source: str) -> list[Token]:
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"expression is longer than {MAX_SOURCE_LENGTH} characters", MAX_SOURCE_LENGTH
        )
    tokens: list[Token] = []
    index, size = 0, len(source)
    while index < size:
        char = source[index]
        if char in " \t\r\n":
            index += 1
        elif char.isascii() and (
            char.isdigit() or (char == "." and source[index + 1 : index + 2] in _ASCII_DIGITS)
        ):
            start = index
            while (
                index < size
                and source[index].isascii()
                and (source[index].isdigit() or source[index] == ".")
            ):
                index += 1
            text = source[start:index]
            if text.count(".") > 1:
                raise ExpressionError(f"malformed number `{text}`", start)
            if len(text) > MAX_NUMBER_DIGITS:
                raise ExpressionError(f"number longer than {MAX_NUMBER_DIGITS} digits", start)
            if index < size and (source[index].isalpha() or source[index] == "_"):
                raise ExpressionError(f"malformed number `{text}{source[index]}`", start)
            tokens.append(Token("number", text, start, Decimal(text)))
        elif char in "'\"":
            index = _string(source, index, tokens)
        elif char.isascii() and (char.isalpha() or char == "_"):
            start = index
            while (
                index < size
                and source[index].isascii()
                and (source[index].isalnum() or source[index] == "_")
            ):
                index += 1
            name = source[start:index]
            if name.startswith("_"):
                raise ExpressionError("names may not start with `_`", start)
            tokens.append(Token("name", name, start))
        else:
            operator = next((op for op in _OPERATORS if source.startswith(op, index)), None)
            if operator is None:
                raise ExpressionError(f"unexpected character `{char}`", index)
            tokens.append(Token("op", operator, index))
            index += len(operator)
    tokens.append(Token("end", "", size))
    return tokens


def _string(source: str, start: int, tokens: list[Token]) -> int:
    quote = source[start]
    index = start + 1
    parts: list[str] = []
    while index < len(source):
        char = source[index]
        if char == quote:
            tokens.append(Token("string", source[start : index + 1], start, "".join(parts)))
            return index + 1
        if char == "\\":
            escaped = source[index + 1 : index + 2]
            if escaped not in _ESCAPES:
                raise ExpressionError("unknown escape in string", index)
            parts.append(_ESCAPES[escaped])
            index += 2
            continue
        parts.append(char)
        index += 1
    raise ExpressionError("unterminated string", start)


# --- syntax tree -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    position: int
    value: object


@dataclass(frozen=True, slots=True)
class Clock:
    position: int
    name: str  # "today" or "now"


@dataclass(frozen=True, slots=True)
class FieldRef:
    position: int
    name: str
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unary:
    position: int
    operator: str  # "-", "+" or "not"
    operand: Node


@dataclass(frozen=True, slots=True)
class Chain:
    """``first (op operand)*`` for one precedence level of arithmetic."""

    position: int
    first: Node
    rest: tuple[tuple[str, int, Node], ...]


@dataclass(frozen=True, slots=True)
class Power:
    position: int
    base: Node
    exponent: Node


@dataclass(frozen=True, slots=True)
class Compare:
    position: int
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Logical:
    position: int
    operator: str  # "and" or "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Conditional:
    position: int
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Call:
    position: int
    name: str
    args: tuple[Node, ...]


Node = Literal | Clock | FieldRef | Unary | Chain | Power | Compare | Logical | Conditional | Call


# --- parser ----------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.nodes = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def at(self, *texts: str) -> bool:
        token = self.token
        return token.kind in {"op", "name"} and token.text in texts

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise ExpressionError(
                f"expected `{text}`, found {_describe(self.token)}", self.token.position
            )
        return self.advance()

    def count(self, position: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} parts", position)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"expression is nested more than {MAX_DEPTH} deep", self.token.position
            )

    def expression(self) -> Node:
        self.enter()
        node = self.or_expr()
        if self.at("if"):
            position = self.advance().position
            condition = self.or_expr()
            self.expect("else")
            otherwise = self.expression()
            self.count(position)
            node = Conditional(position, condition, node, otherwise)
        self.depth -= 1
        return node

    def logical(self, words: tuple[str, str], operator: str, parse: Callable[[], Node]) -> Node:
        first = parse()
        operands = [first]
        position = self.token.position
        while self.at(*words):
            self.advance()
            operands.append(parse())
            self.count(position)
        if len(operands) == 1:
            return first
        return Logical(position, operator, tuple(operands))

    def or_expr(self) -> Node:
        return self.logical(("or", "||"), "or", self.and_expr)

    def and_expr(self) -> Node:
        return self.logical(("and", "&&"), "and", self.not_expr)

    def not_expr(self) -> Node:
        if self.at("not", "!"):
            position = self.advance().position
            self.enter()
            operand = self.not_expr()
            self.depth -= 1
            self.count(position)
            return Unary(position, "not", operand)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if self.token.kind == "op" and self.token.text in COMPARISONS:
            token = self.advance()
            right = self.additive()
            if self.token.kind == "op" and self.token.text in COMPARISONS:
                raise ExpressionError(
                    "comparisons cannot be chained; join them with `and`", self.token.position
                )
            self.count(token.position)
            return Compare(token.position, COMPARISONS[token.text], left, right)
        return left

    def chain(self, operators: tuple[str, ...], parse: Callable[[], Node]) -> Node:
        first = parse()
        rest: list[tuple[str, int, Node]] = []
        while self.token.kind == "op" and self.token.text in operators:
            token = self.advance()
            rest.append((token.text, token.position, parse()))
            self.count(token.position)
        if not rest:
            return first
        return Chain(rest[0][1], first, tuple(rest))

    def additive(self) -> Node:
        return self.chain(("+", "-"), self.term)

    def term(self) -> Node:
        return self.chain(("*", "/", "%"), self.unary)

    def unary(self) -> Node:
        if self.token.kind == "op" and self.token.text in {"-", "+"}:
            token = self.advance()
            self.enter()
            operand = self.unary()
            self.depth -= 1
            self.count(token.position)
            return Unary(token.position, token.text, operand)
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.token.kind == "op" and self.token.text in {"**", "^"}:
            position = self.advance().position
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            self.count(position)
            return Power(position, base, exponent)
        return base

    def primary(self) -> Node:
        token = self.token
        self.count(token.position)
        if token.kind == "number" or token.kind == "string":
            self.advance()
            return Literal(token.position, token.value)
        if token.kind == "op" and token.text == "(":
            self.advance()
            node = self.expression()
            self.expect(")")
            return node
        if token.kind != "name":
            raise ExpressionError(f"expected a value, found {_describe(token)}", token.position)
        self.advance()
        name = token.text
        if self.at("(") and (name not in KEYWORDS or name in {"if", "today", "now"}):
            return self.call(token)
        if name in {"true", "false"}:
            return Literal(token.position, name == "true")
        if name == "null":
            return Literal(token.position, None)
        if name in {"today", "now"}:
            return Clock(token.position, name)
        if name in KEYWORDS:
            raise ExpressionError(f"unexpected `{name}`", token.position)
        path: list[str] = []
        while self.at("."):
            self.advance()
            part = self.token
            if part.kind != "name":
                raise ExpressionError(
                    f"expected a key after `.`, found {_describe(part)}", part.position
                )
            self.advance()
            path.append(part.text)
        return FieldRef(token.position, name, tuple(path))

    def call(self, name: Token) -> Node:
        self.advance()
        args: list[Node] = []
        if not self.at(")"):
            args.append(self.expression())
            while self.at(","):
                self.advance()
                args.append(self.expression())
        self.expect(")")
        if self.at("."):
            raise ExpressionError("`.` only reads keys of object fields", self.token.position)
        return Call(name.position, name.text, tuple(args))


def _describe(token: Token) -> str:
    return "the end" if token.kind == "end" else f"`{token.text}`"


def parse(source: str) -> Node:
    """The syntax tree of ``source``; raises ExpressionError with the position of the problem."""
    parser = _Parser(tokenize(source))
    if parser.token.kind == "end":
        raise ExpressionError("the expression is empty", 0)
    node = parser.expression()
    if parser.token.kind != "end":
        token = parser.token
        if token.kind == "op" and token.text == ".":
            raise ExpressionError("`.` only reads keys of object fields", token.position)
        raise ExpressionError(f"unexpected {_describe(token)}", token.position)
    return node


def _walk(node: Node) -> list[Node]:
    """Every node of the tree, iteratively (trees are wide, and depth is bounded anyway)."""
    found: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        item = stack.pop()
        found.append(item)
        if isinstance(item, Unary):
            stack.append(item.operand)
        elif isinstance(item, Chain):
            stack.append(item.first)
            stack.extend(operand for _, _, operand in item.rest)
        elif isinstance(item, Power):
            stack.extend((item.base, item.exponent))
        elif isinstance(item, Compare):
            stack.extend((item.left, item.right))
        elif isinstance(item, Logical):
            stack.extend(item.operands)
        elif isinstance(item, Conditional):
            stack.extend((item.condition, item.then, item.otherwise))
        elif isinstance(item, Call):
            stack.extend(item.args)
    return found


def field_names(node: Node) -> frozenset[str]:
    """The top-level field names the tree reads."""
    return frozenset(item.name for item in _walk(node) if isinstance(item, FieldRef))


def field_paths(node: Node) -> frozenset[str]:
    """The dotted paths the tree reads: ``dimensions.sqft`` for a key inside an object field."""
    return frozenset(
        ".".join((item.name, *item.path)) for item in _walk(node) if isinstance(item, FieldRef)
    )


def call_names(node: Node) -> frozenset[str]:
    """The function names the tree calls."""
    return frozenset(item.name for item in _walk(node) if isinstance(item, Call))
