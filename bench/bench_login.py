"""Login latency through the real app, beside baselines measured in the same run.

    PYTHONPATH=.:src .venv/bin/python bench/bench_login.py [--logins 200]

For SQLite (a file) and PostgreSQL (a scratch database on 127.0.0.1:5432, or
``PACETRACK_TEST_DATABASE_URL``), one client calling the application built by
``web.app.create_app`` in process (the routes, services, unit of work and
database of ``pacetrack serve``, without the network):

- ``POST /api/auth/login`` with the right password: tenant and account read,
  throttle check, one argon2id verification at PaceTrack's parameters, token
  and audit rows written, one commit;
- a throttled ``POST /api/auth/login`` (another account, locked by five failures:
  ``login_lock_failures`` is 5 here so that the lock outlasts the run): refused with
  429 before any password check;
- baselines: ``GET /healthz`` through the same client (the HTTP stack alone), and
  one argon2id verification at PaceTrack's parameters and at argon2-cffi's
  library defaults (what a login cost before), measured directly.

Each kind of sample is taken in alternating rounds, so all see the same machine load.
Target: login p50 < 150 ms.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from tests.support.databases import fresh_postgres_database, sqlite_url

from pacetrack.adapters import passwords
from pacetrack.adapters.clock import SystemClock
from pacetrack.bootstrap import build
from pacetrack.db.migrate import upgrade
from pacetrack.services.tenants import AccountSpec, create_account_with_token, create_tenant
from pacetrack.settings import Settings
from pacetrack.web.app import create_app

PASSWORD = "a long bench password"
ROUNDS = 10


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(action: Callable[[], object], count: int, into: list[float]) -> None:
    for _ in range(count):
        started = time.perf_counter()
        action()
        into.append((time.perf_counter() - started) * 1000)


def figures(samples: list[float]) -> str:
    return f"p50 {percentile(samples, 0.50):7.1f} ms  p99 {percentile(samples, 0.99):7.1f} ms"


def measure(name: str, url: str, logins: int) -> None:
    settings = Settings(
        database_url=url,
        embedded_worker=False,
        login_lock_failures=5,
        _env_file=None,  # type: ignore[call-arg]
    )
    container = build(settings, clock=SystemClock())
    slug = f"bench-{uuid.uuid4().hex[:6]}"
    with container.uow() as uow:
        create_tenant(uow, name="Bench", slug=slug)
    for username in ("bench", "guessed"):
        with container.uow() as uow:
            create_account_with_token(
                uow,
                tenant_slug=slug,
                spec=AccountSpec(
                    email=f"{username}@bench.example", username=username, password=PASSWORD
                ),
                token_ttl=None,
            )
    good = {"tenant": slug, "login": "bench", "password": PASSWORD}
    wrong = {"tenant": slug, "login": "guessed", "password": "not it"}
    new_hash = passwords.hash_password(PASSWORD)
    library_defaults = PasswordHasher()
    old_hash = library_defaults.hash(PASSWORD)

    def login() -> None:
        assert client.post("/api/auth/login", json=good).status_code == 200

    def throttled() -> None:
        assert client.post("/api/auth/login", json=wrong).status_code == 429

    def healthz() -> None:
        assert client.get("/healthz").status_code == 200

    samples: dict[str, list[float]] = {
        key: [] for key in ("login", "throttled", "healthz", "verify", "verify_defaults")
    }
    with TestClient(create_app(container)) as client:
        for _ in range(5):
            assert client.post("/api/auth/login", json=wrong).status_code == 401
        timed(login, 5, [])
        timed(healthz, 20, [])
        per_round = max(1, logins // ROUNDS)
        for _ in range(ROUNDS):
            timed(login, per_round, samples["login"])
            timed(throttled, per_round, samples["throttled"])
            timed(healthz, per_round, samples["healthz"])
            timed(
                lambda: passwords.verify_password(new_hash, PASSWORD), per_round, samples["verify"]
            )
            timed(
                lambda: library_defaults.verify(old_hash, PASSWORD),
                per_round,
                samples["verify_defaults"],
            )
    container.close()

    print(
        f"{name:<11} POST /api/auth/login           {figures(samples['login'])}  "
        "(target p50 < 150 ms)"
    )
    print(f"{'':<11} throttled login (429)          {figures(samples['throttled'])}")
    print(f"{'':<11} baseline GET /healthz          {figures(samples['healthz'])}")
    print(
        f"{'':<11} baseline argon2id verify, m={passwords.MEMORY_KIB},t={passwords.TIME_COST},"
        f"p={passwords.PARALLELISM}: {figures(samples['verify'])}"
    )
    print(
        f"{'':<11} baseline argon2id verify, library defaults m={library_defaults.memory_cost},"
        f"t={library_defaults.time_cost},p={library_defaults.parallelism}: "
        f"{figures(samples['verify_defaults'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=200)
    options = parser.parse_args()
    print(
        f"Configuration: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; one client, "
        f"in-process ASGI (fastapi.testclient); {options.logins} samples of each kind"
    )
    with tempfile.TemporaryDirectory() as scratch:
        url = sqlite_url(Path(scratch))
        upgrade(url)
        measure("SQLite", url, options.logins)
    with fresh_postgres_database("pacetrack_bench") as url:
        upgrade(url)
        measure("PostgreSQL", url, options.logins)


if __name__ == "__main__":
    main()
