"""The worker at steady state: in-app notifications/s, enqueue-to-start latency, takeover.

    PYTHONPATH=. .venv/bin/python bench/bench_worker_steady.py [--jobs 10000] [--warmup 1000]
        [--latency-samples 200] [--takeovers 10] [--skip-throughput] [--skip-latency]
        [--skip-takeover]

1. In-app notifications/s, SQLite and PostgreSQL, 1 and 2 worker processes:
   ``--warmup`` + ``--jobs`` ``notification.fire`` jobs (in-app channel, one
   recipient, as a real move produces them) are queued, then ``pacetrack worker
   --drain`` processes perform them. The figure is measured from the jobs' own
   ``done_at``: from the first job settled after the warm-up to the last, so
   process start and warm-up are excluded. Beside it, in the same run and
   measured the same way, as many processes of a bare loop that claims a batch,
   then inserts one notification (with its history row) per job and completes
   the batch in one transaction.
2. Enqueue-to-start latency (PostgreSQL): one idle ``pacetrack worker`` (poll
   0.5 s, woken by LISTEN/NOTIFY); jobs are enqueued one at a time, and each
   job's start is the time its notification history row was written. Beside
   it: a bare NOTIFY-to-LISTEN round trip between two connections.
3. Takeover after SIGKILL (both databases): two idle workers with the default
   10 s lease; webhook deliveries to a loopback receiver that holds each first
   request unanswered; the worker holding them is SIGKILLed and the figure is the
   time until each delivery reaches the receiver again from the other worker.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import func, select, tuple_, update
from tests.support.databases import migrated_database, wipe
from tests.support.deliveries import queue_deliveries
from tests.support.webhook_receiver import ReceivedRequest, Reply, WebhookReceiver
from tests.worker.conftest import World, build_world

from pacetrack.adapters.clock import SystemClock
from pacetrack.bootstrap import Container, build
from pacetrack.db import outbox
from pacetrack.db.tables_delivery import DONE, Notification, NotificationLog, Outbox
from pacetrack.settings import Settings

PACETRACK = str(Path(sys.executable).with_name("pacetrack"))
IN_APP_RULE = {
    "id": "entered",
    "trigger": "on_enter",
    "recipients": [{"type": "owner"}],
    "channels": ["in_app"],
}


def container_for(url: str) -> Container:
    settings = Settings(database_url=url, embedded_worker=False, _env_file=None)  # type: ignore[call-arg]
    return build(settings, clock=SystemClock())


def worker_env(url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACETRACK_")}
    env["PACETRACK_DATABASE_URL"] = url
    env.update({f"PACETRACK_{name.upper()}": value for name, value in settings.items()})
    return env


def notification_world(container: Container) -> tuple[World, dict[str, object]]:
    """A tenant whose step notifies the owner in the app, and the job payload a move makes."""
    wipe(container.engine)
    world = build_world(container, slug="bench")
    world.add_step("Start", notifications=[IN_APP_RULE])
    world.move(world.add_item("Thing"), "Start")
    with container.uow() as uow:
        (payload,) = uow.session.scalars(select(Outbox.payload))
        uow.session.execute(Outbox.__table__.delete())
        uow.commit()
    return world, payload


def seed_jobs(container: Container, world: World, payload: dict[str, object], jobs: int) -> None:
    with container.uow() as uow:
        uow.session.execute(NotificationLog.__table__.delete())
        uow.session.execute(Outbox.__table__.delete())
        now = uow.clock.now()
        rows = [
            {
                "tenant_id": world.tenant_id,
                "id": uuid.uuid4(),
                "kind": "notification.fire",
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "available_at": now,
                "created_at": now + timedelta(microseconds=n),
            }
            for n in range(jobs)
        ]
        for start in range(0, jobs, 2000):
            uow.session.execute(Outbox.__table__.insert(), rows[start : start + 2000])
        uow.commit()


def run_processes(commands: list[list[str]], env: dict[str, str]) -> None:
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for command in commands
    ]
    for process in processes:
        _out, err = process.communicate(timeout=4 * 3600)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(process.args)} failed: {err.decode()[-2000:]}")


def steady_rate(container: Container, warmup: int, jobs: int) -> tuple[float, float]:
    """(jobs/s, seconds) from the first job settled after the warm-up to the last."""
    with container.uow() as uow:
        done = sorted(
            uow.session.scalars(select(Outbox.done_at).where(Outbox.status == DONE)).all()
        )
    if len(done) != warmup + jobs:
        raise SystemExit(f"{len(done)} of {warmup + jobs} jobs done")
    seconds = (done[-1] - done[warmup]).total_seconds()
    return (jobs - 1) / seconds, seconds


def baseline_child(url: str, account_id: str) -> None:
    """Claims a batch, inserts one notification (and its history row) per job and
    completes the batch, in one transaction; until nothing is due."""
    container = container_for(url)
    worker_id = f"baseline:{os.getpid()}"
    account = uuid.UUID(account_id)
    try:
        while True:
            with container.uow() as uow:
                now = container.clock.now()
                jobs = outbox.claim(
                    uow.session,
                    worker_id=worker_id,
                    now=now,
                    lease_until=now + timedelta(seconds=10),
                    limit=container.settings.worker_batch_size,
                )
                if not jobs:
                    return
                logs = [
                    {
                        "tenant_id": job.tenant_id,
                        "id": job.id,
                        "item_id": uuid.UUID(str(job.payload["item_id"])),
                        "step_id": uuid.UUID(str(job.payload["step_id"])),
                        "rule_id": "entered",
                        "trigger": "on_enter",
                        "subject": "Thing entered Start",
                        "body": "",
                        "recipients": [account_id],
                        "triggered_at": now,
                        "created_at": now,
                    }
                    for job in jobs
                ]
                uow.session.execute(NotificationLog.__table__.insert(), logs)
                uow.session.execute(
                    Notification.__table__.insert(),
                    [
                        {
                            "tenant_id": log["tenant_id"],
                            "id": uuid.uuid4(),
                            "account_id": account,
                            "log_id": log["id"],
                            "item_id": log["item_id"],
                            "trigger": "on_enter",
                            "subject": log["subject"],
                            "body": "",
                            "created_at": now,
                        }
                        for log in logs
                    ],
                )
                uow.session.execute(
                    update(Outbox)
                    .where(
                        tuple_(Outbox.tenant_id, Outbox.id).in_([(j.tenant_id, j.id) for j in jobs])
                    )
                    .values(
                        status=DONE,
                        done_at=container.clock.now(),
                        locked_by=None,
                        locked_until=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                uow.commit()
    finally:
        container.close()


def throughput(
    url: str, label: str, warmup: int, jobs: int, counts: list[int], baseline_only: bool
) -> None:
    container = container_for(url)
    env = worker_env(url)
    try:
        world, payload = notification_world(container)
        owner = str(world.accounts["owner"])
        for processes in counts:
            if baseline_only:
                seed_jobs(container, world, payload, warmup + jobs)
                child = [sys.executable, __file__, "--baseline-child", url, owner]
                run_processes([child] * processes, env)
                base, base_seconds = steady_rate(container, warmup, jobs)
                print(
                    f"{label:>10}, {processes} process(es): bare claim-insert-complete loop:"
                    f" {base:7.0f} jobs/s ({jobs} after {warmup} warm-up in {base_seconds:.1f} s)",
                    flush=True,
                )
                continue
            seed_jobs(container, world, payload, warmup + jobs)
            run_processes([[PACETRACK, "worker", "--drain"]] * processes, env)
            with container.uow() as uow:
                stored = uow.session.scalar(select(func.count()).select_from(Notification))
            if stored != warmup + jobs:
                raise SystemExit(f"{label}: {stored} notifications for {warmup + jobs} jobs")
            rate, seconds = steady_rate(container, warmup, jobs)
            with container.uow() as uow:
                uow.session.execute(Notification.__table__.delete())
                uow.commit()
            seed_jobs(container, world, payload, warmup + jobs)
            child = [sys.executable, __file__, "--baseline-child", url, owner]
            run_processes([child] * processes, env)
            base, base_seconds = steady_rate(container, warmup, jobs)
            with container.uow() as uow:
                uow.session.execute(Notification.__table__.delete())
                uow.commit()
            print(
                f"{label:>10}, {processes} worker process(es): {rate:7.0f} in-app notifications/s"
                f" ({jobs} after {warmup} warm-up in {seconds:.1f} s)"
                f" | bare claim-insert-complete loop: {base:7.0f} jobs/s ({base_seconds:.1f} s);"
                f" {rate / base:.0%} of it",
                flush=True,
            )
    finally:
        container.close()


def started_worker(env: dict[str, str], label: str) -> subprocess.Popen[bytes]:
    """A ``pacetrack worker`` that is up and polling (its start is never timed)."""
    log = Path(tempfile.mkdtemp()) / "worker.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [PACETRACK, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    deadline = time.monotonic() + 300
    while "started" not in log.read_text():
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"{label}: a worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return process


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def notify_round_trips(url: str, samples: int) -> list[float]:
    """Seconds from a committed NOTIFY to a listening connection receiving it."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as listener, psycopg.connect(dsn) as sender:
        listener.execute("LISTEN bench_round_trip")
        seconds = []
        for _ in range(samples):
            sender.execute("NOTIFY bench_round_trip")
            started = time.perf_counter()
            sender.commit()
            while not list(listener.notifies(timeout=5, stop_after=1)):
                pass
            seconds.append(time.perf_counter() - started)
            time.sleep(0.01)
    return seconds


