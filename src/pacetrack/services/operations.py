"""The operational figures of the worker's queues, for monitoring (``GET /metrics``,
``pacetrack worker status``)."""

from __future__ import annotations

from pacetrack.db import outbox
from pacetrack.db.metrics import Figures, figures
from pacetrack.services.context import Actor
from pacetrack.services.tenants import tenant_by_slug
from pacetrack.services.unit_of_work import UnitOfWork


def tenant_figures(uow: UnitOfWork, actor: Actor) -> Figures:
    """The figures of the caller's tenant (admins only)."""
    actor.require_admin("read the operational figures")
    return figures(uow.session, tenant_id=actor.tenant_id, now=uow.clock.now())


def all_figures(uow: UnitOfWork) -> Figures:
    """The figures of every tenant, for the operator's scraper (the metrics token)."""
    return figures(uow.session, tenant_id=None, now=uow.clock.now())


def operator_figures(uow: UnitOfWork, *, tenant_slug: str | None) -> Figures:
    """The figures the operator asked for on the command line: one tenant's, or every
    tenant's; NotFound for an unknown slug."""
    if tenant_slug is None:
        return all_figures(uow)
    tenant = tenant_by_slug(uow, tenant_slug)
    return figures(uow.session, tenant_id=tenant.id, now=uow.clock.now())


def rerun_dead_jobs(uow: UnitOfWork) -> int:
    """Puts every dead job of every tenant back in the queue (the operator's command);
    the number queued again."""
    count = outbox.rerun_dead(uow.session, now=uow.clock.now())
    uow.commit()
    return count


__all__ = ["Figures", "all_figures", "operator_figures", "rerun_dead_jobs", "tenant_figures"]
