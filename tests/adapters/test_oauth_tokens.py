"""The token request's form and the reading of the token server's answer (RFC 6749)."""

from __future__ import annotations

import base64
import ipaddress
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from pacetrack.adapters.clock import FrozenClock
from pacetrack.adapters.oauth_tokens import (
    CLIENT_SECRET_POST,
    ClientCredentials,
    TokenCache,
    TokenError,
    read_token_response,
    usable_until,
)
from pacetrack.adapters.outbound_http import OutboundResponse
from tests.support.token_server import TokenServer, cached_tokens

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def answer(status: int, document: object) -> OutboundResponse:
    return OutboundResponse(
        status_code=status,
        headers=(("Content-Type", "application/json"),),
        body=json.dumps(document).encode(),
        body_truncated=False,
        duration_ms=3,
        address=ipaddress.ip_address("127.0.0.1"),
        port=443,
    )


def credentials(**more: object) -> ClientCredentials:
    settings: dict[str, object] = {
        "token_url": "https://auth.example.com/token",
        "client_id": "id:with space",
        "client_secret": "p@ss:wörd+/=",
        **more,
    }
    return ClientCredentials(**settings)  # type: ignore[arg-type]


def test_basic_credentials_are_form_encoded_before_base64() -> None:
    body, headers = credentials(scope="a b").token_request()
    assert parse_qs(body.decode()) == {"grant_type": ["client_credentials"], "scope": ["a b"]}
    encoded = headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(encoded).decode() == "id%3Awith+space:p%40ss%3Aw%C3%B6rd%2B%2F%3D"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_post_credentials_go_in_the_body() -> None:
    body, headers = credentials(method=CLIENT_SECRET_POST, audience="api").token_request()
    assert "Authorization" not in headers
    assert parse_qs(body.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["id:with space"],
        "client_secret": ["p@ss:wörd+/="],
        "audience": ["api"],
    }


def test_the_secret_is_in_no_repr_and_any_change_changes_the_fingerprint() -> None:
    client = credentials()
    assert "p@ss" not in repr(client)
    assert client.fingerprint() == credentials().fingerprint()
    assert client.fingerprint() != credentials(client_secret="other").fingerprint()
    assert client.fingerprint() != credentials(scope="more").fingerprint()
    token = read_token_response(answer(200, {"access_token": "abc.def"}), requested_at=NOW)
    assert "abc.def" not in repr(token)


def test_a_token_is_renewed_a_margin_before_it_expires() -> None:
    assert usable_until(NOW, 3600) == NOW + timedelta(seconds=3570)
    assert usable_until(NOW, 60) == NOW + timedelta(seconds=54)  # a tenth of a short life
    assert usable_until(NOW, None) == NOW + timedelta(minutes=5)
    token = read_token_response(
        answer(200, {"access_token": "t", "token_type": "bearer", "expires_in": "120"}),
        requested_at=NOW,
    )
    assert token.header == "Bearer t"
    assert token.usable_until == NOW + timedelta(seconds=108)


@pytest.mark.parametrize(
    ("status", "document", "reason"),
    [
        (401, {"error": "invalid_client"}, "the token server refused the client credentials (401)"),
        (400, {"error": "invalid_client"}, "the token server refused the client credentials (400)"),
        (400, {"error": "invalid_scope"}, "the token server refused the token request (400, "),
        (403, "not json", "the token server refused the token request (403)"),
        (500, {}, "the token server answered HTTP 500"),
        (200, ["a list"], "the token server's answer is not a JSON object"),
        (200, {"token_type": "Bearer"}, "the token server's answer holds no access token"),
        (200, {"access_token": "line\nbreak"}, "the token server's answer holds no access token"),
        (200, {"access_token": "t", "token_type": "mac"}, "not a bearer token"),
        (200, {"access_token": "t", "expires_in": -5}, "no valid expires_in"),
        (200, {"access_token": "t", "expires_in": True}, "no valid expires_in"),
    ],
)
def test_what_is_wrong_with_an_answer_is_said_in_words(
    status: int, document: object, reason: str
) -> None:
    with pytest.raises(TokenError) as raised:
        read_token_response(answer(status, document), requested_at=NOW)
    assert reason in str(raised.value)
    assert raised.value.refused is False


def test_an_error_code_that_is_not_plain_text_is_left_out() -> None:
    with pytest.raises(TokenError) as raised:
        read_token_response(answer(400, {"error": "bad\u202e<script>"}), requested_at=NOW)
    assert str(raised.value) == "the token server refused the token request (400)"


def test_one_request_serves_deliveries_that_wait_for_the_same_token() -> None:
    clock = FrozenClock(NOW)
    cache = TokenCache(now=clock.now)
    with TokenServer(client_id="c", client_secret="s", expires_in=60) as tokens:
        values = cached_tokens(tokens, ["a"] * 5 + ["b"] * 3, cache=cache)
        assert len(tokens.requests) == 2  # one per endpoint, however many wait
        assert len(set(values[:5])) == len(set(values[5:])) == 1
        assert {values[0], values[5]} == {"token-1", "token-2"}
        clock.advance(timedelta(seconds=60))
        cached_tokens(tokens, ["b"], cache=cache)
        assert len(tokens.requests) == 3
        assert len(cache) == 1  # the expired token of "a" is forgotten
