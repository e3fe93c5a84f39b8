"""Automations: performing fired rules, testing them, their log and statistics.

``side_effects.record`` (and timer firing) turns every automation whose
trigger and condition hold into an ``automation.run`` outbox job, except the
``move_to_step`` ones a change fires (``on_enter``, ``on_exit``,
``on_field_change``, and timed ones due at entry): the move, field change or
creation follows those itself and writes their runs in its own transaction
(``moves.route_automatically``, ``routing_runs``). The job's handler
(``run_automation``) performs the action through the ordinary use case of
that action, in ONE transaction with the ``automation_run`` row and the job's
settlement, so a run is recorded exactly when its effect is:

- ``update_field``: ``items.update_fields`` (calculations, field types, routing);
- ``notify``: a ``notification.fire`` job (the notification path);
- ``create_item``: ``items.create_item`` in the named pipeline instance, then
  the new item's ``source_item_id`` points back at the source;
- ``assign``: ``assignments.assign_by_rule`` (the rule's choice as on step entry, then
  ``assignments.assign_item``);
- ``move_to_step``: a timed rule's (``on_duration``, ``at_risk``), through
  ``moves.move_item``, whose chain of automatic moves the step's
  ``metadata.max_automatic_moves`` bounds; an ``on_exit`` one still queued from
  before moves followed them is performed the same way, and an ``on_enter`` or
  ``on_field_change`` one only settles (its move followed it);
- ``webhook``: a ``webhook.deliver`` job whose id is the ``webhook-id``.

These use cases each commit their own unit of work; the handler lends them the
job's transaction through ``_SharedUnit``, whose ``commit`` only flushes, and
the worker commits once at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from pacetrack.adapters.templating import render
from pacetrack.db import repository
from pacetrack.db.tables import RUNNING_STEP, Item, PipelineInstance, Step
from pacetrack.db.tables_automations import (
    RUN_FAILED,
    RUN_PENDING,
    RUN_SKIPPED,
    RUN_SUCCEEDED,
    AutomationRun,
    DeliveryAttempt,
    WebhookEndpoint,
)
from pacetrack.engine.config import (
    AssignAction,
    AutomationRule,
    CreateItemAction,
    MoveToStepAction,
    NotifyAction,
    UpdateFieldAction,
    WebhookAction,
)
from pacetrack.engine.expressions import ExpressionError, compile_expression
from pacetrack.engine.fields import decimal_to_json
from pacetrack.engine.ids import as_uuid
from pacetrack.engine.lifecycle import DELETED
from pacetrack.engine.retry_policy import DONE, Outcome
from pacetrack.services import assignments, items, moves, notifications, webhooks
from pacetrack.services.config_schema import problems_from
from pacetrack.services.context import Actor, system_actor
from pacetrack.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from pacetrack.services.input_types import JsonObject, PlainStr
from pacetrack.services.item_status import ItemNotOpen
from pacetrack.services.side_effects import NOTIFICATION_JOB, dump_rule, rule_payload
from pacetrack.services.step_configs import effective_config, field_specs, tenant_calendar
from pacetrack.services.unit_of_work import LentUnit, UnitOfWork, UnitOfWorkFactory
from pacetrack.services.webhook_auth import credentials_of

FOLLOWED_BY_THE_MOVE = frozenset({"on_enter", "on_field_change"})
"""Triggers whose ``move_to_step`` jobs, still queued from before moves recorded their
runs, were followed by the move already (``on_exit`` ones were not: a job performs them)."""
_RULE = TypeAdapter(AutomationRule)


class _SharedUnit(LentUnit):
    """The caller's transaction lent to another use case: its ``commit`` only flushes."""

    def commit(self) -> None:
        self._outer.flush()


