"""Save-time checks of a step configuration against the tenant's fields.

A stored rule that names an unknown field, carries a pattern RE2 refuses, an
expression that does not compile, or a type mismatch visible without data
would only fail later, on some item, in front of a user. The save path calls
``check_step_config`` and refuses the config while it reports any problem.
Each problem carries a JSON path into the step config so the API can point at
the offending property. The settings in ``metadata`` are checked by their own reader
(``engine.step_settings``), on the document saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pacetrack.engine.config import (
    AutomationRule,
    Calculation,
    CustomCalculation,
    CustomExpressionRule,
    DateDiffCalculation,
    FieldComparisonRule,
    FieldMaxValueRule,
    FieldMinValueRule,
    FieldPatternRule,
    NotificationRule,
    NotifyAction,
    PercentageCalculation,
    Recipient,
    StepConfig,
    TriggerSettings,
    UpdateFieldAction,
    WebhookAction,
)
from pacetrack.engine.expressions import Expression, ExpressionError, compile_expression
from pacetrack.engine.expressions.suggest import closest_name
from pacetrack.engine.fields import (
    NUMERIC_TYPES,
    FieldSpec,
    FieldType,
    parse_date,
    parse_datetime,
    parse_decimal,
)
from pacetrack.engine.patterns import pattern_problem

DATE_TYPES = frozenset({FieldType.DATE, FieldType.DATETIME})
_RECIPIENTS_WITH_ID = frozenset({"user", "account_group", "role"})


@dataclass(frozen=True, kw_only=True)
class ConfigProblem:
    """One reason a step config cannot be saved.

    ``path`` is a JSON path into the step config, such as ``validations[0].field_id``.
    """

    path: str
    message: str


class _Checker:
    def __init__(self, config: StepConfig, fields: Mapping[str, FieldSpec]) -> None:
        self.config = config
        self.fields = fields
        self.problems: list[ConfigProblem] = []

    def report(self, path: str, message: str) -> None:
        self.problems.append(ConfigProblem(path=path, message=message))

    def field(self, path: str, name: str | None) -> FieldSpec | None:
        """The field named at ``path``, reporting an unknown name with a suggestion."""
        if name is None:
            return None
        spec = self.fields.get(name)
        if spec is None:
            hint = closest_name(name, self.fields)
            suffix = f", did you mean `{hint}`?" if hint else ""
            self.report(path, f"unknown field `{name}`{suffix}")
        return spec

    def unique_ids(self, family: str, ids: Iterable[str]) -> None:
        seen: set[str] = set()
        for index, rule_id in enumerate(ids):
            if rule_id in seen:
                self.report(f"{family}[{index}].id", f"duplicate rule id `{rule_id}` in {family}")
            seen.add(rule_id)

    def expression(self, path: str, source: str | None, *, result: str | None = None) -> None:
        """Compile ``source`` and, when ``result`` is given, check the type it gives."""
        if source is not None:
            _check_expression(self, path, source, result=result)


@dataclass(frozen=True, kw_only=True)
class ExpressionVerdict:
    """What saving a rule decides about one of its expressions.

    ``error``: it does not compile (with the engine's position and suggestion);
    ``type_problem``: it compiles (``expression``) but gives the wrong type.
    """

    expression: Expression | None = None
    error: ExpressionError | None = None
    type_problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.type_problem is None

    @property
    def message(self) -> str | None:
        return str(self.error) if self.error is not None else self.type_problem


def check_expression(
    source: str, *, fields: Mapping[str, FieldSpec], result: str | None
) -> ExpressionVerdict:
    """Compile ``source`` against ``fields`` and, when ``result`` is given, check its type:
    the one check every saved expression passes (and the studio's checker answers with)."""
    try:
        compiled = compile_expression(source, fields=fields)
    except ExpressionError as exc:
        return ExpressionVerdict(error=exc)
    if result is not None and not compiled.result_type.accepts(result):
        return ExpressionVerdict(
            expression=compiled,
            type_problem=f"the expression gives {compiled.result_type.value}, "
            f"but {result} is needed",
        )
    return ExpressionVerdict(expression=compiled)


def _check_expression(checker: _Checker, path: str, source: str, *, result: str | None) -> None:
    message = check_expression(source, fields=checker.fields, result=result).message
    if message is not None:
        checker.report(path, message)


# --- field_configs ---------------------------------------------------------------------------


def _check_field_configs(checker: _Checker) -> None:
    seen: set[str] = set()
    for index, item in enumerate(checker.config.field_configs):
        path = f"field_configs[{index}]"
        checker.field(f"{path}.field_definition_id", item.field_definition_id)
        if item.field_definition_id in seen:
            checker.report(
                f"{path}.field_definition_id",
                f"field `{item.field_definition_id}` is configured twice",
            )
        seen.add(item.field_definition_id)
        checker.expression(f"{path}.visible_when", item.visible_when, result="boolean")
        checker.expression(f"{path}.required_when", item.required_when, result="boolean")


# --- validations -----------------------------------------------------------------------------


def _comparison_kind(spec: FieldSpec) -> str | None:
    if spec.field_type in NUMERIC_TYPES:
        return "number"
    if spec.field_type in DATE_TYPES:
        return "date"
    return None


def _check_compare_value(
    checker: _Checker, path: str, spec: FieldSpec, value: object, operator: str
) -> None:
    kind = _comparison_kind(spec)
    if kind == "number":
        if parse_decimal(value) is None:
            checker.report(path, f"`{value}` is not a number to compare {spec.name} with")
    elif kind == "date":
        text = str(value)
        if text.lower() in {"today", "now"}:
            return
        if parse_date(text) is None and parse_datetime(text) is None:
            checker.report(
                path,
                f"`{value}` is not a date (YYYY-MM-DD), a date and time with a zone, "
                "`today` or `now`",
            )
    elif operator not in {"=", "!="}:
        checker.report(
            path, f"{spec.name} is a {spec.field_type.value} field: only = and != compare it"
        )


def _check_comparison(checker: _Checker, path: str, rule: FieldComparisonRule) -> None:
    left = checker.field(f"{path}.field_id", rule.field_id)
    if rule.compare_field_id is None and rule.compare_value is None:
        checker.report(path, "give compare_field_id or compare_value")
        return
    if rule.compare_field_id is not None and rule.compare_value is not None:
        checker.report(path, "give compare_field_id or compare_value, not both")
        return
    if rule.compare_field_id is not None:
        right = checker.field(f"{path}.compare_field_id", rule.compare_field_id)
        if left is None or right is None:
            return
        left_kind, right_kind = _comparison_kind(left), _comparison_kind(right)
        if left_kind != right_kind or (
            left_kind is None and left.field_type is not right.field_type
        ):
            checker.report(
                f"{path}.compare_field_id",
                f"cannot compare {left.name} ({left.field_type.value}) with "
                f"{right.name} ({right.field_type.value})",
            )
        elif left_kind is None and rule.operator not in {"=", "!="}:
            checker.report(
                f"{path}.operator",
                f"{left.name} is a {left.field_type.value} field: only = and != compare it",
            )
    elif left is not None:
        _check_compare_value(
            checker, f"{path}.compare_value", left, rule.compare_value, rule.operator
        )


def _check_validations(checker: _Checker) -> None:
    rules = checker.config.validations
    checker.unique_ids("validations", (rule.id for rule in rules))
    for index, rule in enumerate(rules):
        path = f"validations[{index}]"
        if isinstance(rule, FieldComparisonRule):
            _check_comparison(checker, path, rule)
            continue
        if isinstance(rule, CustomExpressionRule):
            checker.field(f"{path}.field_id", rule.field_id)
            checker.expression(f"{path}.expression", rule.expression, result="boolean")
            continue
        spec = checker.field(f"{path}.field_id", rule.field_id)
        if spec is None:
            continue
        if isinstance(rule, FieldMinValueRule | FieldMaxValueRule):
            if spec.field_type not in NUMERIC_TYPES:
                checker.report(
                    f"{path}.field_id",
                    f"{rule.type} needs a numeric field; {spec.name} is {spec.field_type.value}",
                )
        elif isinstance(rule, FieldPatternRule):
            problem = pattern_problem(rule.pattern)
            if problem is not None:
                checker.report(f"{path}.pattern", problem)
            if spec.field_type in NUMERIC_TYPES | DATE_TYPES | {
                FieldType.BOOLEAN,
                FieldType.MULTISELECT,
                FieldType.OBJECT,
            }:
                checker.report(
                    f"{path}.field_id",
                    f"field_pattern needs a text field; {spec.name} is {spec.field_type.value}",
                )


# --- notifications and automations ----------------------------------------------------------


def _check_recipients(checker: _Checker, path: str, recipients: Sequence[Recipient]) -> None:
    for index, recipient in enumerate(recipients):
        if recipient.type in _RECIPIENTS_WITH_ID and not recipient.id:
            checker.report(
                f"{path}[{index}].id", f"a recipient of type {recipient.type} needs an id"
            )


def _check_trigger(checker: _Checker, path: str, rule: TriggerSettings) -> None:
    if rule.trigger == "on_duration" and rule.duration_days is None:
        checker.report(f"{path}.duration_days", "on_duration needs duration_days")
    if rule.trigger == "on_field_change" and rule.field_id is None:
        checker.report(f"{path}.field_id", "on_field_change needs field_id")
    if rule.trigger == "at_risk" and checker.config.target_duration_days is None:
        checker.report(f"{path}.trigger", "at_risk needs the step's target_duration_days")
    for name in ("duration_days", "threshold_days"):
        amount = getattr(rule, name)
        if amount is not None and amount < 0:
            checker.report(f"{path}.{name}", f"{name} cannot be negative")
    if rule.repeat_every_days is not None and rule.repeat_every_days < 1:
        checker.report(f"{path}.repeat_every_days", "repeat_every_days must be at least 1")
    checker.field(f"{path}.field_id", rule.field_id)
    checker.expression(f"{path}.condition", rule.condition, result="boolean")


def _check_notifications(checker: _Checker, rules: Sequence[NotificationRule]) -> None:
    checker.unique_ids("notifications", (rule.id for rule in rules))
    for index, rule in enumerate(rules):
        path = f"notifications[{index}]"
        _check_trigger(checker, path, rule)
        if not rule.recipients:
            checker.report(f"{path}.recipients", "a notification needs at least one recipient")
        _check_recipients(checker, f"{path}.recipients", rule.recipients)


def _check_automations(checker: _Checker, rules: Sequence[AutomationRule]) -> None:
    checker.unique_ids("automations", (rule.id for rule in rules))
    for index, rule in enumerate(rules):
        path = f"automations[{index}]"
        _check_trigger(checker, path, rule)
        action = rule.action
        if isinstance(action, UpdateFieldAction):
            spec = checker.field(f"{path}.action.field_id", action.field_id)
            if action.expression is not None:
                checker.expression(
                    f"{path}.action.expression",
                    action.expression,
                    result=_value_kind(spec) if spec is not None else None,
                )
        elif isinstance(action, NotifyAction):
            if not action.recipients:
                checker.report(f"{path}.action.recipients", "notify needs at least one recipient")
            _check_recipients(checker, f"{path}.action.recipients", action.recipients)
        elif isinstance(action, WebhookAction) and not (action.target or action.endpoint_id):
            checker.report(f"{path}.action", "a webhook needs a target or an endpoint_id")


def _value_kind(spec: FieldSpec) -> str:
    """The expression type a value of this field has (see ``expressions.types``)."""
    from pacetrack.engine.expressions.types import type_of_field

    return type_of_field(spec).value


# --- calculations ----------------------------------------------------------------------------


def calculation_inputs(calculation: Calculation) -> tuple[str, ...]:
    """The field names a calculation reads (a custom expression's referenced fields)."""
    if isinstance(calculation, PercentageCalculation):
        return (calculation.numerator_field_id, calculation.denominator_field_id)
    if isinstance(calculation, DateDiffCalculation):
        return (calculation.start_field_id, calculation.end_field_id)
    if isinstance(calculation, CustomCalculation):
        from pacetrack.engine.expressions import ExpressionError, referenced_names

        try:
            return tuple(sorted(referenced_names(calculation.expression)))
        except ExpressionError:
            return ()
    return calculation.field_ids


def calculation_cycle(calculations: Sequence[Calculation]) -> tuple[int, ...]:
    """Indexes of the calculations on a dependency cycle, in cycle order; empty when none."""
    producer = {calc.output_field_id: index for index, calc in enumerate(calculations)}
    edges = {
        index: [producer[name] for name in calculation_inputs(calc) if name in producer]
        for index, calc in enumerate(calculations)
    }
    state: dict[int, int] = {}
    for root in range(len(calculations)):
        if state.get(root):
            continue
        stack: list[tuple[int, int]] = [(root, 0)]
        path: list[int] = []
        while stack:
            node, position = stack.pop()
            if position == 0:
                state[node] = 1
                path.append(node)
            if position < len(edges[node]):
                stack.append((node, position + 1))
                child = edges[node][position]
                if state.get(child) == 1:
                    return tuple(path[path.index(child) :])
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return ()


def _check_calculations(checker: _Checker) -> None:
    calculations = checker.config.calculations
    checker.unique_ids("calculations", (calc.id for calc in calculations))
    outputs: dict[str, int] = {}
    for index, calc in enumerate(calculations):
        path = f"calculations[{index}]"
        output = checker.field(f"{path}.output_field_id", calc.output_field_id)
        if calc.output_field_id in outputs:
            checker.report(
                f"{path}.output_field_id",
                f"`{calc.output_field_id}` is already written by calculation "
                f"`{calculations[outputs[calc.output_field_id]].id}`",
            )
        outputs.setdefault(calc.output_field_id, index)
        if isinstance(calc, CustomCalculation):
            checker.expression(
                f"{path}.expression",
                calc.expression,
                result=_value_kind(output) if output is not None else None,
            )
            continue
        if output is not None and output.field_type not in NUMERIC_TYPES:
            checker.report(
                f"{path}.output_field_id",
                f"a {calc.type} calculation writes a number; {output.name} is "
                f"{output.field_type.value}",
            )
        if isinstance(calc, PercentageCalculation):
            inputs = [
                ("numerator_field_id", calc.numerator_field_id),
                ("denominator_field_id", calc.denominator_field_id),
            ]
        elif isinstance(calc, DateDiffCalculation):
            inputs = [
                ("start_field_id", calc.start_field_id),
                ("end_field_id", calc.end_field_id),
            ]
        else:
            inputs = [(f"field_ids[{i}]", name) for i, name in enumerate(calc.field_ids)]
            if not calc.field_ids:
                checker.report(f"{path}.field_ids", f"a {calc.type} calculation needs fields")
        wanted = DATE_TYPES if isinstance(calc, DateDiffCalculation) else NUMERIC_TYPES
        noun = "date" if isinstance(calc, DateDiffCalculation) else "numeric"
        for key, name in inputs:
            spec = checker.field(f"{path}.{key}", name)
            if spec is not None and spec.field_type not in wanted:
                checker.report(
                    f"{path}.{key}",
                    f"{calc.type} needs {noun} fields; {spec.name} is {spec.field_type.value}",
                )
    cycle = calculation_cycle(calculations)
    if cycle:
        names = [calculations[index].output_field_id for index in cycle]
        loop = " → ".join([*names, names[0]])
        checker.report(f"calculations[{cycle[0]}].output_field_id", f"calculation cycle: {loop}")


def check_step_config(
    config: StepConfig, *, fields: Mapping[str, FieldSpec]
) -> tuple[ConfigProblem, ...]:
    """Every problem that keeps ``config`` from being saved, in config order; empty when fine."""
    checker = _Checker(config, fields)
    _check_field_configs(checker)
    _check_validations(checker)
    _check_notifications(checker, config.notifications)
    _check_automations(checker, config.automations)
    _check_calculations(checker)
    return tuple(checker.problems)
