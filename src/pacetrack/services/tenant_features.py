"""Per-tenant feature flags: reading them, enforcing them on save, and the operator's write.

Every save of a step configuration (a step template, one family, a template
import, a running step's overrides, a studio draft) asks
``disabled_family_problems`` first; a family whose flag is off is refused (422
naming the family's path) when the request gives it a non-empty value other than the
one stored. What is
stored already keeps working: moves, the worker and the read paths never look
at the flags. Capabilities (``studio.simulation``, ``items.bulk_actions``) are
checked by ``require_feature`` at their service entry (403).

``set_features`` is the one write path, so whatever else must happen when a
flag changes (an audit record) belongs there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pacetrack.db.tables_features import TenantFeature
from pacetrack.engine.features import (
    DESCRIPTIONS,
    Feature,
    FeatureSet,
    disabled_families_used,
    family_of,
    is_family,
    used,
)
from pacetrack.engine.words import counted
from pacetrack.services.context import Actor
from pacetrack.services.errors import FieldProblem, InvalidInput, PermissionDenied
from pacetrack.services.tenants import tenant_by_slug
from pacetrack.services.unit_of_work import UnitOfWork

_MEMO = "pacetrack.tenant_features"
ENTRY_RULES = "entry_validations"
"""``metadata.entry_validations``: rules of the validations family kept in the metadata."""


# --- reading and enforcing -------------------------------------------------------------------


def features_of(uow: UnitOfWork, *, tenant_id: uuid.UUID) -> FeatureSet:
    """The tenant's flags, read once per transaction."""
    memo = uow.tenant_features.memo(_MEMO)
    known = memo.get(tenant_id)
    if known is None:
        known = FeatureSet.from_overrides(uow.tenant_features.overrides(tenant_id))
        memo[tenant_id] = known
    return known


def _not_enabled(family: str) -> str:
    return f"the {family.replace('_', ' ')} family is not enabled for this organisation"


def disabled_family_problems(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    families: Mapping[str, Any],
    stored: Mapping[str, Any] | None = None,
    prefix: str = "",
) -> list[FieldProblem]:
    """A problem for each family of ``families`` the request uses although its flag is off.

    A disabled family may still be saved empty (clearing it is always allowed), and
    saved again exactly as ``stored`` (what the record holds now): a whole-document
    save, such as a running step's overrides, that leaves the family as it is while
    changing another is not refused. The validations family also covers the entry
    rules in ``metadata.entry_validations``.
    """
    features = features_of(uow, tenant_id=tenant_id)
    if not features.disabled:
        return []
    kept = stored or {}
    changed = {
        family: value
        for family, value in families.items()
        if family not in kept or kept[family] != value
    }
    problems = [
        FieldProblem(field=f"{prefix}{family}", message=_not_enabled(family))
        for family in disabled_families_used(features, changed)
    ]
    metadata = families.get("metadata")
    kept_metadata = kept.get("metadata")
    kept_rules = kept_metadata.get(ENTRY_RULES) if isinstance(kept_metadata, Mapping) else None
    if (
        isinstance(metadata, Mapping)
        and not features.enabled(Feature.VALIDATIONS)
        and used(metadata.get(ENTRY_RULES))
        and metadata.get(ENTRY_RULES) != kept_rules
    ):
        problems.append(
            FieldProblem(
                field=f"{prefix}metadata.{ENTRY_RULES}", message=_not_enabled("validations")
            )
        )
    return problems


def refuse_disabled_families(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    families: Mapping[str, Any],
    stored: Mapping[str, Any] | None = None,
    prefix: str = "",
) -> None:
    """Raises InvalidInput (422) when ``disabled_family_problems`` finds any."""
    problems = disabled_family_problems(
        uow, tenant_id=tenant_id, families=families, stored=stored, prefix=prefix
    )
    if problems:
        raise InvalidInput(problems, "The step configuration uses a disabled feature.")


def require_feature(uow: UnitOfWork, *, tenant_id: uuid.UUID, feature: Feature) -> None:
    """Raises PermissionDenied (403) when the tenant has ``feature`` turned off."""
    if not features_of(uow, tenant_id=tenant_id).enabled(feature):
        raise PermissionDenied(f"{DESCRIPTIONS[feature]} is not enabled for this organisation.")


def require_feature_apart(
    uow_factory: Callable[[], UnitOfWork], *, tenant_id: uuid.UUID, feature: Feature
) -> None:
    """``require_feature`` in a unit of work of its own, for use cases that open one per item
    (bulk actions), so a refused request is refused before any item is touched."""
    with uow_factory() as uow:
        require_feature(uow, tenant_id=tenant_id, feature=feature)


# --- the report ------------------------------------------------------------------------------


class FeatureUse(BaseModel):
    """Configs saved before the family was turned off: they keep working."""

    pipeline: str = Field(description="The pipeline template's or running pipeline's name")
    step: str
    rules: int = Field(description="How many rules of the family the step has")
    running: bool = Field(description="True for a running pipeline's step overrides")
    words: str = Field(description="The use in words, for people")


def _use(*, pipeline: str, step: str, rules: int, running: bool) -> FeatureUse:
    where = "running pipeline" if running else "template"
    return FeatureUse(
        pipeline=pipeline,
        step=step,
        rules=rules,
        running=running,
        words=f"{where} “{pipeline}”, step “{step}”: {counted(rules, 'rule')}",
    )


