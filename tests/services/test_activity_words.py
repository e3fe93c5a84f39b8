"""Activity rows as sentences, table-driven from stored data (no database needed: the
words depend on the row and the names only; test_activity_feed.py makes real rows)."""

from __future__ import annotations

from typing import Any

import pytest

from pacetrack.engine.fields import FieldSpec, FieldType
from pacetrack.services.activity_words import Lookup, Sentence, sentence

ANA, BO = "8a6f2a0e-0000-4000-8000-000000000001", "8a6f2a0e-0000-4000-8000-000000000002"
LEAD, DEMO = "5b1c0000-0000-4000-8000-000000000001", "5b1c0000-0000-4000-8000-000000000002"
LOOKUP = Lookup(
    accounts={ANA: "Ana Lima", BO: "Bo Chen"},
    steps={LEAD: "Lead", DEMO: "Demo"},
    fields={
        "champion": FieldSpec(name="champion", field_type=FieldType.USER, label="Champion"),
        "signed": FieldSpec(name="signed", field_type=FieldType.BOOLEAN, label="Signed"),
        "regions": FieldSpec(name="regions", field_type=FieldType.MULTISELECT, label="Regions"),
        "score": FieldSpec(name="score", field_type=FieldType.NUMBER, label="Score"),
    },
    groups={"g1": "Sales reps", "Sales reps": "Sales reps"},
    roles={"r1": "Manager"},
)


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            "item.fields_changed",
            {
                "changes": [
                    {"field": "champion", "old": None, "new": ANA},
                    {"field": "signed", "old": False, "new": True},
                    {"field": "regions", "old": [], "new": ["EU", "US", "APAC"]},
                ]
            },
            Sentence(
                text="Changed 3 fields.",
                details=(
                    "Champion: empty → Ana Lima",
                    "Signed: no → yes",
                    "Regions: empty → EU, US and APAC",
                ),
            ),
        ),
        (
            "item.moved",
            {"from_step_id": LEAD, "to_step_id": DEMO, "automatic": True, "calculated": ["score"]},
            Sentence(
                text="Moved automatically from Lead to Demo.",
                details=("Recalculated Score.",),
                outcome="ok",
            ),
        ),
        (
            "item.move_blocked",
            {
                "to_step_id": DEMO,
                "automation_id": "route",
                "violations": [{"message": "Score is required"}, {"message": "Too small"}],
            },
            Sentence(
                text="An automatic move to Demo was refused (2 reasons).",
                details=("Score is required", "Too small"),
                outcome="refused",
            ),
        ),
        (
            "item.assigned",
            {
                "source": "step_entry",
                "step_id": DEMO,
                "choices": [
                    {"rule_type": "least_assigned", "rule_target": "g1", "chosen": [BO]},
                    {"rule_type": "role", "rule_target": "r1", "chosen": [ANA]},
                ],
                "added": [ANA, BO],
                "removed": [],
            },
            Sentence(
                text="Entering Demo changed the assignees.",
                details=(
                    "Assigned to Bo Chen as the least busy of Sales reps.",
                    "Assigned to Ana Lima as holding the role Manager.",
                ),
            ),
        ),
        (
            "assignment.unresolved",
            {
                "rule_type": "round_robin",
                "rule_target": "Sales reps",
                "reason": "group “Sales reps” has no members",
                "left_unassigned": True,
            },
            Sentence(
                text="Nobody could be assigned by round robin among Sales reps: group “Sales "
                "reps” has no members. The item has no assignee.",
                outcome="failed",
            ),
        ),
        (
            "item.owner_changed",
            {"from_account_id": None, "to_account_id": BO},
            Sentence(text="Changed the owner from nobody to Bo Chen."),
        ),
        (
            "approval.approved",
            {"step_id": LEAD, "comment": "", "status": "pending"},
            Sentence(text="Approved leaving Lead. More approvals are needed.", outcome="pending"),
        ),
        (
            "approval.voided",
            {"step_id": LEAD, "fields": ["score"]},
            Sentence(
                text="The approval to leave Lead no longer counts because Score changed.",
                outcome="refused",
            ),
        ),
        (
            "item.automation_error",
            {"step_id": LEAD, "message": "no step “Won” in this pipeline"},
            Sentence(
                text="An automation could not run: no step “Won” in this pipeline.",
                outcome="failed",
            ),
        ),
        (
            "rule.condition_failed",
            {"rule_kind": "notification", "rule_id": "big", "error": "Score is empty"},
            Sentence(
                text="A notification did not run because its condition could not be checked: "
                "Score is empty.",
                outcome="failed",
            ),
        ),
        (
            "item.archived",
            {},
            Sentence(text="Item: archived."),
        ),
    ],
)
def test_each_kind_reads_as_a_sentence(kind: str, data: dict[str, Any], expected: Sentence) -> None:
    assert sentence(kind, data, LOOKUP) == expected


def test_a_step_or_person_that_is_gone_still_reads() -> None:
    gone = "00000000-0000-4000-8000-00000000dead"
    moved = sentence(
        "item.moved", {"from_step_id": gone, "from_step": "Intake", "to_step_id": gone}, LOOKUP
    )
    assigned = sentence(
        "item.assigned", {"source": "manual", "mode": "add", "added": [gone]}, LOOKUP
    )

    assert moved.text == "Moved from Intake to a step."
    assert assigned.text == "Assigned a former member."
