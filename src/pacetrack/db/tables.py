"""The foundation tables: tenants, people, field definitions, templates, instances, items.

Every tenant-owned table has the primary key ``(tenant_id, id)`` and every foreign
key between tenant tables includes ``tenant_id``: a row can only ever point at a
row of its own tenant, and the schema can be distributed by ``tenant_id`` (Citus)
without a rewrite. Ids are UUIDs made by the application.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pacetrack.db.types import Json, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: Json, list[Any]: Json, datetime: UTCDateTime()}


def tenant_fk(
    columns: list[str], table: str, *, ondelete: str | None = None
) -> ForeignKeyConstraint:
    """A foreign key that always includes the tenant."""
    return ForeignKeyConstraint(
        ["tenant_id", *columns], [f"{table}.tenant_id", f"{table}.id"], ondelete=ondelete
    )


def gin(table: str, column: str, *, ops: str | None = None) -> Index:
    """A GIN index on PostgreSQL (``ops``: its operator class); SQLite gets none."""
    options: dict[str, Any] = {"postgresql_ops": {column: ops}} if ops else {}
    return Index(f"ix_{table}_{column}_gin", column, postgresql_using="gin", **options).ddl_if(
        dialect="postgresql"
    )


def not_deleted(table: str) -> dict[str, Any]:
    clause = text("deleted_at IS NULL")
    return {"sqlite_where": clause, "postgresql_where": clause}


class Tenant(Base):
    __tablename__ = "tenant"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    working_weekdays: Mapped[list[Any]] = mapped_column(default=lambda: [0, 1, 2, 3, 4])
    holidays: Mapped[list[Any]] = mapped_column(default=list)
    webhook_allow_list: Mapped[list[Any]] = mapped_column(default=list)
    # ISO 4217 code money is shown in (migration 0010).
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime]


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        UniqueConstraint("tenant_id", "username"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Role(Base):
    __tablename__ = "role"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")


class AccountRole(Base):
    __tablename__ = "account_role"
    __table_args__ = (
        tenant_fk(["account_id"], "account", ondelete="CASCADE"),
        tenant_fk(["role_id"], "role", ondelete="CASCADE"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    role_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


class AccountGroup(Base):
    __tablename__ = "account_group"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AccountGroupMember(Base):
    __tablename__ = "account_group_member"
    __table_args__ = (
        tenant_fk(["group_id"], "account_group", ondelete="CASCADE"),
        tenant_fk(["account_id"], "account", ondelete="CASCADE"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    added_at: Mapped[datetime]


class ApiToken(Base):
    """Bearer tokens; only a SHA-256 of the token is stored."""

    __tablename__ = "api_token"
    __table_args__ = (
        tenant_fk(["account_id"], "account", ondelete="CASCADE"),
        # token_hash leads: every request looks its token up by the hash alone.
        Index("ix_api_token_token_hash_tenant_id", "token_hash", "tenant_id", unique=True),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))
    token_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class FieldDefinition(Base):
    __tablename__ = "field_definition"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        Index(
            "uq_field_definition_live_name",
            "tenant_id",
            "name",
            unique=True,
            **not_deleted("field_definition"),
        ),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(63))
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    field_type: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(20), default="item")
    options: Mapped[list[Any]] = mapped_column(default=list)
    is_required: Mapped[bool] = mapped_column(Boolean, default=False)
    min_value: Mapped[Decimal | None] = mapped_column(Numeric(38, 10))
    max_value: Mapped[Decimal | None] = mapped_column(Numeric(38, 10))
    pattern: Mapped[str | None] = mapped_column(Text)
    precision: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class PipelineTemplate(Base):
    __tablename__ = "pipeline_template"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        Index(
            "uq_pipeline_template_live_name",
            "tenant_id",
            "name",
            unique=True,
            **not_deleted("pipeline_template"),
        ),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The board setting: ``{"money_field": name, "card_fields": [names]}`` (migration 0010).
    board: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


CONFIG_COLUMNS = (
    "field_configs",
    "validations",
    "assignments",
    "notifications",
    "automations",
    "calculations",
    "metadata",
)


class StepTemplate(Base):
    __tablename__ = "step_template"
    __table_args__ = (
        tenant_fk(["pipeline_template_id"], "pipeline_template"),
        Index("ix_step_template_pipeline", "tenant_id", "pipeline_template_id", "order"),
        *(gin("step_template", column) for column in CONFIG_COLUMNS),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    pipeline_template_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column("order", Integer)
    target_duration_days: Mapped[int | None] = mapped_column(Integer)
    color: Mapped[str | None] = mapped_column(String(32))
    icon: Mapped[str | None] = mapped_column(String(64))
    field_configs: Mapped[list[Any]] = mapped_column(default=list)
    validations: Mapped[list[Any]] = mapped_column(default=list)
    assignments: Mapped[list[Any]] = mapped_column(default=list)
    notifications: Mapped[list[Any]] = mapped_column(default=list)
    automations: Mapped[list[Any]] = mapped_column(default=list)
    calculations: Mapped[list[Any]] = mapped_column(default=list)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class PipelineInstance(Base):
    __tablename__ = "pipeline_instance"
    __table_args__ = (
        tenant_fk(["pipeline_template_id"], "pipeline_template"),
        tenant_fk(["owner_account_id"], "account"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    pipeline_template_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    owner_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Who may see the instance and its items (``engine.access``); NULL: everyone in the tenant.
    access: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # The template version the instance was started from (migration 0015); NULL: before versions.
    template_version: Mapped[int | None] = mapped_column(Integer, default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


STEP_REMOVED = "removed"
"""``step.status`` of a step that an upgrade to a later template version removed: its row
stays for the history that names it, and no item is in it."""


class Step(Base):
    """A running copy of a step template inside a pipeline instance.

    What the step does (its seven configuration families, target duration, colour, icon,
    description) is read from the template version its pipeline runs, by
    ``step_template_id``, merged with ``config_overrides`` (``services.version_steps``).
    """

    __tablename__ = "step"
    __table_args__ = (
        tenant_fk(["pipeline_instance_id"], "pipeline_instance"),
        tenant_fk(["step_template_id"], "step_template"),
        Index("ix_step_instance", "tenant_id", "pipeline_instance_id", "order"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    pipeline_instance_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    step_template_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column("order", Integer)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    entered_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    config_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


RUNNING_STEP = Step.status != STEP_REMOVED
"""The steps a pipeline shows and moves to (not removed by an upgrade)."""


class Item(Base):
    __tablename__ = "item"
    __table_args__ = (
        tenant_fk(["pipeline_instance_id"], "pipeline_instance"),
        tenant_fk(["current_step_id"], "step"),
        tenant_fk(["owner_account_id"], "account"),
        Index("ix_item_instance_step", "tenant_id", "pipeline_instance_id", "current_step_id"),
        Index("ix_item_status", "tenant_id", "status"),
        # A board column's newest cards in index order, and each column's count from the
        # index alone (migration 0010).
        Index(
            "ix_item_board",
            "tenant_id",
            "pipeline_instance_id",
            "status",
            "current_step_id",
            "created_at",
        ),
        # The list's first page by name without sorting every item (migration 0010).
        Index(
            "ix_item_list_name", "tenant_id", "pipeline_instance_id", "status", text("lower(name)")
        ),
        # ``field_values`` has no GIN index: no query filters by it, and each move rewrites
        # the row (migration 0007).
        gin("item", "assigned_account_ids"),
        # The board's and list's text filter (``ILIKE '%text%'``) from the name's trigrams
        # (migration 0018).
        gin("item", "name", ops="gin_trgm_ops"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    pipeline_instance_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    current_step_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(300))
    field_values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    calculation_errors: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assigned_account_ids: Mapped[list[Any]] = mapped_column(default=list)
    # active, completed, archived or deleted (``engine.lifecycle``).
    status: Mapped[str] = mapped_column(String(20), default="active")
    outcome: Mapped[str | None] = mapped_column(String(32))
    completed_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer, default=1)
    source_item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ItemStepHistory(Base):
    """One row per entry of an item into a step; a loop back opens a new row."""

    __tablename__ = "item_step_history"
    __table_args__ = (
        tenant_fk(["item_id"], "item", ondelete="CASCADE"),
        tenant_fk(["step_id"], "step"),
        Index("ix_item_step_history_item", "tenant_id", "item_id", "entered_at"),
        # The open stay, which every move closes (migration 0007).
        Index(
            "ix_item_step_history_open",
            "tenant_id",
            "item_id",
            sqlite_where=text("exited_at IS NULL"),
            postgresql_where=text("exited_at IS NULL"),
        ),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    step_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entered_at: Mapped[datetime]
    exited_at: Mapped[datetime | None]
    entered_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    exited_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Activity(Base):
    """The append-only log of what happened to an item (or the tenant's configuration)."""

    __tablename__ = "activity"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        Index("ix_activity_item", "tenant_id", "item_id", "created_at"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
