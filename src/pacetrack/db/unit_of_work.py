"""The database side of a unit of work: one session in one transaction, and the
repositories that read and write through it.

Services reach rows only through the repositories (``uow.tenants``, ``uow.audit``,
...); each repository is made once per transaction, on first use.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pacetrack.db import config_audit
from pacetrack.db.change_broker import ChangeFeed
from pacetrack.db.changes import Change
from pacetrack.db.repositories.activity import ActivityRepository
from pacetrack.db.repositories.approvals import ApprovalRepository
from pacetrack.db.repositories.assignments import AssignmentRepository
from pacetrack.db.repositories.audit import AuditRepository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.repositories.config_audit import ConfigAuditRepository
from pacetrack.db.repositories.fields import FieldRepository
from pacetrack.db.repositories.item_views import ItemViewRepository
from pacetrack.db.repositories.items import ItemRepository
from pacetrack.db.repositories.login_failures import LoginFailureRepository
from pacetrack.db.repositories.notifications import NotificationRepository
from pacetrack.db.repositories.outbox import OutboxRepository
from pacetrack.db.repositories.people import PeopleRepository
from pacetrack.db.repositories.pipelines import PipelineRepository
from pacetrack.db.repositories.recipients import RecipientRepository
from pacetrack.db.repositories.steps import StepRepository
from pacetrack.db.repositories.template_versions import TemplateVersionRepository
from pacetrack.db.repositories.templates import TemplateRepository
from pacetrack.db.repositories.tenant_features import TenantFeatureRepository
from pacetrack.db.repositories.tenants import TenantRepository
from pacetrack.db.repositories.timeline import TimelineRepository
from pacetrack.db.repositories.timers import TimerRepository
from pacetrack.db.repositories.tokens import TokenRepository
from pacetrack.db.repositories.upgrades import UpgradeRepository
from pacetrack.db.session import transaction_memo

RepositoryType = TypeVar("RepositoryType", bound=Repository)

_REPOSITORIES = "pacetrack.repositories"
"""Where a session keeps the repositories made over it (``Session.info``)."""


class Clock(Protocol):
    """Where the unit of work reads the time (``adapters.clock`` provides the real one)."""

    def now(self) -> datetime: ...


class WriteConflict(Exception):
    """A write broke a unique or foreign-key constraint (another writer got there first)."""


class DatabaseUnit:
    """A session in a transaction; rolled back unless ``commit`` is called. With a
    ``feed``, each commit announces the items and notification counts it changed.

    Each commit also writes the configuration audit entries of what it changed
    (``db.config_audit``), authored by ``author(tenant_id)``.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        clock: Clock,
        feed: ChangeFeed | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.clock = clock
        self._feed = feed
        self._session: Session | None = None

    _lender: DatabaseUnit | None = None
    """The unit whose open transaction this one works in, when it was lent one."""

    @property
    def session(self) -> Session:
        if self._lender is not None:
            return self._lender.session
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def __enter__(self) -> Self:
        self._session = self._session_factory()
        self._session.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if session.in_transaction():
                session.rollback()
        finally:
            session.close()
            self._session = None

    def author(self, tenant_id: uuid.UUID) -> uuid.UUID | None:
        """The account the configuration changes in ``tenant_id`` are recorded as made by."""
        return None

    def commit(self) -> None:
        session = self.session
        announced: list[Change] = []
        try:
            session.flush()
            config_audit.entries(session, at=self.clock.now(), actor=self.author)
            if self._feed is not None:
                announced = self._feed.before_commit(session)
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise WriteConflict(str(exc.orig)) from exc
        if self._feed is not None:
            self._feed.after_commit(announced)

    def flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise WriteConflict(str(exc.orig)) from exc

    def memo(self, namespace: str) -> dict[Hashable, Any]:
        """Values ``namespace`` remembers for this transaction only (parsed configs,
        permission answers): a new transaction starts with an empty memo."""
        return transaction_memo(self.session, namespace)

    def annotate(self, row: Any, *, action: str, **values: Any) -> None:
        """Records the creation of ``row`` in the configuration audit as ``action`` with
        ``values`` (``db.config_audit.annotate``)."""
        config_audit.annotate(self.session, row, action=action, **values)

    def rollback(self) -> None:
        """Drops everything written so far (a dry run's answer is computed, then undone)."""
        self.session.rollback()

    def _repository(self, kind: type[RepositoryType]) -> RepositoryType:
        # Kept with the session, not the unit: a unit lent another's transaction (a job
        # handler's, a use case run inside another) shares its session and so its
        # repositories, whatever it overrides.
        made_here: dict[type[Repository], Repository] = self.session.info.setdefault(
            _REPOSITORIES, {}
        )
        made = made_here.get(kind)
        if made is None:
            made = made_here[kind] = kind(self.session)
        return made  # type: ignore[return-value]

    @property
    def tenants(self) -> TenantRepository:
        return self._repository(TenantRepository)

    @property
    def audit(self) -> AuditRepository:
        return self._repository(AuditRepository)

    @property
    def activity(self) -> ActivityRepository:
        return self._repository(ActivityRepository)

    @property
    def config_audit(self) -> ConfigAuditRepository:
        return self._repository(ConfigAuditRepository)

    @property
    def approvals(self) -> ApprovalRepository:
        return self._repository(ApprovalRepository)

    @property
    def assignments(self) -> AssignmentRepository:
        return self._repository(AssignmentRepository)

    @property
    def fields(self) -> FieldRepository:
        return self._repository(FieldRepository)

    @property
    def items(self) -> ItemRepository:
        return self._repository(ItemRepository)

    @property
    def login_failures(self) -> LoginFailureRepository:
        return self._repository(LoginFailureRepository)

    @property
    def outbox(self) -> OutboxRepository:
        return self._repository(OutboxRepository)

    @property
    def people(self) -> PeopleRepository:
        return self._repository(PeopleRepository)

    @property
    def pipelines(self) -> PipelineRepository:
        return self._repository(PipelineRepository)

    @property
    def steps(self) -> StepRepository:
        return self._repository(StepRepository)

    @property
    def timers(self) -> TimerRepository:
        return self._repository(TimerRepository)

    @property
    def tokens(self) -> TokenRepository:
        return self._repository(TokenRepository)

    @property
    def item_views(self) -> ItemViewRepository:
        return self._repository(ItemViewRepository)

    @property
    def templates(self) -> TemplateRepository:
        return self._repository(TemplateRepository)

    @property
    def template_versions(self) -> TemplateVersionRepository:
        return self._repository(TemplateVersionRepository)

    @property
    def tenant_features(self) -> TenantFeatureRepository:
        return self._repository(TenantFeatureRepository)

    @property
    def upgrades(self) -> UpgradeRepository:
        return self._repository(UpgradeRepository)

    @property
    def notifications(self) -> NotificationRepository:
        return self._repository(NotificationRepository)

    @property
    def recipients(self) -> RecipientRepository:
        return self._repository(RecipientRepository)

    @property
    def timeline(self) -> TimelineRepository:
        return self._repository(TimelineRepository)
