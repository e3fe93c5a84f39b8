"""Waking idle workers when a job is enqueued: PostgreSQL ``LISTEN``/``NOTIFY``.

The ``outbox_wakeup`` trigger (migration 0009) notifies ``pacetrack_outbox``
after every insert into ``outbox``; PostgreSQL delivers the notification when
the inserting transaction commits. ``OutboxListener`` holds one connection of
its own (outside the pool, in autocommit) that listens on the channel and sets
an event on every notification. A lost connection is reopened after a pause;
meanwhile, and on SQLite, the worker's poll finds the work.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from pacetrack.db.listening import listen_until_stopped

logger = logging.getLogger("pacetrack.worker")

CHANNEL = "pacetrack_outbox"
_CHECK_STOP_SECONDS = 1.0
_RECONNECT_SECONDS = 5.0


class OutboxListener:
    """Sets ``wake`` whenever a transaction that enqueued a job commits (PostgreSQL only)."""

    def __init__(self, engine: Engine, wake: threading.Event) -> None:
        self.engine = engine
        self.wake = wake
        self.listening = threading.Event()
        """Set while the listener's ``LISTEN`` is in force."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def supported(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def start(self) -> OutboxListener:
        if self.supported and self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="pacetrack-outbox-listener", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        # Notifications sent while it was reconnecting are lost: the poll finds them.
        listen_until_stopped(
            engine=self.engine,
            channel=CHANNEL,
            on_notify=lambda _payload: self.wake.set(),
            stop=self._stop,
            listening=self.listening,
            logger=logger,
            check_stop_seconds=_CHECK_STOP_SECONDS,
            reconnect_seconds=_RECONNECT_SECONDS,
        )
