"""Tenant isolation for every /api route: B can neither read, list, change nor delete A's data.

Tenant A ("acme") builds one of everything through the API. Tenant B ("globex") then calls every
route of the application aimed at A's ids. Each route answers what its entry in ``PROBES``
expects (404 for another tenant's id), never a 500, and never with data of A that B did not send
itself; afterwards A reads all its data back unchanged.

The routes are enumerated from the application, so a new route fails
``test_every_api_route_is_covered`` until it gets a one-line entry in ``PROBES`` (or, when it only
touches the caller's own data, in ``CALLER_SCOPED`` with the reason).
"""

# ruff: noqa: E501 -- PROBES keeps one route per line, so adding a route is a one-line change.

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from pacetrack.db.tables_delivery import DEAD, Outbox
from pacetrack.services.webhooks import WEBHOOK_JOB
from tests.conftest import Login

SECRET = "acme-private"  # in the names of A's data: must never reach B


@dataclass(kw_only=True)
class World:
    """Tenant A's data (ids as strings) and a little of B's own, for routes that need both."""

    field: str
    template: str
    steps: list[str]
    instance: str
    instance_steps: list[str]
    item: str
    account: str
    admin: str
    group: str
    role: str
    endpoint: str
    approval: str
    delivery: str
    b_group: str
    b_template: str
    b_instance_steps: list[str]

    def a_ids(self) -> set[str]:
        values: list[Any] = list(vars(self).items())
        found: set[str] = set()
        for name, value in values:
            if name.startswith("b_"):
                continue
            found.update(value if isinstance(value, list) else [value])
        return found


