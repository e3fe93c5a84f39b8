"""The template's board setting (checked at save, carried by export and import) and the
tenant's currency (set by a tenant admin), through the JSON API on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_templates import define_fields, post
from tests.conftest import Login

BOARD = {"money_field": "deal_value", "card_fields": ["close_date", "decision_maker"]}


def test_a_template_keeps_its_board_setting(client: TestClient, admin: Login) -> None:
    define_fields(client, admin)
    created = post(
        client, admin, "/api/pipeline-template/create", {"name": "Sales", "board": BOARD}
    )
    assert created["board"] == BOARD

    changed = post(
        client,
        admin,
        "/api/pipeline-template/update",
        {"id": created["id"], "board": {"money_field": "commission", "card_fields": []}},
    )
    assert changed["board"] == {"money_field": "commission", "card_fields": []}


def test_an_unknown_or_non_money_field_is_refused_naming_it(
    client: TestClient, admin: Login
) -> None:
    define_fields(client, admin)
    created = post(
        client, admin, "/api/pipeline-template/create", {"name": "Sales", "board": BOARD}
    )
    for board, field, words in (
        ({"money_field": "close_date"}, "board.money_field", "not a currency field"),
        ({"money_field": "nope"}, "board.money_field", "no field “nope”"),
        ({"card_fields": ["close_date", "ghost"]}, "board.card_fields[1]", "no field “ghost”"),
    ):
        response = client.post(
            "/api/pipeline-template/update",
            json={"id": created["id"], "board": board},
            headers=admin.headers,
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        errors = response.json()["errors"]
        assert [error["field"] for error in errors] == [field]
        assert words in errors[0]["message"]
    unchanged = client.get(
        "/api/pipeline-template/get", params={"id": created["id"]}, headers=admin.headers
    ).json()
    assert unchanged["board"] == BOARD


def test_export_and_import_carry_the_board_setting(
    client: TestClient, admin: Login, other_admin: Login
) -> None:
    define_fields(client, admin)
    created = post(
        client, admin, "/api/pipeline-template/create", {"name": "Sales", "board": BOARD}
    )
    document = post(client, admin, "/api/pipeline-template/export", {"id": created["id"]})
    assert document["board"] == BOARD
    assert {"deal_value", "close_date", "decision_maker"} <= {f["name"] for f in document["fields"]}

    imported = post(client, other_admin, "/api/pipeline-template/import", {"document": document})
    assert imported["board"] == BOARD


def test_an_import_whose_board_names_a_missing_field_is_refused(
    client: TestClient, other_admin: Login
) -> None:
    document = {
        "format": "pacetrack.pipeline-template/v1",
        "name": "Bare",
        "board": {"money_field": "deal_value"},
        "steps": [{"name": "Only"}],
    }
    response = client.post(
        "/api/pipeline-template/import", json={"document": document}, headers=other_admin.headers
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["board.money_field"]


def test_a_tenant_admin_sets_the_currency_and_an_unknown_code_is_refused(
    client: TestClient, admin: Login, member: Login
) -> None:
    assert client.get("/api/tenant/settings", headers=member.headers).json()["currency"] == "USD"

    changed = post(client, admin, "/api/tenant/update-settings", {"currency": "EUR"})
    assert (changed["currency"], changed["currency_name"]) == ("EUR", "Euro")

    unknown = client.post(
        "/api/tenant/update-settings", json={"currency": "XYZ"}, headers=admin.headers
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["currency"]
    assert "“XYZ” is not a currency code" in unknown.json()["errors"][0]["message"]
    refused = client.post(
        "/api/tenant/update-settings", json={"currency": "GBP"}, headers=member.headers
    )
    assert refused.status_code == 403
    assert client.get("/api/tenant/settings", headers=admin.headers).json()["currency"] == "EUR"
