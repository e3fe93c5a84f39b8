"""A real HTTP(S) webhook receiver on loopback for delivery tests.

Usage::

    with WebhookReceiver() as receiver:                     # 127.0.0.1, ephemeral port
        receiver.reply_with(Reply.error(500), Reply.ok())    # first request 500, then 200
        ... deliver to receiver.url + "/hook" ...
        [first, second] = receiver.wait_for(2)
        assert first.header("webhook-id") == second.header("webhook-id")

Replies are used in order, one per request; when the queue is empty the
``default`` reply answers (200 unless told otherwise). ``respond_with(fn)``
instead lets a function choose each reply, e.g. failing half of the requests at
random for a benchmark. Canned replies: ``Reply.ok()``, ``Reply.error(500)``,
``Reply.gone()`` (410), ``Reply.too_many_requests(retry_after="30")``,
``Reply.redirect(location)``, ``Reply.hang()`` (accept the request, never
answer) and ``Reply.trickle(...)`` (answer one chunk at a time, slowly).

Every request is recorded as a ``ReceivedRequest`` with the address the client
connected to (``local_address``), so a test can prove where a connection went.
Hanging replies are released when the receiver closes. ``tls=(cert, key)``
serves HTTPS and records the TLS server names clients ask for
(``server_names``) and failed handshakes (``tls_failures``);
``make_certificate`` creates a self-signed pair with the ``openssl`` tool.

The receiver runs a ``ThreadingHTTPServer`` in a daemon thread, so it works
from synchronous and asynchronous tests alike.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "ReceivedRequest",
    "Reply",
    "WebhookReceiver",
    "make_certificate",
]

_LONGEST_WAIT = 30.0


@dataclass(frozen=True, kw_only=True)
class Reply:
    """How the receiver answers one request."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    hangs: bool = False
    """Read the request, then never answer until the receiver closes."""
    chunks: tuple[bytes, ...] = ()
    """With ``chunk_interval``: send the body in these pieces, pausing between them."""
    chunk_interval: float = 0.0

    @classmethod
    def ok(cls, body: bytes = b"") -> Reply:
        return cls(status=200, body=body)

    @classmethod
    def error(cls, status: int = 500, body: bytes = b"") -> Reply:
        return cls(status=status, body=body)

    @classmethod
    def gone(cls) -> Reply:
        return cls(status=410)

    @classmethod
    def too_many_requests(cls, retry_after: str | None = None) -> Reply:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return cls(status=429, headers=headers)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status=status, headers={"Location": location})

    @classmethod
    def hang(cls) -> Reply:
        return cls(hangs=True)

    @classmethod
    def trickle(cls, chunks: tuple[bytes, ...], interval: float, status: int = 200) -> Reply:
        return cls(status=status, chunks=chunks, chunk_interval=interval)


@dataclass(frozen=True, kw_only=True)
class ReceivedRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    client_address: tuple[str, int]
    local_address: tuple[str, int]
    """The receiver's own address the client connected to."""
    received_at: datetime

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


Responder = Callable[[ReceivedRequest], Reply]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        # Tests read the recorded requests; access logs on stderr are noise.
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        received = ReceivedRequest(
            method=self.command,
            path=self.path,
            headers=tuple(self.headers.items()),
            body=self._read_body(),
            client_address=(str(self.client_address[0]), int(self.client_address[1])),
            local_address=_address(self.connection.getsockname()),
            received_at=datetime.now(UTC),
        )
        reply = self.server.receiver._record(received)
        self.close_connection = True
        if reply.hangs:
            self.server.receiver._closing.wait(_LONGEST_WAIT)
            return
        body = b"".join(reply.chunks) if reply.chunks else reply.body
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if not reply.chunks:
            self.wfile.write(body)
            return
        for chunk in reply.chunks:
            self.wfile.write(chunk)
            self.wfile.flush()
            if self.server.receiver._closing.wait(reply.chunk_interval):
                return

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _handle


def _address(sockname: Any) -> tuple[str, int]:
    return (str(sockname[0]), int(sockname[1]))


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    receiver: WebhookReceiver

    def finish_request(self, request: Any, client_address: Any) -> None:
        tls = self.receiver._tls
        if tls is None:
            super().finish_request(request, client_address)
            return
        try:
            wrapped = tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.receiver._tls_failed(exc)
            return
        # shutdown_request closes the plain socket; the TLS one is ours to close.
        with wrapped:
            super().finish_request(wrapped, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gives up (timeout tests) breaks the pipe; that is expected.
        pass


class _Server6(_Server):
    address_family = socket.AF_INET6


class WebhookReceiver:
    """A loopback HTTP(S) server that records requests and answers as told.

    ``host`` is the address to listen on (``127.0.0.1`` by default; ``::1`` for
    IPv6). ``default`` answers when no queued reply is left. ``tls`` is a
    ``(certificate_file, key_file)`` pair for HTTPS.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        default: Reply | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._closing = threading.Event()
        self._queue: deque[Reply] = deque()
        self._responder: Responder | None = None
        self._requests: list[ReceivedRequest] = []
        self._server_names: list[str | None] = []
        self._tls_failures: list[str] = []
        self.default = default or Reply.ok()
        self._tls: ssl.SSLContext | None = None
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile=tls[0], keyfile=tls[1])
            context.sni_callback = self._saw_server_name
            self._tls = context
        server_class = _Server6 if ":" in host else _Server
        self._server = server_class((host, 0), _Handler)
        self._server.receiver = self
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # --- addresses ---

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:43123`` (append a path)."""
        scheme = "https" if self._tls is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    # --- behaviour ---

    def reply_with(self, *replies: Reply) -> None:
        """Queue replies, used one per request in order, before ``default``."""
        with self._lock:
            self._queue.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Let ``responder`` choose every reply (queued replies still go first)."""
        with self._lock:
            self._responder = responder

    # --- what happened ---

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def server_names(self) -> list[str | None]:
        """TLS server names (SNI) clients sent, one per handshake."""
        with self._lock:
            return list(self._server_names)

    @property
    def tls_failures(self) -> list[str]:
        """Descriptions of TLS handshakes that failed."""
        with self._lock:
            return list(self._tls_failures)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Block until ``count`` requests have arrived; ``AssertionError`` after ``timeout``."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._requests) >= count, timeout):
                raise AssertionError(
                    f"expected {count} requests within {timeout} s, got {len(self._requests)}"
                )
            return list(self._requests)

    # --- lifecycle ---

    def close(self) -> None:
        """Release hanging replies, stop serving and free the port."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=_LONGEST_WAIT)

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- called from server threads ---

    def _record(self, request: ReceivedRequest) -> Reply:
        with self._arrived:
            self._requests.append(request)
            self._arrived.notify_all()
            if self._queue:
                return self._queue.popleft()
            responder = self._responder
        return responder(request) if responder is not None else self.default

    def _saw_server_name(
        self, connection: ssl.SSLObject | ssl.SSLSocket, name: str | None, context: ssl.SSLContext
    ) -> None:
        with self._lock:
            self._server_names.append(name)

    def _tls_failed(self, exc: BaseException) -> None:
        with self._lock:
            self._tls_failures.append(f"{type(exc).__name__}: {exc}")


def make_certificate(directory: Path, host_name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``host_name`` and its key, written into ``directory``.

    Trust it on the client side with ``ssl.create_default_context(cafile=cert)``.
    """
    cert, key = directory / f"{host_name}.crt", directory / f"{host_name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={host_name}",
            "-addext",
            f"subjectAltName=DNS:{host_name}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
