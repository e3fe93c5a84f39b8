"""A real HTTP client reading /api/events/stream on a thread, for tests and the bench."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx

CONNECTED = ": connected"


class EventReader:
    """Opens the stream and queues each event's ``data`` (parsed) as it arrives."""

    def __init__(self, url: str, headers: dict[str, str], *, timeout: float = 10.0) -> None:
        self._url = url
        self._headers = headers
        self._timeout = timeout
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.ended = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, read=None))
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> EventReader:
        self._thread.start()
        if not self.connected.wait(self._timeout):
            raise AssertionError(f"the stream did not open (status {self.status})")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # A read blocked in another thread wakes only when its socket is shut: closing the
        # client alone left it waiting for the join's whole time-out, and the server held
        # the stream open until its own shutdown gave up on it.
        if self._socket is not None:
            with contextlib.suppress(OSError):  # the server may have closed it first
                self._socket.shutdown(socket.SHUT_RDWR)
        self._client.close()
        self._thread.join(self._timeout)

    def _read(self) -> None:
        try:
            with self._client.stream("GET", self._url, headers=self._headers) as response:
                stream = response.extensions.get("network_stream")
                self._socket = stream.get_extra_info("socket") if stream is not None else None
                self.status = response.status_code
                self.headers = dict(response.headers)
                for line in response.iter_lines():
                    if line == CONNECTED:
                        self.connected.set()
                    elif line.startswith("data: "):
                        self.events.put(json.loads(line.removeprefix("data: ")))
        except httpx.HTTPError:
            pass
        finally:
            self.ended.set()

    def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next event; fails when none arrives within ``timeout`` seconds."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout} s") from None

    def until(self, kind: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Every event up to and including the first of ``kind``."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["kind"] != kind:
            seen.append(self.next(max(deadline - time.monotonic(), 0.01)))
        return seen
