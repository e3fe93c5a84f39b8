"""The pure rule engine: plain data in, a decision out; no database, clock or I/O."""

from pacetrack.engine.calculations import CalculationError, CalculationOutcome, recalculate
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config_check import ConfigProblem, check_step_config
from pacetrack.engine.expressions import (
    EvalOutcome,
    Expression,
    ExpressionError,
    compile_expression,
)
from pacetrack.engine.field_view import FieldView, field_view
from pacetrack.engine.validations import ValidationResult, Violation, validate_step

__all__ = [
    "BusinessCalendar",
    "CalculationError",
    "CalculationOutcome",
    "ConfigProblem",
    "EvalOutcome",
    "Expression",
    "ExpressionError",
    "FieldView",
    "ValidationResult",
    "Violation",
    "check_step_config",
    "compile_expression",
    "field_view",
    "recalculate",
    "validate_step",
]
