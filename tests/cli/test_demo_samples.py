"""``pacetrack demo`` fills every library pipeline with sample items, on SQLite and PostgreSQL.

The samples are placed by the real services on a clock set back in time, so what the
tests read here (steps, entry times, approvals, webhook deliveries) is what people and
the worker would have produced.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from pacetrack.bootstrap import Container
from pacetrack.db.tables import Item
from pacetrack.db.tables_assignments import ApprovalRequest
from pacetrack.db.tables_automations import DeliveryAttempt
from pacetrack.db.tables_delivery import Outbox
from pacetrack.services import items, pipelines, templates, tenants
from pacetrack.services.context import system_actor

SECONDS_PER_DAY = 86_400
FAILING_WEBHOOK = "http://127.0.0.1:9/invoicing/won-deals"


def demo_tenant(container: Container) -> uuid.UUID:
    with container.uow() as uow:
        return tenants.tenant_by_slug(uow, "demo").id


def item_count(container: Container) -> int:
    with container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Item)) or 0


def boards(container: Container) -> dict[str, list[items.ItemOut]]:
    """Every item of every demo pipeline, open or completed, by pipeline name."""
    actor = system_actor(demo_tenant(container))
    with container.uow() as uow:
        return {
            instance.name: [
                item
                for status in ("active", "completed")
                for item in items.list_items(
                    uow, actor, pipeline_instance_id=instance.id, status=status, limit=100
                ).items
            ]
            for instance in pipelines.list_instances(uow, actor)
        }


def at_risk(container: Container) -> list[str]:
    """The active items that have been in their step longer than its target, as the board says."""
    actor = system_actor(demo_tenant(container))
    now = datetime.now(UTC)
    found: list[str] = []
    with container.uow() as uow:
        for instance in pipelines.list_instances(uow, actor):
            steps = pipelines.get_instance(uow, actor, instance.id).steps or []
            targets = {
                step.id: step.config_overrides.get(
                    "target_duration_days",
                    templates.get_step(uow, actor, step.step_template_id).target_duration_days,
                )
                for step in steps
            }
            page = items.list_items(
                uow, actor, pipeline_instance_id=instance.id, status="active", limit=100
            )
            for item in page.items:
                target = targets.get(item.current_step_id) if item.current_step_id else None
                entered = item.current_step_entered_at
                assert entered is not None
                days = (now - entered.replace(tzinfo=entered.tzinfo or UTC)).total_seconds()
                if target is not None and days // SECONDS_PER_DAY > target:
                    found.append(item.name)
    return found


def test_demo_puts_sample_items_in_several_steps_of_every_pipeline(
    run: Any, container: Container
) -> None:
    result = run("demo", "--password", "demo password")

    assert result.exit_code == 0, result.output
    assert "were not all placed" not in result.output
    assert "No running pipeline" not in result.output
    placed = boards(container)
    assert len(placed) == 7
    for name, pipeline_items in placed.items():
        steps = Counter(item.current_step_id for item in pipeline_items)
        assert 8 <= len(pipeline_items) <= 15, name
        assert len(steps) > 1, f"{name}: every item is in one step"
    assert f"{sum(map(len, placed.values()))} sample items placed" in result.output
    sales = {item.name: item for item in placed["Sales pipeline"]}
    won = sales["Keystone Manufacturing"]
    with container.uow() as uow:
        steps = pipelines.get_instance(
            uow, system_actor(demo_tenant(container)), won.pipeline_instance_id
        ).steps
    assert {step.id: step.name for step in steps or []}[won.current_step_id] == "Closed Won"
    assert (won.status, won.outcome) == ("completed", "won")
    assert Decimal(won.field_values["deal_value"]) == 96000
    # Calculated by the Proposal step on the way: 96,000 less 15 % at 10 %.
    assert Decimal(won.field_values["commission"]) == 8160


def test_demo_items_are_at_risk_because_they_entered_their_step_long_ago(
    run: Any, container: Container
) -> None:
    assert run("demo", "--password", "demo password").exit_code == 0

    risky = at_risk(container)

    # 11 days in Lead (target 7), 33 days in Negotiation (target 20), 6 days in Rework (3).
    assert "Halcyon Dental Group — 14 clinics" in risky
    assert "Cobalt Health Partners" in risky
    assert "PO-4443 Lumen Offices — acoustic baffles" in risky
    assert "Pinecrest Credit Union" not in risky


def test_demo_has_one_candidate_waiting_for_the_hiring_managers_approval(
    run: Any, container: Container
) -> None:
    assert run("demo", "--password", "demo password").exit_code == 0

    with container.uow() as uow:
        pending = uow.session.scalars(
            select(ApprovalRequest).where(ApprovalRequest.status == "pending")
        ).all()
        assert len(pending) == 1
        item = uow.session.get(Item, (pending[0].tenant_id, pending[0].item_id))
        assert item is not None and item.name == "Carlos Mendes — Staff Engineer"
        assert item.current_step_id == pending[0].step_id
        assert "onsite" in pending[0].comment
        # The candidates further on were approved on the way out of Technical Screen.
        approved = uow.session.scalar(
            select(func.count())
            .select_from(ApprovalRequest)
            .where(ApprovalRequest.status == "approved")
        )
        assert approved == 5


def test_the_won_deal_s_webhook_fails_at_the_closed_port_and_is_retried(
    run: Any, container: Container
) -> None:
    assert run("demo", "--password", "demo password").exit_code == 0

    drained = run("worker", "--drain")

    assert drained.exit_code == 0, drained.output
    with container.uow() as uow:
        attempts = uow.session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.url == FAILING_WEBHOOK)
            .order_by(DeliveryAttempt.attempt)
        ).all()
        # One delivery; a slow drain may outlast the first backoff (5 s) and try it again.
        assert attempts and {a.delivery_id for a in attempts} == {attempts[0].delivery_id}
        assert [a.attempt for a in attempts] == list(range(1, len(attempts) + 1))
        assert {a.outcome for a in attempts} == {"retrying"}
        attempt = attempts[-1]
        assert attempt.error is not None and "127.0.0.1" in attempt.error
        assert attempt.next_attempt_at is not None
        job = uow.session.get(Outbox, (attempt.tenant_id, attempt.delivery_id))
        assert job is not None and job.kind == "webhook.deliver"
        assert job.status == "pending" and job.attempts >= 1


def test_a_second_demo_adds_no_items_and_refreshes_the_passwords(
    run: Any, container: Container, client: Any
) -> None:
    assert run("demo", "--password", "first password").exit_code == 0
    first = item_count(container)

    again = run("demo", "--password", "second password")

    assert again.exit_code == 0, again.output
    assert "0 sample items placed" in again.output
    assert item_count(container) == first
    login = client.post(
        "/api/auth/login",
        json={"tenant": "demo", "login": "ae_1", "password": "second password"},
    )
    assert login.status_code == 200


def test_demo_prints_the_sign_in_in_the_words_of_the_sign_in_form(run: Any) -> None:
    result = run("demo", "--password", "demo password")

    assert result.exit_code == 0, result.output
    assert "/login with" in result.output
    assert "Organisation:       demo" in result.output
    assert "Email or username:  admin" in result.output
    assert "Password:           demo password" in result.output
