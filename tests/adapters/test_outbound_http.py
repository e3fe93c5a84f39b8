"""The hardened webhook client against a real receiver on loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Sequence
from pathlib import Path

import pytest

from pacetrack.adapters.outbound_http import (
    ConnectFailedError,
    DeliveryTimeoutError,
    IPAddress,
    OutboundPolicy,
    TlsError,
    post,
    post_sync,
)
from pacetrack.adapters.webhook_signing import generate_secret, signature_headers
from tests.support.webhook_receiver import Reply, WebhookReceiver, make_certificate

pytestmark = pytest.mark.anyio

BODY = b'{"type":"item.step_entered","candidate_id":"c-42"}'
LOOPBACK = ipaddress.IPv4Address("127.0.0.1")


class CountingResolver:
    """Answers loopback first and a private address afterwards, like a rebinding DNS server."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.calls.append(host)
        if len(self.calls) == 1:
            return [LOOPBACK]
        return [ipaddress.IPv4Address("10.0.0.1")]


async def test_success_returns_status_body_and_connected_address(
    receiver: WebhookReceiver, loopback_policy: OutboundPolicy
) -> None:
    receiver.reply_with(Reply.ok(b'{"received":true}'))

    response = await post(f"{receiver.url}/hook", body=BODY, headers={}, policy=loopback_policy)

    assert response.status_code == 200
    assert response.body == b'{"received":true}'
    assert not response.body_truncated
    assert response.address == LOOPBACK
    assert response.port == receiver.port
    assert response.duration_ms >= 0


async def test_request_carries_body_signature_headers_and_defaults(
    receiver: WebhookReceiver, loopback_policy: OutboundPolicy
) -> None:
    signed = signature_headers(
        secrets=[generate_secret()], msg_id="msg_1", timestamp=1_700_000_000, body=BODY
    )

    await post(f"{receiver.url}/hook?x=1", body=BODY, headers=signed, policy=loopback_policy)

    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hook?x=1"
    assert request.body == BODY
    for name, value in signed.items():
        assert request.header(name) == value
    assert request.header("content-type") == "application/json"
    assert request.header("user-agent") == "PaceTrack-Webhooks/1"
    assert request.header("accept-encoding") == "identity"
    assert request.header("host") == f"127.0.0.1:{receiver.port}"


async def test_connection_is_pinned_to_the_address_resolved_once(
    receiver: WebhookReceiver, loopback_policy: OutboundPolicy
) -> None:
    resolver = CountingResolver()

    response = await post(
        f"http://hooks.example:{receiver.port}/hook",
        body=BODY,
        headers={},
        policy=loopback_policy,
        resolver=resolver,
    )

    assert resolver.calls == ["hooks.example"]
    assert response.address == LOOPBACK
    [request] = receiver.requests
    assert request.local_address == ("127.0.0.1", receiver.port)
    assert request.header("host") == f"hooks.example:{receiver.port}"


async def test_hanging_receiver_times_out(receiver: WebhookReceiver) -> None:
    receiver.reply_with(Reply.hang())
    policy = OutboundPolicy(allow_networks=("127.0.0.0/8",), timeout_seconds=0.3)

    with pytest.raises(DeliveryTimeoutError) as timed_out:
        await post(f"{receiver.url}/hook", body=BODY, headers={}, policy=policy)

    assert timed_out.value.address == LOOPBACK
    assert len(receiver.wait_for(1)) == 1


async def test_a_trickling_answer_is_cut_at_the_total_deadline(receiver: WebhookReceiver) -> None:
    # Every chunk comes well within the per-read timeout; only a total deadline ends this.
    receiver.reply_with(Reply.trickle(tuple(b"x" for _ in range(50)), interval=0.1))
    policy = OutboundPolicy(allow_networks=("127.0.0.0/8",), timeout_seconds=0.5)

    with pytest.raises(DeliveryTimeoutError, match=r"within 0\.5 s"):
        await post(f"{receiver.url}/hook", body=BODY, headers={}, policy=policy)


