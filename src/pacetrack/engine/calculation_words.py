"""Calculations in words for people: what a calculated field is made of, and why it failed.

Fields are named by their labels. A failure's message names fields in backquotes
(``division by zero: `days` is 0``); ``calculation_problem`` turns it into a
sentence with the fields' labels ("Cannot divide by zero: Days is 0.").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pacetrack.engine.config import (
    AverageCalculation,
    Calculation,
    CustomCalculation,
    DateDiffCalculation,
    PercentageCalculation,
    SumCalculation,
)
from pacetrack.engine.fields import FieldSpec

_QUOTED = re.compile(r"`([^`]*)`")
_NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_PHRASES = (("division by zero", "cannot divide by zero"),)


def _label(name: str, fields: Mapping[str, FieldSpec]) -> str:
    spec = fields.get(name)
    return spec.display_name if spec is not None else name


def _listed(names: tuple[str, ...], fields: Mapping[str, FieldSpec]) -> str:
    labels = [_label(name, fields) for name in names]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _expression(text: str, fields: Mapping[str, FieldSpec]) -> str:
    """The expression with each field name replaced by its label (text in quotes kept)."""
    pieces: list[str] = []
    last = 0
    for literal in _STRING.finditer(text):
        outside = text[last : literal.start()]
        pieces.append(_NAME.sub(lambda m: _label(m.group(0), fields), outside))
        pieces.append(literal.group(0))
        last = literal.end()
    pieces.append(_NAME.sub(lambda m: _label(m.group(0), fields), text[last:]))
    return "".join(pieces)


def describe_calculation(calc: Calculation, fields: Mapping[str, FieldSpec]) -> str:
    """ "Sum of Licence fee and Service fee", "Won value as a percentage of Target", …"""
    if isinstance(calc, SumCalculation):
        return f"Sum of {_listed(calc.field_ids, fields)}"
    if isinstance(calc, AverageCalculation):
        return f"Average of {_listed(calc.field_ids, fields)}"
    if isinstance(calc, PercentageCalculation):
        numerator = _label(calc.numerator_field_id, fields)
        denominator = _label(calc.denominator_field_id, fields)
        return f"{numerator} as a percentage of {denominator}"
    if isinstance(calc, DateDiffCalculation):
        days = "Business days" if calc.day_kind == "business" else "Days"
        start = _label(calc.start_field_id, fields)
        end = _label(calc.end_field_id, fields)
        return f"{days} from {start} to {end}"
    assert isinstance(calc, CustomCalculation)
    return _expression(calc.expression, fields)


def calculation_problem(message: str, fields: Mapping[str, FieldSpec]) -> str:
    """A calculation's failure as a sentence, fields named by their labels."""
    text = _QUOTED.sub(lambda m: _label(m.group(1), fields), message.strip())
    for phrase, words in _PHRASES:
        text = text.replace(phrase, words)
    if not text:
        return "The calculation failed."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
