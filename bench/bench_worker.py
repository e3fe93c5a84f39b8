"""Timer and outbox figures on a scratch PostgreSQL database.

    .venv/bin/python bench/bench_worker.py [--sizes 10000,100000,1000000]

Armed timers are inserted server-side with generate_series (items are minimal
rows); for each size the due-timer query is timed (median of 20, with 100 due
timers) and its plan printed. Baseline: the same query without the partial index.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from tests.support.databases import fresh_postgres_database

from pacetrack.db.migrate import upgrade
from pacetrack.db.session import make_engine
from pacetrack.db.timers import due_query

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
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


if __name__ == "__main__":
    main()
