"""Medical use case: a daily post-op assessment reminder to the assignees, none after discharge.

The patient is assigned and moved over ``/api/item/*``; the worker runs
in-process on the injected clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from tests.services.moves_support import StepDef
from tests.worker.office import Office, open_office

DAILY_POST_OP = {
    "id": "daily_post_op_assessment",
    "trigger": "on_duration",
    "duration_days": 1,
    "repeat_every_days": 1,
    "recipients": [{"type": "assignees"}],
    "template": "daily_post_op_assessment",
}


@pytest.fixture
def ward(container: Container, client: TestClient, clock: FrozenClock) -> Office:
    office = open_office(container, client, clock, slug="ward", fields=())
    office.build(
        [
            StepDef(name="Surgery"),
            StepDef(name="Post-Op Recovery", config={"notifications": [DAILY_POST_OP]}),
            StepDef(name="Discharged"),
        ]
    )
    return office


def reminders(ward: Office, username: str) -> list[str]:
    """The day lines of the reminders, oldest first (assignment notices are left out)."""
    return [
        n["body"].split(":")[0]
        for n in reversed(ward.inbox(username))
        if n["trigger"] == "on_duration"
    ]


def test_three_days_in_post_op_send_three_reminders_to_the_assignees_and_none_after_discharge(
    ward: Office,
) -> None:
    patient = ward.create("Patient 7", owner="ada")
    ward.assign(patient, "physician_1", "physician_2")
    # New patients start at the first step, Surgery.
    ward.move(patient, "Post-Op Recovery")
    ward.work()
    for _day in range(3):
        ward.advance(timedelta(days=1))
    ward.move(patient, "Discharged")
    ward.advance(timedelta(days=5))

    expected = [f"Day {day} in Post-Op Recovery" for day in (1, 2, 3)]
    for username in ("physician_1", "physician_2"):
        assert reminders(ward, username) == expected
        assert {n["subject"] for n in ward.inbox(username)} == {
            "Daily post-op assessment: Patient 7",
            "Assigned to you: Patient 7",
        }
    assert ward.inbox("owner") == [] and ward.inbox("ada") == []


def test_reminders_go_to_whoever_is_assigned_when_they_fire(ward: Office) -> None:
    patient = ward.create("Patient 8", owner="ada")
    ward.assign(patient, "physician_1")
    ward.move(patient, "Post-Op Recovery")
    ward.advance(timedelta(days=1))
    ward.assign(patient, "physician_2")
    ward.advance(timedelta(days=1))
    assert reminders(ward, "physician_1") == ["Day 1 in Post-Op Recovery"]
    assert reminders(ward, "physician_2") == ["Day 2 in Post-Op Recovery"]
