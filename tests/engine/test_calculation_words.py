"""Calculated fields in words: formulas and failures name fields by their labels."""

from __future__ import annotations

import pytest

from pacetrack.engine.calculation_words import calculation_problem, describe_calculation
from pacetrack.engine.config import (
    AverageCalculation,
    Calculation,
    CustomCalculation,
    DateDiffCalculation,
    PercentageCalculation,
    SumCalculation,
)
from pacetrack.engine.fields import FieldSpec, FieldType

LABELS = {
    "licence": "Licence fee",
    "service": "Service fee",
    "support": "Support fee",
    "won": "Won value",
    "target": "Target",
    "start": "Start date",
    "end": "End date",
    "days": "Days open",
}
FIELDS = {
    name: FieldSpec(name=name, field_type=FieldType.NUMBER, label=label)
    for name, label in LABELS.items()
}


@pytest.mark.parametrize(
    ("calc", "words"),
    [
        (
            SumCalculation(id="c", output_field_id="x", field_ids=("licence", "service")),
            "Sum of Licence fee and Service fee",
        ),
        (
            AverageCalculation(
                id="c", output_field_id="x", field_ids=("licence", "service", "support")
            ),
            "Average of Licence fee, Service fee and Support fee",
        ),
        (
            PercentageCalculation(
                id="c", output_field_id="x", numerator_field_id="won", denominator_field_id="target"
            ),
            "Won value as a percentage of Target",
        ),
        (
            DateDiffCalculation(
                id="c", output_field_id="x", start_field_id="start", end_field_id="end"
            ),
            "Days from Start date to End date",
        ),
        (
            DateDiffCalculation(
                id="c",
                output_field_id="x",
                start_field_id="start",
                end_field_id="end",
                day_kind="business",
            ),
            "Business days from Start date to End date",
        ),
        (
            CustomCalculation(
                id="c", output_field_id="x", expression="round(won * 0.1, 2) if won > 0 else 0"
            ),
            "round(Won value * 0.1, 2) if Won value > 0 else 0",
        ),
        (
            CustomCalculation(id="c", output_field_id="x", expression='concat("won", won)'),
            'concat("won", Won value)',
        ),
    ],
)
def test_a_formula_names_its_fields_by_label(calc: Calculation, words: str) -> None:
    assert describe_calculation(calc, FIELDS) == words


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("division by zero: `days` is 0", "Cannot divide by zero: Days open is 0."),
        ("division by zero", "Cannot divide by zero."),
        ("`won` does not hold a number", "Won value does not hold a number."),
        ("`unknown_field` does not hold a date", "Unknown_field does not hold a date."),
        ("", "The calculation failed."),
    ],
)
def test_a_failure_reads_as_a_sentence(message: str, words: str) -> None:
    assert calculation_problem(message, FIELDS) == words
