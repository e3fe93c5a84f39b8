"""Migrations that fill new tables from existing rows do so on a database that has data.

The database is brought to the schema just before the migration under test (every other
revision applied), given rows the way an older PaceTrack wrote them, then upgraded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from pacetrack.db.migrate import alembic_config, upgrade
from pacetrack.db.session import make_engine
from tests.conftest import BACKENDS
from tests.support.databases import fresh_postgres_database, sqlite_url

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONFIG_FAMILY_NAMES = (
    "field_configs",
    "validations",
    "assignments",
    "notifications",
    "automations",
    "calculations",
    "metadata",
)


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with fresh_postgres_database("pacetrack_backfill") as url:
            yield url


def upgrade_all_but(url: str, revision: str) -> None:
    """Applies every revision except ``revision`` and the ones that build on it."""
    script = ScriptDirectory.from_config(alembic_config(url))
    for candidate in script.walk_revisions():
        ancestors = {r.revision for r in script.iterate_revisions(candidate.revision, "base")}
        if revision not in ancestors:
            upgrade(url, candidate.revision)


def _sample(column: sa.Column[Any]) -> object:
    """A value for a required column the test does not care about."""
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


class Rows:
    """Inserts rows into the reflected tables, filling required columns not given."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.tables = sa.MetaData()
        self.tables.reflect(connection)

    def add(self, table_name: str, **given: object) -> dict[str, object]:
        table = self.tables.tables[table_name]
        row = dict(given)
        if self.connection.dialect.name == "sqlite":  # uuids are 32 hex digits there
            row = {k: v.hex if isinstance(v, uuid.UUID) else v for k, v in row.items()}
        for column in table.columns:
            needed = not column.nullable and column.server_default is None
            if column.name not in row and needed:
                row[column.name] = _sample(column)
        self.connection.execute(table.insert(), [row])
        return row


def test_templates_in_use_get_version_1_and_their_pipelines_record_it(
    empty_database: str,
) -> None:
    upgrade_all_but(empty_database, "0015_template_versions")
    tenant, template, retired = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    lead, won, dropped = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    pipeline = uuid.uuid4()
    rule = {"id": "min_value", "type": "field_min_value", "field_id": "value", "min_value": 5}
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            rows = Rows(connection)
            rows.add("tenant", id=tenant, name="Acme", slug="acme", created_at=NOW)
            rows.add("pipeline_template", tenant_id=tenant, id=template, name="Sales")
            rows.add(
                "pipeline_template",
                tenant_id=tenant,
                id=retired,
                name="Old sales",
                deleted_at=NOW,
            )
            # Stored out of order, one step deleted: the version keeps the live ones in order.
            rows.add(
                "step_template",
                tenant_id=tenant,
                id=won,
                pipeline_template_id=template,
                name="Won",
                order=2,
                validations=[],
            )
            rows.add(
                "step_template",
                tenant_id=tenant,
                id=lead,
                pipeline_template_id=template,
                name="Lead",
                order=1,
                target_duration_days=7,
                validations=[rule],
            )
            rows.add(
                "step_template",
                tenant_id=tenant,
                id=dropped,
                pipeline_template_id=template,
                name="Dropped",
                order=3,
                deleted_at=NOW,
            )
            rows.add(
                "pipeline_instance",
                tenant_id=tenant,
                id=pipeline,
                pipeline_template_id=template,
                name="Q3 deals",
            )

        upgrade(empty_database)

        with engine.connect() as connection:
            versions = connection.execute(
                sa.text(
                    "SELECT pipeline_template_id, number, note, published_by, snapshot "
                    "FROM pipeline_template_version"
                )
            ).all()
            recorded = connection.scalar(
                sa.text("SELECT template_version FROM pipeline_instance WHERE id = :id"),
                {"id": pipeline if engine.dialect.name == "postgresql" else pipeline.hex},
            )
    finally:
        engine.dispose()

    assert len(versions) == 1, "a deleted template gets no version"
    template_id, number, note, published_by, snapshot = versions[0]
    assert str(template_id).replace("-", "") == template.hex
    assert (number, note, published_by) == (1, "Version in use when versions were introduced", None)
    if isinstance(snapshot, str):  # SQLite hands JSON back as text
        snapshot = json.loads(snapshot)
    assert snapshot["name"] == "Sales"
    assert [step["name"] for step in snapshot["steps"]] == ["Lead", "Won"]
    assert [step["id"] for step in snapshot["steps"]] == [str(lead), str(won)]
    first = snapshot["steps"][0]
    assert first["target_duration_days"] == 7
    assert first["validations"] == [rule]
    assert first["metadata"] == {}
    assert recorded == 1


