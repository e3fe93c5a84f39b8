"""Preferences per trigger kind and channel, and the daily email digest, through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from tests.services.moves_support import StepDef
from tests.worker.conftest import Inbox
from tests.worker.office import Office, open_office

ENTERED = {
    "id": "entered",
    "trigger": "on_enter",
    "recipients": [{"type": "owner"}, {"type": "user", "id": "sales_manager"}],
}
LEFT = {"id": "left", "trigger": "on_exit", "recipients": [{"type": "owner"}]}


@pytest.fixture
def office(container: Container, client: TestClient, clock: FrozenClock) -> Office:
    office = open_office(container, client, clock)
    office.build(
        [
            StepDef(name="Lead"),
            StepDef(name="Review", config={"notifications": [ENTERED, LEFT]}),
            StepDef(name="Done"),
        ]
    )
    return office


def mail_to(inbox: Inbox, username: str) -> list[Any]:
    return [m for m in inbox.messages if m["To"] == f"{username}@office.example"]


def test_preferences_default_to_every_channel_on_and_no_digest(office: Office) -> None:
    response = office.client.get("/api/notification/preferences", headers=office.headers("owner"))
    assert response.status_code == 200
    body = response.json()
    assert body["email_digest"] == "off"
    assert set(body["channels"]) == {
        "on_enter",
        "on_exit",
        "on_duration",
        "at_risk",
        "on_field_change",
        "assigned",
        "assignment_unresolved",
        "approval_requested",
        "approval_decided",
    }
    assert all(
        switches == {"in_app": True, "email": True} for switches in body["channels"].values()
    )


def test_setting_preferences_changes_only_what_is_given_and_get_reads_them_back(
    office: Office,
) -> None:
    office.preferences("owner", {"channels": {"on_enter": {"email": False}}})
    office.preferences("owner", {"channels": {"on_enter": {"in_app": False}}})
    office.preferences("owner", {"email_digest": "daily"})
    body = office.client.get(
        "/api/notification/preferences", headers=office.headers("owner")
    ).json()
    assert body["channels"]["on_enter"] == {"in_app": False, "email": False}
    assert body["channels"]["on_exit"] == {"in_app": True, "email": True}
    assert body["email_digest"] == "daily"
    others = office.client.get(
        "/api/notification/preferences", headers=office.headers("sales_manager")
    ).json()
    assert others["channels"]["on_enter"] == {"in_app": True, "email": True}
    assert others["email_digest"] == "off"


def test_in_app_off_for_a_trigger_kind_stores_no_row_for_that_kind_only(
    office: Office, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    office.use_smtp(port)
    office.preferences("owner", {"channels": {"on_enter": {"in_app": False}}})
    item = office.create("Acme")
    office.move(item, "Review")
    office.move(item, "Done")
    office.work()

    assert [n["trigger"] for n in office.inbox("owner")] == ["on_exit"]
    assert [n["trigger"] for n in office.inbox("sales_manager")] == ["on_enter"]
    # Email for on_enter is still on, so the owner gets both emails.
    assert sorted(m["Subject"] for m in mail_to(inbox, "owner")) == [
        "Acme entered Review",
        "Acme left Review",
    ]
    entered = next(e for e in office.history() if e["trigger"] == "on_enter")
    owner_in_app = next(
        o
        for o in entered["outcomes"]
        if o["account_id"] == str(office.id("owner")) and o["channel"] == "in_app"
    )
    assert owner_in_app["status"] == "off"


def test_email_off_for_a_trigger_kind_sends_no_email_for_that_kind(
    office: Office, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    office.use_smtp(port)
    office.preferences("owner", {"channels": {"on_enter": {"email": False}}})
    item = office.create("Acme")
    office.move(item, "Review")
    office.move(item, "Done")
    office.work()

    assert [m["Subject"] for m in mail_to(inbox, "owner")] == ["Acme left Review"]
    assert [m["Subject"] for m in mail_to(inbox, "sales_manager")] == ["Acme entered Review"]
    assert sorted(n["trigger"] for n in office.inbox("owner")) == ["on_enter", "on_exit"]


def test_daily_digest_sends_no_immediate_email_then_one_email_a_day_listing_them(
    office: Office, smtp: tuple[Inbox, int], clock: FrozenClock
) -> None:
    inbox, port = smtp
    office.use_smtp(port)
    assert clock.now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    office.preferences("owner", {"email_digest": "daily"})
    first, second = office.create("Acme"), office.create("Globex")
    office.move(first, "Review")
    office.move(second, "Review")
    office.work()
    assert mail_to(inbox, "owner") == []
    assert len(mail_to(inbox, "sales_manager")) == 2
    assert len(office.inbox("owner")) == 2

    # 07:59 next morning: not yet; 08:00 (UTC tenant): the digest.
    office.advance(timedelta(hours=22, minutes=59))
    assert mail_to(inbox, "owner") == []
    office.advance(timedelta(minutes=1))
    (digest,) = mail_to(inbox, "owner")
    assert digest["Subject"] == "PaceTrack daily digest: 2 notifications"
    text = digest.get_payload(decode=True).decode()
    assert "- Acme entered Review" in text and "- Globex entered Review" in text

    # Later that day one more; the next morning's digest lists only that one.
    office.advance(timedelta(hours=3))
    office.move(first, "Done")
    office.work()
    assert len(mail_to(inbox, "owner")) == 1
    office.advance(timedelta(hours=21))
    assert len(mail_to(inbox, "owner")) == 2
    latest = mail_to(inbox, "owner")[-1]
    assert latest["Subject"] == "PaceTrack daily digest: 1 notifications"
    latest_text = latest.get_payload(decode=True).decode()
    assert "- Acme left Review" in latest_text and "Globex" not in latest_text

    # A day with nothing queued sends nothing; the chain keeps going.
    office.advance(timedelta(days=1))
    assert len(mail_to(inbox, "owner")) == 2
    digested = [
        o
        for entry in office.history()
        for o in entry["outcomes"]
        if o["account_id"] == str(office.id("owner")) and o["channel"] == "email"
    ]
    assert [o["status"] for o in digested] == ["sent"] * 3
    assert all(o["reason"] == "in the daily digest" for o in digested)


def test_turning_the_digest_off_sends_emails_immediately_again(
    office: Office, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    office.use_smtp(port)
    office.preferences("owner", {"email_digest": "daily"})
    office.preferences("owner", {"email_digest": "off"})
    office.move(office.create("Acme"), "Review")
    office.work()
    assert [m["Subject"] for m in mail_to(inbox, "owner")] == ["Acme entered Review"]
    office.advance(timedelta(days=2))
    assert len(mail_to(inbox, "owner")) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": {"on_teleport": {"email": False}}}, "channels.on_teleport"),
        ({"channels": {"on_enter": {"sms": True}}}, "channels.on_enter.sms"),
        ({"channels": {"on_enter": {"email": "sometimes"}}}, "channels.on_enter.email"),
        ({"email_digest": "weekly"}, "email_digest"),
        ({"email_digest": "daily", "quiet_hours": True}, "quiet_hours"),
        ({"channels": ["on_enter"]}, "channels"),
    ],
)
def test_bad_preferences_answer_422_naming_the_field(
    office: Office, body: dict[str, Any], field: str
) -> None:
    response = office.client.post(
        "/api/notification/preferences", json=body, headers=office.headers("owner")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith(field) for f in fields), fields
    unchanged = office.client.get(
        "/api/notification/preferences", headers=office.headers("owner")
    ).json()
    assert unchanged["email_digest"] == "off"
