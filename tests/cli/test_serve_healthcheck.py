"""``pacetrack serve --workers N``: the supervisor's health-check time-out is a setting."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from pacetrack.cli import server_options
from pacetrack.settings import Settings


def _config(settings: Settings) -> uvicorn.Config:
    options = server_options(settings, host="127.0.0.1", port=8000, access_log=False)
    return uvicorn.Config("pacetrack.web.app:app_from_environment", factory=True, **options)


def test_the_health_check_time_out_is_30_seconds_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PACETRACK_SERVER_HEALTHCHECK_SECONDS", raising=False)
    default = _config(Settings(_env_file=None))  # type: ignore[call-arg]
    monkeypatch.setenv("PACETRACK_SERVER_HEALTHCHECK_SECONDS", "45")
    configured = _config(Settings(_env_file=None))  # type: ignore[call-arg]

    assert default.timeout_worker_healthcheck == 60
    assert configured.timeout_worker_healthcheck == 45
    monkeypatch.setenv("PACETRACK_SERVER_HEALTHCHECK_SECONDS", "0")
    with pytest.raises(ValueError, match="server_healthcheck_seconds"):
        Settings(_env_file=None)  # type: ignore[call-arg]


class _Output:
    """Collects a process's output lines on a thread, so a test can wait for one."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.decode(errors="replace"))

    def pids(self, pattern: str) -> list[int]:
        return [int(m) for line in list(self.lines) for m in re.findall(pattern, line)]

    def wait_for(self, pattern: str, count: int, seconds: float) -> list[int]:
        deadline = time.monotonic() + seconds
        while len(found := self.pids(pattern)) < count:
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.1)
        return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_server_process_paused_longer_than_uvicorns_default_is_kept(tmp_path: Path) -> None:
    """A server process stopped (SIGSTOP) for 7 s misses uvicorn's 5 s health check; with
    ``--healthcheck-timeout 30`` the supervisor waits for it and keeps it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PACETRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "PACETRACK_SERVER_HEALTHCHECK_SECONDS": "2",
    }
    command = [str(Path(sys.executable).parent / "pacetrack"), "serve", "--port", str(port)]
    command += ["--workers", "2", "--no-worker", "--no-access-log"]
    server = subprocess.Popen(
        [*command, "--healthcheck-timeout", "30"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = _Output(server)
    try:
        first, second = output.wait_for(r"Started server process \[(\d+)\]", 2, 120)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "".join(output.lines)
                time.sleep(0.2)
        os.kill(first, signal.SIGSTOP)
        time.sleep(7)  # the pause the child must outlive, not a wait for a result
        os.kill(first, signal.SIGCONT)
        # A child the supervisor gave up on would have been killed and reaped by now.
        assert _running(first) and _running(second)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
    assert "died" not in "".join(output.lines)
    assert output.pids(r"Started server process \[(\d+)\]") == [first, second]
