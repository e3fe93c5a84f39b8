"""Approvals through the services: leave violations, self-approval, N-of-M, voiding."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from pacetrack.bootstrap import Container
from pacetrack.db.tables_delivery import Notification
from pacetrack.services import approval_checks, approvals
from pacetrack.services.approvals import ApproveRequest, RejectRequest, RequestApproval
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, NotFound, PermissionDenied
from pacetrack.worker.runner import Worker
from tests.services.assignments_support import World, make_world


@pytest.fixture
def world(container: Container) -> World:
    world = make_world(container)
    for name in ("nurse_1", "physician_1", "physician_2", "physician_3", "boss"):
        world.add_person(name)
    world.add_person("physician_gone", active=False)
    world.add_group("physicians", ["physician_1", "physician_2", "physician_3", "physician_gone"])
    world.add_person("admin_1", roles=["admin"])
    world.add_person("manager_1", roles=["manager"])
    return world


def add_step(world: World, name: str = "Post-Op Recovery", **metadata: Any) -> None:
    world.add_step(name, metadata={"requires_approval": True, **metadata})


def physicians(**extra: Any) -> dict[str, Any]:
    return {"approver": {"type": "account_group", "id": "physicians"}, **extra}


def leave(world: World, item_id: uuid.UUID) -> list[str]:
    with world.container.uow() as uow:
        item = world.item(uow, item_id)
        step, config = world.step(uow, "Post-Op Recovery")
        return [
            f"{v.rule_id}: {v.message}"
            for v in approval_checks.leave_violations(uow, item=item, step=step, config=config)
        ]


def request(world: World, item_id: uuid.UUID, by: str, comment: str = "") -> uuid.UUID:
    with world.container.uow() as uow:
        out = approvals.request_approval(
            uow, world.actor(by), RequestApproval(item_id=item_id, comment=comment)
        )
    return out.id


def approve(world: World, request_id: uuid.UUID, by: str | Actor) -> str:
    actor = by if isinstance(by, Actor) else world.actor(by)
    with world.container.uow() as uow:
        return approvals.approve(uow, actor, ApproveRequest(request_id=request_id)).status


def reject(world: World, request_id: uuid.UUID, by: str, comment: str) -> str:
    with world.container.uow() as uow:
        return approvals.reject(
            uow, world.actor(by), RejectRequest(request_id=request_id, comment=comment)
        ).status


def pending_for(world: World, username: str, roles: tuple[str, ...] = ("member",)) -> list[str]:
    with world.container.uow() as uow:
        return [
            p.item_name for p in approvals.list_pending(uow, world.actor(username, roles=roles))
        ]


def test_leaving_is_blocked_until_a_physician_approves(world: World) -> None:
    add_step(world, **physicians())
    item = world.add_item("Patient", step="Post-Op Recovery")

    before = leave(world, item)
    request_id = request(world, item, "nurse_1", "ready for discharge")
    while_pending = leave(world, item)
    status = approve(world, request_id, "physician_2")

    assert before == [
        "approval_required: Leaving Post-Op Recovery needs an approval from group "
        "“physicians”; request approval first."
    ]
    assert while_pending == [
        "approval_required: Leaving Post-Op Recovery needs an approval from group "
        "“physicians”; 0 of 1 given so far."
    ]
    assert status == "approved"
    assert leave(world, item) == []
    kinds = [a.kind for a in world.activities(item)]
    assert kinds.count("approval.requested") == 1 and kinds.count("approval.approved") == 1


def test_only_the_configured_approvers_may_decide(world: World) -> None:
    add_step(world, **physicians())
    item = world.add_item("Patient", step="Post-Op Recovery")
    request_id = request(world, item, "nurse_1")

    with pytest.raises(PermissionDenied, match="group “physicians”"):
        approve(world, request_id, "boss")
    with pytest.raises(PermissionDenied):
        approve(world, request_id, world.actor("admin_1", roles=("admin",)))

    assert leave(world, item)[0].startswith("approval_required")


def test_without_an_approver_admins_and_managers_decide(world: World) -> None:
    add_step(world)
    item = world.add_item("Patient", step="Post-Op Recovery")
    request_id = request(world, item, "nurse_1")

    with pytest.raises(PermissionDenied, match="admins and managers"):
        approve(world, request_id, "physician_1")
    status = approve(world, request_id, world.actor("manager_1", roles=("manager",)))

    assert status == "approved"


def test_the_requester_cannot_approve_their_own_request(world: World) -> None:
    add_step(world, **physicians())
    item = world.add_item("Patient", step="Post-Op Recovery")
    request_id = request(world, item, "physician_1")

    with pytest.raises(PermissionDenied, match="your own"):
        approve(world, request_id, "physician_1")
    assert pending_for(world, "physician_1") == []
    assert pending_for(world, "physician_2") == ["Patient"]
    assert approve(world, request_id, "physician_2") == "approved"


def test_self_approval_is_allowed_where_the_step_says_so(world: World) -> None:
    add_step(world, **physicians(allow_self_approval=True))
    item = world.add_item("Patient", step="Post-Op Recovery")
    request_id = request(world, item, "physician_1")

    assert approve(world, request_id, "physician_1") == "approved"
    assert leave(world, item) == []


def test_a_rejection_blocks_with_its_reason_until_a_new_request_is_approved(world: World) -> None:
    add_step(world, **physicians())
    item = world.add_item("Patient", step="Post-Op Recovery")
    first = request(world, item, "nurse_1")

    assert reject(world, first, "physician_1", "Fever of 39°C; keep for observation") == "rejected"
    blocked = leave(world, item)
    with pytest.raises(Conflict):
        approve(world, first, "physician_2")
    second = request(world, item, "nurse_1", "fever gone")
    approve(world, second, "physician_2")

    assert blocked == [
        "approval_rejected: Approval to leave Post-Op Recovery was rejected: "
        "Fever of 39°C; keep for observation"
    ]
    assert leave(world, item) == []


def test_a_rejection_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        RejectRequest(request_id=uuid.uuid4(), comment="   ")


def test_n_of_m_needs_distinct_approvers(world: World) -> None:
    add_step(world, **physicians(approvals_required=2))
    item = world.add_item("Patient", step="Post-Op Recovery")
    request_id = request(world, item, "nurse_1")

    first = approve(world, request_id, "physician_1")
    with pytest.raises(Conflict, match="already"):
        approve(world, request_id, "physician_1")
    after_one = leave(world, item)
    second = approve(world, request_id, "physician_3")

    assert first == "pending"
    assert after_one == [
        "approval_required: Leaving Post-Op Recovery needs 2 approvals from group "
        "“physicians”; 1 of 2 given so far."
    ]
    assert second == "approved"
    assert leave(world, item) == []


def test_a_request_that_not_enough_accounts_could_approve_is_refused(world: World) -> None:
    # Four physicians, one inactive, and the requester is one of the other three.
    add_step(world, **physicians(approvals_required=3))
    item = world.add_item("Patient", step="Post-Op Recovery")

    with pytest.raises(Conflict) as refused:
        request(world, item, "physician_1")

    assert refused.value.problems[0].field == "item_id"
    assert "only 2 active accounts" in refused.value.problems[0].message


def test_a_second_request_while_one_is_pending_is_a_conflict(world: World) -> None:
    add_step(world, **physicians())
    item = world.add_item("Patient", step="Post-Op Recovery")
    request(world, item, "nurse_1")

    with pytest.raises(Conflict, match="pending"):
        request(world, item, "nurse_1")


def test_a_step_without_approval_refuses_requests_and_never_blocks(world: World) -> None:
    world.add_step("Post-Op Recovery")
    item = world.add_item("Patient", step="Post-Op Recovery")

    with pytest.raises(Conflict, match="does not take approval requests") as refused:
        request(world, item, "nurse_1")

    assert "does not require approval" in refused.value.problems[0].message
    assert leave(world, item) == []


def test_approvals_belong_to_one_entry_into_the_step(world: World) -> None:
    add_step(world, **physicians())
    world.add_step("Ward")
    item = world.add_item("Patient", step="Post-Op Recovery")
    approve(world, request(world, item, "nurse_1"), "physician_1")
    stale = request_for_leaving_and_returning(world, item)

    assert leave(world, item)[0].startswith("approval_required")
    with pytest.raises(Conflict, match="left the step"):
        approve(world, stale, "physician_2")


def request_for_leaving_and_returning(world: World, item_id: uuid.UUID) -> uuid.UUID:
    """Leaves with the approval, comes back, asks again, and leaves once more… then returns."""
    with world.container.uow() as uow:
        item = world.item(uow, item_id)
        world.enter(uow, item, "Ward")
        world.enter(uow, item, "Post-Op Recovery")
        uow.commit()
    stale = request(world, item_id, "nurse_1")
    with world.container.uow() as uow:
        item = world.item(uow, item_id)
        world.enter(uow, item, "Ward")
        world.enter(uow, item, "Post-Op Recovery")
        uow.commit()
    return stale


def change_fields(world: World, item_id: uuid.UUID, changed: list[str]) -> None:
    with world.container.uow() as uow:
        item = world.item(uow, item_id)
        step, config = world.step(uow, "Post-Op Recovery")
        approval_checks.fields_changed(uow, item=item, step=step, config=config, changed=changed)
        uow.commit()


def test_a_change_after_approval_voids_it_when_configured(world: World) -> None:
    add_step(world, **physicians(void_approval_on_change=True))
    item = world.add_item("Patient", step="Post-Op Recovery")
    approve(world, request(world, item, "nurse_1"), "physician_1")

    change_fields(world, item, ["discharge_date"])

    assert leave(world, item)[0].startswith("approval_required")
    voided = world.activities(item, "approval.voided")
    assert [v.data["fields"] for v in voided] == [["discharge_date"]]
    assert request(world, item, "nurse_1")


def test_only_the_listed_fields_void_an_approval(world: World) -> None:
    add_step(world, **physicians(void_approval_on_change=["medication_dose_mg"]))
    item = world.add_item("Patient", step="Post-Op Recovery")
    approve(world, request(world, item, "nurse_1"), "physician_1")

    change_fields(world, item, ["notes"])
    still_approved = leave(world, item)
    change_fields(world, item, ["notes", "medication_dose_mg"])

    assert still_approved == []
    assert leave(world, item)[0].startswith("approval_required")


def test_changes_keep_approvals_unless_configured(world: World) -> None:
    add_step(world, **physicians())
    item = world.add_item("Patient", step="Post-Op Recovery")
    approve(world, request(world, item, "nurse_1"), "physician_1")

    change_fields(world, item, ["discharge_date"])

    assert leave(world, item) == []
    assert world.activities(item, "approval.voided") == []


def test_list_pending_shows_what_the_caller_may_decide(world: World) -> None:
    add_step(world, **physicians(approvals_required=2))
    first = world.add_item("Patient A", step="Post-Op Recovery")
    second = world.add_item("Patient B", step="Post-Op Recovery")
    first_request = request(world, first, "nurse_1")
    world.container.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    request(world, second, "physician_2")
    approve(world, first_request, "physician_1")

    assert pending_for(world, "physician_1") == ["Patient B"]
    assert pending_for(world, "physician_2") == ["Patient A"]
    assert pending_for(world, "physician_3") == ["Patient A", "Patient B"]
    assert pending_for(world, "nurse_1") == []


def test_another_tenants_request_is_not_found(world: World, container: Container) -> None:
    add_step(world, **physicians())
    item = world.add_item("Patient", step="Post-Op Recovery")
    request_id = request(world, item, "nurse_1")
    other = make_world(container, "globex")
    other.add_person("intruder", roles=["admin"])

    with pytest.raises(NotFound):
        approve(other, request_id, other.actor("intruder", roles=("admin",)))


def notifications_of(world: World, username: str) -> list[tuple[str, str, str]]:
    with world.container.uow() as uow:
        rows = uow.session.scalars(
            select(Notification)
            .where(Notification.account_id == world.accounts[username])
            .order_by(Notification.created_at)
        )
        return [(row.trigger, row.subject, row.body) for row in rows]


def test_a_request_tells_every_eligible_approver_and_a_decision_tells_the_requester(
    world: World,
) -> None:
    add_step(world, **physicians())
    item = world.add_item("Patient", step="Post-Op Recovery")

    request_id = request(world, item, "nurse_1", "ready for discharge")
    Worker(world.container, mailer=None).drain()
    told = {name: notifications_of(world, name) for name in ("physician_1", "physician_2")}
    approve(world, request_id, "physician_2")
    Worker(world.container, mailer=None).drain()

    assert {name: [(t, s) for t, s, _b in got] for name, got in told.items()} == {
        "physician_1": [("approval_requested", "Approval needed: Patient")],
        "physician_2": [("approval_requested", "Approval needed: Patient")],
    }
    assert "“ready for discharge”" in told["physician_1"][0][2]
    # The inactive physician and the requester hear nothing of the request.
    assert notifications_of(world, "physician_gone") == []
    assert [(t, s) for t, s, _b in notifications_of(world, "nurse_1")] == [
        ("approval_decided", "Approved: Patient")
    ]
    assert notifications_of(world, "physician_3") == [told["physician_1"][0]]


def test_a_rejection_tells_the_requester_why(world: World) -> None:
    add_step(world, **physicians())
    item = world.add_item("Patient", step="Post-Op Recovery")
    request_id = request(world, item, "nurse_1")

    reject(world, request_id, "physician_1", "fever again")
    Worker(world.container, mailer=None).drain()

    [(trigger, subject, body)] = notifications_of(world, "nurse_1")
    assert (trigger, subject) == ("approval_decided", "Rejected: Patient")
    assert "rejected your request" in body and "“fever again”" in body
