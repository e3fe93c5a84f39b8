"""The pure decisions of an upgrade: which steps are added, removed or kept, which mappings
are refused, and how a kept step's timed rules change."""

from __future__ import annotations

import uuid

from pacetrack.engine.config import NotificationRule, StepConfig
from pacetrack.engine.upgrade_plan import (
    Offsets,
    PlanProblem,
    RunningStep,
    TargetStep,
    UpgradePlan,
    offsets,
    plan_upgrade,
    timer_plan,
)

A, B, C, D = (uuid.uuid4() for _ in range(4))


def running(template_id: uuid.UUID, name: str, items: int) -> RunningStep:
    return RunningStep(
        step_id=uuid.uuid4(), step_template_id=template_id, name=name, position=1, items=items
    )


NOW = [running(A, "Lead", 3), running(B, "Legal", 2), running(C, "Empty", 0)]
TARGET = [
    TargetStep(step_template_id=A, name="Leads", position=1),
    TargetStep(step_template_id=D, name="Review", position=2),
]


def test_added_removed_and_kept_steps_with_a_mapping() -> None:
    plan = plan_upgrade(running=NOW, target=TARGET, mapping={B: D}, target_version=2)

    assert isinstance(plan, UpgradePlan)
    assert [step.name for step in plan.added] == ["Review"]
    assert [(r.step.name, r.mapped_to.name if r.mapped_to else None) for r in plan.removed] == [
        ("Legal", "Review"),
        ("Empty", None),
    ]
    assert [(k.step.name, k.target.name, k.renamed) for k in plan.kept] == [("Lead", "Leads", True)]


def test_every_problem_of_a_mapping_is_named() -> None:
    stranger = uuid.uuid4()
    problems = plan_upgrade(
        running=NOW, target=TARGET, mapping={A: D, C: stranger, stranger: A}, target_version=2
    )

    assert problems == (
        PlanProblem(
            kind="invalid",
            key=A,
            message="“Lead” is kept by version 2; only removed steps are mapped",
        ),
        PlanProblem(
            kind="invalid",
            key=C,
            message=f"“Empty” is mapped to “{stranger}”, which is not a step of version 2",
        ),
        PlanProblem(kind="invalid", key=stranger, message="is not a step of this pipeline"),
        PlanProblem(
            kind="conflict",
            key=B,
            message="“Legal” has 2 items and is not in version 2: map it to a step of that version",
        ),
    )


def rule(rule_id: str, **settings: object) -> NotificationRule:
    return NotificationRule(id=rule_id, trigger="on_duration", duration_days=1, **settings)  # type: ignore[arg-type]


def test_timed_rules_are_kept_rearmed_added_or_left_to_cancel() -> None:
    old = StepConfig(notifications=(rule("same"), rule("longer"), rule("gone")))
    new = StepConfig(
        notifications=(rule("same"), rule("longer", repeat_every_days=3), rule("fresh"))
    )

    plan = timer_plan(old, new)

    assert plan.keep == {
        ("notification", "same"),
        ("notification", "longer"),
        ("notification", "fresh"),
    }
    assert [f.rule.id for f in plan.rearm] == ["longer"]
    assert [f.rule.id for f in plan.add] == ["fresh"]


def test_an_at_risk_rule_is_rearmed_when_the_target_duration_changes() -> None:
    at_risk = NotificationRule(id="late", trigger="at_risk", threshold_days=1)
    plan = timer_plan(
        StepConfig(notifications=(at_risk,), target_duration_days=5),
        StepConfig(notifications=(at_risk,), target_duration_days=8),
    )

    assert [f.rule.id for f in plan.rearm] == ["late"]
    assert offsets(at_risk, target_duration_days=8) == Offsets(first=9, every=None, business=False)
    assert offsets(at_risk, target_duration_days=None) is None
    assert offsets(rule("r", repeat_every_days=2), target_duration_days=None) == Offsets(
        first=1, every=2, business=False
    )
