"""The pooled hardened client: kept connections, and every check still made per request."""

from __future__ import annotations

import http.server
import ipaddress
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from pacetrack.adapters.outbound_http import (
    ForbiddenDestinationError,
    IPAddress,
    OutboundPolicy,
)
from pacetrack.adapters.outbound_pool import OutboundPool

pytestmark = pytest.mark.anyio

LOOPBACK = OutboundPolicy(allow_networks=("127.0.0.0/8",), timeout_seconds=5)


class _KeepAlive(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # connections stay open unless a side closes them
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.peers.append(self.client_address[1])
            self.server.hosts.append(self.headers.get("Host", ""))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _KeepAlive)
        self.lock = threading.Lock()
        self.peers: list[int] = []
        self.hosts: list[str] = []


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()
        thread.join(10)


class Rebinding:
    """Answers loopback first, then a private address, like a rebinding DNS server."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.calls += 1
        return [ipaddress.ip_address("127.0.0.1" if self.calls == 1 else "10.0.0.7")]


async def test_requests_to_one_host_reuse_one_connection(server: _Server) -> None:
    pool = OutboundPool()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        for _ in range(3):
            response = await pool.post(url, body=b"{}", headers={}, policy=LOOPBACK)
            assert response.status_code == 200
    finally:
        await pool.aclose()
    assert len(server.peers) == 3
    assert len(set(server.peers)) == 1  # one client port: one kept-alive connection


async def test_every_request_is_checked_again_and_pinned_to_the_checked_address(
    server: _Server,
) -> None:
    resolver = Rebinding()
    pool = OutboundPool(resolver=resolver)
    port = server.server_address[1]
    url = f"http://receiver.example:{port}/hook"
    policy = OutboundPolicy(allow_networks=("127.0.0.0/8",), timeout_seconds=5)
    try:
        first = await pool.post(url, body=b"{}", headers={}, policy=policy)
        assert first.status_code == 200
        assert first.address == ipaddress.ip_address("127.0.0.1")
        # The second resolution answers a private address: refused, kept connection or not.
        with pytest.raises(ForbiddenDestinationError):
            await pool.post(url, body=b"{}", headers={}, policy=policy)
        # Without the allow-list loopback itself is refused, though a connection to it is open.
        with pytest.raises(ForbiddenDestinationError):
            await pool.post(
                f"http://127.0.0.1:{port}/hook", body=b"{}", headers={}, policy=OutboundPolicy()
            )
    finally:
        await pool.aclose()
    assert resolver.calls == 2
    assert server.hosts == [f"receiver.example:{port}"]
