"""The ``pacetrack`` command against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from pacetrack import cli
from pacetrack.bootstrap import Container
from pacetrack.db.tables import ApiToken
from tests.support.databases import fresh_postgres_database
from tests.support.live_app import wait_until_healthy


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tenant_account_and_token_from_the_command_line_work_against_the_api(
    run: Any, client: TestClient
) -> None:
    tenant = run(
        "tenant", "create", "--name", "Acme", "--slug", "acme", "--time-zone", "Europe/Berlin"
    )
    account = run(
        "account", "create", "--tenant", "acme", "--email", "Ada@Acme.example",
        "--username", "ada", "--password-stdin", "--role", "admin", "--role", "manager",
        stdin="a long password\n",
    )  # fmt: skip
    token = run(
        "token", "create", "--tenant", "acme", "--login", "ada", "--name", "ci", "--days", "7"
    )

    assert tenant.exit_code == 0, tenant.output
    assert account.exit_code == 0, account.output
    assert token.exit_code == 0, token.output
    assert "Expires" in token.stderr
    me = client.get("/api/account/me", headers=bearer(token.stdout.strip()))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "ada@acme.example"
    assert me.json()["roles"] == ["admin", "manager"]
    login = client.post(
        "/api/auth/login",
        json={"tenant": "acme", "login": "ada", "password": "a long password"},
    )
    assert login.status_code == 200


def test_a_command_line_token_expires_in_90_days_unless_told_otherwise(
    run: Any, container: Container
) -> None:
    run("tenant", "create", "--name", "Acme", "--slug", "acme")
    run("account", "create", "--tenant", "acme", "--email", "a@acme.example", "--username", "a")

    default = run("token", "create", "--tenant", "acme", "--login", "a", "--name", "default")
    forever = run("token", "create", "--tenant", "acme", "--login", "a", "--name", "forever",
                  "--no-expiry")  # fmt: skip

    assert default.exit_code == 0 and forever.exit_code == 0, default.output + forever.output
    with container.uow() as uow:
        expiry = {row.name: row.expires_at for row in uow.session.scalars(select(ApiToken))}
    assert expiry["forever"] is None and "never expires" in forever.stderr
    expires = expiry["default"]
    assert expires is not None
    # The command runs on the real clock.
    left = expires.replace(tzinfo=expires.tzinfo or UTC) - datetime.now(UTC)
    assert timedelta(days=89, hours=23) < left <= timedelta(days=90)


def test_bad_input_exits_non_zero_naming_the_problem(run: Any) -> None:
    bad_slug = run("tenant", "create", "--name", "X", "--slug", "Not A Slug")
    run("tenant", "create", "--name", "Acme", "--slug", "acme")
    twice = run("tenant", "create", "--name", "Acme", "--slug", "acme")
    unknown_role = run(
        "account", "create", "--tenant", "acme", "--email", "a@acme.example",
        "--username", "a", "--role", "boss",
    )  # fmt: skip
    unknown_tenant = run(
        "account", "create", "--tenant", "nope", "--email", "a@acme.example", "--username", "a"
    )
    unknown_login = run("token", "create", "--tenant", "acme", "--login", "ghost")

    assert bad_slug.exit_code == 1 and "slug" in bad_slug.output
    assert twice.exit_code == 1 and "exists already" in twice.output
    assert (
        unknown_role.exit_code == 1
        and "roles[0]: the tenant has no role named “boss”" in unknown_role.output
    )
    assert unknown_tenant.exit_code == 1 and "No tenant" in unknown_tenant.output
    assert unknown_login.exit_code == 1 and "No account “ghost”" in unknown_login.output


def test_demo_creates_the_use_case_people_once(run: Any, client: TestClient) -> None:
    first = run("demo", "--password", "demo password")
    second = run("demo", "--password", "demo password")

    assert first.exit_code == 0, first.output
    assert "29 accounts and 9 groups created" in first.output
    assert second.exit_code == 0, second.output
    assert "0 accounts and 0 groups created" in second.output
    token = client.post(
        "/api/auth/login",
        json={"tenant": "demo", "login": "physician_1", "password": "demo password"},
    ).json()["token"]
    accounts = client.get("/api/account/list", headers=bearer(token)).json()
    groups = client.get("/api/account-group/list", headers=bearer(token)).json()
    by_id = {account["id"]: account for account in accounts}
    members = {g["name"]: sorted(by_id[i]["username"] for i in g["member_ids"]) for g in groups}
    roles = {account["username"]: account["roles"] for account in accounts}
    assert len(accounts) == 29
    assert roles["physician_1"] == ["member", "physician"]
    assert roles["sales_manager"] == ["manager", "member"]
    assert roles["admin"] == ["admin", "member"]
    assert members["sdr_team"] == ["sdr_1", "sdr_2"]
    assert members["engineering_interviewers"] == ["eng_1", "eng_2", "eng_3"]
    assert members["physicians"] == ["physician_1", "physician_2"]
    assert len(members) == 9


def test_serve_on_sqlite_migrates_a_new_database_and_no_worker_turns_the_worker_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Any] = []
    monkeypatch.setenv("PACETRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append((app, options)))

    result = CliRunner().invoke(cli.app, ["serve", "--no-worker", "--port", "8123"])

    assert result.exit_code == 0, result.output
    app, options = served[0]
    assert options["port"] == 8123
    assert app.state.container.settings.embedded_worker is False
    current, expected = cli.pending_migrations(f"sqlite:///{tmp_path / 'new.db'}")
    assert current == expected


def test_serve_on_postgresql_refuses_a_schema_that_is_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fresh_postgres_database("pacetrack_cli") as url:
        monkeypatch.setenv("PACETRACK_DATABASE_URL", url)
        monkeypatch.setattr("uvicorn.run", lambda app, **options: pytest.fail("served"))

        result = CliRunner().invoke(cli.app, ["serve"])

        assert result.exit_code == 1
        assert "pacetrack db upgrade" in result.output


def test_serve_with_workers_runs_processes_that_answer_the_api(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PACETRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    command = [str(Path(sys.executable).parent / "pacetrack"), "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "2", "--no-worker", "--no-access-log"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(server, base)
        answer = httpx.get(f"{base}/api/item/list")
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/problem+json")
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
    output = server.stdout.read().decode()  # type: ignore[union-attr]
    assert output.count("Started server process") == 2, output
