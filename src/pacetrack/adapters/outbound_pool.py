"""Reused connections for the hardened HTTP client (keep-alive), pinning kept.

``OutboundPool.post`` makes every check ``outbound_http.post`` makes, for every
request: the URL, one resolution whose every address must be allowed, and the
connection to that checked address with the host's own name in ``Host``, SNI
and the certificate check. What it adds is keep-alive: the connections to one
host name AT one checked address, with one trust store, are kept open in a
client of their own and reused by the next request with the same key. A key
never mixes host names (a connection verified for one name never carries a
request for another) nor addresses (a new DNS answer means a new, checked
connection). The least recently used clients are closed past ``max_clients``.

One pool belongs to one event loop (the worker's network loop).
"""

from __future__ import annotations

import ssl
from collections import OrderedDict
from collections.abc import Mapping

import httpx

from pacetrack.adapters.outbound_http import (
    CheckedUrl,
    ClientFor,
    IPAddress,
    OutboundPolicy,
    OutboundResponse,
    Resolver,
    new_client,
    post_pinned,
    system_resolver,
)

_Key = tuple[str, str, str, int, int]


class OutboundPool:
    """Keep-alive clients keyed by (scheme, host, pinned address, port, trust store)."""

    def __init__(
        self,
        *,
        connections_per_host: int = 16,
        keepalive_per_host: int = 4,
        max_clients: int = 256,
        resolver: Resolver = system_resolver,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.connections_per_host = connections_per_host
        self.keepalive_per_host = keepalive_per_host
        self.max_clients = max_clients
        self.resolver = resolver
        self.tls_context = tls_context
        self._clients: OrderedDict[_Key, httpx.AsyncClient] = OrderedDict()
        self._retired: list[httpx.AsyncClient] = []

    def _client_for(self, policy: OutboundPolicy) -> ClientFor:
        def client_for(checked: CheckedUrl, address: IPAddress) -> httpx.AsyncClient:
            key = (
                checked.url.scheme,
                checked.host.lower(),
                str(address),
                checked.port,
                id(self.tls_context),
            )
            client = self._clients.get(key)
            if client is None:
                client = new_client(
                    self.tls_context,
                    policy,
                    connections=self.connections_per_host,
                    keepalive=self.keepalive_per_host,
                )
                self._clients[key] = client
                # The evicted client is the least recently used: with far fewer requests in
                # flight than max_clients, none of them is using it.
                while len(self._clients) > self.max_clients:
                    _, oldest = self._clients.popitem(last=False)
                    self._retired.append(oldest)
            else:
                self._clients.move_to_end(key)
            return client

        return client_for

    async def post(
        self,
        url: str | httpx.URL,
        *,
        body: bytes,
        headers: Mapping[str, str],
        policy: OutboundPolicy,
    ) -> OutboundResponse:
        """``outbound_http.post`` over a kept connection when there is one."""
        await self._close_retired()
        return await post_pinned(
            url,
            body=body,
            headers=headers,
            policy=policy,
            resolver=self.resolver,
            client_for=self._client_for(policy),
            close_after=False,
        )

    async def _close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for client in retired:
            await client.aclose()

    async def aclose(self) -> None:
        await self._close_retired()
        clients = list(self._clients.values())
        self._clients.clear()
        for client in clients:
            await client.aclose()
