"""Pipeline access within a tenant: a restricted pipeline and its items exist only for the
admins, its owner and the accounts, group members and role holders its access lists."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.services.tenants import AccountSpec, create_account_with_token
from tests.conftest import Login
from tests.services.moves_support import StepDef, build_pipeline
from tests.worker.office import Office, open_office

REVIEWED = {
    "id": "reviewed",
    "trigger": "on_enter",
    "recipients": [{"type": "role", "id": "manager"}, {"type": "user", "id": "listed"}],
}
# Each extra person and their roles; ``grouped`` joins the ``closers`` group.
EXTRA = {
    "outsider": ["manager"],
    "lead": ["member"],
    "listed": ["member"],
    "grouped": ["member"],
    "doctor": ["physician"],
}
INSIDERS = ("ada", "lead", "listed", "grouped", "doctor")


class Restricted:
    def __init__(self, office: Office) -> None:
        self.office = office
        self.client = office.client
        pipeline = build_pipeline(
            office.container,
            office.tenant_id,
            [
                StepDef(name="Lead"),
                StepDef(name="Approval", config={"metadata": {"requires_approval": True}}),
                StepDef(name="Review", config={"notifications": [REVIEWED]}),
            ],
            name="Patients",
            owner_id=office.id("lead"),
        )
        office.pipeline = pipeline
        self.instance = str(pipeline.instance_id)
        group = self.call(
            "ada",
            "/api/account-group/create",
            {"name": "closers", "member_ids": [str(office.id("grouped"))]},
        )
        assert group.status_code == 201, group.text
        restricted = self.call(
            "ada",
            "/api/pipeline-instance/update-access",
            {
                "id": self.instance,
                "access": {
                    "restricted": True,
                    "accounts": ["listed"],
                    "account_groups": ["closers"],
                    "roles": ["physician"],
                },
            },
        )
        assert restricted.status_code == 200, restricted.text
        self.item = office.create("Patient 1", owner="ada")
        waiting = self.call(
            "ada",
            "/api/item/create",
            {
                "pipeline_instance_id": self.instance,
                "name": "Patient 2",
                "step_id": office.step("Approval"),
            },
        )
        assert waiting.status_code == 201, waiting.text
        self.waiting = waiting.json()["id"]
        asked = self.call("ada", "/api/approval/request", {"item_id": self.waiting})
        assert asked.status_code == 201, asked.text
        self.request = asked.json()["id"]

    def call(self, username: str, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, json=body, headers=self.office.headers(username))

    def read(self, username: str, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.office.headers(username))


@pytest.fixture
def restricted(container: Container, client: TestClient, clock: FrozenClock) -> Restricted:
    office = open_office(container, client, clock)
    for username, roles in EXTRA.items():
        with container.uow() as uow:
            account, token = create_account_with_token(
                uow,
                tenant_slug="office",
                spec=AccountSpec(
                    email=f"{username}@office.example", username=username, roles=roles
                ),
                token_ttl=None,
            )
        office.logins[username] = Login(
            tenant_id=token.tenant_id,
            tenant_slug="office",
            account_id=account.id,
            token=token.token,
        )
    return Restricted(office)


def test_an_outsider_gets_404_on_every_item_endpoint_of_a_restricted_pipeline(
    restricted: Restricted,
) -> None:
    r, office = restricted, restricted.office
    item, step = r.item, office.step("Review")
    reads = {
        "/api/pipeline-instance/get": r.instance,
        "/api/item/get": item,
        "/api/item/history": item,
        "/api/item/activity": item,
        "/api/item/validation-status": item,
    }
    writes: dict[str, dict[str, Any]] = {
        "/api/pipeline-instance/update-access": {"id": r.instance, "access": {}},
        "/api/item/create": {"pipeline_instance_id": r.instance, "name": "Sneaked in"},
        "/api/item/update-fields": {"id": item, "field_values": {"deal_value": 1}},
        "/api/item/move-to-step": {"id": item, "step_id": step},
        "/api/item/assign": {"id": item, "mode": "replace", "account_ids": []},
        "/api/approval/request": {"item_id": r.waiting},
        "/api/approval/approve": {"request_id": r.request},
        "/api/approval/reject": {"request_id": r.request, "comment": "no"},
    }

    answers = {
        path: r.read("outsider", path, id=value).status_code for path, value in reads.items()
    }
    answers |= {path: r.call("outsider", path, body).status_code for path, body in writes.items()}
    bulk_move = r.call("outsider", "/api/item/bulk-move", {"item_ids": [item], "step_id": step})
    bulk_assign = r.call(
        "outsider",
        "/api/item/bulk-assign",
        {"items": [{"id": item}, {"id": r.waiting}], "mode": "replace", "account_ids": []},
    )

    assert answers == dict.fromkeys(answers, 404)
    assert [entry["status"] for entry in bulk_move.json()["results"]] == ["not_found"]
    assert [entry["result"] for entry in bulk_assign.json()["results"]] == ["not_found"] * 2
    after = r.read("ada", "/api/item/get", id=item).json()["item"]
    assert (after["version"], after["current_step_id"]) == (1, office.step("Lead"))


def test_an_outsider_does_not_see_the_pipeline_or_its_items_in_lists(
    restricted: Restricted,
) -> None:
    r = restricted

    instances = r.read("outsider", "/api/pipeline-instance/list").json()
    every_item = r.read("outsider", "/api/item/list").json()
    filtered = r.read("outsider", "/api/item/list", pipeline_instance_id=r.instance).json()
    pending = r.read("outsider", "/api/approval/list-pending").json()

    assert r.instance not in [instance["id"] for instance in instances]
    assert (every_item["total"], every_item["items"]) == (0, [])
    assert (filtered["total"], filtered["items"]) == (0, [])
    assert pending == []
    assert [p["id"] for p in r.read("vp_sales", "/api/approval/list-pending").json()] == []


@pytest.mark.parametrize("username", INSIDERS)
def test_admins_the_owner_and_the_listed_people_see_and_work_on_the_items(
    restricted: Restricted, username: str
) -> None:
    r, office = restricted, restricted.office

    got = r.read(username, "/api/item/get", id=r.item)
    listed = r.read(username, "/api/item/list", pipeline_instance_id=r.instance).json()
    instances = r.read(username, "/api/pipeline-instance/list").json()
    moved = r.call(
        username, "/api/item/move-to-step", {"id": r.item, "step_id": office.step("Review")}
    )
    history = r.read(username, "/api/item/history", id=r.item)

    assert got.status_code == 200, got.text
    assert {entry["id"] for entry in listed["items"]} == {r.item, r.waiting}
    assert r.instance in [instance["id"] for instance in instances]
    assert moved.status_code == 200, moved.text
    assert [entry["step_name"] for entry in history.json()["entries"]] == ["Lead", "Review"]


def test_only_admins_and_the_owner_change_access_and_every_reference_is_checked(
    restricted: Restricted,
) -> None:
    r = restricted
    opened = {"id": r.instance, "access": {"restricted": False}}

    by_listed = r.call("listed", "/api/pipeline-instance/update-access", opened)
    unknown = r.call(
        "lead",
        "/api/pipeline-instance/update-access",
        {
            "id": r.instance,
            "access": {
                "restricted": True,
                "accounts": ["listed", "nobody"],
                "account_groups": ["ghosts"],
                "roles": ["wizard"],
            },
        },
    )
    by_owner = r.call("lead", "/api/pipeline-instance/update-access", opened)

    assert by_listed.status_code == 403
    assert unknown.status_code == 404
    assert [e["field"] for e in unknown.json()["errors"]] == [
        "access.accounts[1]",
        "access.account_groups[0]",
        "access.roles[0]",
    ]
    assert by_owner.status_code == 200, by_owner.text
    assert by_owner.json()["access"]["restricted"] is False
    assert r.read("outsider", "/api/item/get", id=r.item).status_code == 200


def test_a_pipeline_started_restricted_names_a_bad_reference_in_a_404(
    restricted: Restricted,
) -> None:
    r, office = restricted, restricted.office
    template = office.pipeline.template_id if office.pipeline else None
    body: dict[str, Any] = {
        "pipeline_template_id": str(template),
        "name": "Ward B",
        "access": {"restricted": True, "roles": ["physician", "surgeon"]},
    }

    refused = r.call("ada", "/api/pipeline-instance/create", body)
    body["access"]["roles"] = ["physician"]
    created = r.call("ada", "/api/pipeline-instance/create", body)
    seen_by = {
        username: r.read(username, "/api/pipeline-instance/get", id=created.json()["id"])
        for username in ("doctor", "listed")
    }

    assert refused.status_code == 404
    assert [e["field"] for e in refused.json()["errors"]] == ["access.roles[1]"]
    assert created.status_code == 201, created.text
    assert created.json()["access"]["restricted"] is True
    assert {name: answer.status_code for name, answer in seen_by.items()} == {
        "doctor": 200,
        "listed": 404,
    }


def test_notification_recipients_who_cannot_see_the_item_get_no_in_app_row(
    restricted: Restricted,
) -> None:
    r, office = restricted, restricted.office
    office.move(r.item, "Review")
    office.work()

    subjects = {
        username: [n["subject"] for n in office.inbox(username)]
        for username in ("listed", "outsider", "vp_sales", "sales_manager")
    }
    [entry] = office.history(item_id=r.item)
    outcomes = {(o["account_id"], o["channel"]): o for o in entry["outcomes"]}

    assert subjects == {
        "listed": ["Patient 1 entered Review"],
        "outsider": [],
        "vp_sales": [],
        "sales_manager": [],
    }
    assert entry["recipients"] == [str(office.id("listed"))]
    for username in ("outsider", "vp_sales", "sales_manager"):
        blocked = outcomes[(str(office.id(username)), "in_app")]
        assert blocked["status"] == "no_access"
        assert blocked["reason"] == "may not see the item's pipeline"
