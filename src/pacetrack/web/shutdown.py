"""Ending open event streams when the server is asked to stop.

uvicorn waits for every open response before it runs the application's shutdown, and
an event stream never ends by itself: without this, ``SIGTERM`` would wait forever.
When the app starts, the handlers uvicorn installed for SIGINT and SIGTERM are wrapped
so that the signal also closes the change feed's subscriptions (on the event loop), and
the streams finish. Where the app does not run in the main thread (test clients),
signals are not its concern and nothing is wrapped.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)

Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def close_streams_on_signal(close: Callable[[], None]) -> Callable[[], None]:
    """Wraps the current SIGINT and SIGTERM handlers so that they call ``close`` too;
    returns what puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Handler] = {}

    def handle(number: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(close)
        before = previous.get(number)
        if callable(before):
            before(number, frame)
        elif before == signal.SIG_DFL:
            # What the signal would have done without this wrapper: stop the process.
            signal.signal(number, signal.SIG_DFL)
            signal.raise_signal(number)

    for number in SIGNALS:
        previous[number] = signal.getsignal(number)
        signal.signal(number, handle)

    def restore() -> None:
        for number, handler in previous.items():
            if signal.getsignal(number) is handle:
                signal.signal(number, handler if handler is not None else signal.SIG_DFL)

    return restore
