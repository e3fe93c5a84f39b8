"""Worker processes forked from a server that has imported PaceTrack once.

Starting ``pacetrack worker`` costs seconds of imports on a loaded machine; a crash
test that kills 25 workers would spend minutes starting them. A ``forkserver``
imports the worker's modules once and forks each process from there: every
process is a real, separate worker (its own engine and connections) that a
SIGKILL stops without a chance to clean up, as in production.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

_CONTEXT: ForkServerContext | None = None


def _context() -> ForkServerContext:
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        assert isinstance(context, ForkServerContext)
        context.set_forkserver_preload(["pacetrack.bootstrap", "pacetrack.worker.runner"])
        _CONTEXT = context
    return _CONTEXT


def _run(settings: dict[str, Any]) -> None:
    from pacetrack.adapters.clock import SystemClock
    from pacetrack.bootstrap import build
    from pacetrack.settings import Settings
    from pacetrack.worker.runner import Worker

    container = build(Settings(_env_file=None, **settings), clock=SystemClock())  # type: ignore[call-arg]
    Worker(container, mailer=None).run()


def start_worker(**settings: Any) -> BaseProcess:
    """A running worker process with these settings (``database_url`` at least)."""
    process = _context().Process(target=_run, args=(settings,), daemon=True)
    process.start()
    return process
