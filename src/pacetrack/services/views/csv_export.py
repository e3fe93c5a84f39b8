"""The list as CSV: one header line, one line per item, safe to open in a spreadsheet.

A cell a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-`` or ``@``,
or a tab or carriage return) is prefixed with a single quote, so it shows as text; a plain
number (such as ``-5.00``) is left as is, since it cannot hold a formula. Money columns hold
the exact stored amount, with the currency in the header, so a spreadsheet can add them up.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from pacetrack.engine.fields import NUMERIC_TYPES, FieldType
from pacetrack.services.views.item_list import Row
from pacetrack.services.views.pipeline_view import PipelineView

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(text: str) -> str:
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def header(view: PipelineView) -> list[str]:
    columns = ["Name", "Step", "Owner", "Assigned to", "Days in step", "At risk"]
    for spec in view.shown_fields:
        suffix = f" ({view.currency})" if spec.field_type is FieldType.CURRENCY else ""
        columns.append(spec.display_name + suffix)
    return columns


def cells(view: PipelineView, row: Row) -> list[str]:
    values = [
        row.name,
        row.step.name if row.step else "",
        row.owner.name if row.owner else "",
        ", ".join(person.name for person in row.assignees),
        str(row.days_in_step),
        "yes" if row.at_risk else "no",
    ]
    for spec, shown in zip(view.shown_fields, row.values, strict=True):
        raw = row.raw_values.get(spec.name)
        values.append(
            str(raw) if spec.field_type in NUMERIC_TYPES and raw is not None else shown.text
        )
    return values


def _line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(value) for value in values])
    return buffer.getvalue()


def csv_lines(view: PipelineView, rows: Iterable[Row]) -> Iterator[str]:
    yield _line(header(view))
    for row in rows:
        yield _line(cells(view, row))
