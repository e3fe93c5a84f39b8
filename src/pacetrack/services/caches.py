"""What is kept between transactions, owned by the Container that built it.

``bootstrap.build`` makes one ``Caches`` per Container and puts it in the ``info`` of
every session its session factory opens, so a service reaches it from the session it
is given (``caches_of``) and two Containers in one process never share an entry; the
worker hands the OAuth tokens to its webhook handler (``worker.contract.Clients``).

The parsed values are keyed by the content they were parsed from (stored text, a
version row's id, which is never reused, or a revision of the rows read): nothing in
them goes stale, so they are bounded by size only. The OAuth tokens expire, by the
Container's clock.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from cachetools import Cache, LRUCache

from pacetrack.adapters.clock import Clock
from pacetrack.adapters.oauth_tokens import TokenCache

if TYPE_CHECKING:
    from pacetrack.engine.calendar import BusinessCalendar
    from pacetrack.engine.config import StepConfig
    from pacetrack.engine.fields import FieldSpec
    from pacetrack.services.version_steps import VersionSteps

Value = TypeVar("Value")

SESSION_INFO_KEY = "pacetrack.caches"
"""Where a Container's session factory keeps its ``Caches`` in each session's ``info``."""


class Locked(Generic[Value]):
    """A cachetools cache behind a lock: requests are served on several threads, and a
    cachetools cache reorders its entries on every read."""

    def __init__(self, cache: Cache[Hashable, Value]) -> None:
        self._cache = cache
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            return self._cache.get(key)

    def put(self, key: Hashable, value: Value) -> None:
        with self._lock:
            self._cache[key] = value

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)


class Caches:
    """Frozen engine values parsed from stored rows, shared by the requests of one Container,
    and the OAuth tokens its worker asks webhook endpoints' token servers for."""

    def __init__(self, *, clock: Clock) -> None:
        self.configs: Locked[StepConfig] = Locked(LRUCache(maxsize=4096))
        """Effective step configs by their families' text, target duration and overrides."""
        self.field_specs: Locked[dict[str, FieldSpec]] = Locked(LRUCache(maxsize=256))
        """A tenant's field specs by the rows they were parsed from."""
        self.field_specs_by_digest: Locked[dict[str, FieldSpec]] = Locked(LRUCache(maxsize=256))
        """The same specs by the tenant's fields digest (PostgreSQL), to skip reading the rows."""
        self.calendars: Locked[BusinessCalendar] = Locked(LRUCache(maxsize=1024))
        """Business calendars by time zone, working weekdays and holidays."""
        self.versions: Locked[VersionSteps] = Locked(LRUCache(maxsize=512))
        """A published version's parsed steps by (tenant, version row id)."""
        self.boards: Locked[tuple[Mapping[str, Any] | None]] = Locked(LRUCache(maxsize=512))
        """A version's board setting by (tenant, version row id); one without it as (None,)."""
        self.oauth_tokens = TokenCache(now=clock.now)
        """Each kept until its expiry by ``clock`` (``adapters.oauth_tokens``)."""

    def _all(self) -> tuple[Locked[Any], ...]:
        return (
            self.configs,
            self.field_specs,
            self.field_specs_by_digest,
            self.calendars,
            self.versions,
            self.boards,
        )

    def clear(self) -> None:
        for cache in self._all():
            cache.clear()

    def __len__(self) -> int:
        """How many entries all the caches hold together."""
        return sum(len(cache) for cache in self._all())


class _Opened(Protocol):
    @property
    def info(self) -> dict[Any, Any]: ...


def caches_of(session: _Opened) -> Caches:
    """The caches of the Container whose session factory opened ``session``."""
    caches = session.info.get(SESSION_INFO_KEY)
    if not isinstance(caches, Caches):
        raise RuntimeError("the session was not opened by a Container's session factory")
    return caches
