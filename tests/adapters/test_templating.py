"""Sandboxed text templates: values print readably, errors are data."""

from __future__ import annotations

from pacetrack.adapters.templating import render


def test_object_and_list_values_render_as_json() -> None:
    rendered = render(
        "{{ field.tech_stack }} {{ field.dimensions }}",
        {"field": {"tech_stack": ["python", "go"], "dimensions": {"sqft": 120}}},
    )

    assert rendered.ok
    assert rendered.text == '["python", "go"] {"sqft": 120}'


def test_plain_values_render_as_text() -> None:
    rendered = render(
        "{{ item.name }}: {{ field.deal_value }}",
        {"item": {"name": "Globex"}, "field": {"deal_value": "6000.00"}},
    )

    assert rendered.text == "Globex: 6000.00"


def test_unsafe_access_is_an_error_value_not_a_crash() -> None:
    rendered = render("{{ ''.__class__.__mro__ }}", {})

    assert not rendered.ok
    assert rendered.error is not None
