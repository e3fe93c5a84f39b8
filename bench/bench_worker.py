"""Timer figures: the due-timer query and firing lateness.

    PYTHONPATH=. .venv/bin/python bench/bench_worker.py [--full] [--sizes 10000,100000,200000]
        [--timers 1000] [--window 10] [--skip-query]

(Outbox throughput at steady state, wake-up latency and takeover are in
``bench_worker_steady.py``.)

1. Due-timer query (PostgreSQL): armed timers are inserted server-side with
   generate_series (items are minimal rows); for each size the due-timer query
   is timed (median of 20, with 100 due timers) and its plan printed. Baseline:
   the same query without the partial index. ``--full`` adds 1,000,000.
2. Firing lateness (real clock): ``--timers`` armed timers due evenly across a
   ``--window``-second window starting a few seconds ahead; one ``pacetrack
   worker`` with the default poll interval fires them; lateness = fired_at - due_at.
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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from tests.support.databases import fresh_postgres_database, migrated_database, wipe
from tests.worker.conftest import ONE_DAY_RULE, build_world

from pacetrack.adapters.clock import SystemClock
from pacetrack.bootstrap import Container, build
from pacetrack.db.migrate import upgrade
from pacetrack.db.session import make_engine
from pacetrack.db.tables_delivery import ARMED, Timer
from pacetrack.db.timers import due_query
from pacetrack.settings import Settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seed(engine, total: int) -> None:  # type: ignore[no-untyped-def]
    tenant, template, instance = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as c:
        c.execute(
            text("TRUNCATE timer, item, pipeline_instance, pipeline_template, tenant CASCADE")
        )
        c.execute(
            text("INSERT INTO tenant VALUES (:t,'B','b','UTC','[]','[]','[]',now())"), {"t": tenant}
        )
        c.execute(
            text(
                "INSERT INTO pipeline_template (tenant_id,id,name,description,"
                "created_at,updated_at) VALUES (:t,:p,'P','',now(),now())"
            ),
            {"t": tenant, "p": template},
        )
        c.execute(
            text(
                "INSERT INTO pipeline_instance (tenant_id,id,pipeline_template_id,name,status,"
                "created_at,updated_at) VALUES (:t,:i,:p,'I','active',now(),now())"
            ),
            {"t": tenant, "i": instance, "p": template},
        )
        c.execute(
            text(
                "INSERT INTO item (tenant_id,id,pipeline_instance_id,name,field_values,"
                "calculation_errors,assigned_account_ids,status,version,created_at,updated_at) "
                "SELECT :t, md5(g::text)::uuid, :i, 'x', '{}', '{}', '[]', 'active', 1,"
                " now(), now()"
                " FROM generate_series(1, :n) g"
            ),
            {"t": tenant, "i": instance, "n": total},
        )
        # 100 timers due now, the rest spread over the next year.
        c.execute(
            text(
                "INSERT INTO timer (tenant_id,id,item_id,step_id,history_id,rule_kind,rule_id,"
                "trigger,occurrence,entered_at,due_at,status,rule,created_at) "
                "SELECT :t, gen_random_uuid(), md5(g::text)::uuid, :i, gen_random_uuid(),"
                " 'notification', 'r', 'at_risk', 1, :now,"
                " CASE WHEN g <= 100 THEN :now - interval '1 minute'"
                " ELSE :now + (g % 525600) * interval '1 minute' END, 'armed', '{}', :now"
                " FROM generate_series(1, :n) g"
            ),
            {"t": tenant, "i": instance, "n": total, "now": NOW},
        )
        c.execute(text("ANALYZE timer"))


def time_query(engine, sql: str, params: dict) -> float:  # type: ignore[no-untyped-def]
    samples = []
    with engine.connect() as c:
        for _ in range(20):
            start = time.perf_counter()
            c.execute(text(sql), params).fetchall()
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def due_query_figures(sizes: Sequence[int]) -> None:
    with fresh_postgres_database("pacetrack_bench") as url:
        upgrade(url)
        engine = make_engine(url)
        statement = due_query(NOW, 200).compile(engine, compile_kwargs={"literal_binds": True})
        sql = str(statement)
        baseline = (
            "SELECT id FROM timer WHERE status = 'armed' AND due_at + interval '0' <= :now"
            " ORDER BY due_at LIMIT 200"
        )
        for size in sizes:
            started = time.perf_counter()
            seed(engine, size)
            seeded = time.perf_counter() - started
            with engine.connect() as c:
                plan = [row[0] for row in c.execute(text("EXPLAIN " + sql))]
            indexed = time_query(engine, sql, {})
            scan = time_query(engine, baseline, {"now": NOW})
            print(
                f"{size:>9} timers (seeded in {seeded:.1f} s): due-timer query {indexed:.2f} ms"
                f" | baseline without the index {scan:.2f} ms"
            )
            print("           plan: " + " / ".join(line.strip() for line in plan[:3]))
        engine.dispose()


# --- shared by the timer figures ------------------------------------------------------------

PACETRACK = str(Path(sys.executable).with_name("pacetrack"))


def container_for(url: str) -> Container:
    settings = Settings(database_url=url, embedded_worker=False, _env_file=None)  # type: ignore[call-arg]
    return build(settings, clock=SystemClock())


def worker_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACETRACK_")}
    env["PACETRACK_DATABASE_URL"] = url
    return env


def count(container: Container, statement: object) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(statement) or 0)  # type: ignore[call-overload]


# --- firing lateness --------------------------------------------------------------------------


def lateness(url: str, label: str, timers: int, window: float) -> None:
    container = container_for(url)
    try:
        wipe(container.engine)
        world = build_world(container, slug="late")
        world.add_step("Start", notifications=[ONE_DAY_RULE])
        world.move(world.add_item("Thing"), "Start")
        start = datetime.now(UTC) + timedelta(seconds=3)
        with container.uow() as uow:
            template = uow.session.scalars(select(Timer)).one()
            columns = {c.key: getattr(template, c.key) for c in Timer.__table__.columns}
            uow.session.execute(Timer.__table__.delete())
            rows = [
                {
                    **columns,
                    "id": uuid.uuid4(),
                    "occurrence": k + 1,
                    "due_at": start + timedelta(seconds=window * k / timers),
                }
                for k in range(timers)
            ]
            uow.session.execute(Timer.__table__.insert(), rows)
            uow.commit()
        process = subprocess.Popen(
            [PACETRACK, "worker"],
            env=worker_env(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + window + 120
        armed = select(func.count()).select_from(Timer).where(Timer.status == ARMED)
        try:
            while count(container, armed) and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        with container.uow() as uow:
            fired = uow.session.execute(select(Timer.due_at, Timer.fired_at)).all()
        late = sorted(
            (f.replace(tzinfo=UTC) if f.tzinfo is None else f)
            .__sub__(d.replace(tzinfo=UTC) if d.tzinfo is None else d)
            .total_seconds()
            for d, f in fired
            if f is not None
        )
        if len(late) != timers:
            raise SystemExit(f"{label}: {len(late)} of {timers} timers fired")
        p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
        print(
            f"{label:>10}: {timers} timers due over {window:.0f} s, one worker (poll 0.5 s):"
            f" lateness p50 {statistics.median(late):.2f} s, p99 {p99:.2f} s,"
            f" max {late[-1]:.2f} s"
        )
    finally:
        container.close()


def on_both(action: Callable[[str, str], None]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        for backend in ("sqlite", "postgresql"):
            with migrated_database(backend, Path(directory)) as url:
                action(url, backend)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,200000")
    parser.add_argument("--full", action="store_true", help="add 1,000,000 armed timers")
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--skip-query", action="store_true")
    args = parser.parse_args()
    if not args.skip_query:
        sizes = [int(s) for s in args.sizes.split(",")]
        due_query_figures(sizes + ([1_000_000] if args.full and 1_000_000 not in sizes else []))
    on_both(lambda url, label: lateness(url, label, args.timers, args.window))


if __name__ == "__main__":
    main()
