"""POST /api/expression/check: the save-time verdict on one expression, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from pacetrack.bootstrap import Container
from pacetrack.engine.expressions import function_summaries
from pacetrack.engine.expressions.functions import FUNCTION_NAMES
from tests.api.studio_support import SalesStudio, database_snapshot, sales_studio
from tests.conftest import make_login

__all__ = ["sales_studio"]

CHECK = "/api/expression/check"


def check(studio: SalesStudio, body: dict[str, Any], *, as_: str = "admin") -> Any:
    return studio.post(CHECK, body, as_=as_)


def checked(studio: SalesStudio, expression: str, context: str, **extra: Any) -> dict[str, Any]:
    body = {"expression": expression, "context": context, **extra}
    if "step_id" not in body:
        body["pipeline_template_id"] = str(studio.template_id)
    response = check(studio, body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_good_condition_is_ok_with_the_fields_it_reads_and_its_type(
    sales_studio: SalesStudio,
) -> None:
    answer = checked(
        sales_studio, "deal_value > 100000 and not is_empty(decision_maker)", "condition"
    )
    functions = answer.pop("functions")
    assert answer == {
        "ok": True,
        "errors": [],
        "suggestions": [],
        "fields_read": ["deal_value", "decision_maker"],
        "paths_read": ["deal_value", "decision_maker"],
        "result_type": "boolean",
        "expected_type": "boolean",
        "output_fields": [],
    }
    assert {"name": "is_empty", "summary": function_summaries()["is_empty"]} in functions


def test_the_answer_lists_every_function_and_the_paths_read_inside_object_fields(
    sales_studio: SalesStudio,
) -> None:
    for name in ("dimensions", "material"):
        created = sales_studio.post(
            "/api/field-definition/create",
            {"name": name, "label": name.title(), "field_type": "object"},
        )
        assert created.status_code == 201, created.text
    answer = checked(sales_studio, "dimensions.sqft * material.cost_per_sqft", "calculation")
    assert answer["ok"] is True
    assert answer["fields_read"] == ["dimensions", "material"]
    assert answer["paths_read"] == ["dimensions.sqft", "material.cost_per_sqft"]
    assert [entry["name"] for entry in answer["functions"]] == sorted(FUNCTION_NAMES)
    broken = checked(sales_studio, "dimensions.sqft *", "calculation")
    assert (broken["paths_read"], len(broken["functions"])) == ([], len(FUNCTION_NAMES))
    assert broken["output_fields"] == []
    # A key of an object field has no static type: its result may go to any field.
    assert len(answer["output_fields"]) == len(
        sales_studio.get("/api/field-definition/list").json()
    )


def test_a_calculation_gives_its_type_and_is_checked_against_its_output_field(
    sales_studio: SalesStudio,
) -> None:
    answer = checked(
        sales_studio,
        "deal_value * (1 - discount_pct / 100) * 0.1",
        "calculation",
        step_id=str(sales_studio.step_templates["Proposal"]),
    )
    assert answer["ok"] is True
    assert answer["result_type"] == "number"
    assert answer["expected_type"] is None
    numeric = {"commission", "company_size", "deal_value", "discount_pct", "list_price"}
    assert numeric <= set(answer["output_fields"])
    assert "decision_maker" not in answer["output_fields"]
    text = checked(sales_studio, "upper(decision_maker)", "calculation")
    assert "decision_maker" in text["output_fields"]
    assert not numeric & set(text["output_fields"])
    wrong = checked(sales_studio, "decision_maker", "calculation", output_field_id="commission")
    assert wrong["ok"] is False
    assert wrong["result_type"] == "text"
    assert wrong["expected_type"] == "number"
    assert wrong["errors"][0]["message"] == "the expression gives text, but number is needed"


def test_a_syntax_error_is_an_answer_with_its_position(sales_studio: SalesStudio) -> None:
    answer = checked(sales_studio, "deal_value > 5000 and\n  (company_size > ", "validation")
    assert answer["ok"] is False
    assert answer["result_type"] is None
    assert answer["fields_read"] == []
    [error] = answer["errors"]
    # The end of the text, on the second line: offset 40 is line 2, column 19.
    assert error == {
        "message": "expected a value, found the end",
        "offset": 40,
        "line": 2,
        "column": 19,
        "suggestion": None,
    }


def test_an_unknown_field_is_answered_with_a_suggestion(sales_studio: SalesStudio) -> None:
    answer = checked(sales_studio, "deal_valu >= 5000", "validation")
    assert answer["ok"] is False
    assert answer["fields_read"] == ["deal_valu"]
    assert answer["suggestions"] == ["deal_value"]
    assert answer["errors"] == [
        {
            "message": "unknown field `deal_valu`",
            "offset": 0,
            "line": 1,
            "column": 1,
            "suggestion": "deal_value",
        }
    ]


def test_a_validation_must_give_true_or_false(sales_studio: SalesStudio) -> None:
    answer = checked(sales_studio, "deal_value + 1", "validation")
    assert answer["ok"] is False
    assert answer["result_type"] == "number"
    assert answer["errors"][0]["message"] == "the expression gives number, but boolean is needed"


def test_the_verdict_is_the_one_saving_the_rule_gives(sales_studio: SalesStudio) -> None:
    source = "close_date > 5"
    answer = checked(sales_studio, source, "validation")
    saved = sales_studio.post(
        "/api/step-template/update-validations",
        {
            "id": str(sales_studio.step_templates["Qualified"]),
            "validations": [{"id": "x", "type": "custom_expression", "expression": source}],
        },
    )
    assert saved.status_code == 422
    [problem] = saved.json()["errors"]
    assert problem["field"] == "validations[0].expression"
    error = answer["errors"][0]
    assert problem["message"] == f"{error['message']} at {error['offset']}"


def test_unknown_template_step_or_output_field_is_404_naming_it(
    sales_studio: SalesStudio, container: Container
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for body, field in [
        ({"pipeline_template_id": missing}, "pipeline_template_id"),
        ({"step_id": missing}, "step_id"),
        (
            {"pipeline_template_id": str(sales_studio.template_id), "output_field_id": "nope"},
            "output_field_id",
        ),
    ]:
        response = check(sales_studio, {"expression": "1", "context": "calculation", **body})
        assert response.status_code == 404, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
    # Another tenant's template is not found either.
    other = make_login(container, slug="other", username="olga", roles=["admin"])
    response = sales_studio.client.post(
        CHECK,
        json={
            "expression": "1",
            "context": "condition",
            "pipeline_template_id": str(sales_studio.template_id),
        },
        headers=other.headers,
    )
    assert response.status_code == 404


def test_bad_requests_are_422_naming_the_field_and_change_nothing(
    sales_studio: SalesStudio, container: Container
) -> None:
    before = database_snapshot(container)
    both = check(
        sales_studio,
        {
            "expression": "1",
            "context": "condition",
            "pipeline_template_id": str(sales_studio.template_id),
            "step_id": str(sales_studio.step_templates["Lead"]),
        },
    )
    assert both.status_code == 422
    wrong_context = check(
        sales_studio,
        {
            "expression": "1",
            "context": "routing",
            "pipeline_template_id": str(sales_studio.template_id),
        },
    )
    assert wrong_context.status_code == 422
    assert [e["field"] for e in wrong_context.json()["errors"]] == ["context"]
    assert database_snapshot(container) == before


def test_only_admins_and_managers_check_expressions(sales_studio: SalesStudio) -> None:
    body = {
        "expression": "1 = 1",
        "context": "condition",
        "pipeline_template_id": str(sales_studio.template_id),
    }
    assert check(sales_studio, body, as_="sdr_1").status_code == 403
    assert check(sales_studio, body, as_="sales_manager").status_code == 200