def latency(url: str, samples: int) -> None:
    container = container_for(url)
    world, payload = notification_world(container)
    process = subprocess.Popen(
        [PACETRACK, "worker"],
        env=worker_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    waits: list[float] = []
    try:
        for n in range(samples + 5):
            with container.uow() as uow:
                job_id = outbox.enqueue(
                    uow.session,
                    tenant_id=world.tenant_id,
                    kind="notification.fire",
                    payload=payload,
                    now=uow.clock.now(),
                )
                uow.commit()
            committed = datetime.now(UTC)
            deadline = time.monotonic() + 300
            while True:
                with container.uow() as uow:
                    started = uow.session.scalar(
                        select(NotificationLog.created_at).where(NotificationLog.id == job_id)
                    )
                if started is not None:
                    break
                if process.poll() is not None:
                    raise SystemExit(f"the worker stopped with exit code {process.returncode}")
                if time.monotonic() > deadline:
                    raise SystemExit("the worker did not start the job within 300 s")
                time.sleep(0.005)
            if n >= 5:  # the first jobs warm the worker's connections and caches
                started = started if started.tzinfo else started.replace(tzinfo=UTC)
                waits.append((started - committed).total_seconds())
            time.sleep(0.6)  # idle again: longer than the poll interval
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        container.close()
    base = notify_round_trips(url, samples)
    print(
        f"postgresql: enqueue-to-start, one idle worker, {samples} jobs one at a time:"
        f" p50 {statistics.median(waits) * 1000:.1f} ms,"
        f" p99 {percentile(waits, 0.99) * 1000:.1f} ms"
        f" | bare NOTIFY-to-LISTEN round trip: p50 {statistics.median(base) * 1000:.1f} ms,"
        f" p99 {percentile(base, 0.99) * 1000:.1f} ms",
        flush=True,
    )


def takeover(url: str, label: str, samples: int) -> None:
    container = container_for(url)
    wipe(container.engine)
    seen: set[str | None] = set()

    def hold_first(request: ReceivedRequest) -> Reply:
        webhook_id = request.header("webhook-id")
        if webhook_id in seen:
            return Reply.ok()
        seen.add(webhook_id)
        return Reply.hang()

    env = worker_env(url)

    def spawn() -> subprocess.Popen[bytes]:
        return started_worker(env, label)

    waits: list[float] = []
    with WebhookReceiver() as receiver:
        receiver.respond_with(hold_first)
        workers = {process.pid: process for process in (spawn(), spawn())}
        try:
            for _ in range(samples):
                before = len(receiver.requests)
                ids = queue_deliveries(container, receiver.url, 4)
                receiver.wait_for(before + 4, timeout=120)
                with container.uow() as uow:
                    holders = set(
                        uow.session.scalars(select(Outbox.locked_by).where(Outbox.id.in_(ids)))
                    )
                if len(holders) != 1 or None in holders:
                    raise SystemExit(f"{label}: the deliveries are held by {holders}")
                pid = int(str(holders.pop()).split(":")[1])
                killed = datetime.now(UTC)
                workers.pop(pid).send_signal(signal.SIGKILL)
                again = receiver.wait_for(before + 8, timeout=120)[before + 4 :]
                waits += [(r.received_at - killed).total_seconds() for r in again]
                replacement = spawn()
                workers[replacement.pid] = replacement
        finally:
            for process in workers.values():
                process.send_signal(signal.SIGKILL)
                process.wait(30)
    container.close()
    print(
        f"{label:>10}: takeover after SIGKILL, {samples} kills, {len(waits)} deliveries"
        f" (lease 10 s, heartbeat every 3.3 s): p50 {statistics.median(waits):.1f} s,"
        f" p99 {percentile(waits, 0.99):.1f} s, max {max(waits):.1f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=1_000)
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--takeovers", type=int, default=10)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-takeover", action="store_true")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--processes", default="1,2", help="worker processes, e.g. 1,2")
    parser.add_argument("--baseline-only", action="store_true")
    parser.add_argument(
        "--baseline-child", nargs=2, metavar=("URL", "ACCOUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.baseline_child:
        baseline_child(*args.baseline_child)
        return
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory() as directory:
        for backend in backends:
            (Path(directory) / backend).mkdir()
            with migrated_database(backend, Path(directory) / backend) as url:
                if not args.skip_throughput:
                    counts = [int(n) for n in args.processes.split(",")]
                    throughput(url, backend, args.warmup, args.jobs, counts, args.baseline_only)
                if backend == "postgresql" and not args.skip_latency:
                    latency(url, args.latency_samples)
                if not args.skip_takeover:
                    takeover(url, backend, args.takeovers)


if __name__ == "__main__":
    main()
