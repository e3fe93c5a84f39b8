"""POST /api/notification/preview: a notification's subject and body rendered through the
worker's templating against an item or sample values, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from pacetrack.bootstrap import Container
from tests.api.studio_support import SalesStudio, database_snapshot, sales_studio
from tests.conftest import make_login

__all__ = ["sales_studio"]

PREVIEW = "/api/notification/preview"
MISSING = "00000000-0000-4000-8000-000000000000"


def previewed(studio: SalesStudio, body: dict[str, Any], *, as_: str = "admin") -> dict[str, Any]:
    response = studio.post(PREVIEW, body, as_=as_)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_sample_values_fill_the_variables_and_name_the_step(sales_studio: SalesStudio) -> None:
    answer = previewed(
        sales_studio,
        {
            "subject": "  Large deal in {{step.name}}: {{item.name}} ",
            "body": "{{item.name}} is worth {{field.deal_value}}; {{field.unknown}}.",
            "step_template_id": str(sales_studio.step_templates["Qualified"]),
            "sample": {"item_name": "Acme renewal", "field": {"deal_value": 120000}},
        },
    )
    assert answer == {
        "subject": "Large deal in Qualified: Acme renewal",
        "body": "Acme renewal is worth 120000; .",
        "rendered_for": "Acme renewal",
    }


def test_a_chosen_item_renders_with_its_own_values_and_step(sales_studio: SalesStudio) -> None:
    deal = sales_studio.journey.created("Initech", step="Proposal", values={"deal_value": "100000"})
    answer = previewed(
        sales_studio,
        {
            "subject": "{{item.name}} ({{step.name}})",
            "body": "{{field.deal_value}} at {{item.url}}",
            "item_id": deal["id"],
        },
    )
    assert answer["subject"] == "Initech (Proposal)"
    assert answer["body"].startswith("100000.00 at ")
    assert answer["body"].endswith(f"/items/{deal['id']}")
    assert answer["rendered_for"] == "Initech"


def test_a_template_that_cannot_render_is_422_naming_it_and_changes_nothing(
    sales_studio: SalesStudio, container: Container
) -> None:
    before = database_snapshot(container)
    response = sales_studio.post(
        PREVIEW, {"subject": "{{ item.name ", "body": "{% if %}", "sample": {}}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = {problem["field"]: problem["message"] for problem in response.json()["errors"]}
    assert set(errors) == {"subject", "body"}
    assert all(message.startswith("cannot be rendered: ") for message in errors.values())
    assert "TemplateSyntaxError" not in response.text
    assert database_snapshot(container) == before


def test_unsafe_attributes_are_refused_by_the_sandbox(sales_studio: SalesStudio) -> None:
    response = sales_studio.post(PREVIEW, {"body": "{{ item.__class__.__mro__ }}"})
    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["errors"]] == ["body"]


def test_unknown_item_and_step_are_404_naming_the_field(sales_studio: SalesStudio) -> None:
    response = sales_studio.post(PREVIEW, {"subject": "x", "item_id": MISSING})
    assert response.status_code == 404
    assert response.json()["errors"] == [{"field": "item_id", "message": "no such item"}]
    response = sales_studio.post(PREVIEW, {"subject": "x", "step_template_id": MISSING})
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"field": "step_template_id", "message": "no such step template"}
    ]


def test_members_may_not_preview_managers_may_and_other_tenants_see_nothing(
    sales_studio: SalesStudio, container: Container
) -> None:
    deal = sales_studio.journey.created("Globex")
    body = {"subject": "{{item.name}}", "item_id": deal["id"]}
    assert sales_studio.post(PREVIEW, body, as_="sdr_1").status_code == 403
    assert previewed(sales_studio, body, as_="sales_manager")["subject"] == "Globex"
    other = make_login(container, slug="other", username="olga", roles=["admin"])
    response = sales_studio.client.post(PREVIEW, json=body, headers=other.headers)
    assert response.status_code == 404
    step = {"subject": "x", "step_template_id": str(sales_studio.step_templates["Lead"])}
    response = sales_studio.client.post(PREVIEW, json=step, headers=other.headers)
    assert response.status_code == 404


def test_malformed_bodies_are_422_naming_the_field(sales_studio: SalesStudio) -> None:
    response = sales_studio.post(PREVIEW, {"subject": 5})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "subject"
    response = sales_studio.post(PREVIEW, {"subject": "x", "colour": "red"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "colour"
