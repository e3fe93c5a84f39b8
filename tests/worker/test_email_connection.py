"""Email reuses its SMTP connection: several messages, one conversation with the server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from pacetrack.adapters.smtp import SmtpConfig, SmtpMailer
from pacetrack.bootstrap import Container
from pacetrack.db.tables_delivery import NotificationDelivery
from pacetrack.worker import Worker
from tests.worker.conftest import Inbox, build_world, running_smtp

ENTERED = {
    "id": "entered",
    "trigger": "on_enter",
    "recipients": [{"type": "user", "id": "vp_sales"}],
    "channels": ["email"],
}


class PeerInbox(Inbox):
    """Keeps each message and the client address (host, port) of the connection it came on."""

    def __init__(self) -> None:
        super().__init__()
        self.peers: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(tuple(session.peer))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def peer_smtp() -> Iterator[tuple[PeerInbox, int]]:
    inbox = PeerInbox()
    with running_smtp(inbox) as port:
        yield inbox, port


def test_one_worker_sends_its_emails_over_one_smtp_connection(
    container: Container, peer_smtp: tuple[PeerInbox, int]
) -> None:
    inbox, port = peer_smtp
    world = build_world(container)
    world.add_step("Start", notifications=[ENTERED])
    for n in range(4):
        world.move(world.add_item(f"Item {n}"), "Start")
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, tls="none"))
    worker = Worker(container, mailer=mailer)
    worker.drain()

    assert len(inbox.messages) == 4
    assert len(set(inbox.peers)) == 1  # one client port: one connection for all four
    assert mailer.connections_opened == 1
    with container.uow() as uow:
        statuses = list(
            uow.session.scalars(
                select(NotificationDelivery.status).where(NotificationDelivery.channel == "email")
            )
        )
    assert statuses == ["sent"] * 4
