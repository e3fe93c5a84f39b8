"""The worker inside ``pacetrack serve``: one background thread, stopped with the app."""

from __future__ import annotations

import threading

from pacetrack.bootstrap import Container
from pacetrack.worker.runner import Worker


class EmbeddedWorker:
    def __init__(self, container: Container) -> None:
        self.worker = Worker(container)
        self._thread = threading.Thread(
            target=self.worker.run, name="pacetrack-embedded-worker", daemon=True
        )

    def start(self) -> EmbeddedWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.worker.request_stop()
        self._thread.join(timeout)
