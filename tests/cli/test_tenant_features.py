"""``pacetrack tenant features`` on SQLite and PostgreSQL: lists, switches and reports."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update

from pacetrack.bootstrap import Container
from pacetrack.db.tables import PipelineTemplate, Step
from tests.conftest import Login
from tests.services.moves_support import FieldDef, StepDef, build_pipeline, define_fields


def flag_line(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line.strip().startswith(name))


def test_the_operator_lists_switches_and_sees_the_configs_a_disabled_family_keeps(
    run: Any, container: Container, admin: Login
) -> None:
    define_fields(container, admin.tenant_id, [FieldDef(name="score", field_type="number")])
    rule = {"id": "good_score", "type": "field_min_value", "field_id": "score", "min_value": 3}
    pipeline = build_pipeline(
        container,
        admin.tenant_id,
        [StepDef(name="Screen", config={"validations": [rule]}), StepDef(name="Onsite")],
        name="Hiring",
    )
    with container.uow() as uow:
        uow.session.execute(
            update(Step)
            .where(Step.tenant_id == admin.tenant_id, Step.id == pipeline.step("Onsite"))
            .values(config_overrides={"validations": [rule, {**rule, "id": "second"}]})
        )
        uow.commit()

    listed = run("tenant", "features", "acme")
    disabled = run(
        "tenant", "features", "acme", "--disable", "family.validations",
        "--disable", "studio.simulation",
    )  # fmt: skip
    again = run("tenant", "features", "acme")
    enabled = run("tenant", "features", "acme", "--enable", "family.validations")

    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines()[0] == "Feature flags of acme:"
    assert len(listed.stdout.splitlines()) == 9  # the heading and eight flags, all on
    assert "  on   " in flag_line(listed.stdout, "family.automations")
    assert "(default)" in flag_line(listed.stdout, "family.automations")
    assert disabled.exit_code == 0, disabled.output
    assert again.stdout == disabled.stdout
    line = flag_line(again.stdout, "family.validations")
    assert "  off  " in line
    assert re.search(r"\(set by command line \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$", line)
    assert "existing configs keep working, still used by:" in again.stdout
    assert f"template “{pipeline_template_name(container, admin)}”, step “Screen”: 1 rule" in (
        again.stdout
    )
    assert "running pipeline “Hiring”, step “Onsite”: 2 rules" in again.stdout
    assert "  off  " in flag_line(again.stdout, "studio.simulation")
    assert enabled.exit_code == 0, enabled.output
    assert "  on   " in flag_line(enabled.stdout, "family.validations")
    assert "still used by" not in enabled.stdout
    assert "  off  " in flag_line(enabled.stdout, "studio.simulation")


def pipeline_template_name(container: Container, admin: Login) -> str:
    with container.uow() as uow:
        return uow.session.scalars(
            select(PipelineTemplate.name).where(PipelineTemplate.tenant_id == admin.tenant_id)
        ).one()


def test_unknown_flags_tenants_and_contradictions_are_refused_with_words(
    run: Any, admin: Login
) -> None:
    unknown_flag = run("tenant", "features", "acme", "--disable", "family.metadata")
    unknown_tenant = run("tenant", "features", "nobody")
    both = run(
        "tenant", "features", "acme", "--enable", "items.bulk_actions",
        "--disable", "items.bulk_actions",
    )  # fmt: skip
    after = run("tenant", "features", "acme")

    assert unknown_flag.exit_code == 2
    assert "family.metadata" in unknown_flag.output
    assert unknown_tenant.exit_code == 1
    assert "No tenant with slug “nobody”." in unknown_tenant.stderr
    assert both.exit_code == 1
    assert "disable[0]: “items.bulk_actions” is also in enable" in both.stderr
    assert "  off  " not in after.stdout
