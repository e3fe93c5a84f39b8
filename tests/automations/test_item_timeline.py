"""Notifications and automation runs in the item's activity, through the real worker,
a real SMTP server and the loopback webhook receiver, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

from pacetrack.adapters.smtp import SmtpConfig, SmtpMailer
from pacetrack.db.tables import Account
from pacetrack.services import activity_feed, webhooks
from pacetrack.services.activity_feed import TimelineEntry
from pacetrack.services.context import Actor
from pacetrack.worker import HANDLERS, Worker
from pacetrack.worker.automation_handlers import delivery_handler
from tests.automations.support import Scene
from tests.conftest import make_login
from tests.services.moves_support import StepDef
from tests.support.webhook_receiver import Reply
from tests.worker.conftest import Inbox, running_smtp


def proposal_step(scene: Scene) -> StepDef:
    return StepDef(
        name="Proposal",
        config={
            "automations": [
                {
                    "id": "sync_crm",
                    "name": "Sync CRM",
                    "trigger": "on_enter",
                    "action": {"type": "webhook", "target": scene.url(), "data": {"x": "1"}},
                }
            ],
            "notifications": [
                {
                    "id": "tell_owner",
                    "trigger": "on_enter",
                    "recipients": [{"type": "owner"}],
                    "subject": "{{item.name}} entered Proposal",
                    "body": "Have a look.",
                }
            ],
        },
    )


def worker_with_mail(scene: Scene, port: int) -> Worker:
    handlers = dict(HANDLERS)
    handlers[webhooks.WEBHOOK_JOB] = delivery_handler(timeout_seconds=1.0, rng=lambda: 0.5)
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, tls="none"))
    return Worker(scene.container, handlers=handlers, mailer=mailer, rng=lambda: 0.5)


def timeline(scene: Scene, actor: Actor, item_id: str) -> dict[str, TimelineEntry]:
    with scene.container.uow() as uow:
        entries = activity_feed.item_timeline(uow, actor, uuid.UUID(item_id))
    return {entry.kind: entry for entry in entries}


def test_a_notification_and_a_retrying_webhook_read_as_sentences(scene: Scene) -> None:
    with scene.container.uow() as uow:
        account = uow.session.get(Account, (scene.tenant_id, scene.admin.account_id))
        assert account is not None
        account.display_name = "Ada Lovelace"
        uow.commit()
    pipeline = scene.pipeline([StepDef(name="Lead"), proposal_step(scene)])
    item = scene.create_item(pipeline, "Acme")
    scene.receiver.reply_with(Reply.error(503), Reply.ok())
    inbox = Inbox()
    admin = Actor(
        tenant_id=scene.tenant_id, account_id=scene.admin.account_id, roles=frozenset({"admin"})
    )
    member = make_login(scene.container, slug="acme", username="max", roles=["member"])
    viewer = Actor(tenant_id=scene.tenant_id, account_id=member.account_id, roles=frozenset())
    with running_smtp(inbox) as port:
        worker = worker_with_mail(scene, port)
        scene.move(item["id"], pipeline.step("Proposal"))
        worker.drain()

        entries = timeline(scene, admin, item["id"])
        told = entries["notification.sent"]
        assert (told.text, told.details, told.outcome) == (
            "Notified Ada Lovelace in the app and by email: “Acme entered Proposal”.",
            [],
            "ok",
        )
        assert [message["Subject"] for message in inbox.messages] == ["Acme entered Proposal"]
        run = entries["automation.run"]
        assert run.text == (
            "Automation “Sync CRM” (webhook) failed and will try again: "
            "the receiver answered HTTP 503."
        )
        assert run.outcome == "pending"
        assert run.next_attempt_at == scene.clock.now() + timedelta(seconds=5)
        assert run.link == f"/api/automation-log/list?item_id={item['id']}"
        # The automation log is for admins: others read the outcome without the link.
        assert timeline(scene, viewer, item["id"])["automation.run"].link is None

        scene.advance_to_next_delivery()
        worker.drain()

    done = timeline(scene, admin, item["id"])["automation.run"]
    assert (done.text, done.details, done.outcome, done.next_attempt_at) == (
        "Automation “Sync CRM” (webhook) ran.",
        ["Delivered on attempt 2."],
        "ok",
        None,
    )


def test_a_notification_turned_off_says_so_for_that_channel(scene: Scene) -> None:
    pipeline = scene.pipeline([StepDef(name="Lead"), proposal_step(scene)])
    item = scene.create_item(pipeline, "Acme")
    scene.api(
        "POST",
        "/api/notification/preferences",
        json={"channels": {"on_enter": {"email": False}}},
    )
    admin = Actor(
        tenant_id=scene.tenant_id, account_id=scene.admin.account_id, roles=frozenset({"admin"})
    )
    inbox = Inbox()
    with running_smtp(inbox) as port:
        scene.move(item["id"], pipeline.step("Proposal"))
        worker_with_mail(scene, port).drain()

    told = timeline(scene, admin, item["id"])["notification.sent"]
    assert told.text == "Notified ada in the app: “Acme entered Proposal”."
    assert told.details == ["Email to ada not sent: turned off in the recipient's preferences."]
    assert inbox.messages == []
