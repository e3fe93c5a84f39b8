"""A worker killed between sending a webhook and recording it loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.automations.support import Scene, webhook_step
from tests.services.moves_support import StepDef
from tests.support.webhook_receiver import Reply

LEASE_SECONDS = "2"


def _start_worker(database_url: str, directory: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PACETRACK_DATABASE_URL": database_url,
        "PACETRACK_WORKER_LEASE_SECONDS": LEASE_SECONDS,
        "PACETRACK_WORKER_POLL_SECONDS": "0.1",
    }
    env.pop("PACETRACK_SMTP_HOST", None)
    pacetrack = Path(sys.executable).with_name("pacetrack")
    return subprocess.Popen(
        [str(pacetrack), "worker"],
        cwd=directory,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _poll(condition, *, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigkill_between_sending_and_recording_resends_the_same_webhook_id(
    scene: Scene, database_url: str, tmp_path: Path
) -> None:
    scene.receiver.reply_with(Reply.hang())  # the first request is held until the kill
    pipeline = scene.pipeline([StepDef(name="A"), webhook_step("B", "ping", scene.url(), {})])
    item = scene.create_item(pipeline, "Crash")
    scene.move(item["id"], pipeline.step("B"))

    first = _start_worker(database_url, tmp_path)
    try:
        [held] = scene.receiver.wait_for(1, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    [run] = scene.runs(automation_id="ping")
    assert run.delivery_id is not None
    assert scene.attempts(run.delivery_id) == []  # sent, never recorded

    second = _start_worker(database_url, tmp_path)
    try:
        _poll(
            lambda: scene.runs(automation_id="ping")[0].status == "succeeded",
            timeout=30,
            what="the second worker to deliver",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    requests = scene.receiver.requests
    assert len(requests) == 2
    assert {r.header("webhook-id") for r in requests} == {str(run.delivery_id)}
    assert held.body == requests[1].body
    [attempt] = scene.attempts(run.delivery_id)
    assert (attempt.attempt, attempt.response_status, attempt.outcome) == (1, 200, "succeeded")
    assert scene.job(run.delivery_id).status == "done"
