"""The text of a notification: the built-in templates, the variables a template sees,
and rendering with a fall-back to the default text."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pacetrack.adapters.templating import render
from pacetrack.db.tables import Account, Item, ItemStepHistory, PipelineInstance, Step
from pacetrack.engine.ids import as_uuid
from pacetrack.services.unit_of_work import UnitOfWork

_FOOTER = "\n\nOpen the item: {{item.url}}"

BUILT_IN_TEMPLATES: Mapping[str, tuple[str, str]] = {
    "default": (
        "{{item.name}}: {{step.name}}",
        "Notification {{rule_id}} ({{trigger}}) for {{item.name}} in {{step.name}}"
        " of {{pipeline.name}}." + _FOOTER,
    ),
    "item_entered_step": (
        "{{item.name}} entered {{step.name}}",
        "{{item.name}} entered {{step.name}} of {{pipeline.name}}." + _FOOTER,
    ),
    "item_left_step": (
        "{{item.name}} left {{step.name}}",
        "{{item.name}} left {{step.name}} of {{pipeline.name}}." + _FOOTER,
    ),
    "field_changed": (
        "{{item.name}}: {{changes | map(attribute='field') | join(', ')}} changed",
        "{% for change in changes %}{{change.field}}: {{change.old}} -> {{change.new}}\n"
        "{% endfor %}" + _FOOTER,
    ),
    "big_deal": (
        "Large deal in {{step.name}}: {{item.name}}",
        "{{item.name}} ({{field.deal_value}}) entered {{step.name}}." + _FOOTER,
    ),
    "negotiation_stalled": (
        "Negotiation stalled: {{item.name}}",
        "{{item.name}} has been in {{step.name}} for {{days_in_step}} days, past its target"
        " of {{target_duration_days}} days." + _FOOTER,
    ),
    "at_risk": (
        "At risk: {{item.name}} in {{step.name}}",
        "{{item.name}} has been in {{step.name}} for {{days_in_step}} days (target"
        " {{target_duration_days}})." + _FOOTER,
    ),
    "offer_expiring": (
        "Offer about to expire: {{item.name}}",
        "The offer to {{item.name}} expires on {{field.offer_expires_on}}." + _FOOTER,
    ),
    "daily_post_op_assessment": (
        "Daily post-op assessment: {{item.name}}",
        "Day {{days_in_step}} in {{step.name}}: please assess {{item.name}}." + _FOOTER,
    ),
    "item_assigned": (
        "Assigned to you: {{item.name}}",
        "{{actor.email}} assigned {{item.name}} ({{step.name}}, {{pipeline.name}}) to you."
        + _FOOTER,
    ),
    "approval_requested": (
        "Approval needed: {{item.name}}",
        "{{actor.name}} asks you to approve {{item.name}} leaving {{step.name}}"
        " ({{pipeline.name}}).{% if context.comment %}\n\n“{{context.comment}}”{% endif %}"
        "\n\nApprove or reject it on the item's page or in Approvals." + _FOOTER,
    ),
    "approval_decided": (
        "{{context.outcome}}: {{item.name}}",
        "{{actor.name}} {{context.verb}} your request to move {{item.name}} on from"
        " {{step.name}}.{% if context.comment %}\n\n“{{context.comment}}”{% endif %}" + _FOOTER,
    ),
    "assignment_unresolved": (
        "Nobody could be assigned: {{item.name}}",
        "{{item.name}} entered {{step.name}} but its {{context.rule_type}} assignment found"
        " nobody: {{context.reason}}" + _FOOTER,
    ),
}
_TRIGGER_TEMPLATES = {
    "on_enter": "item_entered_step",
    "on_exit": "item_left_step",
    "on_field_change": "field_changed",
    "at_risk": "at_risk",
}


def _template_sources(rule: Mapping[str, Any], trigger: str) -> tuple[str, str, str | None]:
    """(subject source, body source, problem) for a rule: inline text over named over default."""
    name = rule.get("template")
    problem = None
    if name and name in BUILT_IN_TEMPLATES:
        subject, body = BUILT_IN_TEMPLATES[name]
    else:
        if name:
            problem = f"unknown template “{name}”; the default text was used"
        subject, body = BUILT_IN_TEMPLATES[_TRIGGER_TEMPLATES.get(trigger, "default")]
    return rule.get("subject") or subject, rule.get("body") or body, problem


def item_url(base_url: str, item_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/items/{item_id}"


def template_context(
    uow: UnitOfWork,
    *,
    item: Item,
    payload: Mapping[str, Any],
    base_url: str,
    now: datetime,
) -> dict[str, Any]:
    """The variables a notification template sees."""
    tenant_id = item.tenant_id
    held = uow.notifications.held
    step_id = as_uuid(payload.get("step_id")) or item.current_step_id
    step = held(Step, tenant_id, step_id)
    pipeline = held(PipelineInstance, tenant_id, item.pipeline_instance_id)
    actor = held(Account, tenant_id, as_uuid(payload.get("actor_id")))
    history = held(ItemStepHistory, tenant_id, as_uuid(payload.get("history_id")))
    entered_at = history.entered_at if history else (step.entered_at if step else None)
    extra = dict(payload.get("context") or {})
    return {
        "item": {
            "id": str(item.id),
            "name": item.name,
            "url": item_url(base_url, item.id),
            "status": item.status,
        },
        "field": dict(item.field_values or {}),
        "step": {"id": str(step.id) if step else "", "name": step.name if step else ""},
        "pipeline": {
            "id": str(item.pipeline_instance_id),
            "name": pipeline.name if pipeline else "",
        },
        "actor": {
            "email": actor.email if actor else "PaceTrack",
            "name": (actor.display_name or actor.username) if actor else "PaceTrack",
        },
        "trigger": payload.get("trigger", ""),
        "rule_id": payload.get("rule_id", ""),
        "days_in_step": (now - entered_at).days if entered_at else 0,
        "target_duration_days": extra.get("target_duration_days", ""),
        "changes": list(payload.get("changes") or []),
        "context": extra,
    }


def render_notification(
    rule: Mapping[str, Any], trigger: str, context: Mapping[str, Any]
) -> tuple[str, str, str | None]:
    """(subject, body, error); a failing template falls back to the default text."""
    subject_source, body_source, problem = _template_sources(rule, trigger)
    subject, body = render(subject_source, context), render(body_source, context)
    errors = [problem] if problem else []
    if not subject.ok:
        errors.append(f"subject: {subject.error}")
    if not body.ok:
        errors.append(f"body: {body.error}")
    if subject.ok and body.ok:
        return subject.text.strip(), body.text, "; ".join(errors) or None
    fallback_subject, fallback_body = BUILT_IN_TEMPLATES["default"]
    return (
        (subject.text if subject.ok else render(fallback_subject, context).text).strip(),
        body.text if body.ok else render(fallback_body, context).text,
        "; ".join(errors),
    )
