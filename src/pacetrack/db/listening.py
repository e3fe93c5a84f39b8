"""One PostgreSQL ``LISTEN`` connection of its own, kept open until asked to stop.

The connection is outside the pool and in autocommit; a lost connection is reopened after
a pause. Notifications sent while it was reconnecting are not received: each user of a
channel says how it copes (a poll, or a re-read when a stream reconnects).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine


def connect_autocommit(engine: Engine) -> Any:
    import psycopg

    args, kwargs = engine.dialect.create_connect_args(engine.url)
    return psycopg.connect(*args, **{**kwargs, "autocommit": True})


def listen_until_stopped(
    *,
    engine: Engine,
    channel: str,
    on_notify: Callable[[str], None],
    stop: threading.Event,
    listening: threading.Event,
    logger: logging.Logger,
    check_stop_seconds: float = 1.0,
    reconnect_seconds: float = 5.0,
) -> None:
    """Calls ``on_notify(payload)`` for each notification on ``channel`` until ``stop``;
    ``listening`` is set while the ``LISTEN`` is in force."""
    while not stop.is_set():
        try:
            with connect_autocommit(engine) as connection:
                connection.execute(f"LISTEN {channel}")
                listening.set()
                while not stop.is_set():
                    for notice in connection.notifies(timeout=check_stop_seconds):
                        on_notify(notice.payload)
        except Exception:
            logger.warning("the %s listener lost its connection; reconnecting", channel)
        finally:
            listening.clear()
        stop.wait(reconnect_seconds)
