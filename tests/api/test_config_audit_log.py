"""/api/audit-log/list: every configuration change, who made it, when, before and after."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables_auth import ConfigAuditEntry
from pacetrack.services.tenant_features import FeatureChange, set_features
from tests.api.test_templates import make_template
from tests.conftest import Login

OAUTH_SECRET = "oauth-client-secret-4b1d"
PASSWORD = "a new password 51"
HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture(autouse=True)
def ticking(clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each reading of the clock is a second later, so that entries are ordered in time."""
    frozen_now = clock.now

    def now() -> datetime:
        clock.advance(timedelta(seconds=1))
        return frozen_now()

    monkeypatch.setattr(clock, "now", now)


def post(client: TestClient, login: Login, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body, headers=login.headers)
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else None


def start_pipeline(client: TestClient, login: Login, name: str, *, steps: int) -> Any:
    template = make_template(client, login, steps=steps)
    body = {"pipeline_template_id": template["id"], "name": name}
    return post(client, login, "/api/pipeline-instance/create", body)


def log(client: TestClient, login: Login, **filters: Any) -> list[dict[str, Any]]:
    response = client.get("/api/audit-log/list", params=filters, headers=login.headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def latest(client: TestClient, login: Login, kind: str) -> dict[str, Any]:
    return log(client, login, kind=kind)[0]


def stored_rows(container: Container) -> str:
    with container.uow() as uow:
        rows = uow.session.scalars(select(ConfigAuditEntry)).all()
        return json.dumps(
            [[row.entity_name, row.before, row.after] for row in rows], ensure_ascii=False
        )


def test_a_template_change_records_who_when_and_the_changed_keys(
    client: TestClient, admin: Login, clock: FrozenClock
) -> None:
    template = post(client, admin, "/api/pipeline-template/create", {"name": "Sales"})
    post(
        client,
        admin,
        "/api/pipeline-template/update",
        {"id": template["id"], "name": "Deals", "description": "B2B"},
    )

    updated, created = log(client, admin, kind="pipeline_template")
    assert created["action"] == "created"
    assert created["after"]["name"] == "Sales" and created["before"] is None
    assert updated["action"] == "updated"
    assert updated["entity_name"] == "Deals"
    assert updated["before"] == {"name": "Sales", "description": ""}
    assert updated["after"] == {"name": "Deals", "description": "B2B"}
    assert updated["actor"] == {"id": str(admin.account_id), "name": "ada"}
    assert datetime.fromisoformat(created["at"]) < datetime.fromisoformat(updated["at"])
    assert datetime.fromisoformat(updated["at"]) < clock.now()
    assert updated["entity_id"] == template["id"]


def test_deleting_a_template_is_a_deletion_with_what_it_was(
    client: TestClient, admin: Login
) -> None:
    template = post(client, admin, "/api/pipeline-template/create", {"name": "Old"})
    post(client, admin, "/api/pipeline-template/delete", {"id": template["id"]})

    deleted = log(client, admin, kind="pipeline_template", action="deleted")
    assert len(deleted) == 1
    assert deleted[0]["before"]["name"] == "Old" and deleted[0]["after"] is None


def test_step_template_changes_name_their_template(client: TestClient, admin: Login) -> None:
    template = make_template(client, admin, name="Hiring", steps=1)
    step = template["steps"][0]
    post(client, admin, "/api/step-template/update", {"id": step["id"], "name": "Screen"})
    post(
        client,
        admin,
        "/api/step-template/update-metadata",
        {"id": step["id"], "metadata": {"color": "blue"}},
    )

    metadata, renamed = log(client, admin, kind="step_template", action="updated")[:2]
    assert renamed["entity_name"] == "Hiring: Screen"
    assert renamed["before"] == {"name": "Step 1"} and renamed["after"] == {"name": "Screen"}
    assert metadata["before"] == {"metadata": {}}
    assert metadata["after"] == {"metadata": {"color": "blue"}}


def test_field_definitions_are_audited_from_creation_to_deletion(
    client: TestClient, admin: Login
) -> None:
    field = post(
        client,
        admin,
        "/api/field-definition/create",
        {"name": "budget", "label": "Budget", "field_type": "number"},
    )
    post(client, admin, "/api/field-definition/update", {"id": field["id"], "label": "Spend"})
    post(client, admin, "/api/field-definition/delete", {"id": field["id"]})

    entries = log(client, admin, kind="field_definition", entity_id=field["id"])
    assert [entry["action"] for entry in entries] == ["deleted", "updated", "created"]
    assert entries[1]["after"] == {"label": "Spend"}
    assert entries[2]["after"]["field_type"] == "number"


def test_a_running_step_override_is_audited_but_starting_a_pipeline_is_not(
    client: TestClient, admin: Login
) -> None:
    pipeline = start_pipeline(client, admin, "Q4", steps=2)
    step = pipeline["steps"][0]
    post(
        client,
        admin,
        "/api/pipeline-instance/update-step-overrides",
        {"step_id": step["id"], "config_overrides": {"metadata": {"color": "red"}}},
    )

    (override,) = log(client, admin, kind="step_override")
    assert override["entity_name"] == "Q4: Step 1"
    assert override["before"] == {"config_overrides": {}}
    assert override["after"] == {"config_overrides": {"metadata": {"color": "red"}}}


def test_restricting_a_pipeline_is_audited(client: TestClient, admin: Login) -> None:
    pipeline = start_pipeline(client, admin, "Board", steps=1)
    access = {"restricted": True, "accounts": ["ada"]}
    post(
        client,
        admin,
        "/api/pipeline-instance/update-access",
        {"id": pipeline["id"], "access": access},
    )

    (entry,) = log(client, admin, kind="pipeline_access")
    assert entry["entity_name"] == "Board" and entry["before"] == {"access": None}
    assert entry["after"]["access"]["restricted"] is True


def test_an_imported_template_is_audited_like_one_built_by_hand(
    client: TestClient, admin: Login
) -> None:
    document = {
        "format": "pacetrack.pipeline-template/v1",
        "name": "Imported",
        "fields": [{"name": "budget", "label": "Budget", "field_type": "number"}],
        "steps": [{"name": "Only"}],
    }
    post(client, admin, "/api/pipeline-template/import", {"document": document})

    kinds = {entry["kind"]: entry for entry in log(client, admin, action="created")}
    assert kinds["pipeline_template"]["entity_name"] == "Imported"
    assert kinds["step_template"]["entity_name"] == "Imported: Only"
    assert kinds["field_definition"]["entity_name"] == "budget"
    assert kinds["pipeline_template"]["actor"]["id"] == str(admin.account_id)


def test_webhook_secrets_never_reach_the_log(
    client: TestClient, admin: Login, container: Container
) -> None:
    post(client, admin, "/api/webhook-allow-list/set", {"entries": ["127.0.0.0/8"]})
    auth = {
        "type": "oauth2_client_credentials",
        "token_url": "http://127.0.0.1:9/token",
        "client_id": "pacetrack",
        "client_secret": OAUTH_SECRET,
    }
    created = post(client, admin, "/api/webhook-endpoint/create", {"url": HOOK, "auth": auth})
    rotated = post(client, admin, "/api/webhook-endpoint/rotate-secret", {"id": created["id"]})
    post(client, admin, "/api/webhook-endpoint/update", {"id": created["id"], "auth": None})

    removed, rotation, creation = log(client, admin, kind="webhook_endpoint")
    assert creation["after"]["secret"] == "••••••••"
    assert creation["after"]["oauth_client_secret"] == "••••••••"
    assert creation["after"]["oauth_client_id"] == "pacetrack"
    assert rotation["before"] == {"secret": "••••••••", "previous_secret": None}
    assert rotation["after"] == {
        "secret": "•••••••• (changed)",
        "previous_secret": "•••••••• (changed)",
    }
    assert removed["before"]["oauth_client_secret"] == "••••••••"
    assert removed["after"]["oauth_client_secret"] is None
    answer = client.get("/api/audit-log/list", headers=admin.headers).text
    for secret in (created["secret"], rotated["secret"], OAUTH_SECRET):
        assert secret not in answer
        assert secret not in stored_rows(container)


def test_the_allow_list_and_the_tenant_settings_are_audited(
    client: TestClient, admin: Login
) -> None:
    post(client, admin, "/api/webhook-allow-list/set", {"entries": ["10.0.0.0/8"]})
    post(client, admin, "/api/tenant/update-settings", {"currency": "EUR"})

    (allow_list,) = log(client, admin, kind="allow_list")
    assert allow_list["before"] == {"webhook_allow_list": []}
    assert allow_list["after"] == {"webhook_allow_list": ["10.0.0.0/8"]}
    assert allow_list["entity_name"] == "Acme"
    (settings,) = log(client, admin, kind="tenant_settings")
    assert (settings["before"], settings["after"]) == ({"currency": "USD"}, {"currency": "EUR"})


def test_feature_flag_changes_are_audited(container: Container, admin: Login) -> None:
    with container.uow() as uow:
        set_features(
            uow,
            FeatureChange(tenant=admin.tenant_slug, disable=["family.automations"]),
            updated_by="command line",
        )
    with container.uow() as uow:
        set_features(
            uow,
            FeatureChange(tenant=admin.tenant_slug, enable=["family.automations"]),
            updated_by="command line",
        )
    with container.uow() as uow:
        rows = uow.session.scalars(
            select(ConfigAuditEntry)
            .where(ConfigAuditEntry.entity_kind == "feature_flag")
            .order_by(ConfigAuditEntry.at)
        ).all()
        seen = [(row.entity_name, row.action, row.before, row.after) for row in rows]
    assert seen == [
        ("family.automations", "created", None, {"enabled": False}),
        ("family.automations", "updated", {"enabled": False}, {"enabled": True}),
    ]


def test_accounts_role_grants_and_passwords_are_audited_without_the_hash(
    client: TestClient, admin: Login, container: Container
) -> None:
    account = post(
        client,
        admin,
        "/api/account/create",
        {"email": "bo@acme.example", "username": "bo", "display_name": "Bo", "roles": ["member"]},
    )
    post(
        client,
        admin,
        "/api/account/update",
        {"id": account["id"], "password": PASSWORD, "roles": ["manager"]},
    )

    updated, created = log(client, admin, kind="account", entity_id=account["id"])
    assert created["after"]["display_name"] == "Bo"
    assert created["after"]["password_hash"] is None
    assert updated["before"] == {"password_hash": None}
    assert updated["after"] == {"password_hash": "•••••••• (changed)"}
    grants = log(client, admin, kind="account_role", entity_id=account["id"])
    assert [(entry["action"], entry["before"], entry["after"]) for entry in grants[:2]] in (
        [("deleted", {"role": "member"}, None), ("created", None, {"role": "manager"})],
        [("created", None, {"role": "manager"}), ("deleted", {"role": "member"}, None)],
    )
    assert {entry["entity_name"] for entry in grants} == {"Bo"}
    assert "$" not in stored_rows(container)  # no password hash ($argon2…, $2b$…)


def test_roles_groups_and_members_are_audited(client: TestClient, admin: Login) -> None:
    post(client, admin, "/api/role/create", {"name": "physician", "description": "Doctors"})
    group = post(client, admin, "/api/account-group/create", {"name": "Clinic"})
    post(
        client,
        admin,
        "/api/account-group/add-member",
        {"group_id": group["id"], "account_id": str(admin.account_id)},
    )
    post(client, admin, "/api/account-group/delete", {"id": group["id"]})

    (role,) = log(client, admin, kind="role", actor_id=str(admin.account_id))
    assert role["after"] == {"name": "physician", "description": "Doctors"}
    assert [entry["action"] for entry in log(client, admin, kind="account_group")] == [
        "deleted",
        "created",
    ]
    removed, added = log(client, admin, kind="group_member", entity_id=group["id"])
    assert added["after"] == {"account": "ada"} and added["entity_name"] == "Clinic"
    assert removed["action"] == "deleted" and removed["before"] == {"account": "ada"}


def test_the_filters_narrow_the_list(
    client: TestClient, admin: Login, member: Login, clock: FrozenClock
) -> None:
    post(client, admin, "/api/role/create", {"name": "early"})
    clock.advance(timedelta(hours=2))
    middle = clock.now()
    post(client, admin, "/api/role/create", {"name": "late"})
    post(client, admin, "/api/pipeline-template/create", {"name": "Sales"})

    def names(**filters: Any) -> list[str]:
        return [entry["entity_name"] for entry in log(client, admin, **filters)]

    mine = {"kind": "role", "actor_id": str(admin.account_id)}
    assert names(**mine) == ["late", "early"]
    assert names(**mine, **{"from": middle.isoformat()}) == ["late"]
    assert names(**mine, to=middle.isoformat()) == ["early"]
    assert names(actor_id=str(admin.account_id), action="created", limit=1) == ["Sales"]
    assert names(actor_id=str(member.account_id)) == []
    page = client.get(
        "/api/audit-log/list", params={"limit": 1, "offset": 1}, headers=admin.headers
    )
    assert page.json()["limit"] == 1 and page.json()["offset"] == 1


def test_bad_filters_are_422_naming_the_parameter(client: TestClient, admin: Login) -> None:
    for params, name in (
        ({"kind": "spaceship"}, "kind"),
        ({"action": "exploded"}, "action"),
        ({"from": "2026-12-01T10:00:00"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"entity_id": "42"}, "entity_id"),
        ({"limit": 500}, "limit"),
    ):
        response = client.get("/api/audit-log/list", params=params, headers=admin.headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert name in response.text, response.text


def test_only_admins_read_the_log(client: TestClient, member: Login) -> None:
    response = client.get("/api/audit-log/list", headers=member.headers)

    assert response.status_code == 403


def test_another_tenants_changes_are_never_listed(
    client: TestClient, admin: Login, other_admin: Login
) -> None:
    post(client, other_admin, "/api/role/create", {"name": "secret-role"})
    post(client, admin, "/api/role/create", {"name": "ours"})

    ours = [entry["entity_name"] for entry in log(client, admin, kind="role")]
    theirs = [entry["entity_name"] for entry in log(client, other_admin, kind="role")]
    # Each tenant's built-in roles were made (by the system) when it was created.
    assert ours[0] == "ours" and sorted(ours[1:]) == ["admin", "manager", "member"]
    assert "secret-role" not in ours and "ours" not in theirs
    assert theirs[0] == "secret-role"
    assert all(entry["actor"] is None for entry in log(client, admin, kind="role")[1:])


def test_publishing_and_rolling_back_are_entries_with_the_version_numbers_and_the_note(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, name="Hiring", steps=1)
    step = template["steps"][0]
    post(client, admin, "/api/pipeline-template/publish", {"id": template["id"], "note": "Cut 1"})
    post(client, admin, "/api/step-template/update", {"id": step["id"], "name": "Screen"})
    post(client, admin, "/api/pipeline-template/publish", {"id": template["id"], "note": "Cut 2"})
    post(
        client,
        admin,
        "/api/pipeline-template/rollback",
        {"id": template["id"], "version": 1, "note": "Too early"},
    )

    rolled_back, second, first = log(client, admin, kind="template_version")
    assert first["action"] == "published" and first["before"] is None
    assert first["after"] == {"version": 1, "note": "Cut 1"}
    assert second["action"] == "published"
    assert second["before"] == {"version": 1}
    assert second["after"] == {"version": 2, "note": "Cut 2"}
    assert rolled_back["action"] == "rolled_back"
    assert rolled_back["before"] == {"version": 2}
    assert rolled_back["after"] == {
        "version": 3,
        "note": "Restores version 1. Too early",
        "restores": 1,
    }
    assert {entry["entity_name"] for entry in (first, second, rolled_back)} == {"Hiring"}
    assert {entry["entity_id"] for entry in (first, second, rolled_back)} == {template["id"]}
    assert rolled_back["actor"] == {"id": str(admin.account_id), "name": "ada"}
    assert log(client, admin, action="rolled_back") == [rolled_back]
    # The rollback's own step changes are entries of the steps, in the same change.
    renamed_back = log(client, admin, kind="step_template", action="updated")[0]
    assert renamed_back["before"] == {"name": "Screen"}
    assert renamed_back["after"] == {"name": "Step 1"}


def test_a_refused_publish_records_nothing(client: TestClient, admin: Login) -> None:
    template = make_template(client, admin, steps=1)
    post(client, admin, "/api/pipeline-template/publish", {"id": template["id"]})

    again = client.post(
        "/api/pipeline-template/publish", json={"id": template["id"]}, headers=admin.headers
    )

    assert again.status_code == 409
    assert len(log(client, admin, kind="template_version")) == 1
