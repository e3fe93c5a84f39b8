"""/api/account, /api/role and /api/account-group: admins manage, everyone reads themselves."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Login


def post(client: TestClient, login: Login, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body, headers=login.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def new_account(client: TestClient, admin: Login, username: str, **extra: Any) -> dict[str, Any]:
    body = {"email": f"{username}@acme.example", "username": username, **extra}
    result: dict[str, Any] = post(client, admin, "/api/account/create", body)
    return result


def log_in(client: TestClient, login: str, password: str) -> Any:
    return client.post(
        "/api/auth/login", json={"tenant": "acme", "login": login, "password": password}
    )


def errors_of(response: Any) -> list[dict[str, str]]:
    assert response.headers["content-type"].startswith("application/problem+json")
    result: list[dict[str, str]] = response.json()["errors"]
    return result


def test_admin_creates_an_account_that_can_log_in_and_see_itself(
    client: TestClient, admin: Login
) -> None:
    created = new_account(
        client, admin, "sdr_1", password="long enough", roles=["member", "manager"]
    )

    token = log_in(client, "SDR_1@ACME.example", "long enough")
    me = client.get("/api/account/me", headers={"Authorization": f"Bearer {token.json()['token']}"})

    assert created["roles"] == ["manager", "member"]
    assert created["has_password"] is True
    assert token.status_code == 200
    assert me.json()["id"] == created["id"]
    assert me.json()["email"] == "sdr_1@acme.example"


def test_list_get_and_update_an_account(client: TestClient, admin: Login) -> None:
    created = new_account(client, admin, "rep")

    updated = post(
        client,
        admin,
        "/api/account/update",
        {"id": created["id"], "display_name": "Rep One", "roles": ["manager"]},
    )
    fetched = client.get("/api/account/get", params={"id": created["id"]}, headers=admin.headers)
    listed = client.get("/api/account/list", headers=admin.headers).json()

    assert updated["display_name"] == "Rep One"
    assert fetched.json()["roles"] == ["manager"]
    assert [a["username"] for a in listed] == ["ada", "rep"]


@pytest.mark.parametrize(
    ("body", "status", "field", "fragment"),
    [
        ({"email": "ADA@acme.example", "username": "other"}, 409, "email", "exists already"),
        ({"email": "new@acme.example", "username": "ADA"}, 409, "username", "exists already"),
        ({"email": "not-an-email", "username": "x"}, 422, "email", "not an email address"),
        ({"email": "x@\x85.example", "username": "x"}, 422, "email", "not an email address"),
        ({"email": "x@acme.example", "username": "has space"}, 422, "username", "only letters"),
        ({"email": "x@acme.example", "username": "x", "password": "short"}, 422, "password", "8"),
        (
            {"email": "x@acme.example", "username": "x", "roles": ["boss"]},
            404,
            "roles[0]",
            "no role named “boss”",
        ),
        ({"email": "x@acme.example", "username": "x", "roles": ["Boss!"]}, 422, "roles[0]", "a-z"),
        ({"username": "x"}, 422, "email", "required"),
        ({"email": "x@acme.example", "username": "x", "colour": 1}, 422, "colour", "unknown"),
    ],
)
def test_a_bad_account_is_refused_naming_the_field(
    client: TestClient,
    admin: Login,
    body: dict[str, Any],
    status: int,
    field: str,
    fragment: str,
) -> None:
    """Wrong by itself: 422; naming a role that does not exist: 404; taken: 409."""
    response = client.post("/api/account/create", json=body, headers=admin.headers)

    assert response.status_code == status
    errors = errors_of(response)
    assert any(e["field"] == field and fragment in e["message"] for e in errors), errors
    assert len(client.get("/api/account/list", headers=admin.headers).json()) == 1


def test_the_same_email_may_exist_in_another_tenant(
    client: TestClient, admin: Login, other_admin: Login
) -> None:
    response = client.post(
        "/api/account/create",
        json={"email": "ada@acme.example", "username": "ada"},
        headers=other_admin.headers,
    )

    assert response.status_code == 201, response.text


def test_renaming_to_a_taken_username_is_refused(client: TestClient, admin: Login) -> None:
    created = new_account(client, admin, "bob")

    response = client.post(
        "/api/account/update", json={"id": created["id"], "username": "Ada"}, headers=admin.headers
    )

    assert response.status_code == 409
    assert errors_of(response)[0]["field"] == "username"


def test_a_deactivated_account_cannot_log_in_and_its_tokens_stop_for_good(
    client: TestClient, admin: Login
) -> None:
    created = new_account(client, admin, "leaver", password="long enough")
    token = log_in(client, "leaver", "long enough").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/account/me", headers=headers).status_code == 200

    post(client, admin, "/api/account/deactivate", {"id": created["id"]})

    assert client.get("/api/account/me", headers=headers).status_code == 401
    assert log_in(client, "leaver", "long enough").status_code == 401

    reactivated = post(client, admin, "/api/account/reactivate", {"id": created["id"]})

    assert reactivated["is_active"] is True
    assert client.get("/api/account/me", headers=headers).status_code == 401
    assert log_in(client, "leaver", "long enough").status_code == 200


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(
    client: TestClient, admin: Login
) -> None:
    deactivate = client.post(
        "/api/account/deactivate", json={"id": str(admin.account_id)}, headers=admin.headers
    )
    demote = client.post(
        "/api/account/update",
        json={"id": str(admin.account_id), "roles": ["member"]},
        headers=admin.headers,
    )

    assert deactivate.status_code == 409
    assert demote.status_code == 409
    assert client.get("/api/account/me", headers=admin.headers).json()["roles"] == ["admin"]


def test_an_admin_resets_a_password(client: TestClient, admin: Login) -> None:
    created = new_account(client, admin, "forgetful", password="old password")

    post(client, admin, "/api/account/update", {"id": created["id"], "password": "new password"})

    assert log_in(client, "forgetful", "old password").status_code == 401
    assert log_in(client, "forgetful", "new password").status_code == 200


def test_a_member_changes_their_own_password_only_with_the_current_one(
    client: TestClient, member: Login
) -> None:
    wrong = client.post(
        "/api/account/me",
        json={"current_password": "nope", "new_password": "brand new pw"},
        headers=member.headers,
    )
    right = client.post(
        "/api/account/me",
        json={"current_password": "correct horse", "new_password": "brand new pw"},
        headers=member.headers,
    )

    assert wrong.status_code == 403
    assert errors_of(wrong)[0]["field"] == "current_password"
    assert right.status_code == 200
    assert log_in(client, "max", "brand new pw").status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/account/create", {"email": "x@acme.example", "username": "x"}),
        ("/api/account/update", {"id": "00000000-0000-4000-8000-000000000000"}),
        ("/api/account/deactivate", {"id": "00000000-0000-4000-8000-000000000000"}),
        ("/api/role/create", {"name": "physician"}),
        ("/api/account-group/create", {"name": "sdr_team"}),
    ],
)
def test_members_cannot_manage_accounts(
    client: TestClient, member: Login, path: str, body: dict[str, Any]
) -> None:
    response = client.post(path, json=body, headers=member.headers)

    assert response.status_code == 403


def test_members_may_read_the_directory(client: TestClient, admin: Login, member: Login) -> None:
    accounts = client.get("/api/account/list", headers=member.headers)
    roles = client.get("/api/role/list", headers=member.headers)

    assert {a["username"] for a in accounts.json()} == {"ada", "max"}
    assert [r["name"] for r in roles.json()] == ["admin", "manager", "member"]


def test_a_custom_role_can_be_created_and_granted(client: TestClient, admin: Login) -> None:
    role = post(client, admin, "/api/role/create", {"name": "physician", "description": "MD"})
    duplicate = client.post("/api/role/create", json={"name": "physician"}, headers=admin.headers)
    bad_name = client.post("/api/role/create", json={"name": "Doctor!"}, headers=admin.headers)

    account = new_account(client, admin, "physician_1", roles=["physician"])
    roles = client.get("/api/role/list", headers=admin.headers).json()

    assert role["built_in"] is False
    assert account["roles"] == ["physician"]
    assert duplicate.status_code == 409
    assert errors_of(duplicate)[0]["field"] == "name"
    assert bad_name.status_code == 422
    assert [(r["name"], r["built_in"]) for r in roles] == [
        ("admin", True),
        ("manager", True),
        ("member", True),
        ("physician", False),
    ]


def test_group_lifecycle(client: TestClient, admin: Login) -> None:
    one = new_account(client, admin, "sdr_1")
    two = new_account(client, admin, "sdr_2")

    group = post(
        client,
        admin,
        "/api/account-group/create",
        {"name": "sdr_team", "description": "SDRs", "member_ids": [one["id"]]},
    )
    added = post(
        client,
        admin,
        "/api/account-group/add-member",
        {"group_id": group["id"], "account_id": two["id"]},
    )
    removed = post(
        client,
        admin,
        "/api/account-group/remove-member",
        {"group_id": group["id"], "account_id": one["id"]},
    )
    renamed = post(client, admin, "/api/account-group/update", {"id": group["id"], "name": "sdrs"})
    fetched = client.get(
        "/api/account-group/get", params={"id": group["id"]}, headers=admin.headers
    ).json()
    deleted = client.post(
        "/api/account-group/delete", json={"id": group["id"]}, headers=admin.headers
    )

    assert group["member_ids"] == [one["id"]]
    assert added["member_ids"] == [one["id"], two["id"]]
    assert removed["member_ids"] == [two["id"]]
    assert renamed["name"] == "sdrs"
    assert fetched["member_ids"] == [two["id"]]
    assert deleted.status_code == 204
    assert client.get("/api/account-group/list", headers=admin.headers).json() == []


def test_bad_group_requests_name_the_field(client: TestClient, admin: Login) -> None:
    post(client, admin, "/api/account-group/create", {"name": "sdr_team"})
    ghost = "00000000-0000-4000-8000-000000000000"

    duplicate = client.post(
        "/api/account-group/create", json={"name": "SDR_team"}, headers=admin.headers
    )
    unknown_member = client.post(
        "/api/account-group/create",
        json={"name": "ae_team", "member_ids": [ghost]},
        headers=admin.headers,
    )
    bad_id = client.post(
        "/api/account-group/add-member",
        json={"group_id": "not-a-uuid", "account_id": ghost},
        headers=admin.headers,
    )

    assert duplicate.status_code == 409
    assert errors_of(duplicate)[0]["field"] == "name"
    assert unknown_member.status_code == 404
    assert errors_of(unknown_member)[0]["field"] == "member_ids[0]"
    assert bad_id.status_code == 422
    assert errors_of(bad_id)[0]["field"] == "group_id"


def test_unknown_ids_answer_404(client: TestClient, admin: Login) -> None:
    ghost = "00000000-0000-4000-8000-000000000000"

    account = client.get("/api/account/get", params={"id": ghost}, headers=admin.headers)
    group = client.get("/api/account-group/get", params={"id": ghost}, headers=admin.headers)

    assert account.status_code == 404
    assert group.status_code == 404


def test_every_account_route_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/account/me").status_code == 401
    assert client.get("/api/account/list").status_code == 401
    assert client.get("/api/account-group/list").status_code == 401
