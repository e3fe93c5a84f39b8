"""Endpoints, allow-list, SSRF checks, dry runs, stats and access control through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pacetrack.adapters.webhook_signing import secret_hint
from tests.automations.support import Scene, allow, webhook_step
from tests.conftest import Login
from tests.services.moves_support import StepDef
from tests.support.webhook_receiver import Reply


def test_the_secret_is_shown_at_creation_and_rotation_only(scene: Scene) -> None:
    created = scene.endpoint(scene.url())
    assert created["secret"].startswith("whsec_")
    fetched = scene.api("GET", "/api/webhook-endpoint/get", params={"id": created["id"]})
    listed = scene.api("GET", "/api/webhook-endpoint/list")
    for shown in (fetched, *listed):
        assert "secret" not in shown
        assert created["secret"] not in str(shown)
        assert shown["secret_hint"] == secret_hint(created["secret"])
    rotated = scene.api("POST", "/api/webhook-endpoint/rotate-secret", json={"id": created["id"]})
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_hint"] == secret_hint(created["secret"])
    updated = scene.api(
        "POST", "/api/webhook-endpoint/update", json={"id": created["id"], "description": "hr"}
    )
    assert "secret" not in updated and updated["description"] == "hr"


def test_during_a_rotation_both_signatures_are_sent(scene: Scene) -> None:
    from standardwebhooks.webhooks import Webhook

    created = scene.endpoint(scene.url())
    rotated = scene.api("POST", "/api/webhook-endpoint/rotate-secret", json={"id": created["id"]})
    pipeline = scene.pipeline([StepDef(name="A"), webhook_step("B", "ping", scene.url(), {})])
    item = scene.create_item(pipeline, "x")
    scene.move(item["id"], pipeline.step("B"))
    scene.drain()
    [request] = scene.receiver.wait_for(1)
    assert len((request.header("webhook-signature") or "").split(" ")) == 2
    for secret in (created["secret"], rotated["secret"]):
        Webhook(secret).verify(request.body, dict(request.headers))


def test_members_get_403_everywhere(client: TestClient, member: Login, scene: Scene) -> None:
    endpoint = scene.endpoint(scene.url())
    calls = [
        ("POST", "/api/webhook-endpoint/create", {"json": {"url": scene.url("/x")}}),
        ("GET", "/api/webhook-endpoint/list", {}),
        ("GET", "/api/webhook-endpoint/get", {"params": {"id": endpoint["id"]}}),
        ("POST", "/api/webhook-endpoint/rotate-secret", {"json": {"id": endpoint["id"]}}),
        ("POST", "/api/webhook-endpoint/delete", {"json": {"id": endpoint["id"]}}),
        ("GET", "/api/automation-log/list", {}),
        ("GET", "/api/automation/stats", {}),
        ("GET", "/api/webhook-allow-list/get", {}),
        ("POST", "/api/webhook-allow-list/set", {"json": {"entries": ["10.0.0.0/8"]}}),
        (
            "POST",
            "/api/automation/test",
            {
                "json": {
                    "automation": {
                        "id": "a",
                        "trigger": "on_enter",
                        "action": {"type": "move_to_step", "step": "x"},
                    }
                }
            },
        ),
    ]
    for method, path, extra in calls:
        response = client.request(method, path, headers=member.headers, **extra)
        assert response.status_code == 403, (path, response.text)


def test_another_tenants_endpoint_answers_404(
    client: TestClient, other_admin: Login, scene: Scene
) -> None:
    endpoint = scene.endpoint(scene.url())
    response = client.get(
        "/api/webhook-endpoint/get", params={"id": endpoint["id"]}, headers=other_admin.headers
    )
    assert response.status_code == 404
    response = client.post(
        "/api/webhook-endpoint/delete", json={"id": endpoint["id"]}, headers=other_admin.headers
    )
    assert response.status_code == 404


def test_nothing_is_allowed_by_default_and_the_allow_list_is_admin_set(
    client: TestClient, other_admin: Login, scene: Scene
) -> None:
    assert client.get("/api/webhook-allow-list/get", headers=other_admin.headers).json() == {
        "entries": []
    }
    refused = client.post(
        "/api/webhook-endpoint/create", json={"url": scene.url()}, headers=other_admin.headers
    )
    # Well formed, refused by the tenant's outbound policy until the allow-list admits it.
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "url"
    assert "loopback" in refused.text
    saved = client.post(
        "/api/webhook-allow-list/set",
        json={"entries": ["127.0.0.0/8", "Hooks.Example.com."]},
        headers=other_admin.headers,
    )
    assert saved.json() == {"entries": ["127.0.0.0/8", "hooks.example.com"]}
    accepted = client.post(
        "/api/webhook-endpoint/create", json={"url": scene.url()}, headers=other_admin.headers
    )
    assert accepted.status_code == 201
    bad = client.post(
        "/api/webhook-allow-list/set",
        json={"entries": ["not a host!"]},
        headers=other_admin.headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "entries[0]"


def test_a_name_resolving_to_a_private_address_is_refused_at_save_time(scene: Scene) -> None:
    allow(scene.container, scene.tenant_id, ["10.9.0.0/16"])
    # "vm" resolves to 127.0.0.1 through /etc/hosts.
    response = scene.client.post(
        "/api/webhook-endpoint/create",
        json={"url": f"http://vm:{scene.receiver.port}/hook"},
        headers=scene.admin.headers,
    )
    assert response.status_code == 403
    assert "resolves to 127.0.0.1" in response.text
    # Malformed or ambiguous URLs are wrong by themselves (422); a plain address the
    # policy refuses is a 403, like the name above.
    for url, status in (
        ("ftp://example.com/x", 422),
        ("http://user:pw@example.com/", 422),
        ("http://0x7f000001/", 422),
        ("http://[::ffff:10.0.0.1]/", 403),
        ("http://169.254.169.254/latest", 403),
    ):
        response = scene.client.post(
            "/api/webhook-endpoint/create", json={"url": url}, headers=scene.admin.headers
        )
        assert response.status_code == status, url


def test_a_name_resolving_to_a_private_address_is_refused_at_connect_time(scene: Scene) -> None:
    target = f"http://vm:{scene.receiver.port}/hook"
    endpoint = scene.endpoint(target)  # allowed while loopback is allow-listed
    pipeline = scene.pipeline([StepDef(name="A"), webhook_step("B", "ping", target, {})])
    allow(scene.container, scene.tenant_id, [])
    item = scene.create_item(pipeline, "x")
    scene.move(item["id"], pipeline.step("B"))
    scene.drain()
    assert scene.receiver.requests == []
    [run] = scene.runs(automation_id="ping")
    assert run.delivery_id is not None
    [attempt] = scene.attempts(run.delivery_id)
    assert attempt.outcome == "failed"
    assert "resolves to 127.0.0.1" in (attempt.error or "")
    assert str(attempt.endpoint_id) == endpoint["id"]


def test_dry_run_renders_without_side_effects_and_sends_only_when_asked(scene: Scene) -> None:
    pipeline = scene.pipeline([StepDef(name="A"), webhook_step("B", "ping", scene.url(), {})])
    item = scene.create_item(pipeline, "Gadget")
    automation = {
        "id": "ping",
        "trigger": "on_enter",
        "action": {"type": "webhook", "target": scene.url("/t"), "data": {"n": "{{item.name}}"}},
    }
    dry = scene.api(
        "POST", "/api/automation/test", json={"automation": automation, "item_id": item["id"]}
    )
    assert dry["sent"] is None
    assert '"data":{"n":"Gadget"}' in dry["rendered_request"]["body"]
    assert scene.receiver.requests == []
    assert scene.api("GET", "/api/webhook-endpoint/list") == []

    sent = scene.api(
        "POST",
        "/api/automation/test",
        json={"automation": automation, "sample": {"name": "Sample"}, "send": True},
    )
    assert sent["sent"]["status_code"] == 200
    [request] = scene.receiver.wait_for(1)
    assert request.header("webhook-id") == sent["sent"]["delivery_id"]
    after = scene.api("GET", "/api/item/get", params={"id": item["id"]})
    assert after["item"]["version"] == item["version"]
    assert scene.runs() == []

    update = {
        "id": "u",
        "trigger": "on_enter",
        "action": {"type": "update_field", "field_id": "x", "value": "{{item.name}}!"},
    }
    rendered = scene.api(
        "POST", "/api/automation/test", json={"automation": update, "item_id": item["id"]}
    )
    assert rendered["rendered_request"]["field_values"] == {"x": "Gadget!"}
    bad = scene.client.post(
        "/api/automation/test",
        json={"automation": {"id": "u", "trigger": "soon", "action": {"type": "notify"}}},
        headers=scene.admin.headers,
    )
    assert bad.status_code == 422


def test_stats_give_success_rate_and_last_error(scene: Scene) -> None:
    scene.receiver.reply_with(Reply.ok(), Reply.error(400))
    pipeline = scene.pipeline([StepDef(name="A"), webhook_step("B", "ping", scene.url(), {})])
    for name in ("one", "two"):
        item = scene.create_item(pipeline, name)
        scene.move(item["id"], pipeline.step("B"))
        scene.drain()
    [stats] = scene.api("GET", "/api/automation/stats")
    assert stats["automation_id"] == "ping"
    assert (stats["runs"], stats["succeeded"], stats["failed"]) == (2, 1, 1)
    assert stats["success_rate"] == 0.5
    assert "HTTP 400" in stats["last_error"]
    failed = scene.api("GET", "/api/automation-log/list", params={"status": "failed"})
    assert failed["total"] == 1
    page = scene.api(
        "GET", "/api/automation-log/list", params={"automation_id": "ping", "limit": 1}
    )
    assert (page["total"], len(page["runs"])) == (2, 1)


def test_a_webhook_target_is_checked_when_the_automation_is_saved(scene: Scene) -> None:
    pipeline = scene.pipeline([StepDef(name="A")])
    step_template = str(pipeline.step_templates["A"])

    def save(target: str) -> object:
        return scene.client.post(
            "/api/step-template/update-automations",
            json={
                "id": step_template,
                "automations": [
                    {
                        "id": "hook",
                        "trigger": "on_enter",
                        "action": {"type": "webhook", "target": target},
                    }
                ],
            },
            headers=scene.admin.headers,
        )

    refused = save("http://169.254.169.254/latest/meta-data")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    [problem] = refused.json()["errors"]  # type: ignore[attr-defined]
    assert problem["field"] == "automations[0].action.target"
    assert "cloud metadata" in problem["message"]
    assert save(scene.url("/hook")).status_code == 200  # type: ignore[attr-defined]
