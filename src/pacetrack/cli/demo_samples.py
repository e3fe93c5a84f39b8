"""Sample items for the demo's pipelines, put in place through the real services.

Each library template may have a file ``templates_library/samples/<key>.yaml`` listing
items and the journey each one took: how many days ago it was created, then, one stop
at a time, how long it stayed, which field values were filled in, which approvals were
asked for and given, and where it moved. The journey runs on a clock set back in time
and advanced stop by stop, so entry requirements, validations, calculations,
assignments, timers, approvals and history are exactly what people doing the same
would have produced, and an item that has sat in its step longer than the step's
target is at risk because it really entered that long ago.

A sample file may also allow-list webhook destinations for the tenant and override a
running step's configuration (the demo's failing webhook goes to a closed loopback
port this way).
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.services import approvals, items, moves, pipelines, webhooks
from pacetrack.services.context import Actor
from pacetrack.services.errors import ServiceError

SAMPLES_PACKAGE = "pacetrack"
SAMPLES_FOLDER = ("templates_library", "samples")
# "today", "today+14", "today-30": a date relative to the day the demo runs, so offers
# have not expired and shoots lie around now whenever the demo is created.
RELATIVE_DATE = re.compile(r"^today(?:([+-])(\d{1,4}))?$")


class Stop(BaseModel):
    """One stage of a journey, done in this order: wait, fill in, ask, approve, move."""

    model_config = ConfigDict(extra="forbid")
    days: float = Field(default=0, ge=0, description="Days spent before this stage")
    set: dict[str, Any] = Field(default_factory=dict, description="Field values filled in")
    request_approval: str | None = Field(default=None, description="Username who asks")
    comment: str = Field(default="", max_length=5000, description="The request's comment")
    approve: str | None = Field(default=None, description="Username who approves the request")
    move: str | None = Field(default=None, description="The step the item moves to")

    @model_validator(mode="after")
    def _approval_needs_request(self) -> Stop:
        if self.approve is not None and self.request_approval is None:
            raise ValueError("an approval answers a request in the same stage")
        return self


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=300)
    owner: str | None = None
    created_days_ago: float = Field(ge=0)
    fields: dict[str, Any] = Field(default_factory=dict)
    journey: list[Stop] = Field(default_factory=list)

    @model_validator(mode="after")
    def _journey_ends_by_today(self) -> Sample:
        if sum(stop.days for stop in self.journey) > self.created_days_ago:
            raise ValueError(f"“{self.name}”: the journey lasts longer than the item exists")
        return self


class SampleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    webhook_allow_list: list[str] = Field(default_factory=list)
    step_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    samples: list[Sample] = Field(default_factory=list)


def sample_files() -> dict[str, SampleFile]:
    """The sample files, keyed like the library templates (``sales``, ``medical`` …)."""
    folder = resources.files(SAMPLES_PACKAGE).joinpath(*SAMPLES_FOLDER)
    found: dict[str, SampleFile] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        key = entry.name.removesuffix(".yaml")
        try:
            found[key] = SampleFile.model_validate(yaml.safe_load(entry.read_text("utf-8")))
        except ValidationError as error:
            raise ValueError(f"samples/{entry.name} is not a valid sample file: {error}") from error
    return found


def resolve_dates(values: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """The values with every relative date (``today+14``) written out as an ISO date."""
    resolved: dict[str, Any] = {}
    for name, value in values.items():
        match = RELATIVE_DATE.match(value) if isinstance(value, str) else None
        if match is None:
            resolved[name] = value
            continue
        sign, amount = match.groups()
        offset = int(amount or 0) * (-1 if sign == "-" else 1)
        resolved[name] = (today + timedelta(days=offset)).isoformat()
    return resolved


@dataclasses.dataclass(kw_only=True)
class SampleContext:
    """What seeding one pipeline needs: who acts, who is who, and the real now."""

    container: Container
    admin: Actor
    people: Mapping[str, Actor]
    now: datetime


def _person(context: SampleContext, username: str) -> Actor:
    try:
        return context.people[username]
    except KeyError:
        raise ValueError(f"the samples name an unknown demo user “{username}”") from None


def seed_pipeline(context: SampleContext, *, instance_id: uuid.UUID, file: SampleFile) -> int:
    """Configures the pipeline as the file says and puts its samples in; returns how many."""
    container, admin = context.container, context.admin
    with container.uow() as uow:
        instance = pipelines.get_instance(uow, admin, instance_id)
        if any(
            items.list_items(
                uow, admin, pipeline_instance_id=instance_id, status=status, limit=1
            ).total
            for status in ("active", "completed", "archived")
        ):
            return 0
    steps = {step.name: step for step in instance.steps or []}
    if file.webhook_allow_list:
        with container.uow() as uow:
            current = webhooks.get_allow_list(uow, admin).entries
        with container.uow() as uow:
            webhooks.set_allow_list(
                uow,
                admin,
                webhooks.AllowListIn(
                    entries=list(dict.fromkeys(current + file.webhook_allow_list))
                ),
            )
    for step_name, overrides in file.step_overrides.items():
        with container.uow() as uow:
            pipelines.update_step_overrides(
                uow,
                admin,
                pipelines.StepOverridesUpdate(
                    step_id=_step_id(steps, step_name), config_overrides=overrides
                ),
            )
    for sample in file.samples:
        _place(context, instance_id=instance_id, steps=steps, sample=sample)
    return len(file.samples)


def _step_id(steps: Mapping[str, pipelines.StepOut], name: str) -> uuid.UUID:
    if name not in steps:
        raise ValueError(f"the samples name a step “{name}” the pipeline does not have")
    return steps[name].id


def _place(
    context: SampleContext,
    *,
    instance_id: uuid.UUID,
    steps: Mapping[str, pipelines.StepOut],
    sample: Sample,
) -> None:
    """Lives the sample's journey on a clock that starts when the item was created."""
    clock = FrozenClock(context.now - timedelta(days=sample.created_days_ago))
    past = dataclasses.replace(context.container, clock=clock)
    admin = context.admin
    today = context.now.date()
    owner = _person(context, sample.owner).account_id if sample.owner else None
    with past.uow() as uow:
        item_id = items.create_item(
            uow,
            admin,
            items.ItemCreate(
                pipeline_instance_id=instance_id,
                name=sample.name,
                field_values=resolve_dates(sample.fields, today=today),
                owner_account_id=owner,
            ),
        ).id
    for stop in sample.journey:
        clock.advance(timedelta(days=stop.days))
        try:
            _stage(context, past, item_id=item_id, steps=steps, stop=stop, today=today)
        except ServiceError as error:
            reasons = [v.message for v in getattr(error, "violations", ())]
            raise ValueError(
                f"The sample “{sample.name}” cannot go on: {' '.join([str(error), *reasons])}"
            ) from error


def _stage(
    context: SampleContext,
    past: Container,
    *,
    item_id: uuid.UUID,
    steps: Mapping[str, pipelines.StepOut],
    stop: Stop,
    today: date,
) -> None:
    admin = context.admin
    if stop.set:
        with past.uow() as uow:
            items.update_fields(
                uow,
                admin,
                items.ItemFieldsUpdate(
                    id=item_id, field_values=resolve_dates(stop.set, today=today)
                ),
            )
    if stop.request_approval is not None:
        with past.uow() as uow:
            request = approvals.request_approval(
                uow,
                _person(context, stop.request_approval),
                approvals.RequestApproval(item_id=item_id, comment=stop.comment),
            )
        if stop.approve is not None:
            with past.uow() as uow:
                approvals.approve(
                    uow,
                    _person(context, stop.approve),
                    approvals.ApproveRequest(request_id=request.id),
                )
    if stop.move is not None:
        with past.uow() as uow:
            moves.move_item(
                uow, admin, moves.MoveItem(id=item_id, step_id=_step_id(steps, stop.move))
            )
