"""The background worker: performs outbox jobs and fires timers (DESIGN.md section 5)."""

from pacetrack.worker.contract import Clients, Handler, JobUnit, NetworkHandler
from pacetrack.worker.handlers import HANDLERS, default_handlers
from pacetrack.worker.runner import Worker

__all__ = [
    "HANDLERS",
    "Clients",
    "Handler",
    "JobUnit",
    "NetworkHandler",
    "Worker",
    "default_handlers",
]
