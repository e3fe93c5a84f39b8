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
from typing import Any

from sqlalchemy import Engine

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

    def _connect(self) -> Any:
        import psycopg

        args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
        return psycopg.connect(*args, **{**kwargs, "autocommit": True})

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._connect() as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    # Notifications sent while it was reconnecting are lost: the poll finds them.
                    self.listening.set()
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=_CHECK_STOP_SECONDS):
                            self.wake.set()
            except Exception:
                logger.warning("outbox listener lost its connection; polling meanwhile")
            finally:
                self.listening.clear()
            self._stop.wait(_RECONNECT_SECONDS)
