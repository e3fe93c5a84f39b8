"""``pacetrack worker``: perform outbox jobs and fire timers until stopped;
``pacetrack worker status`` prints what the queues hold.

SIGTERM (and Ctrl-C) drain gracefully: the job in hand is finished, the rest
of the claimed batch is handed back, and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Annotated

import typer

from pacetrack.bootstrap import build
from pacetrack.cli.worker_status import status
from pacetrack.settings import Settings

worker_app = typer.Typer(
    help="The background worker (outbox jobs and timers).", invoke_without_command=True
)
worker_app.command("status")(status)


@worker_app.callback()
def worker(
    context: typer.Context,
    drain: Annotated[
        bool, typer.Option("--drain", help="Perform what is due now, then exit")
    ] = False,
    rerun_dead: Annotated[
        bool, typer.Option("--rerun-dead", help="Put every dead job back in the queue, then exit")
    ] = False,
) -> None:
    """Run the background worker (outbox jobs and timers); `status` prints its queues."""
    if context.invoked_subcommand is not None:
        return
    from pacetrack.services.operations import rerun_dead_jobs
    from pacetrack.worker.runner import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    container = build(Settings())
    try:
        if rerun_dead:
            with container.uow() as uow:
                count = rerun_dead_jobs(uow)
            typer.echo(f"{count} dead jobs queued again.")
            return
        runner = Worker(container)

        def stop(signum: int, frame: FrameType | None) -> None:
            runner.request_stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if drain:
            done = runner.drain()
            typer.echo(f"{done} jobs and timers performed.")
        else:
            runner.run()
    finally:
        container.close()