async def test_refused_connection_is_a_connect_failure(loopback_policy: OutboundPolicy) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        closed_port = placeholder.getsockname()[1]

    with pytest.raises(ConnectFailedError, match=r"could not connect to 127\.0\.0\.1"):
        await post(
            f"http://127.0.0.1:{closed_port}/hook", body=BODY, headers={}, policy=loopback_policy
        )


@pytest.mark.parametrize(
    ("reply", "status", "retry_after"),
    [
        (Reply.error(500), 500, None),
        (Reply.error(503), 503, None),
        (Reply.gone(), 410, None),
        (Reply.too_many_requests(retry_after="30"), 429, "30"),
        (Reply.error(404), 404, None),
    ],
)
async def test_error_statuses_are_responses_not_exceptions(
    receiver: WebhookReceiver,
    loopback_policy: OutboundPolicy,
    reply: Reply,
    status: int,
    retry_after: str | None,
) -> None:
    receiver.reply_with(reply)

    response = await post(f"{receiver.url}/hook", body=BODY, headers={}, policy=loopback_policy)

    assert response.status_code == status
    assert response.header("Retry-After") == retry_after


async def test_response_body_is_truncated_at_the_limit(receiver: WebhookReceiver) -> None:
    receiver.reply_with(Reply.ok(b"a" * 5000))
    policy = OutboundPolicy(allow_networks=("127.0.0.0/8",), max_response_bytes=100)

    response = await post(f"{receiver.url}/hook", body=BODY, headers={}, policy=policy)

    assert response.body == b"a" * 100
    assert response.body_truncated


async def test_proxy_settings_in_the_environment_are_ignored(
    receiver: WebhookReceiver, loopback_policy: OutboundPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would make the connection to an address we never checked.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")

    response = await post(f"{receiver.url}/hook", body=BODY, headers={}, policy=loopback_policy)

    assert response.status_code == 200
    assert len(receiver.requests) == 1


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path, "receiver.test")


async def test_tls_uses_the_original_host_name_for_sni_and_certificate(
    certificate: tuple[Path, Path], loopback_policy: OutboundPolicy
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    with WebhookReceiver(tls=certificate) as receiver:
        response = await post(
            f"https://receiver.test:{receiver.port}/hook",
            body=BODY,
            headers={},
            policy=loopback_policy,
            resolver=lambda host, port: [LOOPBACK],
            tls_context=trust,
        )

        assert response.status_code == 200
        assert response.address == LOOPBACK
        assert receiver.server_names == ["receiver.test"]
        assert receiver.requests[0].header("host") == f"receiver.test:{receiver.port}"


async def test_tls_certificate_for_another_name_is_refused(
    certificate: tuple[Path, Path], loopback_policy: OutboundPolicy
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    with WebhookReceiver(tls=certificate) as receiver:
        with pytest.raises(TlsError, match="certificate"):
            await post(
                f"https://impostor.test:{receiver.port}/hook",
                body=BODY,
                headers={},
                policy=loopback_policy,
                resolver=lambda host, port: [LOOPBACK],
                tls_context=trust,
            )

        assert receiver.requests == []


def test_post_sync_delivers_without_an_event_loop(
    receiver: WebhookReceiver, loopback_policy: OutboundPolicy
) -> None:
    receiver.reply_with(Reply.error(502))

    response = post_sync(f"{receiver.url}/hook", body=BODY, headers={}, policy=loopback_policy)

    assert response.status_code == 502
    assert receiver.requests[0].body == BODY


def test_post_sync_delivers_from_a_thread_that_already_runs_an_event_loop(
    receiver: WebhookReceiver, loopback_policy: OutboundPolicy
) -> None:
    receiver.reply_with(Reply.ok())

    async def inside_a_loop() -> int:
        response = post_sync(f"{receiver.url}/hook", body=BODY, headers={}, policy=loopback_policy)
        return response.status_code

    assert asyncio.run(inside_a_loop()) == 200
    assert receiver.requests[0].body == BODY
