"""Sales use case: a big deal entering Negotiation tells the VP; a stalled one, owner and manager.

Items are created and moved over ``/api/item/*`` (the move service arms and
cancels the timers); the worker runs in-process on the injected clock and
emails go to a real SMTP server on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from tests.services.moves_support import StepDef
from tests.worker.conftest import Inbox, free_port
from tests.worker.office import Office, open_office

BIG_DEAL = {
    "id": "big_deal",
    "trigger": "on_enter",
    "condition": "deal_value > 100000",
    "recipients": [{"type": "user", "id": "vp_sales"}],
    "template": "big_deal",
}
STALLED = {
    "id": "stalled_negotiation",
    "trigger": "at_risk",
    "threshold_days": 15,
    "recipients": [{"type": "owner"}, {"type": "user", "id": "sales_manager"}],
    "template": "negotiation_stalled",
}


@pytest.fixture
def mail() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def sales(
    container: Container, client: TestClient, clock: FrozenClock, mail: tuple[Inbox, int]
) -> Office:
    office = open_office(container, client, clock, slug="sales")
    office.use_smtp(mail[1])
    office.build(
        [
            StepDef(name="Proposal"),
            StepDef(
                name="Negotiation",
                target_duration_days=20,
                config={"notifications": [BIG_DEAL, STALLED]},
            ),
            StepDef(name="Closed Won"),
        ]
    )
    return office


def emails_to(inbox: Inbox, username: str) -> list[Any]:
    return [m for m in inbox.messages if m["To"] == f"{username}@sales.example"]


def test_a_150k_deal_entering_negotiation_notifies_the_vp_and_a_50k_deal_does_not(
    sales: Office, mail: tuple[Inbox, int]
) -> None:
    inbox, _port = mail
    big = sales.create("Initech", deal_value="150000.00")
    small = sales.create("Hooli", deal_value="50000.00")
    # New deals start at the first step, Proposal.
    sales.move(big, "Negotiation")
    sales.move(small, "Negotiation")
    sales.work()

    (notification,) = sales.inbox("vp_sales")
    assert notification["item_id"] == big
    assert notification["subject"] == "Large deal in Negotiation: Initech"
    assert "150000.00" in notification["body"]
    (email,) = emails_to(inbox, "vp_sales")
    assert email["Subject"] == "Large deal in Negotiation: Initech"
    assert sales.inbox("owner") == [] and sales.inbox("sales_manager") == []
    assert all(entry["item_id"] == big for entry in sales.history())


def test_a_deal_35_days_in_negotiation_notifies_owner_and_manager_exactly_once(
    sales: Office, mail: tuple[Inbox, int]
) -> None:
    inbox, _port = mail
    deal = sales.create("Initech", deal_value="80000.00")
    sales.move(deal, "Negotiation")
    sales.work()

    # Target 20 + threshold 15: at risk after 35 days, not a minute before.
    sales.advance(timedelta(days=34, hours=23, minutes=59))
    assert sales.inbox("owner") == [] and sales.inbox("sales_manager") == []
    sales.advance(timedelta(minutes=1))
    for _ in range(3):
        sales.advance(timedelta(days=5))

    for username in ("owner", "sales_manager"):
        (notification,) = sales.inbox(username)
        assert notification["trigger"] == "at_risk"
        assert notification["subject"] == "Negotiation stalled: Initech"
        assert "for 35 days, past its target of 20 days" in notification["body"]
        (email,) = emails_to(inbox, username)
        assert email["Subject"] == "Negotiation stalled: Initech"
    assert sales.inbox("vp_sales") == []
    (entry,) = sales.history(item_id=deal)
    assert {o["status"] for o in entry["outcomes"]} == {"sent"}


def test_a_deal_leaving_negotiation_in_time_is_never_reported_stalled(sales: Office) -> None:
    deal = sales.create("Initech", deal_value="80000.00")
    sales.move(deal, "Negotiation")
    sales.advance(timedelta(days=30))
    sales.move(deal, "Closed Won")
    sales.advance(timedelta(days=30))
    assert sales.inbox("owner") == [] and sales.inbox("sales_manager") == []