def test_running_pipelines_keep_the_steps_they_ran_as_a_published_version(
    empty_database: str,
) -> None:
    upgrade_all_but(empty_database, "0016_running_versions")
    tenant, edited, same = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    lead, won, only = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    east, west = uuid.uuid4(), uuid.uuid4()
    engine = make_engine(empty_database)

    def entry(step_id: uuid.UUID, name: str, position: int) -> dict[str, object]:
        return {
            "id": str(step_id),
            "name": name,
            "description": "",
            "position": position,
            "target_duration_days": None,
            "color": None,
            "icon": None,
            **{f: ({} if f == "metadata" else []) for f in CONFIG_FAMILY_NAMES},
        }

    try:
        with engine.begin() as connection:
            rows = Rows(connection)
            rows.add("tenant", id=tenant, name="Acme", slug="acme", created_at=NOW)
            for template_id, name in ((edited, "Sales"), (same, "Hiring")):
                rows.add("pipeline_template", tenant_id=tenant, id=template_id, name=name)
            for step_id, template_id, name, order in (
                (lead, edited, "Lead", 1),
                (won, edited, "Won", 2),
                (only, same, "Only", 1),
            ):
                rows.add(
                    "step_template",
                    tenant_id=tenant,
                    id=step_id,
                    pipeline_template_id=template_id,
                    name=name,
                    description="",
                    order=order,
                    **{f: ({} if f == "metadata" else []) for f in CONFIG_FAMILY_NAMES},
                )
            # Version 1 of Sales had Lead only: "Won" was added to the draft afterwards,
            # and the running pipeline read the draft.
            for template_id, steps in (
                (edited, [entry(lead, "Lead", 1)]),
                (same, [entry(only, "Only", 1)]),
            ):
                rows.add(
                    "pipeline_template_version",
                    tenant_id=tenant,
                    id=uuid.uuid4(),
                    pipeline_template_id=template_id,
                    number=1,
                    snapshot={"name": "x", "description": "", "board": {}, "steps": steps},
                    note="",
                    published_at=NOW,
                )
            for instance_id, template_id in ((east, edited), (west, same)):
                rows.add(
                    "pipeline_instance",
                    tenant_id=tenant,
                    id=instance_id,
                    pipeline_template_id=template_id,
                    name="Running",
                    template_version=1,
                )

        upgrade(empty_database)

        with engine.connect() as connection:
            versions = connection.execute(
                sa.text(
                    "SELECT pipeline_template_id, number, snapshot FROM pipeline_template_version "
                    "ORDER BY number"
                )
            ).all()
            recorded = dict(
                connection.execute(sa.text("SELECT id, template_version FROM pipeline_instance"))
                .tuples()
                .all()
            )
    finally:
        engine.dispose()

    def key(value: object) -> str:
        return str(value).replace("-", "")

    published = [(key(t), n) for t, n, _ in versions]
    assert sorted(published) == sorted([(edited.hex, 1), (same.hex, 1), (edited.hex, 2)])
    (second,) = [s for t, n, s in versions if n == 2]
    if isinstance(second, str):
        second = json.loads(second)
    assert [step["name"] for step in second["steps"]] == ["Lead", "Won"]
    assert {key(k): v for k, v in recorded.items()} == {east.hex: 2, west.hex: 1}


def test_running_pipelines_keep_the_board_they_showed_as_a_published_version(
    empty_database: str,
) -> None:
    upgrade_all_but(empty_database, "0022_running_boards")
    tenant, edited, same = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    east, west, older = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    board = {"money_field": "deal_value", "card_fields": ["owner_note"]}
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            rows = Rows(connection)
            rows.add("tenant", id=tenant, name="Acme", slug="acme", created_at=NOW)
            # Sales' board was set after its latest version (2) was published; Hiring's
            # board is the one its version has.
            rows.add("pipeline_template", tenant_id=tenant, id=edited, name="Sales", board=board)
            rows.add("pipeline_template", tenant_id=tenant, id=same, name="Hiring", board=board)
            for template_id, number, shown in ((edited, 1, {}), (edited, 2, {}), (same, 1, board)):
                rows.add(
                    "pipeline_template_version",
                    tenant_id=tenant,
                    id=uuid.uuid4(),
                    pipeline_template_id=template_id,
                    number=number,
                    snapshot={"name": "x", "description": "", "board": shown, "steps": []},
                    note="",
                    published_at=NOW,
                )
            for instance_id, template_id, number in ((east, edited, 2), (older, edited, 1)):
                rows.add(
                    "pipeline_instance",
                    tenant_id=tenant,
                    id=instance_id,
                    pipeline_template_id=template_id,
                    name="Running",
                    template_version=number,
                )
            rows.add(
                "pipeline_instance",
                tenant_id=tenant,
                id=west,
                pipeline_template_id=same,
                name="Running",
                template_version=1,
            )

        upgrade(empty_database)

        with engine.connect() as connection:
            versions = connection.execute(
                sa.text(
                    "SELECT pipeline_template_id, number, snapshot FROM pipeline_template_version"
                )
            ).all()
            recorded = dict(
                connection.execute(sa.text("SELECT id, template_version FROM pipeline_instance"))
                .tuples()
                .all()
            )
    finally:
        engine.dispose()

    def key(value: object) -> str:
        return str(value).replace("-", "")

    published = sorted((key(t), n) for t, n, _ in versions)
    assert published == sorted([(edited.hex, 1), (edited.hex, 2), (edited.hex, 3), (same.hex, 1)])
    (third,) = [s for t, n, s in versions if n == 3]
    if isinstance(third, str):
        third = json.loads(third)
    assert third["board"] == board
    # The pipeline on the latest version keeps its board; the one on version 1 keeps its steps.
    assert {key(k): v for k, v in recorded.items()} == {east.hex: 3, older.hex: 1, west.hex: 1}
