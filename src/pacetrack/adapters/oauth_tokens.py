"""OAuth 2.0 client-credentials tokens for webhook endpoints (RFC 6749 section 4.4).

An endpoint that authenticates its callers with OAuth gets ``Authorization:
Bearer <token>`` on every delivery. The token comes from the endpoint's token
server: a form POST of ``grant_type=client_credentials`` with the client's id
and secret in HTTP Basic (``client_secret_basic``) or in the body
(``client_secret_post``), RFC 6749 section 2.3.1. The token request goes
through the same hardened client as the delivery (the caller's ``post``), so
the token URL meets every outbound check the endpoint's URL meets.

``TokenCache`` keeps one token per endpoint until ``expires_in`` minus a
margin, by the time of the clock it is given (the Container's, so a test's frozen
clock expires tokens without waiting); its key holds a fingerprint of the client
settings, so a changed secret (or token URL, id, scope, audience) is never
answered with the old token. One request per endpoint asks for a token at a
time; the others wait for its answer.

Neither the secret nor the token appears in a repr, an error message or a
log line: errors speak of the token server's answer only.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import threading
import weakref
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from cachetools import TLRUCache

from pacetrack.adapters.outbound_http import (
    DeliveryError,
    DeliveryTimeoutError,
    OutboundPolicy,
    OutboundResponse,
    UnsafeUrlError,
)

CLIENT_SECRET_BASIC = "client_secret_basic"
CLIENT_SECRET_POST = "client_secret_post"

DEFAULT_LIFETIME = timedelta(minutes=5)
"""How long a token without ``expires_in`` is used (a 401 from the receiver refreshes it sooner)."""
LONGEST_MARGIN = timedelta(seconds=30)
"""A token is renewed this long before it expires (a tenth of its lifetime when shorter)."""

# RFC 6749 appendix A.7 (access_token) and A.7 (error codes): printable ASCII.
_TOKEN_TEXT = re.compile(r"^[\x20-\x7e]{1,8000}$")
_ERROR_CODE = re.compile(r"^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$")
_CREDENTIAL_ERRORS = frozenset({"invalid_client", "unauthorized_client"})

Post = Callable[[str, bytes, Mapping[str, str], OutboundPolicy], Awaitable[OutboundResponse]]
"""Sends one POST through the hardened client: url, body, headers, policy."""


class TokenError(Exception):
    """No access token: the message says why in words, and never holds a secret.

    ``refused`` is set when the outbound policy refused the token URL (the same
    verdict a refused endpoint URL gets: not retried).
    """

    def __init__(self, message: str, *, refused: bool = False, duration_ms: int = 0) -> None:
        super().__init__(message)
        self.refused = refused
        self.duration_ms = duration_ms


@dataclass(frozen=True, kw_only=True)
class ClientCredentials:
    """Where and how an endpoint's client asks for its tokens."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str | None = None
    audience: str | None = None
    method: str = CLIENT_SECRET_BASIC

    def fingerprint(self) -> str:
        """A digest of every setting: equal for the same client, different after any change."""
        settings = [
            self.token_url,
            self.client_id,
            self.client_secret,
            self.scope,
            self.audience,
            self.method,
        ]
        return hashlib.sha256(json.dumps(settings).encode("utf-8")).hexdigest()

    def token_request(self) -> tuple[bytes, dict[str, str]]:
        """The form body and headers of the token request."""
        form = {"grant_type": "client_credentials"}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        if self.method == CLIENT_SECRET_POST:
            form["client_id"] = self.client_id
            form["client_secret"] = self.client_secret
        else:
            # Section 2.3.1: each part form-encoded before the Basic encoding.
            pair = f"{_form_encoded(self.client_id)}:{_form_encoded(self.client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        if self.scope:
            form["scope"] = self.scope
        if self.audience:
            form["audience"] = self.audience
        return urlencode(form).encode("ascii"), headers


def _form_encoded(text: str) -> str:
    return quote(text, safe="").replace("%20", "+")


@dataclass(frozen=True, kw_only=True)
class AccessToken:
    value: str = field(repr=False)
    usable_until: datetime

    def usable_at(self, now: datetime) -> bool:
        return now < self.usable_until

    @property
    def header(self) -> str:
        return f"Bearer {self.value}"


def usable_until(requested_at: datetime, expires_in: float | None) -> datetime:
    """When a token asked for at ``requested_at`` is renewed: before it expires, by a margin."""
    if expires_in is None:
        return requested_at + DEFAULT_LIFETIME
    lifetime = timedelta(seconds=expires_in)
    return requested_at + lifetime - min(LONGEST_MARGIN, lifetime / 10)