class FeatureOut(BaseModel):
    name: Feature
    description: str
    enabled: bool
    is_default: bool = Field(description="True when no operator has set this flag")
    updated_at: datetime | None = None
    updated_by: str | None = None
    in_use: list[FeatureUse] = Field(
        default_factory=list,
        description="For a disabled family: the existing configs that use it",
    )


class TenantFeaturesOut(BaseModel):
    tenant: str
    features: list[FeatureOut]


def _rule_count(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


def _uses(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, families: Sequence[str]
) -> dict[str, list[FeatureUse]]:
    """For each of ``families``: the live step templates and running steps that use it."""
    found: dict[str, list[FeatureUse]] = {family: [] for family in families}
    if not families:
        return found
    templates = uow.tenant_features.template_step_families(tenant_id, families)
    for pipeline, step, values in templates:
        for family, value in zip(families, values, strict=True):
            if count := _rule_count(value):
                found[family].append(_use(pipeline=pipeline, step=step, rules=count, running=False))
    running = uow.tenant_features.running_step_overrides(tenant_id)
    for pipeline, step, overrides in running:
        for family in families:
            if count := _rule_count((overrides or {}).get(family)):
                found[family].append(_use(pipeline=pipeline, step=step, rules=count, running=True))
    return found


def _report(uow: UnitOfWork, *, tenant_id: uuid.UUID, slug: str) -> TenantFeaturesOut:
    rows: dict[str, TenantFeature] = {row.name: row for row in uow.tenant_features.rows(tenant_id)}
    features = FeatureSet.from_overrides((name, row.enabled) for name, row in rows.items())
    off_families = [family_of(f) for f in Feature if is_family(f) and not features.enabled(f)]
    uses = _uses(uow, tenant_id=tenant_id, families=off_families)
    listed = []
    for feature in Feature:
        row = rows.get(feature.value)
        listed.append(
            FeatureOut(
                name=feature,
                description=DESCRIPTIONS[feature],
                enabled=features.enabled(feature),
                is_default=row is None,
                updated_at=row.updated_at if row is not None else None,
                updated_by=row.updated_by if row is not None else None,
                in_use=uses.get(family_of(feature), []) if is_family(feature) else [],
            )
        )
    return TenantFeaturesOut(tenant=slug, features=listed)


def list_features(uow: UnitOfWork, actor: Actor) -> TenantFeaturesOut:
    """Every flag of the actor's tenant with its state; admins only."""
    actor.require_admin("read the organisation's feature flags")
    tenant = uow.tenants.get(actor.tenant_id)
    slug = tenant.slug if tenant is not None else ""
    return _report(uow, tenant_id=actor.tenant_id, slug=slug)


def features_for_tenant(uow: UnitOfWork, *, tenant_slug: str) -> TenantFeaturesOut:
    """The operator's view of one tenant's flags (the command line)."""
    tenant = tenant_by_slug(uow, tenant_slug)
    return _report(uow, tenant_id=tenant.id, slug=tenant.slug)


# --- the operator's write --------------------------------------------------------------------


class FeatureChange(BaseModel):
    """Flags to turn on and off for one tenant; a flag not named keeps its state."""

    model_config = {"extra": "forbid"}
    tenant: str = Field(min_length=1, max_length=63, description="The tenant's slug")
    enable: list[Feature] = Field(default_factory=list, max_length=len(Feature))
    disable: list[Feature] = Field(default_factory=list, max_length=len(Feature))


def _change_problems(change: FeatureChange) -> list[FieldProblem]:
    both = set(change.enable) & set(change.disable)
    return [
        FieldProblem(field=f"disable[{index}]", message=f"“{feature.value}” is also in enable")
        for index, feature in enumerate(change.disable)
        if feature in both
    ]


def set_features(uow: UnitOfWork, change: FeatureChange, *, updated_by: str) -> TenantFeaturesOut:
    """Turns the named flags on or off for the tenant and reports every flag afterwards.

    Only the flags an operator has set are stored; existing configs of a family
    turned off are left as they are (and listed in the report's ``in_use``).
    """
    problems = _change_problems(change)
    if problems:
        raise InvalidInput(problems, "The feature change is not valid.")
    tenant = tenant_by_slug(uow, change.tenant)
    now = uow.clock.now()
    wanted = {feature: True for feature in change.enable} | {
        feature: False for feature in change.disable
    }
    for feature, enabled in wanted.items():
        row = uow.tenant_features.row(tenant.id, feature.value)
        if row is None:
            uow.tenant_features.add(
                TenantFeature(
                    tenant_id=tenant.id,
                    name=feature.value,
                    enabled=enabled,
                    updated_at=now,
                    updated_by=updated_by,
                )
            )
        elif row.enabled != enabled:
            row.enabled = enabled
            row.updated_at = now
            row.updated_by = updated_by
    uow.flush()
    report = _report(uow, tenant_id=tenant.id, slug=tenant.slug)
    uow.commit()
    return report


__all__ = [
    "Feature",
    "FeatureChange",
    "FeatureOut",
    "FeatureUse",
    "TenantFeaturesOut",
    "disabled_family_problems",
    "features_for_tenant",
    "features_of",
    "list_features",
    "refuse_disabled_families",
    "require_feature",
    "require_feature_apart",
    "set_features",
]
