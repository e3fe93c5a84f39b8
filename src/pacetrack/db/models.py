"""Every table of the schema, imported in one place so that metadata is complete.

Each domain keeps its tables in its own module; importing this module registers
them all on ``Base.metadata`` (used by migrations and their drift test).
"""

from __future__ import annotations

from pacetrack.db import (
    tables,
    tables_assignments,  # noqa: F401
    tables_auth,  # noqa: F401
    tables_automations,  # noqa: F401
    tables_delivery,  # noqa: F401
    tables_features,  # noqa: F401
    tables_moves,  # noqa: F401
    tables_versions,  # noqa: F401
)
from pacetrack.db.tables import Base

metadata = Base.metadata

__all__ = ["metadata", "tables"]