# --- templates -----------------------------------------------------------------------------------


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """``value`` with every string rendered as a template (lists and objects recursively)."""
    if isinstance(value, str):
        if "{" not in value:
            return value
        rendered = render(value, context)
        if not rendered.ok:
            raise InvalidInput.one("action", f"template “{value}” failed: {rendered.error}")
        return rendered.text
    if isinstance(value, Mapping):
        return {str(key): render_value(item, context) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(item, context) for item in value]
    return value


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_to_json(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def item_context(
    uow: UnitOfWork,
    *,
    item: Item,
    payload: Mapping[str, Any],
    base_url: str,
    now: datetime,
) -> dict[str, Any]:
    """Template variables: ``item``, ``field``, ``step``, ``pipeline``, ``actor`` and more."""
    return notifications.template_context(
        uow, item=item, payload=payload, base_url=base_url, now=now
    )


# --- the actions ---------------------------------------------------------------------------------


def _find_instance(session: Session, tenant_id: uuid.UUID, reference: str) -> PipelineInstance:
    as_id = as_uuid(reference)
    instance = (
        None
        if as_id is None
        else repository.get(session, PipelineInstance, tenant_id=tenant_id, id=as_id)
    )
    if instance is None:
        instance = session.scalars(
            select(PipelineInstance)
            .where(PipelineInstance.tenant_id == tenant_id, PipelineInstance.name == reference)
            .order_by(PipelineInstance.created_at)
        ).first()
    if instance is None:
        raise InvalidInput.one("action.pipeline_instance_id", f"no pipeline instance “{reference}”")
    return instance


def _find_step(session: Session, tenant_id: uuid.UUID, instance_id: uuid.UUID, ref: str) -> Step:
    steps = session.scalars(
        select(Step).where(
            Step.tenant_id == tenant_id, Step.pipeline_instance_id == instance_id, RUNNING_STEP
        )
    ).all()
    for step in steps:
        if str(step.id) == ref or step.name.casefold() == ref.casefold():
            return step
    raise InvalidInput.one("action.step", f"no step “{ref}” in this pipeline")


def _mapped_values(
    mapping: Mapping[str, Any], *, item_values: Mapping[str, Any], context: Mapping[str, Any]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for target, source in mapping.items():
        if isinstance(source, str) and "{" not in source and source in item_values:
            value = item_values[source]
        else:
            value = render_value(source, context)
        if value is None or value == "":
            continue
        values[target] = value
    return values


def render_create_item(
    session: Session, *, item: Item, action: CreateItemAction, context: Mapping[str, Any]
) -> dict[str, Any]:
    instance = _find_instance(session, item.tenant_id, action.pipeline_instance_id)
    step = _find_step(session, item.tenant_id, instance.id, action.step) if action.step else None
    return {
        "type": "create_item",
        "pipeline_instance_id": str(instance.id),
        "pipeline": instance.name,
        "step_id": str(step.id) if step else None,
        "name": str(render_value(action.name, context))[:300] or item.name,
        "field_values": _mapped_values(
            action.field_mapping, item_values=item.field_values or {}, context=context
        ),
        "source_item_id": str(item.id),
    }


def render_update_field(
    uow: UnitOfWork,
    *,
    item: Item,
    action: UpdateFieldAction,
    context: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    if action.expression:
        fields = field_specs(uow, tenant_id=item.tenant_id)
        try:
            expression = compile_expression(action.expression, fields=fields)
        except ExpressionError as exc:
            raise InvalidInput.one("action.expression", str(exc)) from exc
        outcome = expression.evaluate(
            item.field_values or {},
            now=now,
            calendar=tenant_calendar(uow, tenant_id=item.tenant_id),
        )
        if outcome.error is not None:
            raise InvalidInput.one("action.expression", outcome.error)
        value = _json_value(outcome.value)
    else:
        value = render_value(action.value, context)
    return {"type": "update_field", "field_values": {action.field_id: value}}


def render_webhook(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    rule: AutomationRule,
    action: WebhookAction,
    context: Mapping[str, Any],
    triggered_at: datetime,
) -> tuple[WebhookEndpoint | None, str, dict[str, Any]]:
    """(registered endpoint or None for an unregistered target, URL, request document)."""
    endpoint = None
    if action.endpoint_id:
        try:
            endpoint_id = uuid.UUID(action.endpoint_id)
        except ValueError as exc:
            raise NotFound.one("action.endpoint_id", "no such webhook endpoint") from exc
        endpoint = repository.get(session, WebhookEndpoint, tenant_id=tenant_id, id=endpoint_id)
        if endpoint is None:
            raise NotFound.one("action.endpoint_id", "no such webhook endpoint")
        url = endpoint.url
    else:
        url = str(action.target)
        webhooks.check_webhook_url(
            session, tenant_id=tenant_id, url=url, field="action.target", resolve=False
        )
        endpoint = session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.url == url
            )
        ).first()
    document = {
        "type": rule.id,
        "timestamp": triggered_at.isoformat(),
        "data": render_value(action.data if action.data is not None else {}, context),
    }
    headers = {
        str(name): str(render_value(value, context)) for name, value in action.headers.items()
    }
    body = webhooks.body_text(document)
    return endpoint, url, {"url": url, "headers": headers, "body": body}


def _perform(
    uow: UnitOfWork,
    *,
    run: AutomationRun,
    rule: AutomationRule,
    item: Item,
    payload: Mapping[str, Any],
    context: Mapping[str, Any],
) -> None:
    """Performs the action inside ``uow``'s transaction and fills in ``run``."""
    session = uow.session
    now = uow.clock.now()
    actor = system_actor(item.tenant_id)
    shared = _SharedUnit(uow)
    action = rule.action
    if isinstance(action, WebhookAction):
        endpoint, url, request = render_webhook(
            session,
            tenant_id=item.tenant_id,
            rule=rule,
            action=action,
            context=context,
            triggered_at=run.triggered_at,
        )
        if endpoint is None:
            endpoint = webhooks.endpoint_for_target(
                session, tenant_id=item.tenant_id, url=url, now=now
            )
        delivery_id = uuid.uuid4()
        uow.outbox.enqueue(
            tenant_id=item.tenant_id,
            kind=webhooks.WEBHOOK_JOB,
            payload=webhooks.delivery_payload(
                endpoint_id=endpoint.id,
                run_id=run.id,
                body=request["body"],
                headers=request["headers"],
            ),
            now=now,
            id=delivery_id,
        )
        run.rendered_request = request
        run.endpoint_id = endpoint.id
        run.delivery_id = delivery_id
        run.status = RUN_PENDING
        return
    if isinstance(action, UpdateFieldAction):
        request = render_update_field(uow, item=item, action=action, context=context, now=now)
        run.rendered_request = request
        out = items.update_fields(
            shared,
            actor,
            items.ItemFieldsUpdate(id=item.id, field_values=request["field_values"]),
        )
        run.result = {"version": out.version}
    elif isinstance(action, NotifyAction):
        notify_rule = {
            "id": rule.id,
            "trigger": rule.trigger,
            "recipients": [
                {"type": r.type, **({"id": r.id} if r.id else {})} for r in action.recipients
            ],
            "template": action.template,
            "subject": action.subject,
            "body": action.body,
            "channels": list(action.channels),
        }
        job_id = uow.outbox.enqueue(
            tenant_id=item.tenant_id,
            kind=NOTIFICATION_JOB,
            payload=rule_payload(
                kind="notification",
                rule={k: v for k, v in notify_rule.items() if v is not None},
                trigger=str(payload.get("trigger", rule.trigger)),
                item_id=item.id,
                step_id=as_uuid(payload.get("step_id")),
                history_id=as_uuid(payload.get("history_id")),
                actor_id=as_uuid(payload.get("actor_id")),
                triggered_at=run.triggered_at,
                changes=(),
                context=dict(payload.get("context") or {}),
            ),
            now=now,
        )
        run.rendered_request = {"type": "notify", **notify_rule}
        run.result = {"notification_job_id": str(job_id)}
    elif isinstance(action, CreateItemAction):
        request = render_create_item(session, item=item, action=action, context=context)
        run.rendered_request = request
        created = items.create_item(
            shared,
            actor,
            items.ItemCreate(
                pipeline_instance_id=uuid.UUID(request["pipeline_instance_id"]),
                name=request["name"],
                step_id=uuid.UUID(request["step_id"]) if request["step_id"] else None,
                field_values=request["field_values"],
                owner_account_id=item.owner_account_id,
            ),
        )
        row = session.get(Item, (item.tenant_id, created.id))
        assert row is not None
        row.source_item_id = item.id
        run.result = {"created_item_id": str(created.id)}
    elif isinstance(action, AssignAction):
        step = session.get(Step, (item.tenant_id, item.current_step_id))
        if step is None:
            raise InvalidInput.one("item", "the item is at no step")
        applied = assignments.assign_by_rule(
            shared, actor, item=item, step=step, rule=action.assignment, mode=action.mode
        )
        run.rendered_request = {
            "type": "assign",
            "mode": action.mode,
            "account_ids": [str(a) for a in applied.choice.chosen],
        }
        if applied.assignment is None:
            raise InvalidInput.one(
                "action.assignment", applied.choice.unresolved_reason or "nobody"
            )
        run.result = {
            "assigned_account_ids": [str(a) for a in applied.assignment.assigned_account_ids]
        }
    elif isinstance(action, MoveToStepAction):
        run.rendered_request = {"type": "move_to_step", "step": action.step}
        if rule.trigger in FOLLOWED_BY_THE_MOVE:
            # Queued before moves recorded these runs themselves: the move that fired the
            # rule followed it already, so this job only settles.
            run.status, run.error = RUN_SKIPPED, "followed by the change that fired it"
            return
        target = _find_step(session, item.tenant_id, item.pipeline_instance_id, action.step)
        moved = moves.move_item(shared, actor, moves.MoveItem(id=item.id, step_id=target.id))
        run.result = {"moved_to": target.name, "version": moved.version}
    run.status = RUN_SUCCEEDED


def _new_run(
    *,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    rule_document: Mapping[str, Any],
    payload: Mapping[str, Any],
    now: datetime,
) -> AutomationRun:
    action = rule_document.get("action") or {}
    triggered = payload.get("triggered_at")
    return AutomationRun(
        tenant_id=tenant_id,
        id=job_id,
        automation_id=str(rule_document.get("id", ""))[:200],
        automation_name=(str(rule_document["name"])[:200] if rule_document.get("name") else None),
        action_type=str(action.get("type", ""))[:32],
        trigger=str(payload.get("trigger", ""))[:32],
        item_id=as_uuid(payload.get("item_id")),
        step_id=as_uuid(payload.get("step_id")),
        status=RUN_PENDING,
        error=None,
        rendered_request={},
        result={},
        triggered_at=datetime.fromisoformat(str(triggered)) if triggered else now,
        created_at=now,
    )


def run_automation(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    payload: Mapping[str, Any],
    base_url: str,
) -> Outcome:
    """Performs an ``automation.run`` job: the action and its run row, in the worker's transaction.

    The worker commits them together with the job's outcome. A run that fails
    for a reason a retry cannot fix (bad input, blocked move, missing target)
    is recorded as failed and the job is done (its action's writes are rolled
    back to a savepoint, so the jobs sharing the transaction keep theirs); a
    conflict with a concurrent write is raised so the worker retries the job.
    """
    rule_document = dict(payload.get("rule") or {})
    session = uow.session
    now = uow.clock.now()
    if session.get(AutomationRun, (tenant_id, job_id)) is not None:
        return DONE
    run = _new_run(
        tenant_id=tenant_id,
        job_id=job_id,
        rule_document=rule_document,
        payload=payload,
        now=now,
    )
    item_id = as_uuid(payload.get("item_id"))
    item = session.get(Item, (tenant_id, item_id)) if item_id else None
    try:
        rule = _RULE.validate_python(rule_document)
    except ValidationError as exc:
        rule = None
        run.status, run.error = RUN_FAILED, f"the automation is not valid: {exc}"[:2000]
    if rule is not None and not rule.is_enabled:
        run.status, run.error = RUN_SKIPPED, "the automation is disabled"
    elif rule is not None and item is None:
        run.status, run.error = RUN_SKIPPED, "the item no longer exists"
    elif rule is not None and item is not None:
        context = item_context(uow, item=item, payload=payload, base_url=base_url, now=now)
        action = session.begin_nested()
        try:
            _perform(uow, run=run, rule=rule, item=item, payload=payload, context=context)
        except ItemNotOpen as exc:
            action.rollback()
            run.status, run.error = RUN_SKIPPED, exc.message
        except Conflict:
            action.rollback()
            raise
        except moves.MoveBlocked as exc:
            # The refused move's validation_failure rows stay: they are the record of why.
            action.commit()
            run.status, run.error = RUN_FAILED, exc.message
        except ServiceError as exc:
            action.rollback()
            run.status, run.error = RUN_FAILED, _problem_text(exc)
        else:
            action.commit()
    if run.status != RUN_PENDING:
        run.finished_at = now
    session.add(run)
    return DONE


def _problem_text(exc: ServiceError) -> str:
    if isinstance(exc, InvalidInput) and exc.problems:
        return "; ".join(f"{p.field}: {p.message}" for p in exc.problems)[:2000]
    return exc.message[:2000]


# --- testing an automation -----------------------------------------------------------------------


class SampleItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainStr = Field(default="Sample item", max_length=300)
    field_values: JsonObject = Field(default_factory=dict)
    step_id: uuid.UUID | None = None


class AutomationTest(BaseModel):
    """Run an automation without touching the item: give the rule, or a step and its rule id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["automation"], "properties": {"automation": {"type": "object"}}},
                {
                    "required": ["step_id", "automation_id"],
                    "properties": {
                        "step_id": {"type": "string", "format": "uuid"},
                        "automation_id": {"type": "string", "maxLength": 200},
                    },
                },
            ]
        },
    )
    automation: JsonObject | None = None
    step_id: uuid.UUID | None = None
    automation_id: PlainStr | None = Field(default=None, max_length=200)
    item_id: uuid.UUID | None = None
    sample: SampleItem | None = None
    send: bool = Field(default=False, description="For a webhook: really send the request")


class SentOut(BaseModel):
    delivery_id: uuid.UUID
    status_code: int | None
    duration_ms: int
    error: str | None
    response_body: str | None


class AutomationTestOut(BaseModel):
    automation_id: str
    action_type: str
    rendered_request: dict[str, Any]
    sent: SentOut | None = None


def _test_rule(uow: UnitOfWork, actor: Actor, command: AutomationTest) -> AutomationRule:
    session = uow.session
    if command.automation is not None:
        try:
            return _RULE.validate_python(command.automation)
        except ValidationError as exc:
            raise InvalidInput(problems_from(exc, "automation")) from exc
    if command.step_id is None or command.automation_id is None:
        raise InvalidInput.one("automation", "give an automation, or a step_id and automation_id")
    step = repository.get(session, Step, tenant_id=actor.tenant_id, id=command.step_id)
    if step is None:
        raise NotFound("Step not found.")
    config = effective_config(uow, tenant_id=actor.tenant_id, step=step)
    for rule in config.automations:
        if rule.id == command.automation_id:
            return rule
    raise NotFound.one("automation_id", f"the step has no automation “{command.automation_id}”")


def _sample_item(session: Session, actor: Actor, command: AutomationTest) -> Item:
    if command.item_id is not None:
        item = repository.get(session, Item, tenant_id=actor.tenant_id, id=command.item_id)
        if item is None or item.status == DELETED:
            raise NotFound("Item not found.")
        # Detached copy: rendering and dry runs never write to the real item.
        session.expunge(item)
        return item
    sample = command.sample or SampleItem()
    step = (
        repository.get(session, Step, tenant_id=actor.tenant_id, id=sample.step_id)
        if sample.step_id
        else None
    )
    if sample.step_id and step is None:
        raise NotFound.one("sample.step_id", "no such step")
    if step is None and command.step_id is not None:
        step = repository.get(session, Step, tenant_id=actor.tenant_id, id=command.step_id)
    return Item(
        tenant_id=actor.tenant_id,
        id=uuid.UUID(int=0),
        pipeline_instance_id=step.pipeline_instance_id if step else uuid.UUID(int=0),
        current_step_id=step.id if step else None,
        name=sample.name,
        field_values=dict(sample.field_values),
        owner_account_id=actor.account_id,
        assigned_account_ids=[],
        status="active",
        version=1,
    )


def try_automation(
    uow_factory: UnitOfWorkFactory, actor: Actor, command: AutomationTest, *, base_url: str
) -> AutomationTestOut:
    """The request the automation would make for the item (or sample), without making it.

    With ``send`` a webhook is really sent once (signed, through the hardened
    client, no retries) and the attempt recorded; nothing else is written.
    """
    actor.require_admin("test automations")
    with uow_factory() as uow:
        session = uow.session
        now = uow.clock.now()
        rule = _test_rule(uow, actor, command)
        item = _sample_item(session, actor, command)
        payload = {
            "trigger": rule.trigger,
            "step_id": str(item.current_step_id) if item.current_step_id else None,
            "actor_id": str(actor.account_id) if actor.account_id else None,
        }
        context = item_context(uow, item=item, payload=payload, base_url=base_url, now=now)
        action = rule.action
        if isinstance(action, WebhookAction):
            endpoint, url, request = render_webhook(
                session,
                tenant_id=actor.tenant_id,
                rule=rule,
                action=action,
                context=context,
                triggered_at=now,
            )
            if command.send and endpoint is None:
                endpoint = webhooks.endpoint_for_target(
                    session, tenant_id=actor.tenant_id, url=url, now=now
                )
            if endpoint is not None:
                request["endpoint_id"] = str(endpoint.id)
        elif isinstance(action, UpdateFieldAction):
            request = render_update_field(uow, item=item, action=action, context=context, now=now)
        elif isinstance(action, CreateItemAction):
            request = render_create_item(session, item=item, action=action, context=context)
        elif isinstance(action, NotifyAction):
            request = {
                "type": "notify",
                "recipients": [{"type": r.type, "id": r.id} for r in action.recipients],
                "subject": render_value(action.subject, context) if action.subject else None,
                "body": render_value(action.body, context) if action.body else None,
                "template": action.template,
                "channels": list(action.channels),
            }
        elif isinstance(action, AssignAction):
            request = {
                "type": "assign",
                "mode": action.mode,
                "assignment": dump_rule("automation", rule)["action"]["assignment"],
            }
        else:
            request = {"type": "move_to_step", "step": action.step}
        if not (command.send and isinstance(action, WebhookAction) and endpoint is not None):
            return AutomationTestOut(
                automation_id=rule.id, action_type=action.type, rendered_request=request
            )
        delivery_id = uuid.uuid4()
        body = request["body"].encode("utf-8")
        headers = webhooks.signed_headers(
            endpoint=endpoint, delivery_id=delivery_id, body=body, extra=request["headers"], now=now
        )
        policy = webhooks.tenant_policy(session, tenant_id=actor.tenant_id)
        endpoint_id, endpoint_url = endpoint.id, endpoint.url
        credentials = credentials_of(endpoint)
        request["headers"] = headers
        # The endpoint a send registers is kept: the receiver needs its secret.
        uow.commit()
    result = webhooks.send(
        endpoint_url,
        body=body,
        headers=headers,
        policy=policy,
        credentials=credentials,
        clock=uow.clock,
    )
    response = result.response
    with uow_factory() as uow:
        uow.session.add(
            DeliveryAttempt(
                tenant_id=actor.tenant_id,
                id=uuid.uuid4(),
                delivery_id=delivery_id,
                endpoint_id=endpoint_id,
                automation_run_id=None,
                attempt=1,
                url=endpoint_url,
                request_headers=headers,
                request_body=request["body"],
                response_status=response.status_code if response else None,
                response_body=response.body.decode("utf-8", "replace")[:16000]
                if response
                else None,
                duration_ms=result.duration_ms,
                error=result.error,
                outcome="test",
                next_attempt_at=None,
                created_at=uow.clock.now(),
            )
        )
        uow.commit()
    return AutomationTestOut(
        automation_id=rule.id,
        action_type=action.type,
        rendered_request=request,
        sent=SentOut(
            delivery_id=delivery_id,
            status_code=response.status_code if response else None,
            duration_ms=result.duration_ms,
            error=result.error,
            response_body=response.body.decode("utf-8", "replace")[:2000] if response else None,
        ),
    )


# --- the log and statistics ----------------------------------------------------------------------


class AttemptOut(BaseModel):
    attempt: int
    url: str
    outcome: str
    response_status: int | None
    duration_ms: int
    error: str | None
    next_attempt_at: datetime | None
    request_headers: dict[str, Any]
    created_at: datetime


class RunOut(BaseModel):
    id: uuid.UUID
    automation_id: str
    automation_name: str | None
    action_type: str
    trigger: str
    item_id: uuid.UUID | None
    step_id: uuid.UUID | None
    status: str
    error: str | None
    rendered_request: dict[str, Any]
    result: dict[str, Any]
    endpoint_id: uuid.UUID | None
    delivery_id: uuid.UUID | None
    triggered_at: datetime
    created_at: datetime
    finished_at: datetime | None
    attempts: list[AttemptOut]


class RunPage(BaseModel):
    runs: list[RunOut]
    total: int
    limit: int
    offset: int


RunStatus = Literal["pending", "succeeded", "failed", "skipped"]


def list_runs(
    uow: UnitOfWork,
    actor: Actor,
    *,
    item_id: uuid.UUID | None = None,
    automation_id: str | None = None,
    status: RunStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> RunPage:
    """The tenant's automation runs, newest first, each with its delivery attempts."""
    actor.require_admin("read the automation log")
    session = uow.session
    conditions = [AutomationRun.tenant_id == actor.tenant_id]
    if item_id is not None:
        conditions.append(AutomationRun.item_id == item_id)
    if automation_id is not None:
        conditions.append(AutomationRun.automation_id == automation_id)
    if status is not None:
        conditions.append(AutomationRun.status == status)
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput.one(name, "give a time zone (e.g. 2026-03-02T09:00:00Z)")
    if since is not None:
        conditions.append(AutomationRun.created_at >= since)
    if until is not None:
        conditions.append(AutomationRun.created_at < until)
    where = and_(*conditions)
    total = session.scalar(select(func.count()).select_from(AutomationRun).where(where)) or 0
    runs = session.scalars(
        select(AutomationRun)
        .where(where)
        .order_by(AutomationRun.created_at.desc(), AutomationRun.id)
        .limit(limit)
        .offset(offset)
    ).all()
    deliveries = [run.delivery_id for run in runs if run.delivery_id is not None]
    attempts: dict[uuid.UUID, list[AttemptOut]] = {}
    if deliveries:
        for row in session.scalars(
            select(DeliveryAttempt)
            .where(
                DeliveryAttempt.tenant_id == actor.tenant_id,
                DeliveryAttempt.delivery_id.in_(deliveries),
            )
            .order_by(DeliveryAttempt.attempt, DeliveryAttempt.created_at)
        ):
            attempts.setdefault(row.delivery_id, []).append(
                AttemptOut(
                    attempt=row.attempt,
                    url=row.url,
                    outcome=row.outcome,
                    response_status=row.response_status,
                    duration_ms=row.duration_ms,
                    error=row.error,
                    next_attempt_at=row.next_attempt_at,
                    request_headers=dict(row.request_headers or {}),
                    created_at=row.created_at,
                )
            )
    return RunPage(
        runs=[
            RunOut(
                id=run.id,
                automation_id=run.automation_id,
                automation_name=run.automation_name,
                action_type=run.action_type,
                trigger=run.trigger,
                item_id=run.item_id,
                step_id=run.step_id,
                status=run.status,
                error=run.error,
                rendered_request=dict(run.rendered_request or {}),
                result=dict(run.result or {}),
                endpoint_id=run.endpoint_id,
                delivery_id=run.delivery_id,
                triggered_at=run.triggered_at,
                created_at=run.created_at,
                finished_at=run.finished_at,
                attempts=attempts.get(run.delivery_id, []) if run.delivery_id else [],
            )
            for run in runs
        ],
        total=total,
        limit=limit,
        offset=offset,
    )


class AutomationStats(BaseModel):
    automation_id: str
    runs: int
    succeeded: int
    failed: int
    pending: int
    skipped: int
    success_rate: float | None
    """Succeeded over finished (succeeded + failed) runs; None before any finished."""
    last_error: str | None
    last_error_at: datetime | None


def automation_stats(
    uow: UnitOfWork, actor: Actor, *, since: datetime | None = None
) -> list[AutomationStats]:
    """Per automation id: run counts by status, success rate and the last error."""
    actor.require_admin("read automation statistics")
    if since is not None and since.tzinfo is None:
        raise InvalidInput.one("since", "give a time zone (e.g. 2026-03-02T09:00:00Z)")
    session = uow.session
    conditions = [AutomationRun.tenant_id == actor.tenant_id]
    if since is not None:
        conditions.append(AutomationRun.created_at >= since)
    counts: dict[str, dict[str, int]] = {}
    for automation_id, status, count in session.execute(
        select(AutomationRun.automation_id, AutomationRun.status, func.count())
        .where(*conditions)
        .group_by(AutomationRun.automation_id, AutomationRun.status)
    ):
        counts.setdefault(automation_id, {})[status] = int(count)
    last_errors: dict[str, tuple[str | None, datetime]] = {}
    for automation_id, error, at in session.execute(
        select(AutomationRun.automation_id, AutomationRun.error, AutomationRun.created_at)
        .where(*conditions, AutomationRun.error.is_not(None))
        .order_by(AutomationRun.created_at)
    ):
        last_errors[automation_id] = (error, at)
    stats = []
    for automation_id in sorted(counts):
        by_status = counts[automation_id]
        succeeded, failed = by_status.get(RUN_SUCCEEDED, 0), by_status.get(RUN_FAILED, 0)
        last = last_errors.get(automation_id)
        stats.append(
            AutomationStats(
                automation_id=automation_id,
                runs=sum(by_status.values()),
                succeeded=succeeded,
                failed=failed,
                pending=by_status.get(RUN_PENDING, 0),
                skipped=by_status.get(RUN_SKIPPED, 0),
                success_rate=round(succeeded / (succeeded + failed), 4)
                if succeeded + failed
                else None,
                last_error=last[0] if last else None,
                last_error_at=last[1] if last else None,
            )
        )
    return stats
