"""The figures operators watch: the outbox, deliveries and timers, counted in the database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pacetrack.db.tables import Tenant
from pacetrack.db.tables_automations import DeliveryAttempt, WebhookEndpoint
from pacetrack.db.tables_delivery import ARMED, DEAD, DONE, PENDING, Outbox, Timer

LATENCY_BUCKETS_MS: tuple[int, ...] = (50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 15_000)
"""Upper bounds of the delivery latency histogram (the last real bound is the 15 s timeout)."""


@dataclass(frozen=True, kw_only=True)
class Figures:
    tenant_names: dict[str, str]
    """Slug -> display name of every tenant counted below."""
    tenant_jobs: dict[tuple[str, str, str], int]
    """(tenant slug, kind, status) -> how many outbox rows."""
    oldest_due_seconds: float
    """Age of the oldest pending job that is due; 0 when none waits."""
    tenant_deliveries: dict[tuple[str, str, str], int]
    """(tenant slug, endpoint URL, outcome) -> delivery attempts."""
    latency_buckets: tuple[tuple[int, int], ...]
    """(upper bound in ms, attempts at or under it), cumulative, as Prometheus histograms are."""
    latency_count: int
    latency_sum_ms: int
    timers_armed: int
    timers_overdue: int

    @property
    def jobs(self) -> dict[tuple[str, str], int]:
        """(kind, status) -> how many outbox rows, every tenant counted together."""
        return _without_tenant(self.tenant_jobs)

    @property
    def deliveries(self) -> dict[tuple[str, str], int]:
        """(endpoint URL, outcome) -> delivery attempts, every tenant counted together."""
        return _without_tenant(self.tenant_deliveries)

    @property
    def dead_jobs(self) -> int:
        return sum(n for (_t, _k, status), n in self.tenant_jobs.items() if status == DEAD)


def _without_tenant(counts: dict[tuple[str, str, str], int]) -> dict[tuple[str, str], int]:
    summed: dict[tuple[str, str], int] = {}
    for (_tenant, first, second), count in counts.items():
        summed[first, second] = summed.get((first, second), 0) + count
    return summed


def _scoped(statement: Any, column: Any, tenant_id: uuid.UUID | None) -> Any:
    """``statement`` limited to one tenant, or as it is for all of them."""
    return statement if tenant_id is None else statement.where(column == tenant_id)


def _counted_by_tenant(
    session: Session, statement: Any, tenant_names: dict[str, str]
) -> dict[tuple[str, str, str], int]:
    """Rows of (slug, name, first, second, count) as (slug, first, second) -> count; each
    tenant's name goes into ``tenant_names``."""
    counts: dict[tuple[str, str, str], int] = {}
    for slug, name, first, second, count in session.execute(statement):
        tenant_names[str(slug)] = str(name)
        counts[str(slug), str(first), str(second)] = int(count)
    return counts


def figures(session: Session, *, tenant_id: uuid.UUID | None, now: datetime) -> Figures:
    """Every figure for one tenant, or for all tenants when ``tenant_id`` is None."""
    tenant_names: dict[str, str] = {}
    tenant_jobs = _counted_by_tenant(
        session,
        _scoped(
            select(Tenant.slug, Tenant.name, Outbox.kind, Outbox.status, func.count())
            .join(Tenant, Tenant.id == Outbox.tenant_id)
            .group_by(Tenant.slug, Tenant.name, Outbox.kind, Outbox.status),
            Outbox.tenant_id,
            tenant_id,
        ),
        tenant_names,
    )
    oldest = session.scalar(
        _scoped(
            select(func.min(Outbox.available_at)).where(
                Outbox.status == PENDING, Outbox.available_at <= now
            ),
            Outbox.tenant_id,
            tenant_id,
        )
    )
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    tenant_deliveries = _counted_by_tenant(
        session,
        _scoped(
            select(
                Tenant.slug, Tenant.name, WebhookEndpoint.url, DeliveryAttempt.outcome, func.count()
            )
            .join(
                WebhookEndpoint,
                (WebhookEndpoint.tenant_id == DeliveryAttempt.tenant_id)
                & (WebhookEndpoint.id == DeliveryAttempt.endpoint_id),
            )
            .join(Tenant, Tenant.id == DeliveryAttempt.tenant_id)
            .group_by(Tenant.slug, Tenant.name, WebhookEndpoint.url, DeliveryAttempt.outcome),
            DeliveryAttempt.tenant_id,
            tenant_id,
        ),
        tenant_names,
    )
    bucket_columns: Sequence[object] = [
        func.coalesce(func.sum(case((DeliveryAttempt.duration_ms <= bound, 1), else_=0)), 0)
        for bound in LATENCY_BUCKETS_MS
    ]
    row = session.execute(
        _scoped(
            select(
                func.count(),
                func.coalesce(func.sum(DeliveryAttempt.duration_ms), 0),
                *bucket_columns,
            ),
            DeliveryAttempt.tenant_id,
            tenant_id,
        )
    ).one()
    armed, overdue = session.execute(
        _scoped(
            select(
                func.count(),
                func.coalesce(func.sum(case((Timer.due_at < now, 1), else_=0)), 0),
            ).where(Timer.status == ARMED),
            Timer.tenant_id,
            tenant_id,
        )
    ).one()
    return Figures(
        tenant_names=tenant_names,
        tenant_jobs=tenant_jobs,
        oldest_due_seconds=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        tenant_deliveries=tenant_deliveries,
        latency_buckets=tuple(
            (bound, int(total)) for bound, total in zip(LATENCY_BUCKETS_MS, row[2:], strict=True)
        ),
        latency_count=int(row[0]),
        latency_sum_ms=int(row[1]),
        timers_armed=int(armed),
        timers_overdue=int(overdue),
    )


__all__ = ["DEAD", "DONE", "LATENCY_BUCKETS_MS", "Figures", "figures"]
