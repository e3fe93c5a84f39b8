"""The tables whose changes the configuration audit records, and what of each it keeps.

Auditing one more table is one more ``AuditedKind`` in ``KINDS``. Only configuration
columns are listed: a webhook endpoint's token bucket and failure streak, a step's
status and an account's timestamps change all the time and are not configuration.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pacetrack.db.config_audit import PUBLISHED, AuditedKind, Snapshot
from pacetrack.db.tables import (
    CONFIG_COLUMNS,
    Account,
    AccountGroup,
    AccountGroupMember,
    AccountRole,
    FieldDefinition,
    PipelineInstance,
    PipelineTemplate,
    Role,
    Step,
    StepTemplate,
    Tenant,
)
from pacetrack.db.tables_automations import WebhookEndpoint
from pacetrack.db.tables_features import TenantFeature
from pacetrack.db.tables_versions import PipelineTemplateVersion


def _parent_name(session: Session, table: type[Any], tenant_id: Any, parent_id: Any) -> str:
    parent = session.get(table, (tenant_id, parent_id))
    return "" if parent is None else str(parent.name)


def _step_template_name(session: Session, row: StepTemplate) -> str:
    template = _parent_name(session, PipelineTemplate, row.tenant_id, row.pipeline_template_id)
    return f"{template}: {row.name}" if template else row.name


def _step_name(session: Session, row: Step) -> str:
    pipeline = _parent_name(session, PipelineInstance, row.tenant_id, row.pipeline_instance_id)
    return f"{pipeline}: {row.name}" if pipeline else row.name


def _account_name(session: Session, tenant_id: Any, account_id: Any) -> str:
    account = session.get(Account, (tenant_id, account_id))
    return "" if account is None else account.display_name


def _granted_role(session: Session, row: AccountRole) -> dict[str, Any]:
    return {"role": _parent_name(session, Role, row.tenant_id, row.role_id)}


def _member(session: Session, row: AccountGroupMember) -> dict[str, Any]:
    return {"account": _account_name(session, row.tenant_id, row.account_id)}


def _version(_session: Session, row: PipelineTemplateVersion) -> Snapshot:
    return {"version": row.number, "note": row.note}


def _version_before(session: Session, row: PipelineTemplateVersion) -> Snapshot | None:
    """The version the template was at before this one was published (None: the first)."""
    previous = session.scalar(
        select(func.max(PipelineTemplateVersion.number)).where(
            PipelineTemplateVersion.tenant_id == row.tenant_id,
            PipelineTemplateVersion.pipeline_template_id == row.pipeline_template_id,
            PipelineTemplateVersion.number < row.number,
        )
    )
    return None if previous is None else {"version": previous}


def _tenant_kind(kind: str, columns: tuple[str, ...]) -> AuditedKind:
    """Settings kept on the tenant row itself (its id is the tenant's)."""
    return AuditedKind(
        kind=kind, table=Tenant, columns=columns, lifecycle=False, tenant_id=lambda row: row.id
    )


KINDS: tuple[AuditedKind, ...] = (
    AuditedKind(
        kind="pipeline_template",
        table=PipelineTemplate,
        columns=("name", "description", "board"),
        soft_delete="deleted_at",
    ),
    AuditedKind(
        kind="step_template",
        table=StepTemplate,
        columns=(
            "name",
            "description",
            "position",
            "target_duration_days",
            "color",
            "icon",
            *(column if column != "metadata" else "metadata_" for column in CONFIG_COLUMNS),
        ),
        soft_delete="deleted_at",
        name=_step_template_name,
    ),
    AuditedKind(
        kind="field_definition",
        table=FieldDefinition,
        columns=(
            "name",
            "label",
            "description",
            "field_type",
            "scope",
            "options",
            "is_required",
            "min_value",
            "max_value",
            "pattern",
            "precision",
        ),
        soft_delete="deleted_at",
    ),
    AuditedKind(
        kind="step_override",
        table=Step,
        columns=("config_overrides",),
        lifecycle=False,
        name=_step_name,
    ),
    AuditedKind(
        kind="pipeline_version",
        table=PipelineInstance,
        columns=("template_version",),
        lifecycle=False,
    ),
    AuditedKind(
        kind="pipeline_access",
        table=PipelineInstance,
        columns=("access",),
        lifecycle=False,
    ),
    AuditedKind(
        kind="webhook_endpoint",
        table=WebhookEndpoint,
        columns=(
            "url",
            "description",
            "secret",
            "previous_secret",
            "is_enabled",
            "disabled_reason",
            "rate_limit_per_second",
            "owner_account_id",
            "auth_type",
            "oauth_token_url",
            "oauth_client_id",
            "oauth_client_secret",
            "oauth_scope",
            "oauth_audience",
            "oauth_client_auth",
        ),
        secrets=frozenset({"secret", "previous_secret", "oauth_client_secret"}),
        name=lambda _session, row: str(row.url),
    ),
    _tenant_kind("allow_list", ("webhook_allow_list",)),
    _tenant_kind(
        "tenant_settings", ("name", "time_zone", "working_weekdays", "holidays", "currency")
    ),
    AuditedKind(
        kind="account",
        table=Account,
        columns=("email", "username", "display_name", "is_active", "password_hash"),
        secrets=frozenset({"password_hash"}),
        name=lambda _session, row: str(row.display_name),
    ),
    AuditedKind(
        kind="account_role",
        table=AccountRole,
        columns=(),
        name=lambda session, row: _account_name(session, row.tenant_id, row.account_id),
        entity_id=lambda row: row.account_id,
        described=_granted_role,
    ),
    AuditedKind(kind="role", table=Role, columns=("name", "description")),
    AuditedKind(kind="account_group", table=AccountGroup, columns=("name", "description")),
    AuditedKind(
        kind="group_member",
        table=AccountGroupMember,
        columns=(),
        name=lambda session, row: _parent_name(session, AccountGroup, row.tenant_id, row.group_id),
        entity_id=lambda row: row.group_id,
        described=_member,
    ),
    # A version belongs to its template's history: named and filtered by the template.
    AuditedKind(
        kind="template_version",
        table=PipelineTemplateVersion,
        columns=(),
        name=lambda session, row: _parent_name(
            session, PipelineTemplate, row.tenant_id, row.pipeline_template_id
        ),
        entity_id=lambda row: row.pipeline_template_id,
        described=_version,
        created=PUBLISHED,
        follows=_version_before,
    ),
    # A flag row has no id of its own: it is the tenant's, named by the flag.
    AuditedKind(
        kind="feature_flag",
        table=TenantFeature,
        columns=("enabled",),
        name=lambda _session, row: str(row.name),
        entity_id=lambda row: row.tenant_id,
    ),
)
"""Every audited kind; ``config_audit.track`` watches these."""

KIND_NAMES: tuple[str, ...] = tuple(kind.kind for kind in KINDS)
