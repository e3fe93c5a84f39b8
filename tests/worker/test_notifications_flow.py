"""Triggers, timers, recipients and channels, end to end through record() and the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pacetrack.adapters.clock import FrozenClock
from pacetrack.adapters.smtp import SmtpConfig, SmtpMailer
from pacetrack.bootstrap import Container
from pacetrack.db.tables import Activity
from pacetrack.db.tables_delivery import (
    Notification,
    NotificationDelivery,
    NotificationLog,
    Outbox,
)
from pacetrack.engine.events import AssignmentUnresolved, ItemAssigned
from pacetrack.worker import Worker
from tests.worker.conftest import Inbox, World, build_world

STALLED = {
    "id": "stalled_negotiation",
    "trigger": "at_risk",
    "threshold_days": 15,
    "recipients": [{"type": "owner"}, {"type": "user", "id": "sales_manager"}],
    "template": "negotiation_stalled",
}
BIG_DEAL = {
    "id": "big_deal",
    "trigger": "on_enter",
    "condition": "deal_value > 100000",
    "recipients": [{"type": "user", "id": "vp_sales"}],
    "template": "big_deal",
}


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def inbox_of(world: World, username: str) -> list[Notification]:
    with world.container.uow() as uow:
        rows = list(
            uow.session.scalars(
                select(Notification)
                .where(Notification.account_id == world.accounts[username])
                .order_by(Notification.created_at)
            )
        )
        uow.session.expunge_all()
        return rows


def test_sales_big_deal_notifies_the_vp_only_above_100k(world: World) -> None:
    world.add_step("Proposal")
    world.add_step("Negotiation", target=20, notifications=[BIG_DEAL, STALLED])
    big = world.add_item("Big", deal_value="150000.00")
    small = world.add_item("Small", deal_value="50000.00")
    world.move(big, "Negotiation")
    world.move(small, "Negotiation")
    Worker(world.container, mailer=None).drain()

    (notification,) = inbox_of(world, "vp_sales")
    assert notification.item_id == big
    assert notification.subject == "Large deal in Negotiation: Big"
    assert "150000.00" in notification.body


def test_sales_stalled_negotiation_fires_once_after_35_days(
    world: World, clock: FrozenClock
) -> None:
    world.add_step("Negotiation", target=20, notifications=[STALLED])
    deal = world.add_item("Deal", deal_value="80000.00")
    world.move(deal, "Negotiation")
    worker = Worker(world.container, mailer=None)

    clock.advance(timedelta(days=34, hours=23))
    worker.drain()
    assert inbox_of(world, "owner") == []

    clock.advance(timedelta(hours=1))
    worker.drain()
    clock.advance(timedelta(days=10))
    worker.drain()
    for username in ("owner", "sales_manager"):
        (notification,) = inbox_of(world, username)
        assert notification.subject == "Negotiation stalled: Deal"
        assert "for 35 days" in notification.body and "target of 20 days" in notification.body
    assert inbox_of(world, "vp_sales") == []


def test_medical_daily_reminders_three_days_three_reminders_then_none_after_leaving(
    world: World, clock: FrozenClock
) -> None:
    daily = {
        "id": "daily_post_op",
        "trigger": "on_duration",
        "duration_days": 1,
        "repeat_every_days": 1,
        "recipients": [{"type": "assignees"}],
        "template": "daily_post_op_assessment",
    }
    world.add_step("Post-Op Recovery", notifications=[daily])
    world.add_step("Discharged")
    patient = world.add_item("Patient", assignees=("physician_1", "physician_2"))
    world.move(patient, "Post-Op Recovery")
    worker = Worker(world.container, mailer=None)
    for _day in range(3):
        clock.advance(timedelta(days=1))
        worker.drain()
    world.move(patient, "Discharged")
    clock.advance(timedelta(days=5))
    worker.drain()
    for username in ("physician_1", "physician_2"):
        reminders = inbox_of(world, username)
        assert [n.subject for n in reminders] == ["Daily post-op assessment: Patient"] * 3
        assert [n.body.split(":")[0] for n in reminders] == [
            "Day 1 in Post-Op Recovery",
            "Day 2 in Post-Op Recovery",
            "Day 3 in Post-Op Recovery",
        ]


def test_missed_days_during_downtime_fire_once(world: World, clock: FrozenClock) -> None:
    daily = {
        "id": "daily",
        "trigger": "on_duration",
        "duration_days": 1,
        "repeat_every_days": 1,
        "recipients": [{"type": "owner"}],
    }
    world.add_step("Live", notifications=[daily])
    item = world.add_item("Campaign")
    world.move(item, "Live")
    worker = Worker(world.container, mailer=None)
    clock.advance(timedelta(days=7, hours=1))
    worker.drain()
    assert len(inbox_of(world, "owner")) == 1
    clock.advance(timedelta(days=1))
    worker.drain()
    assert len(inbox_of(world, "owner")) == 2


def test_on_exit_notifies_when_the_item_leaves(world: World) -> None:
    left = {"id": "left", "trigger": "on_exit", "recipients": [{"type": "owner"}]}
    world.add_step("Review", notifications=[left])
    world.add_step("Done")
    item = world.add_item("Doc")
    world.move(item, "Review")
    Worker(world.container, mailer=None).drain()
    assert inbox_of(world, "owner") == []
    world.move(item, "Done")
    Worker(world.container, mailer=None).drain()
    (notification,) = inbox_of(world, "owner")
    assert notification.subject == "Doc left Review"


def test_on_field_change_matches_field_and_target_value(world: World) -> None:
    failed = {
        "id": "qa_failed",
        "trigger": "on_field_change",
        "field_id": "quality_status",
        "to_value": "fail",
        "recipients": [{"type": "user", "id": "sales_manager"}],
    }
    world.add_step("Quality Inspection", notifications=[failed])
    item = world.add_item("Order", quality_status="pending")
    world.move(item, "Quality Inspection")
    world.change(item, quality_status="pass")
    world.change(item, deal_value="1.00")
    Worker(world.container, mailer=None).drain()
    assert inbox_of(world, "sales_manager") == []
    world.change(item, quality_status="fail")
    Worker(world.container, mailer=None).drain()
    (notification,) = inbox_of(world, "sales_manager")
    assert notification.subject == "Order: quality_status changed"
    assert "quality_status: pass -> fail" in notification.body


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ({"type": "owner"}, {"owner"}),
        ({"type": "assignees"}, {"nurse_1", "physician_1"}),
        ({"type": "user", "id": "vp_sales"}, {"vp_sales"}),
        ({"type": "user", "id": "gone"}, set()),
        ({"type": "account_group", "id": "closers"}, {"vp_sales", "sales_manager"}),
        ({"type": "role", "id": "physician"}, {"physician_1", "physician_2"}),
        ({"type": "role", "id": "manager"}, {"vp_sales", "sales_manager"}),
    ],
)
def test_recipients_resolve_to_active_accounts_of_the_tenant(
    world: World, recipient: dict[str, str], expected: set[str]
) -> None:
    rule = {"id": "r", "trigger": "on_enter", "recipients": [recipient, recipient]}
    world.add_step("Start", notifications=[rule])
    item = world.add_item("Thing", assignees=("nurse_1", "physician_1", "gone"))
    world.move(item, "Start")
    other = build_world(world.container, slug="other")
    Worker(world.container, mailer=None).drain()
    with world.container.uow() as uow:
        got = list(uow.session.scalars(select(Notification.account_id)))
    names = {name for name, account_id in world.accounts.items() if account_id in got}
    assert names == expected
    assert len(got) == len(expected)
    assert not set(got) & set(other.accounts.values())


def test_recipients_by_id_work_for_groups_and_roles(world: World) -> None:
    with world.container.uow() as uow:
        from pacetrack.db.tables import AccountGroup, Role

        group_id = uow.session.scalar(select(AccountGroup.id).where(AccountGroup.name == "closers"))
        role_id = uow.session.scalar(
            select(Role.id).where(Role.tenant_id == world.tenant_id, Role.name == "physician")
        )
    rule = {
        "id": "r",
        "trigger": "on_enter",
        "recipients": [
            {"type": "account_group", "id": str(group_id)},
            {"type": "role", "id": str(role_id)},
            {"type": "user", "id": str(world.accounts["owner"])},
        ],
    }
    world.add_step("Start", notifications=[rule])
    world.move(world.add_item("Thing"), "Start")
    Worker(world.container, mailer=None).drain()
    for username in ("vp_sales", "sales_manager", "physician_1", "physician_2", "owner"):
        assert len(inbox_of(world, username)) == 1


def test_assignment_notifies_the_newly_assigned_and_unresolved_tells_owner_and_admins(
    world: World,
) -> None:
    world.add_step("Start")
    item = world.add_item("Thing")
    now = world.now()
    world.record(
        item,
        [
            ItemAssigned(
                item_id=item,
                at=now,
                actor_id=world.accounts["admin_1"],
                step_id=world.steps["Start"],
                added=(world.accounts["nurse_1"],),
            ),
            AssignmentUnresolved(
                item_id=item,
                at=now,
                actor_id=None,
                step_id=world.steps["Start"],
                rule_type="round_robin",
                reason="group sdr_team has no active members",
            ),
        ],
    )
    Worker(world.container, mailer=None).drain()
    (assigned,) = inbox_of(world, "nurse_1")
    assert assigned.subject == "Assigned to you: Thing"
    assert "admin_1@sales.example assigned Thing" in assigned.body
    for username in ("sales_manager", "admin_1"):
        (unresolved,) = inbox_of(world, username)
        assert "group sdr_team has no active members" in unresolved.body


def test_email_goes_over_smtp_and_every_outcome_is_in_the_history(
    world: World, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    world.add_step("Negotiation", notifications=[BIG_DEAL])
    item = world.add_item("Big", deal_value="250000.00")
    world.move(item, "Negotiation")
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, tls="none"))
    Worker(world.container, mailer=mailer).drain()
    (message,) = inbox.messages
    assert message["To"] == "vp_sales@sales.example"
    assert message["Subject"] == "Large deal in Negotiation: Big"
    assert f"/items/{item}" in message.get_payload(decode=True).decode()
    with world.container.uow() as uow:
        outcomes = {
            (row.channel, row.status) for row in uow.session.scalars(select(NotificationDelivery))
        }
    assert outcomes == {("in_app", "sent"), ("email", "sent")}


def test_without_smtp_the_email_is_recorded_as_not_sent(world: World) -> None:
    world.add_step("Negotiation", notifications=[BIG_DEAL])
    world.move(world.add_item("Big", deal_value="250000.00"), "Negotiation")
    Worker(world.container, mailer=None).drain()
    with world.container.uow() as uow:
        email = uow.session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.channel == "email")
        ).one()
        assert (email.status, email.reason) == ("not_sent", "no SMTP server is configured")


def test_a_template_error_is_recorded_and_the_default_text_is_sent(world: World) -> None:
    broken = {
        "id": "broken",
        "trigger": "on_enter",
        "recipients": [{"type": "owner"}],
        "subject": "{{ item.name ",
        "body": "{{ item.__class__ }}",
    }
    world.add_step("Start", notifications=[broken])
    world.move(world.add_item("Thing"), "Start")
    Worker(world.container, mailer=None).drain()
    (notification,) = inbox_of(world, "owner")
    assert notification.subject == "Thing: Start"
    with world.container.uow() as uow:
        log = uow.session.scalars(select(NotificationLog)).one()
        assert log.template_error is not None and log.template_error.startswith("subject:")


def test_unmet_or_unknown_conditions_do_not_fire(world: World) -> None:
    bad = {**BIG_DEAL, "id": "bad", "condition": "no_such_field > 1"}
    world.add_step("Negotiation", notifications=[bad])
    world.move(world.add_item("Big", deal_value="250000.00"), "Negotiation")
    Worker(world.container, mailer=None).drain()
    assert inbox_of(world, "vp_sales") == []


def test_a_condition_that_cannot_be_decided_is_logged_on_the_item(world: World) -> None:
    bad = {**BIG_DEAL, "id": "bad", "condition": "no_such_field > 1"}
    world.add_step("Negotiation", notifications=[bad])
    item_id = world.add_item("Big", deal_value="250000.00")
    world.move(item_id, "Negotiation")
    with world.container.uow() as uow:
        (entry,) = uow.session.scalars(
            select(Activity).where(
                Activity.item_id == item_id, Activity.kind == "rule.condition_failed"
            )
        ).all()
        assert entry.actor_account_id is None
        assert entry.created_at == world.now()
        assert (entry.data["rule_kind"], entry.data["rule_id"]) == ("notification", "bad")
        assert "no_such_field" in entry.data["error"]


def test_a_notification_job_performed_twice_notifies_once(world: World) -> None:
    world.add_step("Negotiation", notifications=[BIG_DEAL])
    world.move(world.add_item("Big", deal_value="250000.00"), "Negotiation")
    worker = Worker(world.container, mailer=None)
    (job,) = worker.claim()
    worker.perform(job)
    # As if the lease had run out after the work was done: the job runs again.
    with world.container.uow() as uow:
        uow.session.execute(
            update(Outbox).values(status="pending", available_at=world.now(), locked_by=None)
        )
        uow.commit()
    assert worker.drain() == 1
    assert len(inbox_of(world, "vp_sales")) == 1
