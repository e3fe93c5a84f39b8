"""Step settings (the metadata keys PaceTrack acts on) are checked when they are saved: on a
step template and in a running step's overrides, a bad value is a 422 naming its path and
nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_pipelines import start
from tests.api.test_templates import define_fields, get_step, make_template, post
from tests.conftest import Login

BAD_SETTINGS = [
    (
        {"requires_approval": True, "approvals_required": "2"},
        "metadata.approvals_required",
        "must be a whole number from 1 to 1000",
    ),
    ({"max_automatic_moves": -1}, "metadata.max_automatic_moves", "whole number from 0"),
    ({"requires_approval": "yes"}, "metadata.requires_approval", "must be true or false"),
    ({"allowed_next_steps": "Step 2"}, "metadata.allowed_next_steps", "must be a list of steps"),
    ({"allow_skip": "no"}, "metadata.allow_skip", "must be true or false"),
    (
        {"entry_required_fields": ["deal_valu"]},
        "metadata.entry_required_fields[0]",
        "unknown field `deal_valu`",
    ),
    (
        {"approver": {"type": "team", "id": "physicians"}},
        "metadata.approver.type",
        "must be one of user, account_group, role",
    ),
    (
        {"void_approval_on_change": ["mood"]},
        "metadata.void_approval_on_change",
        "unknown field `mood`",
    ),
    ({"terminal": {"outcome": "triumph"}}, "metadata.terminal.outcome", "must be one of won"),
]


@pytest.mark.parametrize(("metadata", "path", "words"), BAD_SETTINGS)
def test_a_bad_step_setting_is_refused_naming_its_path_and_nothing_changes(
    client: TestClient, admin: Login, metadata: dict[str, Any], path: str, words: str
) -> None:
    define_fields(client, admin)
    step = make_template(client, admin, steps=2)["steps"][0]
    before = get_step(client, admin, step["id"])

    refused = client.post(
        "/api/step-template/update-metadata",
        json={"id": step["id"], "metadata": {"sla": {"hours": 4}, **metadata}},
        headers=admin.headers,
    )

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    errors = refused.json()["errors"]
    assert [error["field"] for error in errors] == [path], errors
    assert words in errors[0]["message"]
    assert get_step(client, admin, step["id"]) == before


@pytest.mark.parametrize(("metadata", "path", "words"), BAD_SETTINGS)
def test_a_bad_setting_in_a_running_steps_overrides_is_refused_naming_its_path(
    client: TestClient, admin: Login, metadata: dict[str, Any], path: str, words: str
) -> None:
    define_fields(client, admin)
    template = make_template(client, admin, steps=2)
    instance = start(client, admin, template["id"])
    step_id = instance["steps"][0]["id"]

    refused = client.post(
        "/api/pipeline-instance/update-step-overrides",
        json={"step_id": step_id, "config_overrides": {"metadata": metadata}},
        headers=admin.headers,
    )

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    errors = refused.json()["errors"]
    assert [error["field"] for error in errors] == [f"config_overrides.{path}"], errors
    assert words in errors[0]["message"]
    stored = client.get(
        "/api/pipeline-instance/get", params={"id": instance["id"]}, headers=admin.headers
    ).json()
    assert stored["steps"][0]["config_overrides"] == {}


def test_sound_settings_and_free_keys_are_stored_as_sent(client: TestClient, admin: Login) -> None:
    define_fields(client, admin)
    template = make_template(client, admin, steps=2)
    step = template["steps"][0]
    metadata = {
        "requires_approval": True,
        "approver": {"type": "role", "id": "manager"},
        "approvals_required": 2,
        "allow_self_approval": False,
        "void_approval_on_change": ["deal_value"],
        "allowed_next_steps": ["Step 2"],
        "allow_backward": False,
        "allow_skip": True,
        "entry_required_fields": ["deal_value"],
        "max_automatic_moves": 0,
        "terminal": None,
        "sla": {"hours": 4},
    }

    stored = post(
        client,
        admin,
        "/api/step-template/update-metadata",
        {"id": step["id"], "metadata": metadata},
    )
    instance = start(client, admin, template["id"])
    overridden = post(
        client,
        admin,
        "/api/pipeline-instance/update-step-overrides",
        {
            "step_id": instance["steps"][0]["id"],
            "config_overrides": {"metadata": {"approvals_required": 1, "colour_hint": "red"}},
        },
    )

    assert stored["metadata"] == metadata
    assert overridden["config_overrides"]["metadata"] == {
        "approvals_required": 1,
        "colour_hint": "red",
    }


def test_an_export_carries_the_fields_its_settings_name_so_the_import_passes(
    client: TestClient, admin: Login, other_admin: Login
) -> None:
    define_fields(client, admin)
    template = make_template(client, admin, steps=2)
    metadata = {
        "requires_approval": True,
        "entry_required_fields": ["close_date"],
        "void_approval_on_change": ["commission"],
    }
    post(
        client,
        admin,
        "/api/step-template/update-metadata",
        {"id": template["steps"][1]["id"], "metadata": metadata},
    )

    exported = post(client, admin, "/api/pipeline-template/export", {"id": template["id"]})
    imported = client.post(
        "/api/pipeline-template/import", json={"document": exported}, headers=other_admin.headers
    )

    assert {field["name"] for field in exported["fields"]} == {"close_date", "commission"}
    assert imported.status_code in (200, 201), imported.text
    assert imported.json()["steps"][1]["metadata"] == metadata
