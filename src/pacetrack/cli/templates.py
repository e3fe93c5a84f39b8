"""``pacetrack template export`` / ``pacetrack template import``: templates as YAML or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml

from pacetrack.bootstrap import build
from pacetrack.cli.errors import describe
from pacetrack.services import template_transfer
from pacetrack.services.errors import ServiceError
from pacetrack.services.unit_of_work import UnitOfWork

T = TypeVar("T")

template_app = typer.Typer(
    help="Pipeline templates as portable YAML or JSON documents.", no_args_is_help=True
)


class DocumentFormat(StrEnum):
    YAML = "yaml"
    JSON = "json"


def _run(call: Callable[[UnitOfWork], T]) -> T:
    container = build()
    try:
        with container.uow() as uow:
            return call(uow)
    except ServiceError as error:
        typer.secho(describe(error), err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from error
    finally:
        container.close()


def render(document: dict[str, Any], document_format: DocumentFormat) -> str:
    if document_format is DocumentFormat.JSON:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


@template_app.command("export")
def export_command(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug")],
    template: Annotated[str, typer.Option("--template", help="The template's name or id")],
    document_format: Annotated[
        DocumentFormat, typer.Option("--format", help="Document format")
    ] = DocumentFormat.YAML,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file instead of stdout")
    ] = None,
) -> None:
    """Write a pipeline template, its steps and the fields they use as one document."""
    document = _run(
        lambda uow: template_transfer.export_for_tenant(uow, tenant_slug=tenant, template=template)
    )
    text = render(document, document_format)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@template_app.command("import")
def import_command(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's slug")],
    file: Annotated[
        Path | None,
        typer.Argument(help="A YAML or JSON template document", exists=True, dir_okay=False),
    ] = None,
    library: Annotated[
        str | None, typer.Option("--library", help="A built-in template, e.g. sales")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Import under this name instead")
    ] = None,
) -> None:
    """Create a pipeline template (and any missing fields) from a document."""
    if (file is None) == (library is None):
        typer.secho("Give a FILE or --library NAME (one of them).", err=True, fg=typer.colors.RED)
        raise typer.Exit(2)
    if library is not None:
        documents = template_transfer.library_documents()
        if library not in documents:
            typer.secho(
                f"No library template “{library}”; choose one of {', '.join(documents)}.",
                err=True,
                fg=typer.colors.RED,
            )
            raise typer.Exit(2)
        document = documents[library]
    else:
        assert file is not None
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            typer.secho(f"{file} is not YAML or JSON: {error}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from error
    created = _run(
        lambda uow: template_transfer.import_for_tenant(
            uow, tenant_slug=tenant, document=document, name=name
        )
    )
    typer.echo(f"Imported “{created.name}” ({len(created.steps or [])} steps) as {created.id}")
