"""The JSON API with the web session cookie instead of a bearer token: reads are allowed,
writes only with the page's CSRF token in X-CSRF-Token (the page islands send it), so
another site cannot make a signed-in browser change anything."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pacetrack.web.csrf import CSRF_HEADER, csrf_for
from tests.conftest import Login


def _field_names(client: TestClient, login: Login) -> list[str]:
    answer = client.get("/api/field-definition/list", headers=login.headers)
    return [field["name"] for field in answer.json()]


def test_a_cookie_session_reads_without_the_csrf_header(client: TestClient, admin: Login) -> None:
    client.cookies.set("pacetrack_token", admin.token)
    assert client.get("/api/account/me").status_code == 200


def test_a_cookie_session_write_without_the_csrf_header_is_refused(
    client: TestClient, admin: Login
) -> None:
    client.cookies.set("pacetrack_token", admin.token)
    body = {"name": "forged", "label": "Forged", "field_type": "text"}

    missing = client.post("/api/field-definition/create", json=body)
    wrong = client.post(
        "/api/field-definition/create", json=body, headers={CSRF_HEADER: csrf_for("other")}
    )

    for answer in (missing, wrong):
        assert answer.status_code == 403
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert CSRF_HEADER in answer.json()["detail"]
    client.cookies.clear()
    assert "forged" not in _field_names(client, admin)


def test_a_cookie_session_write_with_the_pages_csrf_token_is_accepted(
    client: TestClient, admin: Login
) -> None:
    client.cookies.set("pacetrack_token", admin.token)
    answer = client.post(
        "/api/field-definition/create",
        json={"name": "deal_value", "label": "Deal value", "field_type": "currency"},
        headers={CSRF_HEADER: csrf_for(admin.token)},
    )

    assert answer.status_code == 201
    client.cookies.clear()
    assert "deal_value" in _field_names(client, admin)


def test_a_bearer_token_needs_no_csrf_header(client: TestClient, admin: Login) -> None:
    answer = client.post(
        "/api/field-definition/create",
        json={"name": "deal_value", "label": "Deal value", "field_type": "currency"},
        headers=admin.headers,
    )
    assert answer.status_code == 201
