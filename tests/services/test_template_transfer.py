"""Template documents: the library imports cleanly; export -> import -> export is the identity."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from pacetrack.bootstrap import Container
from pacetrack.cli import app as cli_app
from pacetrack.db.tables import FieldDefinition, PipelineTemplate
from pacetrack.engine.config import CONFIG_FAMILIES
from pacetrack.services.context import Actor, system_actor
from pacetrack.services.errors import Conflict, InvalidInput
from pacetrack.services.template_transfer import (
    FORMAT,
    export_template,
    import_template,
    library_documents,
)
from pacetrack.services.tenants import create_tenant

LIBRARY = sorted(library_documents())


def tenant(container: Container, slug: str) -> Actor:
    with container.uow() as uow:
        return system_actor(create_tenant(uow, name=slug.title(), slug=slug).id)


def do_import(container: Container, actor: Actor, document: Any, name: str | None = None) -> Any:
    with container.uow() as uow:
        return import_template(uow, actor, document, name=name)


def do_export(container: Container, actor: Actor, template_id: uuid.UUID) -> dict[str, Any]:
    with container.uow() as uow:
        return export_template(uow, actor, template_id)


def count(container: Container, model: type[Any], actor: Actor) -> int:
    with container.uow() as uow:
        return uow.session.scalar(
            select(func.count()).select_from(model).where(model.tenant_id == actor.tenant_id)
        )


def test_the_library_holds_the_six_use_cases_and_onboarding() -> None:
    assert LIBRARY == [
        "film",
        "manufacturing",
        "marketing",
        "medical",
        "onboarding",
        "recruiting",
        "sales",
    ]


@pytest.mark.parametrize("stem", LIBRARY)
def test_each_library_template_passes_every_save_time_check(
    container: Container, stem: str
) -> None:
    document = library_documents()[stem]
    actor = tenant(container, f"lib-{stem}")

    created = do_import(container, actor, document)

    assert created.name == document["name"]
    assert [step.name for step in created.steps] == [step["name"] for step in document["steps"]]
    stored = {field["name"] for field in do_export(container, actor, created.id)["fields"]}
    assert stored == {field["name"] for field in document["fields"]}


def test_all_seven_families_survive_export_import_export_between_tenants(
    container: Container,
) -> None:
    source = tenant(container, "tenant-a")
    target = tenant(container, "tenant-b")
    imported = do_import(container, source, library_documents()["sales"])
    first = do_export(container, source, imported.id)

    copy_in_b = do_import(container, target, first)
    second = do_export(container, target, copy_in_b.id)

    assert first["format"] == FORMAT
    for family in CONFIG_FAMILIES:
        assert any(step[family] for step in first["steps"]), family
    assert "id" not in str(list(first))
    assert second == first


def test_a_bad_document_is_refused_with_paths_and_writes_nothing(container: Container) -> None:
    actor = tenant(container, "strict")
    document = copy.deepcopy(library_documents()["sales"])
    document["steps"][1]["validations"][0].pop("min_value")
    document["steps"][3]["calculations"][0]["expression"] = "deal_valu * 2"
    document["fields"][0]["field_type"] = "colour"

    with pytest.raises(InvalidInput) as refused:
        do_import(container, actor, document)

    paths = {problem.field for problem in refused.value.problems}
    assert {"steps[1].validations[0].min_value", "fields[0].field_type"} <= paths
    assert "steps[3].calculations[0].expression" in paths
    assert count(container, FieldDefinition, actor) == 0
    assert count(container, PipelineTemplate, actor) == 0


def test_a_broken_entry_rule_is_refused_with_its_path(container: Container) -> None:
    actor = tenant(container, "entry")
    document = copy.deepcopy(library_documents()["sales"])
    document["steps"][1]["metadata"]["entry_validations"][0]["field_id"] = "deal_valu"

    with pytest.raises(InvalidInput) as refused:
        do_import(container, actor, document)

    paths = [problem.field for problem in refused.value.problems]
    assert paths == ["steps[1].metadata.entry_validations[0].field_id"]
    assert count(container, PipelineTemplate, actor) == 0


def test_an_existing_field_of_another_type_is_refused(container: Container) -> None:
    actor = tenant(container, "typed")
    do_import(
        container,
        actor,
        {
            "format": FORMAT,
            "name": "Other",
            "fields": [{"name": "deal_value", "label": "Deal", "field_type": "text"}],
            "steps": [],
        },
    )

    with pytest.raises(InvalidInput) as refused:
        do_import(container, actor, library_documents()["sales"])

    assert [p.field for p in refused.value.problems] == ["fields[0].field_type"]
    assert count(container, PipelineTemplate, actor) == 1


def test_a_taken_name_is_a_conflict_unless_renamed(container: Container) -> None:
    actor = tenant(container, "names")
    document = library_documents()["film"]
    do_import(container, actor, document)

    with pytest.raises(Conflict):
        do_import(container, actor, document)
    renamed = do_import(container, actor, document, name="Film production (copy)")

    assert renamed.name == "Film production (copy)"
    assert count(container, PipelineTemplate, actor) == 2
    assert count(container, FieldDefinition, actor) == len(document["fields"])


@pytest.mark.parametrize("document_format", ["yaml", "json"])
def test_the_command_line_round_trips_a_template_between_tenants(
    container: Container, database_url: str, tmp_path: Path, document_format: str
) -> None:
    source = tenant(container, "cli-a")
    tenant(container, "cli-b")
    imported = do_import(container, source, library_documents()["recruiting"])
    runner = CliRunner()
    env = {"PACETRACK_DATABASE_URL": database_url}
    exported = tmp_path / f"recruiting.{document_format}"
    again = tmp_path / f"again.{document_format}"

    first = runner.invoke(
        cli_app,
        [
            "template",
            "export",
            "--tenant",
            "cli-a",
            "--template",
            imported.name,
            "--format",
            document_format,
            "--output",
            str(exported),
        ],
        env=env,
    )
    loaded = runner.invoke(
        cli_app, ["template", "import", "--tenant", "cli-b", str(exported)], env=env
    )
    second = runner.invoke(
        cli_app,
        [
            "template",
            "export",
            "--tenant",
            "cli-b",
            "--template",
            "Recruiting",
            "--format",
            document_format,
            "--output",
            str(again),
        ],
        env=env,
    )

    assert (first.exit_code, loaded.exit_code, second.exit_code) == (0, 0, 0), (
        first.output + loaded.output + second.output
    )
    assert "Imported “Recruiting” (7 steps)" in loaded.output
    assert again.read_text() == exported.read_text()
    assert yaml.safe_load(exported.read_text()) == do_export(container, source, imported.id)


def test_the_command_line_imports_from_the_library_and_reports_problems(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    tenant(container, "cli-lib")
    runner = CliRunner()
    env = {"PACETRACK_DATABASE_URL": database_url}
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({"format": FORMAT, "name": "X", "steps": [{"order": 1}]}))

    from_library = runner.invoke(
        cli_app, ["template", "import", "--tenant", "cli-lib", "--library", "medical"], env=env
    )
    refused = runner.invoke(
        cli_app, ["template", "import", "--tenant", "cli-lib", str(broken)], env=env
    )

    assert from_library.exit_code == 0, from_library.output
    assert "Surgical patient journey" in from_library.output
    assert refused.exit_code == 1
    assert "steps[0].name" in refused.output
