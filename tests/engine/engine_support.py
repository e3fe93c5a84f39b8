"""Shared fields, clock and calendar for the engine tests."""

from __future__ import annotations

from datetime import UTC, datetime

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.fields import FieldSpec, FieldType


def spec(name: str, field_type: FieldType, **extra: object) -> FieldSpec:
    return FieldSpec(name=name, field_type=field_type, **extra)  # type: ignore[arg-type]


FIELDS: dict[str, FieldSpec] = {
    s.name: s
    for s in (
        spec("deal_value", FieldType.CURRENCY, label="Deal value"),
        spec("list_price", FieldType.CURRENCY),
        spec("discount_pct", FieldType.NUMBER),
        spec("commission", FieldType.CURRENCY),
        spec("company_size", FieldType.NUMBER),
        spec("decision_maker", FieldType.TEXT, label="Decision maker"),
        spec("notes", FieldType.LONG_TEXT),
        spec("email", FieldType.EMAIL),
        spec("close_date", FieldType.DATE),
        spec("start_date", FieldType.DATE),
        spec("end_date", FieldType.DATE),
        spec("met_at", FieldType.DATETIME),
        spec("deal_lost", FieldType.BOOLEAN),
        spec("lost_reason", FieldType.DROPDOWN, options=("price", "timing", "competitor")),
        spec("tech_stack", FieldType.MULTISELECT, options=("python", "go", "rust")),
        spec("dimensions", FieldType.OBJECT),
        spec("material", FieldType.OBJECT),
        spec("material_cost", FieldType.CURRENCY),
        spec("ctr", FieldType.PERCENTAGE),
        spec("clicks", FieldType.NUMBER),
        spec("impressions", FieldType.NUMBER),
        spec("days", FieldType.NUMBER),
        spec("tracking_number", FieldType.TEXT),
        spec("owner_id", FieldType.USER),
        spec("score", FieldType.NUMBER, is_required=True),
    )
}

NOW = datetime(2026, 3, 11, 15, 30, tzinfo=UTC)  # a Wednesday
CALENDAR = BusinessCalendar()
