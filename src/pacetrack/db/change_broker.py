"""Fanning committed changes out to the subscribers of one server process.

``ChangeBroker`` hands every change to each subscription's asyncio queue (from any
thread). ``ChangeFeed`` is what the unit of work and the event stream use: on SQLite it
publishes a commit's changes to the broker itself; on PostgreSQL the commit sends them
with ``NOTIFY`` and one ``LISTEN`` connection per process (opened with the first
subscription) publishes what arrives, so every process sees every process's commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pacetrack.db import changes
from pacetrack.db.changes import Change
from pacetrack.db.listening import listen_until_stopped

logger = logging.getLogger("pacetrack.web")

_CHECK_STOP_SECONDS = 1.0
_RECONNECT_SECONDS = 2.0
_QUEUE_LIMIT = 1000


class Subscription:
    """One subscriber's queue; ``None`` in it means the feed closed."""

    def __init__(self, broker: ChangeBroker, loop: asyncio.AbstractEventLoop) -> None:
        self._broker = broker
        self._loop = loop
        self._queue: asyncio.Queue[Change | None] = asyncio.Queue(_QUEUE_LIMIT)
        self.closed = False

    def _offer(self, change: Change | None) -> None:
        if change is None:
            self.closed = True
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            # A subscriber that stopped reading loses changes rather than growing without bound.
            logger.warning("a change-stream subscriber fell behind; a change was dropped")

    def deliver(self, change: Change | None) -> None:
        with contextlib.suppress(RuntimeError):  # its event loop has closed
            self._loop.call_soon_threadsafe(self._offer, change)

    async def next(self, timeout: float) -> Change | None:
        """The next change; ``TimeoutError`` when none came within ``timeout`` seconds;
        ``None`` once the feed has closed."""
        if self.closed and self._queue.empty():
            return None
        return await asyncio.wait_for(self._queue.get(), timeout)

    def close(self) -> None:
        self._broker.unsubscribe(self)


class ChangeBroker:
    """The subscriptions of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._closed = False

    def subscribe(self) -> Subscription:
        """A new subscription, read from the running event loop."""
        subscription = Subscription(self, asyncio.get_running_loop())
        with self._lock:
            if self._closed:
                subscription.closed = True
            else:
                self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def publish(self, published: Sequence[Change]) -> None:
        with self._lock:
            targets = list(self._subscriptions)
        for subscription in targets:
            for change in published:
                subscription.deliver(change)

    def close(self) -> None:
        """Ends every subscription (the server is shutting down)."""
        with self._lock:
            self._closed = True
            targets = list(self._subscriptions)
            self._subscriptions.clear()
        for subscription in targets:
            subscription.deliver(None)


class ChangeFeed:
    """Announces committed changes to this process's subscribers (and, on PostgreSQL,
    to every process's)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.broker = ChangeBroker()
        self.listening = threading.Event()
        """Set while the PostgreSQL ``LISTEN`` is in force."""
        self._postgresql = engine.dialect.name == "postgresql"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def before_commit(self, session: Session) -> list[Change]:
        """The transaction's changes; on PostgreSQL their ``NOTIFY``, sent at commit."""
        taken = changes.take(session)
        if self._postgresql:
            changes.notify(session, taken)
        return taken

    def after_commit(self, committed: Sequence[Change]) -> None:
        if not self._postgresql and committed:
            self.broker.publish(committed)

    def subscribe(self) -> Subscription:
        if self._postgresql:
            self._start_listener()
        return self.broker.subscribe()

    def ready(self, timeout: float) -> bool:
        """Waits until changes committed from now on will reach the broker (on PostgreSQL,
        until the ``LISTEN`` is in force)."""
        return not self._postgresql or self.listening.wait(timeout)

    def _start_listener(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._listen, name="pacetrack-change-listener", daemon=True
                )
                self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.broker.close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _listen(self) -> None:
        # A stream that reconnects re-reads what it shows, so a gap while reconnecting is
        # covered by the page (the board re-reads itself when its stream opens again).
        listen_until_stopped(
            engine=self.engine,
            channel=changes.CHANNEL,
            on_notify=self._publish_payload,
            stop=self._stop,
            listening=self.listening,
            logger=logger,
            check_stop_seconds=_CHECK_STOP_SECONDS,
            reconnect_seconds=_RECONNECT_SECONDS,
        )

    def _publish_payload(self, payload: str) -> None:
        try:
            change = Change.decode(payload)
        except (ValueError, KeyError, TypeError):
            logger.warning("an unreadable change notification was ignored")
            return
        self.broker.publish([change])
