"""Ids as entry points read them from paths, forms and queries: a UUID or its text
(``engine.ids``). Entry points take it from here rather than from the engine."""

from __future__ import annotations

from pacetrack.engine.ids import as_uuid

__all__ = ["as_uuid"]
