"""Rolling a pipeline template back to an earlier published version.

The version's steps replace the draft: steps it has come back (a step deleted since is
restored under its id, so running copies of it stay linked), their properties and
configuration families are set from the snapshot after the same save-time checks as
any edit, and steps it does not have are soft-deleted, which is refused (409) while an
active pipeline runs a copy of one, as deleting a single step is. The result is
published as a new version whose note names the version it restores.
"""

from __future__ import annotations

import uuid
from typing import Any

from pacetrack.db import config_audit
from pacetrack.engine.config import CONFIG_FAMILIES
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict
from pacetrack.services.fields import load_field_specs
from pacetrack.services.template_versions import (
    RollbackVersion,
    VersionOut,
    publish_current,
    version_out,
    version_row,
)
from pacetrack.services.templates import (
    checked_families,
    family_column,
    get_template_row,
    stored_families,
)
from pacetrack.services.unit_of_work import UnitOfWork

PLAIN_PROPERTIES = ("name", "description", "target_duration_days", "color", "icon")


def rollback(uow: UnitOfWork, actor: Actor, data: RollbackVersion) -> VersionOut:
    actor.require_admin("roll back pipeline templates")
    template = get_template_row(uow, actor, data.id)
    version = version_row(uow, actor, template.id, data.version, field="version")
    snapshot = version.snapshot
    kept_ids = {uuid.UUID(step["id"]) for step in snapshot["steps"]}
    dropped = [
        step
        for step in uow.templates.live_steps(actor.tenant_id, template.id)
        if step.id not in kept_ids
    ]
    if snapshot["name"] != template.name and uow.templates.name_taken(
        actor.tenant_id, snapshot["name"], except_id=template.id
    ):
        raise Conflict.one("version", f"another template is named “{snapshot['name']}” now")
    now = uow.clock.now()
    for step in dropped:
        step.deleted_at = now
    fields = load_field_specs(uow, tenant_id=actor.tenant_id)
    for position, saved in enumerate(snapshot["steps"], start=1):
        _restore_step(uow, actor, template.id, saved, position=position, fields=fields)
    template.name = snapshot["name"]
    template.description = snapshot["description"]
    template.board = dict(snapshot["board"])
    template.updated_at = now
    uow.flush()
    row = publish_current(uow, actor, template, note=_note(data.version, data.note))
    uow.annotate(row, action=config_audit.ROLLED_BACK, restores=data.version)
    uow.commit()
    return version_out(uow, row, with_snapshot=True)


def _note(number: int, note: str) -> str:
    restored = f"Restores version {number}."
    return f"{restored} {note}" if note else restored


def _restore_step(
    uow: UnitOfWork,
    actor: Actor,
    template_id: uuid.UUID,
    saved: dict[str, Any],
    *,
    position: int,
    fields: Any,
) -> None:
    # Read even when soft-deleted: a step the version has and a later edit deleted comes back.
    row = uow.templates.step_even_deleted(actor.tenant_id, uuid.UUID(saved["id"]))
    if row is None or row.pipeline_template_id != template_id:
        return
    families = checked_families(
        uow,
        tenant_id=actor.tenant_id,
        raw={family: saved[family] for family in CONFIG_FAMILIES},
        current=stored_families(row),
        target_duration_days=saved["target_duration_days"],
        fields=fields,
    )
    now = uow.clock.now()
    for key in PLAIN_PROPERTIES:
        setattr(row, key, saved[key])
    for family in CONFIG_FAMILIES:
        setattr(row, family_column(family), families[family])
    row.position = position
    row.deleted_at = None
    row.updated_at = now
