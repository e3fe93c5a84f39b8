"""A real OAuth 2.0 token server on loopback (client-credentials grant) for delivery tests.

Usage::

    with TokenServer(client_id="pacetrack", client_secret="s3cret") as tokens:
        ... endpoint auth token_url = tokens.url ...
        assert tokens.issued == ["token-1"]          # one token asked for so far
        assert tokens.accepts("Bearer token-1")     # for a receiver that checks tokens

It answers ``POST /token`` like RFC 6749 section 4.4: the client authenticates
with HTTP Basic or with ``client_id``/``client_secret`` in the form body
(section 2.3.1); a wrong id or secret gets ``401 invalid_client``, a missing
``grant_type=client_credentials`` gets ``400 unsupported_grant_type``. Each
good request issues a new token, ``token-1``, ``token-2``…, valid for
``expires_in`` seconds. Every request is recorded by the underlying
``WebhookReceiver`` (``requests``), so tests can count and read them.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import threading
from collections.abc import Hashable, Mapping, Sequence
from urllib.parse import parse_qs, unquote_plus

from pacetrack.adapters.oauth_tokens import ClientCredentials, TokenCache
from pacetrack.adapters.outbound_http import OutboundPolicy, OutboundResponse
from pacetrack.adapters.outbound_pool import OutboundPool
from tests.support.webhook_receiver import ReceivedRequest, Reply, WebhookReceiver

__all__ = ["TokenServer", "cached_tokens"]


def _json(status: int, document: dict[str, object]) -> Reply:
    return Reply(
        status=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
        body=json.dumps(document).encode(),
    )


class TokenServer:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        expires_in: int | None = 3600,
        host: str = "127.0.0.1",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self._lock = threading.Lock()
        self._issued: list[str] = []
        self._receiver = WebhookReceiver(host=host)
        self._receiver.respond_with(self._answer)

    @property
    def url(self) -> str:
        return self._receiver.url + "/token"

    @property
    def requests(self) -> list[ReceivedRequest]:
        return self._receiver.requests

    @property
    def issued(self) -> list[str]:
        with self._lock:
            return list(self._issued)

    def accepts(self, authorization: str | None) -> bool:
        """Whether ``authorization`` carries the newest token issued."""
        with self._lock:
            return bool(self._issued) and authorization == f"Bearer {self._issued[-1]}"

    def reply_with(self, *replies: Reply) -> None:
        """Answers the next requests with ``replies`` instead (a failing token server)."""
        self._receiver.reply_with(*replies)

    def _client(self, request: ReceivedRequest, form: dict[str, list[str]]) -> tuple[str, str]:
        authorization = request.header("Authorization") or ""
        if authorization.startswith("Basic "):
            pair = base64.b64decode(authorization.removeprefix("Basic ")).decode()
            name, _, secret = pair.partition(":")
            return unquote_plus(name), unquote_plus(secret)
        return form.get("client_id", [""])[0], form.get("client_secret", [""])[0]

    def _answer(self, request: ReceivedRequest) -> Reply:
        form = parse_qs(request.body.decode())
        if request.path != "/token" or request.method != "POST":
            return _json(404, {"error": "not_found"})
        if form.get("grant_type") != ["client_credentials"]:
            return _json(400, {"error": "unsupported_grant_type"})
        if self._client(request, form) != (self.client_id, self.client_secret):
            return _json(401, {"error": "invalid_client"})
        with self._lock:
            token = f"token-{len(self._issued) + 1}"
            self._issued.append(token)
        document: dict[str, object] = {"access_token": token, "token_type": "Bearer"}
        if self.expires_in is not None:
            document["expires_in"] = self.expires_in
        return _json(200, document)

    def close(self) -> None:
        self._receiver.close()

    def __enter__(self) -> TokenServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def cached_tokens(server: TokenServer, keys: Sequence[Hashable], *, cache: TokenCache) -> list[str]:
    """Asks ``cache`` for the tokens of ``keys`` at once, from ``server`` through a real
    pool; their values, in the order of ``keys``."""
    policy = OutboundPolicy(allow_networks=("127.0.0.0/8",), timeout_seconds=10)
    client = ClientCredentials(
        token_url=server.url, client_id=server.client_id, client_secret=server.client_secret
    )

    async def run() -> list[str]:
        pool = OutboundPool()

        async def post(
            url: str, body: bytes, headers: Mapping[str, str], rules: OutboundPolicy
        ) -> OutboundResponse:
            return await pool.post(url, body=body, headers=headers, policy=rules)

        try:
            got = await asyncio.gather(
                *(cache.token(key, client, post=post, policy=policy) for key in keys)
            )
        finally:
            await pool.aclose()
        return [token.value for token in got]

    # On a thread of its own: a test before this one in the same worker may have left an
    # event loop running on this thread, and asyncio.run refuses to start beside it.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()
