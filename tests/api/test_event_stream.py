"""GET /api/events/stream: committed item and notification changes as Server-Sent Events,
scoped to the subscriber's tenant, the pipelines it may see and its own notifications."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container, build
from pacetrack.web.app import create_app
from tests.conftest import make_login
from tests.services.moves_support import StepDef, build_pipeline
from tests.support.event_stream import EventReader
from tests.support.live_app import serving, wait_until_healthy
from tests.worker.office import Office, open_office

STREAM = "/api/events/stream"
ENTERED = {
    "id": "entered",
    "trigger": "on_enter",
    "recipients": [{"type": "owner"}, {"type": "user", "id": "ada"}],
}


@pytest.fixture
def office(container: Container, client: TestClient, clock: FrozenClock) -> Office:
    office = open_office(container, client, clock)
    office.build(
        [StepDef(name="Lead"), StepDef(name="Review", config={"notifications": [ENTERED]})]
    )
    return office


@pytest.fixture
def base_url(container: Container) -> Iterator[str]:
    with serving(create_app(container)) as url:
        yield url


def listen(base_url: str, office: Office, username: str) -> EventReader:
    return EventReader(base_url + STREAM, office.headers(username))


def test_the_stream_is_an_event_stream_that_proxies_must_not_buffer(
    office: Office, base_url: str
) -> None:
    with listen(base_url, office, "owner") as reader:
        assert reader.status == 200
        assert reader.headers["content-type"].startswith("text/event-stream")
        assert reader.headers["x-accel-buffering"] == "no"
        assert reader.headers["cache-control"] == "no-cache"


def test_without_a_token_the_stream_answers_401_problem_json(base_url: str) -> None:
    answer = httpx.get(base_url + STREAM, timeout=5)

    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_subscriber_hears_of_item_changes_with_ids_and_versions_but_no_values(
    office: Office, base_url: str
) -> None:
    pipeline = str(office.pipeline.instance_id)  # type: ignore[union-attr]
    with listen(base_url, office, "owner") as reader:
        item = office.create("Acme", deal_value="4000")
        office.update(item, deal_value="6000")
        office.assign(item, "owner")
        office.move(item, "Review")

        events = [reader.next() for _ in range(4)]

    assert [e["kind"] for e in events] == [
        "item.created",
        "item.updated",
        "item.assigned",
        "item.moved",
    ]
    assert {e["item_id"] for e in events} == {item}
    assert {e["pipeline_id"] for e in events} == {pipeline}
    assert [e["version"] for e in events] == sorted(e["version"] for e in events)
    assert events[-1]["step_id"] == office.step("Review")
    assert all("field_values" not in e and "6000" not in str(e) for e in events)


def test_changes_of_another_tenant_and_of_a_restricted_pipeline_are_not_delivered(
    office: Office, base_url: str, container: Container, client: TestClient, clock: FrozenClock
) -> None:
    restricted = build_pipeline(container, office.tenant_id, [StepDef(name="Intake")], name="HR")
    answer = client.post(
        "/api/pipeline-instance/update-access",
        json={"id": str(restricted.instance_id), "access": {"restricted": True}},
        headers=office.headers("ada"),
    )
    assert answer.status_code == 200, answer.text
    globex = open_office(container, client, clock, slug="globex")
    globex.build([StepDef(name="Lead")])

    with listen(base_url, office, "owner") as reader:
        globex.create("Their deal")
        hidden = client.post(
            "/api/item/create",
            json={"pipeline_instance_id": str(restricted.instance_id), "name": "Salary review"},
            headers=office.headers("ada"),
        )
        assert hidden.status_code == 201, hidden.text
        seen = office.create("Our deal")

        # Commits are announced in order: the first event the owner hears is its own pipeline's.
        first = reader.next()

    assert first["item_id"] == seen


def test_an_admin_hears_of_the_restricted_pipeline(office: Office, base_url: str) -> None:
    with listen(base_url, office, "ada") as reader:
        item = office.create("Seen by admins")

        assert reader.next()["item_id"] == item


def test_notification_events_carry_only_the_subscribers_own_unread_count(
    office: Office, base_url: str
) -> None:
    with listen(base_url, office, "owner") as reader:
        item = office.create("Acme")  # the owner is its owner: entering Review notifies them
        office.move(item, "Review")
        office.work()
        notified = reader.until("notifications.changed")
        answer = office.client.post(
            "/api/notification/mark-read", json={"all": True}, headers=office.headers("ada")
        )
        assert answer.json() == {"updated": 1}  # ada's own notification: not the owner's news
        answer = office.client.post(
            "/api/notification/mark-read", json={"all": True}, headers=office.headers("owner")
        )
        assert answer.status_code == 200
        read = reader.until("notifications.changed")

    assert notified[-1] == {
        "kind": "notifications.changed",
        "pipeline_id": None,
        "item_id": None,
        "step_id": None,
        "version": None,
        "unread": 1,
    }
    assert [e["kind"] for e in read] == ["notifications.changed"]
    assert read[0]["unread"] == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True, scope="session")
def test_a_change_committed_by_one_server_reaches_the_subscribers_of_another(
    office: Office, container: Container
) -> None:
    # Two containers on one database: two server processes' worth of pools and listeners.
    second = build(container.settings)
    try:
        with serving(create_app(second)) as other_url, listen(other_url, office, "owner") as reader:
            item = office.create("Through the first server")

            assert reader.next()["item_id"] == item
    finally:
        second.close()


def test_a_stream_whose_session_ends_closes_at_the_next_heartbeat(
    office: Office, container: Container
) -> None:
    quick = build(container.settings.model_copy(update={"live_heartbeat_seconds": 0.2}))
    try:
        with serving(create_app(quick)) as url, listen(url, office, "owner") as reader:
            answer = httpx.post(f"{url}/api/auth/logout", headers=office.headers("owner"))
            assert answer.status_code in (200, 204), answer.text

            assert reader.ended.wait(10), "the stream outlived its session"
    finally:
        quick.close()


def test_a_rolled_back_change_is_not_announced(
    office: Office, base_url: str, container: Container
) -> None:
    item = office.create("Acme")
    with listen(base_url, office, "owner") as reader:
        answer = office.client.post(
            "/api/item/move-to-step",
            json={"id": item, "step_id": office.step("Review"), "expected_version": 99},
            headers=office.headers(),
        )
        assert answer.status_code == 409
        office.update(item, deal_value="10")

        assert reader.next()["kind"] == "item.updated"


def test_sigterm_ends_open_streams_and_the_server_stops(
    tmp_path: Path, container: Container
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    login = make_login(container, slug="acme", username="ada", roles=["admin"])
    env = {**os.environ, "PACETRACK_DATABASE_URL": container.settings.database_url}
    command = [str(Path(sys.executable).parent / "pacetrack"), "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--no-worker", "--no-access-log"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(server, base)
        with EventReader(base + STREAM, login.headers) as reader:
            server.send_signal(signal.SIGTERM)

            assert reader.ended.wait(10), "the stream stayed open after SIGTERM"
        # uvicorn ends a single process by re-raising the signal it caught.
        assert server.wait(timeout=10) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
