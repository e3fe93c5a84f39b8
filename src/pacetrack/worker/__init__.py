"""The background worker: performs outbox jobs and fires timers (DESIGN.md section 5)."""

from pacetrack.worker.handlers import HANDLERS, Handler, JobContext, default_handlers
from pacetrack.worker.runner import Worker, make_mailer

__all__ = ["HANDLERS", "Handler", "JobContext", "Worker", "default_handlers", "make_mailer"]
