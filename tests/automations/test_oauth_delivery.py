"""OAuth 2.0 client credentials on delivery: a real loopback token server and receiver."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from pacetrack.db.tables_automations import AutomationRun, DeliveryAttempt
from tests.automations.support import Scene, allow, make_worker, webhook_step
from tests.services.moves_support import StepDef
from tests.support.token_server import TokenServer
from tests.support.webhook_receiver import Reply

CLIENT_ID = "pacetrack-hooks"
SECRET = "s3cret +/:%&=value"


@pytest.fixture(autouse=True)
def patient_worker(scene: Scene) -> None:
    """A delivery here makes two or three requests; on a loaded machine 1 s is too short."""
    scene.worker = make_worker(scene.container, timeout_seconds=10.0)


@pytest.fixture
def tokens() -> Iterator[TokenServer]:
    with TokenServer(client_id=CLIENT_ID, client_secret=SECRET) as server:
        yield server


def oauth(token_url: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "oauth2_client_credentials",
        "token_url": token_url,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        **more,
    }


def checking_tokens(scene: Scene, tokens: TokenServer) -> None:
    """The receiver answers 401 unless the request carries the newest token issued."""
    scene.receiver.respond_with(
        lambda request: (
            Reply.ok() if tokens.accepts(request.header("Authorization")) else Reply.error(401)
        )
    )


def deliver(scene: Scene, count: int = 1, *, rule_id: str = "ping") -> list[AutomationRun]:
    """Moves ``count`` items into a step whose webhook goes to /hook and drains the worker."""
    pipeline = scene.pipeline(
        [
            StepDef(name="Start"),
            webhook_step("Notify", rule_id, scene.url("/hook"), {"id": "{{item.id}}"}),
        ],
        name=f"Pipeline {rule_id}",
    )
    for number in range(count):
        item = scene.create_item(pipeline, f"Widget {number}")
        scene.move(item["id"], pipeline.step("Notify"))
    scene.drain()
    return scene.runs(automation_id=rule_id)


def only_attempt(scene: Scene, run: AutomationRun) -> DeliveryAttempt:
    assert run.delivery_id is not None
    [attempt] = scene.attempts(run.delivery_id)
    return attempt


def stored_text(scene: Scene, run: AutomationRun) -> str:
    """Everything stored about the run and its delivery, and what the API shows of them."""
    assert run.delivery_id is not None
    rows: list[object] = [*scene.attempts(run.delivery_id), scene.job(run.delivery_id)]
    texts = [repr({k: v for k, v in vars(row).items() if not k.startswith("_")}) for row in rows]
    texts.append(repr({k: v for k, v in vars(run).items() if not k.startswith("_")}))
    texts.append(str(scene.api("GET", "/api/automation-log/list")))
    texts.append(str(scene.api("GET", "/api/webhook-endpoint/list")))
    return "\n".join(texts)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_the_token_is_fetched_and_sent_as_a_bearer_token(
    scene: Scene, tokens: TokenServer, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url, client_auth_method=method))
    checking_tokens(scene, tokens)
    [run] = deliver(scene)

    [token_request] = tokens.requests
    form = parse_qs(token_request.body.decode())
    assert form["grant_type"] == ["client_credentials"]
    assert token_request.header("Content-Type") == "application/x-www-form-urlencoded"
    if method == "client_secret_basic":
        assert (token_request.header("Authorization") or "").startswith("Basic ")
        assert "client_secret" not in form
    else:
        assert token_request.header("Authorization") is None
        assert form["client_id"] == [CLIENT_ID] and form["client_secret"] == [SECRET]
    [request] = scene.receiver.wait_for(1)
    assert request.header("Authorization") == "Bearer token-1"
    assert request.header("webhook-id") == str(run.delivery_id)
    attempt = only_attempt(scene, run)
    assert (attempt.response_status, attempt.outcome) == (200, "succeeded")
    assert not any(name.lower() == "authorization" for name in attempt.request_headers)
    for secret in (SECRET, "token-1"):
        assert secret not in stored_text(scene, run)
        assert secret not in caplog.text


def test_scope_and_audience_are_asked_for(scene: Scene, tokens: TokenServer) -> None:
    auth = oauth(tokens.url, scope="hooks.write items.read", audience="https://api.example.com")
    scene.endpoint(scene.url("/hook"), auth=auth)
    deliver(scene)
    form = parse_qs(tokens.requests[0].body.decode())
    assert form["scope"] == ["hooks.write items.read"]
    assert form["audience"] == ["https://api.example.com"]


def test_the_token_is_kept_across_deliveries(scene: Scene, tokens: TokenServer) -> None:
    scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url))
    checking_tokens(scene, tokens)
    runs = deliver(scene, 5)  # delivered concurrently: one token request for all
    deliver(scene, 2, rule_id="again")
    assert len(tokens.requests) == 1
    requests = scene.receiver.wait_for(7)
    assert {r.header("Authorization") for r in requests} == {"Bearer token-1"}
    assert {only_attempt(scene, run).outcome for run in runs} == {"succeeded"}


def test_a_token_is_renewed_before_it_expires(scene: Scene) -> None:
    # 600 s of life, renewed 30 s early: used until 570 s after it was asked for.
    with TokenServer(client_id=CLIENT_ID, client_secret=SECRET, expires_in=600) as tokens:
        scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url))
        checking_tokens(scene, tokens)
        deliver(scene)
        scene.clock.advance(timedelta(seconds=569))
        deliver(scene, rule_id="still")
        assert tokens.issued == ["token-1"]
        scene.clock.advance(timedelta(seconds=1))
        [run] = deliver(scene, rule_id="renewed")
        assert tokens.issued == ["token-1", "token-2"]
        requests = scene.receiver.wait_for(3)
        assert [r.header("Authorization") for r in requests] == [
            "Bearer token-1",
            "Bearer token-1",
            "Bearer token-2",
        ]
        assert only_attempt(scene, run).outcome == "succeeded"


def test_a_401_from_the_receiver_gets_one_new_token_and_one_retry(
    scene: Scene, tokens: TokenServer
) -> None:
    scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url))
    scene.receiver.reply_with(Reply.error(401))
    checking_tokens(scene, tokens)
    [run] = deliver(scene)
    assert tokens.issued == ["token-1", "token-2"]
    first, second = scene.receiver.wait_for(2)
    assert (first.header("Authorization"), second.header("Authorization")) == (
        "Bearer token-1",
        "Bearer token-2",
    )
    assert first.header("webhook-id") == second.header("webhook-id")
    attempt = only_attempt(scene, run)
    assert (attempt.response_status, attempt.outcome) == (200, "succeeded")


def test_a_receiver_that_keeps_refusing_is_retried_once_only(
    scene: Scene, tokens: TokenServer
) -> None:
    scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url))
    scene.receiver.respond_with(lambda request: Reply.error(401))
    [run] = deliver(scene)
    assert len(tokens.requests) == 2
    assert len(scene.receiver.requests) == 2
    attempt = only_attempt(scene, run)
    assert (attempt.response_status, attempt.outcome) == (401, "failed")


def test_a_changed_secret_is_not_answered_with_the_old_token(
    scene: Scene, tokens: TokenServer
) -> None:
    endpoint = scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url))
    checking_tokens(scene, tokens)
    deliver(scene)
    tokens.client_secret = "a new secret"
    scene.api(
        "POST",
        "/api/webhook-endpoint/update",
        json={"id": endpoint["id"], "auth": oauth(tokens.url, client_secret="a new secret")},
    )
    [run] = deliver(scene, rule_id="after")
    assert tokens.issued == ["token-1", "token-2"]
    assert scene.receiver.wait_for(2)[-1].header("Authorization") == "Bearer token-2"
    assert only_attempt(scene, run).outcome == "succeeded"


def test_bad_credentials_fail_the_attempt_with_the_reason_and_are_retried(
    scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with TokenServer(client_id=CLIENT_ID, client_secret="the right one") as tokens:
        scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url))
        [run] = deliver(scene)
        attempt = only_attempt(scene, run)
        reason = "no access token: the token server refused the client credentials (401)"
        assert (attempt.outcome, attempt.error, attempt.response_status) == (
            "retrying",
            reason,
            None,
        )
        assert attempt.next_attempt_at == scene.clock.now() + timedelta(seconds=5)
        assert scene.runs(automation_id="ping")[0].error == reason
        assert scene.receiver.requests == []
        assert SECRET not in stored_text(scene, run)
        assert SECRET not in caplog.text

        tokens.client_secret = SECRET  # the token server's client is put right
        scene.advance_to_next_delivery()
        scene.drain()
        assert run.delivery_id is not None
        assert [a.outcome for a in scene.attempts(run.delivery_id)] == ["retrying", "succeeded"]
        assert scene.receiver.wait_for(1)[0].header("Authorization") == "Bearer token-1"


def test_a_token_server_error_and_an_unreachable_one_are_retried(
    scene: Scene, tokens: TokenServer
) -> None:
    tokens.reply_with(Reply.error(503))
    scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url))
    [run] = deliver(scene)
    attempt = only_attempt(scene, run)
    assert attempt.outcome == "retrying"
    assert attempt.error == "no access token: the token server answered HTTP 503"

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/token"
    scene.endpoint(scene.url("/other"), auth=oauth(closed))
    pipeline = scene.pipeline(
        [StepDef(name="Start"), webhook_step("Notify", "other", scene.url("/other"), {})],
        name="Other",
    )
    item = scene.create_item(pipeline, "Gadget")
    scene.move(item["id"], pipeline.step("Notify"))
    scene.drain()
    [other] = scene.runs(automation_id="other")
    attempt = only_attempt(scene, other)
    assert attempt.outcome == "retrying"
    assert (attempt.error or "").startswith("no access token: could not reach the token server")
    assert scene.receiver.requests == []


def test_a_token_url_the_policy_no_longer_allows_is_refused_when_delivering(
    scene: Scene,
) -> None:
    allow(scene.container, scene.tenant_id, ["127.0.0.1/32", "127.0.0.2/32"])
    with TokenServer(client_id=CLIENT_ID, client_secret=SECRET, host="127.0.0.2") as tokens:
        scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url))
        allow(scene.container, scene.tenant_id, ["127.0.0.1/32"])
        [run] = deliver(scene)
        attempt = only_attempt(scene, run)
        assert attempt.outcome == "failed"  # refused like an endpoint URL: not retried
        assert (attempt.error or "").startswith(
            "destination refused by the outbound policy: the token URL is refused: "
            "127.0.0.2 is not an allowed destination: loopback"
        )
        assert tokens.requests == []
        assert scene.receiver.requests == []
        assert run.delivery_id is not None
        assert scene.job(run.delivery_id).status == "dead"


def test_a_test_send_asks_for_a_token_too(scene: Scene, tokens: TokenServer) -> None:
    scene.endpoint(scene.url("/hook"), auth=oauth(tokens.url))
    checking_tokens(scene, tokens)
    automation = {
        "id": "ping",
        "trigger": "on_enter",
        "action": {"type": "webhook", "target": scene.url("/hook"), "data": {}},
    }
    payload = {"automation": automation, "sample": {"name": "Sample"}, "send": True}
    sent = scene.api("POST", "/api/automation/test", json=payload)
    assert sent["sent"]["status_code"] == 200
    assert scene.receiver.wait_for(1)[0].header("Authorization") == "Bearer token-1"
    assert "token-1" not in str(sent) and SECRET not in str(sent)

    tokens.client_secret = "rotated at the token server"
    refused = scene.api("POST", "/api/automation/test", json=payload)
    assert refused["sent"]["status_code"] is None
    assert refused["sent"]["error"] == "the token server refused the client credentials (401)"
    assert len(scene.receiver.requests) == 1
