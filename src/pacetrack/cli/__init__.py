"""The ``pacetrack`` command: serve, migrate, and manage tenants, accounts and tokens.

Other areas add their commands with ``app.add_typer(...)`` or ``@app.command``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import typer

from pacetrack.bootstrap import Container, build
from pacetrack.cli.errors import describe
from pacetrack.services.context import system_actor
from pacetrack.services.errors import ServiceError
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.settings import Settings

DEFAULT_TOKEN_DAYS = 90
"""How long a token from ``pacetrack token create`` lasts unless told otherwise."""

app = typer.Typer(
    name="pacetrack",
    help="PaceTrack: track items through configurable pipelines of steps.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(account_app, name="account")
app.add_typer(token_app, name="token")

T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Prints ``message`` to stderr; raise the result to stop with ``code``."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def run_service(container: Container, call: Callable[..., T]) -> T:
    """Runs ``call(uow)`` in one unit of work and turns service errors into exit code 1."""
    try:
        with container.uow() as uow:
            return call(uow)
    except ServiceError as error:
        raise fail(describe(error)) from error


def open_container(settings: Settings | None = None) -> Container:
    return build(settings)


def pending_migrations(url: str) -> tuple[set[str], set[str]]:
    """(heads the database is at, heads the code expects)."""
    from pacetrack.bootstrap import schema_heads

    return schema_heads(url)


def prepare_schema(settings: Settings) -> None:
    """Migrates the embedded SQLite database; refuses a PostgreSQL schema that is behind."""
    from pacetrack.bootstrap import upgrade_schema

    if settings.is_sqlite:
        # The embedded default must work on first run with nothing else to do.
        upgrade_schema(settings.database_url)
        return
    current, expected = pending_migrations(settings.database_url)
    if current != expected:
        raise fail(
            "The database schema is not current "
            f"(at {sorted(current) or 'nothing'}, expected {sorted(expected)}).\n"
            "Run `pacetrack db upgrade` first."
        )


# ---------------------------------------------------------------- serve and db


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker",
            help="Do not run the background worker in this process (run `pacetrack worker`)",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes (one per CPU core is a good start); each has its own "
            "database pool and, unless --no-worker, its own background worker",
        ),
    ] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log a line per request (a proxy in front may log them instead)")
    ] = True,
    healthcheck_timeout: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=3600,
            help="With --workers: seconds a server process may take to answer the supervisor's "
            "health check before it is replaced (default: $PACETRACK_SERVER_HEALTHCHECK_SECONDS "
            "or 30)",
        ),
    ] = None,
) -> None:
    """Serve the web application and JSON API."""
    import uvicorn

    from pacetrack.web.app import create_app

    settings = Settings()
    if no_worker:
        settings = settings.model_copy(update={"embedded_worker": False})
    if healthcheck_timeout is not None:
        settings = settings.model_copy(update={"server_healthcheck_seconds": healthcheck_timeout})
    prepare_schema(settings)
    typer.echo(f"PaceTrack on http://{host}:{port} (API docs at /docs)")
    options = server_options(settings, host=host, port=port, access_log=access_log)
    if workers > 1:
        # Each process builds its own app from the environment: pass the choice on.
        os.environ["PACETRACK_EMBEDDED_WORKER"] = "true" if settings.embedded_worker else "false"
        uvicorn.run(
            "pacetrack.web.app:app_from_environment", factory=True, workers=workers, **options
        )
        return
    container = build(settings)
    try:
        uvicorn.run(create_app(container, freeze_startup_objects=True), **options)
    finally:
        container.close()


def server_options(settings: Settings, *, host: str, port: int, access_log: bool) -> dict[str, Any]:
    """uvicorn's settings for ``serve``. The supervisor of ``--workers N`` pings each server
    process and kills one that does not answer in ``timeout_worker_healthcheck`` seconds;
    uvicorn's 5 s is too short on a loaded machine, where processes that were still starting
    were killed again and again."""
    return {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": access_log,
        "timeout_worker_healthcheck": settings.server_healthcheck_seconds,
    }


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (all branch heads)."""
    from pacetrack.bootstrap import upgrade_schema

    settings = Settings()
    upgrade_schema(settings.database_url)
    typer.echo("The database schema is current.")


# ---------------------------------------------------------------- tenants, accounts, tokens


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="Display name")],
    slug: Annotated[str, typer.Option(help="Short identifier used to log in")],
    time_zone: Annotated[str, typer.Option(help="IANA time zone, e.g. Europe/Berlin")] = "UTC",
) -> None:
    """Create a tenant with the built-in roles (admin, manager, member)."""
    from pacetrack.services.tenants import create_tenant

    container = open_container()
    try:
        tenant = run_service(
            container, lambda uow: create_tenant(uow, name=name, slug=slug, time_zone=time_zone)
        )
    finally:
        container.close()
    typer.echo(f"Created tenant {tenant.slug} ({tenant.id}).")


