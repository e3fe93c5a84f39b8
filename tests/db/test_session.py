"""The engine's settings that protect what statements carry."""

from __future__ import annotations

import pytest
from sqlalchemy import exc, text

from pacetrack.bootstrap import Container


def test_a_failed_statement_does_not_show_its_parameters(container: Container) -> None:
    secret = "pt_not-for-the-logs"

    with container.engine.connect() as connection, pytest.raises(exc.DBAPIError) as failed:
        connection.execute(
            text("SELECT * FROM no_such_table WHERE x = :secret"), {"secret": secret}
        )

    assert secret not in str(failed.value)
    assert "parameters hidden" in str(failed.value)