def _error_code(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    code = document.get("error") if isinstance(document, dict) else None
    return code if isinstance(code, str) and _ERROR_CODE.match(code) else None


def _expires_in(raw: object) -> float | None:
    if raw is None:
        return None
    # Some servers send the number as a string.
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
        raise TokenError("the token server's answer has no valid expires_in")
    return float(raw)


def read_token_response(response: OutboundResponse, *, requested_at: datetime) -> AccessToken:
    """The token in the token server's answer; ``TokenError`` saying why there is none."""
    status = response.status_code
    code = _error_code(response.body) if status >= 400 else None
    if status == 401 or (status == 400 and code in _CREDENTIAL_ERRORS):
        raise TokenError(f"the token server refused the client credentials ({status})")
    if 400 <= status < 500:
        named = f", {code}" if code else ""
        raise TokenError(f"the token server refused the token request ({status}{named})")
    if status != 200:
        raise TokenError(f"the token server answered HTTP {status}")
    try:
        document = json.loads(response.body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise TokenError("the token server's answer is not a JSON object")
    value = document.get("access_token")
    if not isinstance(value, str) or not _TOKEN_TEXT.match(value):
        raise TokenError("the token server's answer holds no access token")
    token_type = document.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise TokenError("the token server issued a token that is not a bearer token")
    return AccessToken(
        value=value,
        usable_until=usable_until(requested_at, _expires_in(document.get("expires_in"))),
    )


async def request_token(
    credentials: ClientCredentials, *, post: Post, policy: OutboundPolicy, now: datetime
) -> AccessToken:
    """Asks the token server for a token; ``TokenError`` when none comes back."""
    body, headers = credentials.token_request()
    try:
        response = await post(credentials.token_url, body, headers, policy)
    except UnsafeUrlError as exc:
        raise TokenError(f"the token URL is refused: {exc}", refused=True) from None
    except DeliveryTimeoutError as exc:
        raise TokenError(
            "the token server did not answer in time", duration_ms=exc.duration_ms
        ) from None
    except DeliveryError as exc:
        raise TokenError(
            f"could not reach the token server: {exc}", duration_ms=exc.duration_ms
        ) from None
    try:
        return read_token_response(response, requested_at=now)
    except TokenError as exc:
        exc.duration_ms = response.duration_ms
        raise


_Kept = tuple[str, AccessToken]
"""A token with the fingerprint of the client settings it was asked for with."""


def _until_unusable(_key: Hashable, kept: _Kept, _now: float) -> float:
    return kept[1].usable_until.timestamp()


class TokenCache:
    """The tokens of the endpoints one Container's worker delivers to, one per endpoint key,
    each forgotten once ``now`` reaches the time it stops being usable.

    Used from the worker's event loop (one loop per worker; a process may hold
    several in tests), so each loop gets asyncio locks of its own; a thread lock
    guards the entries themselves.
    """

    def __init__(self, *, now: Callable[[], datetime], size: int = 1024) -> None:
        self._now = now
        # cachetools counts time in numbers: the clock's, as POSIX seconds.
        self._tokens: TLRUCache[Hashable, _Kept] = TLRUCache(
            maxsize=size, ttu=_until_unusable, timer=lambda: now().timestamp()
        )
        self._guard = threading.Lock()
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def _lock(self, key: Hashable) -> asyncio.Lock:
        locks = self._locks.setdefault(asyncio.get_running_loop(), {})
        return locks.setdefault(key, asyncio.Lock())

    async def token(
        self,
        key: Hashable,
        credentials: ClientCredentials,
        *,
        post: Post,
        policy: OutboundPolicy,
        refused: AccessToken | None = None,
    ) -> AccessToken:
        """The endpoint's usable token, asked for when there is none.

        ``refused`` is a token the receiver refused (401): it is not handed out
        again, but a newer one another delivery fetched meanwhile is.
        """
        fingerprint = credentials.fingerprint()
        async with self._lock(key):
            with self._guard:
                kept = self._tokens.get(key)
                if kept is not None and (kept[0] != fingerprint or kept[1] is refused):
                    # Not handed out again, even when asking for a new one fails.
                    self._tokens.pop(key, None)
                    kept = None
            if kept is not None:
                return kept[1]
            token = await request_token(credentials, post=post, policy=policy, now=self._now())
            with self._guard:
                self._tokens[key] = (fingerprint, token)
            return token

    def __len__(self) -> int:
        with self._guard:
            self._tokens.expire()
            return len(self._tokens)


@dataclass(frozen=True, kw_only=True)
class BearerAuth:
    """One endpoint's OAuth client with the token cache that keeps its token."""

    cache: TokenCache
    key: Hashable
    credentials: ClientCredentials

    async def post(
        self,
        post: Post,
        url: str,
        *,
        body: bytes,
        headers: Mapping[str, str],
        policy: OutboundPolicy,
    ) -> OutboundResponse:
        """``post`` with the endpoint's bearer token; a 401 gets one new token and one retry.

        Raises ``TokenError`` when no token could be had, and what ``post``
        raises when the request itself fails.
        """
        plain = {name: value for name, value in headers.items() if name.lower() != "authorization"}
        token = await self._token(post, policy, refused=None)
        first = await post(url, body, {**plain, "Authorization": token.header}, policy)
        if first.status_code != 401:
            return first
        token = await self._token(post, policy, refused=token)
        second = await post(url, body, {**plain, "Authorization": token.header}, policy)
        return replace(second, duration_ms=first.duration_ms + second.duration_ms)

    async def _token(
        self, post: Post, policy: OutboundPolicy, *, refused: AccessToken | None
    ) -> AccessToken:
        return await self.cache.token(
            self.key, self.credentials, post=post, policy=policy, refused=refused
        )
