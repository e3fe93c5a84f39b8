"""Fixtures of the command-line tests."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pacetrack import cli
from pacetrack.bootstrap import Container


@pytest.fixture
def run(container: Container, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Runs ``pacetrack ARGS`` on the test database (wiped by ``container``)."""
    monkeypatch.setenv("PACETRACK_DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(cli.app, list(args), input=stdin)

    return invoke