@account_app.command("create")
def account_create(
    tenant: Annotated[str, typer.Option(help="The tenant's slug")],
    email: Annotated[str, typer.Option()],
    username: Annotated[str, typer.Option()],
    password: Annotated[str | None, typer.Option(help="Password (prefer --password-stdin)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    role: Annotated[
        list[str] | None, typer.Option(help="A role; repeat for several (default: member)")
    ] = None,
    display_name: Annotated[str, typer.Option()] = "",
) -> None:
    """Create an account in a tenant."""
    from pacetrack.services.people.accounts import AccountCreate, AccountOut, create_account
    from pacetrack.services.tenants import tenant_by_slug

    if password is not None and password_stdin:
        raise fail("Give --password or --password-stdin, not both.", 2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        command = AccountCreate(
            email=email,
            username=username,
            display_name=display_name,
            password=password,
            roles=role or ["member"],
        )
    except ValueError as error:
        raise fail(f"Invalid account: {error}", 2) from error

    def create(uow: UnitOfWork) -> AccountOut:
        actor = system_actor(tenant_by_slug(uow, tenant).id)
        return create_account(uow, actor, command)

    container = open_container()
    try:
        account = run_service(container, create)
    finally:
        container.close()
    typer.echo(f"Created account {account.username} ({account.id}) with roles {account.roles}.")


@token_app.command("create")
def token_create(
    tenant: Annotated[str, typer.Option(help="The tenant's slug")],
    login: Annotated[str, typer.Option(help="Email address or username")],
    name: Annotated[str, typer.Option(help="What the token is for")] = "command line",
    days: Annotated[
        int, typer.Option(min=1, max=3650, help="Lifetime in days")
    ] = DEFAULT_TOKEN_DAYS,
    no_expiry: Annotated[
        bool, typer.Option("--no-expiry", help="A token that never expires (revoke it by hand)")
    ] = False,
) -> None:
    """Issue an API token for an account; prints the token (shown once).

    The expiry goes to standard error, so ``token=$(pacetrack token create …)`` keeps
    only the token."""
    from pacetrack.services.people.accounts import issue_token_for_login

    ttl = None if no_expiry else timedelta(days=days)
    container = open_container()
    try:
        token = run_service(
            container,
            lambda uow: issue_token_for_login(
                uow, tenant_slug=tenant, login=login, name=name, ttl=ttl
            ),
        )
    finally:
        container.close()
    typer.echo(token.token)
    if token.expires_at is None:
        typer.echo("This token never expires; revoke it when it is no longer needed.", err=True)
    else:
        typer.echo(f"Expires {token.expires_at:%Y-%m-%d %H:%M} UTC.", err=True)


@app.command()
def demo(
    password: Annotated[
        str | None, typer.Option(help="Password for every demo login (default: generated)")
    ] = None,
) -> None:
    """Create or refresh the demo tenant with the use cases' people, groups and templates."""
    from pacetrack.cli.demo import seed_demo

    if password is not None and len(password) < 8:
        raise fail("The password needs at least 8 characters.", 2)
    settings = Settings()
    prepare_schema(settings)
    container = build(settings)
    try:
        result = seed_demo(container, password=password)
    except ServiceError as error:
        raise fail(describe(error)) from error
    finally:
        container.close()
    for note in result.notes:
        typer.echo(note)
    for line in result.templates:
        typer.echo(f"template {line}")
    # The words of the sign-in form (web/templates/login.html), so the three lines are
    # typed into the boxes of the same names.
    typer.echo(
        f"Demo ready: {result.accounts_created} accounts and "
        f"{result.groups_created} groups created, "
        f"{result.samples_created} sample items placed in the pipelines.\n"
        f"Sign in at {settings.base_url.rstrip('/')}/login with\n"
        f"  Organisation:       {result.tenant}\n"
        f"  Email or username:  {result.login}\n"
        f"  Password:           {result.password}\n"
        "Every demo user (sdr_1, ae_1, physician_1, ...) signs in with the same password."
    )


from pacetrack.cli.worker import worker_app  # noqa: E402

app.add_typer(worker_app, name="worker")

from pacetrack.cli.templates import template_app  # noqa: E402

app.add_typer(template_app, name="template")

from pacetrack.cli.tenant_features import register as register_tenant_features  # noqa: E402

register_tenant_features(tenant_app)