Request = Callable[[World], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class Probe:
    request: Request
    expect: frozenset[int] = frozenset({404})
    check: Callable[[Any], bool] | None = None
    why: str = ""


def get(**params: Callable[[World], Any]) -> Request:
    return lambda w: {"params": {key: make(w) for key, make in params.items()}}


def post(make: Callable[[World], dict[str, Any]]) -> Request:
    return lambda w: {"json": make(w)}


def ok(why: str, check: Callable[[Any], bool] | None = None, status: int = 200) -> dict[str, Any]:
    return {"expect": frozenset({status}), "why": why, "check": check}


def nothing_of_a(body: Any) -> bool:
    """An empty list, or a page whose lists are all empty."""
    if isinstance(body, dict):
        return not any(value for value in body.values() if isinstance(value, list))
    return not body


def all_not_found(outcome: str) -> Callable[[Any], bool]:
    return lambda body: all(entry[outcome] == "not_found" for entry in body["results"])


EMPTY_LIST = "B's list holds none of A's rows (no A id, no A name)"
OWN_TENANT = "creates in B's own tenant; names are per tenant, A is untouched"

# fmt: off
PROBES: dict[tuple[str, str], Probe] = {
    ("POST", "/api/auth/logout"): Probe(request=post(lambda w: {}), **ok("revokes B's own token", status=204)),
    ("GET", "/api/audit/list"): Probe(request=get(), **ok(EMPTY_LIST, nothing_of_a)),
    ("GET", "/api/audit-log/list"): Probe(request=get(), **ok("B's configuration log holds B's own changes only (no A id, no A name)")),
    ("POST", "/api/field-definition/create"): Probe(request=post(lambda w: {"name": "deal_value", "label": "B", "field_type": "number"}), **ok(OWN_TENANT, status=201)),
    ("GET", "/api/field-definition/list"): Probe(request=get(), **ok(EMPTY_LIST)),
    ("GET", "/api/field-definition/get"): Probe(request=get(id=lambda w: w.field)),
    ("POST", "/api/field-definition/update"): Probe(request=post(lambda w: {"id": w.field, "label": "hijacked"})),
    ("POST", "/api/field-definition/delete"): Probe(request=post(lambda w: {"id": w.field})),
    ("POST", "/api/account/create"): Probe(request=post(lambda w: {"email": "ada@acme.example", "username": "ada"}), **ok(OWN_TENANT, status=201)),
    ("GET", "/api/account/list"): Probe(request=get(), **ok(EMPTY_LIST)),
    ("GET", "/api/account/get"): Probe(request=get(id=lambda w: w.account)),
    ("POST", "/api/account/update"): Probe(request=post(lambda w: {"id": w.account, "password": "hijacked!"})),
    ("POST", "/api/account/deactivate"): Probe(request=post(lambda w: {"id": w.account})),
    ("POST", "/api/account/reactivate"): Probe(request=post(lambda w: {"id": w.account})),
    ("GET", "/api/role/list"): Probe(request=get(), **ok(EMPTY_LIST)),
    ("POST", "/api/role/create"): Probe(request=post(lambda w: {"name": "physician"}), **ok(OWN_TENANT, status=201)),
    ("POST", "/api/account-group/create"): Probe(request=post(lambda w: {"name": "b_team", "member_ids": [w.account]}), expect=frozenset({404}), why="A's account is no member candidate: 'no such account' on member_ids[0]"),
    ("GET", "/api/account-group/list"): Probe(request=get(), **ok(EMPTY_LIST)),
    ("GET", "/api/account-group/get"): Probe(request=get(id=lambda w: w.group)),
    ("POST", "/api/account-group/update"): Probe(request=post(lambda w: {"id": w.group, "name": "hijacked"})),
    ("POST", "/api/account-group/delete"): Probe(request=post(lambda w: {"id": w.group})),
    ("POST", "/api/account-group/add-member"): Probe(request=post(lambda w: {"group_id": w.b_group, "account_id": w.account})),
    ("POST", "/api/account-group/remove-member"): Probe(request=post(lambda w: {"group_id": w.group, "account_id": w.admin})),
    ("POST", "/api/pipeline-template/create"): Probe(request=post(lambda w: {"name": "Deals"}), **ok(OWN_TENANT, status=201)),
    ("GET", "/api/pipeline-template/list"): Probe(request=get(), **ok(EMPTY_LIST)),
    ("GET", "/api/pipeline-template/get"): Probe(request=get(id=lambda w: w.template)),
    ("POST", "/api/pipeline-template/update"): Probe(request=post(lambda w: {"id": w.template, "name": "hijacked"})),
    ("POST", "/api/pipeline-template/delete"): Probe(request=post(lambda w: {"id": w.template})),
    ("POST", "/api/pipeline-template/export"): Probe(request=post(lambda w: {"id": w.template})),
    ("POST", "/api/pipeline-template/publish"): Probe(request=post(lambda w: {"id": w.template, "note": "hijacked"})),
    ("GET", "/api/pipeline-template/versions"): Probe(request=get(id=lambda w: w.template)),
    ("GET", "/api/pipeline-template/version"): Probe(request=get(id=lambda w: w.template, number=lambda w: 1)),
    ("GET", "/api/pipeline-template/draft"): Probe(request=get(id=lambda w: w.template)),
    ("GET", "/api/pipeline-template/diff"): Probe(request=get(id=lambda w: w.template, **{"from": lambda w: 1, "to": lambda w: 1})),
    ("POST", "/api/pipeline-template/rollback"): Probe(request=post(lambda w: {"id": w.template, "version": 1})),
    ("POST", "/api/pipeline-template/upgrade-instances"): Probe(request=post(lambda w: {"id": w.template, "dry_run": True})),
    ("POST", "/api/pipeline-template/import"): Probe(request=post(lambda w: {"document": {"format": "pacetrack.pipeline-template/1", "name": "Imported", "fields": [], "steps": [{"name": "Only"}]}}), expect=frozenset({201, 422}), why="imports into B's own tenant; a document carries no ids of A"),
    ("POST", "/api/step-template/create"): Probe(request=post(lambda w: {"pipeline_template_id": w.template, "name": "Injected"})),
    ("GET", "/api/step-template/list"): Probe(request=get(pipeline_template_id=lambda w: w.template), expect=frozenset({404, 200}), check=nothing_of_a, why="A's template is unknown to B: 404 or an empty list"),
    ("GET", "/api/step-template/get"): Probe(request=get(id=lambda w: w.steps[0])),
    ("GET", "/api/step-template/config-schema"): Probe(request=get(), **ok("the published JSON Schema, the same for every tenant")),
    ("POST", "/api/step-template/update"): Probe(request=post(lambda w: {"id": w.steps[0], "name": "hijacked"})),
    ("POST", "/api/step-template/delete"): Probe(request=post(lambda w: {"id": w.steps[0]})),
    ("POST", "/api/step-template/reorder"): Probe(request=post(lambda w: {"pipeline_template_id": w.template, "step_ids": list(reversed(w.steps))})),
    ("POST", "/api/step-template/update-field-configs"): Probe(request=post(lambda w: {"id": w.steps[0], "field_configs": []})),
    ("POST", "/api/step-template/update-validations"): Probe(request=post(lambda w: {"id": w.steps[0], "validations": []})),
    ("POST", "/api/step-template/update-assignments"): Probe(request=post(lambda w: {"id": w.steps[0], "assignments": []})),
    ("POST", "/api/step-template/update-notifications"): Probe(request=post(lambda w: {"id": w.steps[0], "notifications": []})),
    ("POST", "/api/step-template/update-automations"): Probe(request=post(lambda w: {"id": w.steps[0], "automations": []})),
    ("POST", "/api/step-template/update-calculations"): Probe(request=post(lambda w: {"id": w.steps[0], "calculations": []})),
    ("POST", "/api/step-template/update-metadata"): Probe(request=post(lambda w: {"id": w.steps[0], "metadata": {}})),
    ("POST", "/api/step-template/simulate"): Probe(request=post(lambda w: {"step_id": w.steps[0], "item_id": w.item})),
    ("POST", "/api/notification/preview"): Probe(request=post(lambda w: {"subject": "{{item.name}}", "item_id": w.item})),
    ("POST", "/api/expression/check"): Probe(request=post(lambda w: {"expression": "deal_value > 1", "context": "condition", "step_id": w.steps[0]})),
    ("GET", "/api/template-library/list"): Probe(request=get(), **ok("the shipped library, the same for every tenant")),
    ("GET", "/api/template-library/get"): Probe(request=get(key=lambda w: "sales"), **ok("a shipped template, the same for every tenant")),
    ("POST", "/api/template-library/instantiate"): Probe(request=post(lambda w: {"key": "sales", "name": "Library deals"}), expect=frozenset({201, 409}), why="creates in B's own tenant (409 when a field B made clashes with the template's); A is untouched"),
    ("POST", "/api/pipeline-instance/create"): Probe(request=post(lambda w: {"pipeline_template_id": w.template, "name": "Stolen"})),
    ("GET", "/api/pipeline-instance/list"): Probe(request=get(), **ok(EMPTY_LIST)),
    ("GET", "/api/pipeline-instance/get"): Probe(request=get(id=lambda w: w.instance)),
    ("POST", "/api/pipeline-instance/update-step-overrides"): Probe(request=post(lambda w: {"step_id": w.instance_steps[0], "config_overrides": {}})),
    ("POST", "/api/pipeline-instance/update-access"): Probe(request=post(lambda w: {"id": w.instance, "access": {"restricted": True, "accounts": []}})),
    ("POST", "/api/pipeline-instance/upgrade"): Probe(request=post(lambda w: {"id": w.instance, "dry_run": True})),
    ("POST", "/api/item/create"): Probe(request=post(lambda w: {"pipeline_instance_id": w.instance, "name": "Injected"})),
    ("GET", "/api/item/get"): Probe(request=get(id=lambda w: w.item)),
    ("POST", "/api/item/update-fields"): Probe(request=post(lambda w: {"id": w.item, "field_values": {"deal_value": 1}})),
    ("GET", "/api/item/list"): Probe(request=get(pipeline_instance_id=lambda w: w.instance), expect=frozenset({404, 200}), check=nothing_of_a, why="filtering by A's instance: 404 or an empty page"),
    ("POST", "/api/item/move-to-step"): Probe(request=post(lambda w: {"id": w.item, "step_id": w.instance_steps[1]})),
    ("POST", "/api/item/reopen"): Probe(request=post(lambda w: {"id": w.item, "step_id": w.instance_steps[0]})),
    ("POST", "/api/item/archive"): Probe(request=post(lambda w: {"id": w.item})),
    ("POST", "/api/item/unarchive"): Probe(request=post(lambda w: {"id": w.item})),
    ("POST", "/api/item/delete"): Probe(request=post(lambda w: {"id": w.item})),
    ("GET", "/api/item/validation-status"): Probe(request=get(id=lambda w: w.item)),
    ("POST", "/api/item/bulk-move"): Probe(request=post(lambda w: {"item_ids": [w.item], "step_id": w.b_instance_steps[1]}), **ok("per-item results: A's item is not found", all_not_found("status"))),
    ("GET", "/api/item/history"): Probe(request=get(id=lambda w: w.item)),
    ("GET", "/api/item/activity"): Probe(request=get(id=lambda w: w.item)),
    ("GET", "/api/item/timeline"): Probe(request=get(id=lambda w: w.item)),
    ("POST", "/api/item/change-owner"): Probe(request=post(lambda w: {"id": w.item, "owner_account_id": w.account})),
    ("POST", "/api/item/assign"): Probe(request=post(lambda w: {"id": w.item, "mode": "replace", "account_ids": []})),
    ("POST", "/api/item/bulk-assign"): Probe(request=post(lambda w: {"items": [{"id": w.item}], "mode": "replace", "account_ids": []}), **ok("per-item results: A's item is not found", all_not_found("result"))),
    ("POST", "/api/approval/request"): Probe(request=post(lambda w: {"item_id": w.item})),
    ("POST", "/api/approval/approve"): Probe(request=post(lambda w: {"request_id": w.approval})),
    ("POST", "/api/approval/reject"): Probe(request=post(lambda w: {"request_id": w.approval, "comment": "no"})),
    ("GET", "/api/approval/list-pending"): Probe(request=get(), **ok(EMPTY_LIST)),
    ("GET", "/api/notification/history"): Probe(request=get(item_id=lambda w: w.item)),
    ("GET", "/api/automation-log/list"): Probe(request=get(item_id=lambda w: w.item), expect=frozenset({404, 200}), check=nothing_of_a, why="filtering by A's item: 404 or an empty page"),
    ("POST", "/api/automation/test"): Probe(request=post(lambda w: {"step_id": w.steps[0], "automation_id": "ping", "item_id": w.item})),
    ("GET", "/api/automation/stats"): Probe(request=get(), **ok("counts of B's own runs only")),
    ("POST", "/api/webhook-endpoint/create"): Probe(request=post(lambda w: {"url": "https://hooks.globex.example/in"}), **ok(OWN_TENANT, status=201)),
    ("GET", "/api/webhook-endpoint/list"): Probe(request=get(), **ok(EMPTY_LIST)),
    ("GET", "/api/webhook-endpoint/get"): Probe(request=get(id=lambda w: w.endpoint)),
    ("POST", "/api/webhook-endpoint/update"): Probe(request=post(lambda w: {"id": w.endpoint, "url": "https://evil.example/steal"})),
    ("POST", "/api/webhook-endpoint/delete"): Probe(request=post(lambda w: {"id": w.endpoint})),
    ("POST", "/api/webhook-endpoint/rotate-secret"): Probe(request=post(lambda w: {"id": w.endpoint})),
    ("POST", "/api/webhook-endpoint/replay-failed"): Probe(request=post(lambda w: {"endpoint_id": w.endpoint, "since": "2026-01-01T00:00:00Z"})),
    ("POST", "/api/webhook-delivery/replay"): Probe(request=post(lambda w: {"delivery_id": w.delivery})),
    ("GET", "/api/webhook-allow-list/get"): Probe(request=get(), **ok("B's own allow-list")),
    ("POST", "/api/webhook-allow-list/set"): Probe(request=post(lambda w: {"entries": []}), **ok("sets B's own allow-list; A's is read back unchanged")),
    ("GET", "/api/tenant/settings"): Probe(request=get(), **ok("B's own organisation settings")),
    ("GET", "/api/tenant/features"): Probe(request=get(), **ok("B's own organisation's feature flags and the configs of B that use a disabled family")),
    ("POST", "/api/tenant/update-features"): Probe(request=post(lambda w: {"tenant": "acme", "disable": ["family.automations"]}), expect=frozenset({403}), why="only the platform operator's token changes flags; B's admin naming A's tenant is refused"),
    ("POST", "/api/tenant/update-settings"): Probe(request=post(lambda w: {"currency": "EUR"}), **ok("sets B's own currency; A's is read back unchanged")),
}
# fmt: on

# Routes that act only on the caller's own data: there is no id of another tenant to aim them at.
CALLER_SCOPED: dict[tuple[str, str], str] = {
    ("POST", "/api/auth/login"): "logs in to the tenant named in the body with its own password",
    ("GET", "/api/account/me"): "the caller's own account",
    ("POST", "/api/account/me"): "changes the caller's own profile and password",
    ("GET", "/api/notification/list"): "the caller's own inbox",
    ("POST", "/api/notification/mark-read"): "updates only the caller's own notifications",
    ("GET", "/api/notification/preferences"): "the caller's own preferences",
    ("POST", "/api/notification/preferences"): "sets the caller's own preferences",
    (
        "GET",
        "/api/events/stream",
    ): "the caller's own tenant, pipelines and unread count; its scoping is tested in test_event_stream.py",
}


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) under /api, from the routes and from the OpenAPI document."""
    found: set[tuple[str, str]] = set()

    def add(path: str, route: Any) -> None:
        if path.startswith("/api/"):
            found.update((method, path) for method in route.methods - {"HEAD", "OPTIONS"})

    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # routers included by FastAPI >= 0.16x
            for context in contexts():
                add(context.path, context.original_route)
        elif isinstance(route, APIRoute):
            add(route.path, route)
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/api/"):
            found.update((method.upper(), path) for method in operations)
    return found


def test_every_api_route_is_covered(client: TestClient) -> None:
    routes = api_routes(client.app)  # type: ignore[arg-type]
    listed = PROBES.keys() | CALLER_SCOPED.keys()

    missing = sorted(routes - listed)
    stale = sorted(listed - routes)

    assert not missing, f"add these routes to PROBES or CALLER_SCOPED: {missing}"
    assert not stale, f"these entries name no route: {stale}"
    assert not PROBES.keys() & CALLER_SCOPED.keys()
    assert len(routes) > 60


# ---------------------------------------------------------------- tenant A's world


@dataclass
class Api:
    client: TestClient
    login: Login
    calls: list[str] = field(default_factory=list)

    def __call__(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.client.request(method, path, json=body, headers=self.login.headers)
        assert response.status_code in (200, 201, 204), (path, response.text)
        return response.json() if response.content else None


def build_world(
    client: TestClient, container: Container, a: Login, a_member: Login, b: Login
) -> World:
    api = Api(client, a)
    field_row = api(
        "POST",
        "/api/field-definition/create",
        {"name": "deal_value", "label": f"{SECRET} value", "field_type": "number"},
    )
    template = api("POST", "/api/pipeline-template/create", {"name": f"{SECRET} deals"})
    steps = [
        api(
            "POST",
            "/api/step-template/create",
            {
                "pipeline_template_id": template["id"],
                "name": f"{SECRET} {name}",
                "metadata": {"requires_approval": True} if name == "Lead" else {},
            },
        )["id"]
        for name in ("Lead", "Won")
    ]
    instance = api(
        "POST",
        "/api/pipeline-instance/create",
        {"pipeline_template_id": template["id"], "name": f"{SECRET} pipeline"},
    )
    instance_steps = [step["id"] for step in instance["steps"]]
    item = api(
        "POST",
        "/api/item/create",
        {
            "pipeline_instance_id": instance["id"],
            "name": f"{SECRET} deal",
            "field_values": {"deal_value": 5},
        },
    )
    group = api(
        "POST",
        "/api/account-group/create",
        {"name": f"{SECRET} team", "member_ids": [str(a.account_id)]},
    )
    role = api("POST", "/api/role/create", {"name": "physician"})
    endpoint = api(
        "POST",
        "/api/webhook-endpoint/create",
        {"url": "https://hooks.acme.example/in", "description": SECRET},
    )
    approval = Api(client, a_member)("POST", "/api/approval/request", {"item_id": item["id"]})
    with container.uow() as uow:
        # A failed webhook delivery, as the worker leaves it after its last attempt.
        delivery = uuid.uuid4()
        now = uow.clock.now()
        uow.session.add(
            Outbox(
                tenant_id=a.tenant_id,
                id=delivery,
                kind=WEBHOOK_JOB,
                payload={"endpoint_id": endpoint["id"], "body": {"note": SECRET}},
                status=DEAD,
                attempts=10,
                available_at=now,
                created_at=now,
                done_at=now,
            )
        )
        uow.commit()
    # An entry in A's audit trail.
    login = {"tenant": a.tenant_slug, "login": "ada", "password": "not the password"}
    assert client.post("/api/auth/login", json=login).status_code == 401

    b_api = Api(client, b)
    b_group = b_api("POST", "/api/account-group/create", {"name": "globex_team"})
    b_template = b_api("POST", "/api/pipeline-template/create", {"name": "Globex deals"})
    for name in ("One", "Two"):
        b_api(
            "POST",
            "/api/step-template/create",
            {"pipeline_template_id": b_template["id"], "name": name},
        )
    b_instance = b_api(
        "POST",
        "/api/pipeline-instance/create",
        {"pipeline_template_id": b_template["id"], "name": "Globex pipeline"},
    )
    return World(
        field=field_row["id"],
        template=template["id"],
        steps=steps,
        instance=instance["id"],
        instance_steps=instance_steps,
        item=item["id"],
        account=str(a_member.account_id),
        admin=str(a.account_id),
        group=group["id"],
        role=role["id"],
        endpoint=endpoint["id"],
        approval=approval["id"],
        delivery=str(delivery),
        b_group=b_group["id"],
        b_template=b_template["id"],
        b_instance_steps=[step["id"] for step in b_instance["steps"]],
    )


def passes(probe: Probe, body: Any) -> bool:
    assert probe.check is not None
    try:
        return probe.check(body)
    except (KeyError, TypeError, IndexError):
        return False


def snapshot(client: TestClient, a: Login, world: World) -> dict[str, Any]:
    """Everything A can read about its data."""
    reads = {
        "fields": ("/api/field-definition/list", {}),
        "accounts": ("/api/account/list", {}),
        "groups": ("/api/account-group/list", {}),
        "roles": ("/api/role/list", {}),
        "template": ("/api/pipeline-template/get", {"id": world.template}),
        "steps": ("/api/step-template/list", {"pipeline_template_id": world.template}),
        "instance": ("/api/pipeline-instance/get", {"id": world.instance}),
        "item": ("/api/item/get", {"id": world.item}),
        "items": ("/api/item/list", {"pipeline_instance_id": world.instance}),
        "history": ("/api/item/history", {"id": world.item}),
        "endpoint": ("/api/webhook-endpoint/get", {"id": world.endpoint}),
        "allow_list": ("/api/webhook-allow-list/get", {}),
        "approvals": ("/api/approval/list-pending", {}),
    }
    result = {}
    for name, (path, params) in reads.items():
        response = client.get(path, params=params, headers=a.headers)
        assert response.status_code == 200, (path, response.text)
        result[name] = response.json()
    return result


@pytest.fixture
def world(
    client: TestClient, container: Container, admin: Login, member: Login, other_admin: Login
) -> Iterator[World]:
    yield build_world(client, container, admin, member, other_admin)


def test_tenant_b_cannot_reach_tenant_a_through_any_route(
    client: TestClient, admin: Login, other_admin: Login, world: World
) -> None:
    before = snapshot(client, admin, world)
    a_ids = world.a_ids()
    failures: list[str] = []

    # logout revokes the caller's token, so it runs last
    order = sorted(PROBES, key=lambda route: route == ("POST", "/api/auth/logout"))
    for method, path in order:
        probe = PROBES[(method, path)]
        request = probe.request(world)
        response = client.request(method, path, headers=other_admin.headers, **request)
        sent = set(re.findall(r"[0-9a-f-]{36}", json.dumps(request)))
        leaked = {i for i in a_ids - sent if i in response.text}
        body = response.json() if response.content else None
        if response.status_code not in probe.expect:
            failures.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
        elif SECRET in response.text or leaked:
            failures.append(f"{method} {path} leaked A's data: {response.text[:300]}")
        elif response.status_code == 200 and probe.check is not None and not passes(probe, body):
            failures.append(f"{method} {path}: unexpected body {response.text[:300]}")

    assert not failures, "\n".join(failures)
    assert snapshot(client, admin, world) == before
