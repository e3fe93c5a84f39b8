"""The demo tenant: the people, groups and roles of the use cases, the template library,
and sample items in every library pipeline (``demo_samples``).

Running it again changes nothing but the passwords: every demo login gets the
password printed by the latest run, so the printed one always works, and a pipeline
that has items already gets no samples.
"""

from __future__ import annotations

import importlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pacetrack.bootstrap import Container
from pacetrack.cli.demo_samples import SampleContext, sample_files, seed_pipeline
from pacetrack.services import pipelines, tenants
from pacetrack.services.context import ADMIN, MANAGER, MEMBER, Actor, system_actor
from pacetrack.services.errors import Conflict, NotFound, ServiceError
from pacetrack.services.people import account_groups, accounts
from pacetrack.services.people.account_groups import GroupCreate, GroupMembership
from pacetrack.services.people.accounts import AccountCreate, AccountUpdate

SLUG = "demo"
ADMIN_USERNAME = "admin"
EMAIL_DOMAIN = "demo.pacetrack.example"

USERNAMES = (
    "sdr_1",
    "sdr_2",
    "ae_1",
    "ae_2",
    "sales_manager",
    "vp_sales",
    "recruiter_1",
    "recruiter_2",
    "hiring_manager",
    "eng_1",
    "eng_2",
    "eng_3",
    "procurement_specialist",
    "production_manager",
    "qa_1",
    "qa_2",
    "content_1",
    "content_2",
    "designer_1",
    "designer_2",
    "marketing_lead",
    "nurse_1",
    "physician_1",
    "physician_2",
    "billing_1",
    "producer",
    "line_producer",
    "editor_1",
)
# The people who lead a team in the use cases; they may start pipelines.
MANAGERS = frozenset(
    {
        "sales_manager",
        "vp_sales",
        "hiring_manager",
        "production_manager",
        "marketing_lead",
        "producer",
    }
)
PHYSICIAN = "physician"
GROUPS = {
    "sdr_team": "sdr_",
    "ae_team": "ae_",
    "recruiters": "recruiter_",
    "engineering_interviewers": "eng_",
    "qa_team": "qa_",
    "content_team": "content_",
    "design_team": "designer_",
    "physicians": "physician_",
    "post_production": "editor_",
}

# Library pipelines started restricted: medical fields are sensitive, so only the care team
# (and admins) see the patients.
RESTRICTED_PIPELINES: dict[str, dict[str, Any]] = {
    "medical": {
        "restricted": True,
        "account_groups": ["physicians"],
        "accounts": ["nurse_1", "billing_1"],
    },
}


def roles_of(username: str) -> list[str]:
    roles = [MEMBER]
    if username in MANAGERS:
        roles.append(MANAGER)
    if username.startswith(f"{PHYSICIAN}_"):
        roles.append(PHYSICIAN)
    return roles


@dataclass(kw_only=True)
class DemoResult:
    tenant: str
    login: str
    password: str
    accounts_created: int = 0
    groups_created: int = 0
    templates: list[str] = field(default_factory=list)
    samples_created: int = 0
    notes: list[str] = field(default_factory=list)


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A function another area provides, or None while that area is not installed."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError:
        return None
    function = getattr(found, name, None)
    return function if callable(function) else None


def seed_demo(container: Container, *, password: str | None = None) -> DemoResult:
    """Creates what is missing of the demo tenant; returns the admin login."""
    password = password or secrets.token_urlsafe(12)
    result = DemoResult(tenant=SLUG, login=ADMIN_USERNAME, password=password)

    with container.uow() as uow:
        try:
            tenant_id = tenants.tenant_by_slug(uow, SLUG).id
        except NotFound:
            tenant_id = tenants.create_tenant(
                uow, name="PaceTrack demo", slug=SLUG, time_zone="UTC"
            ).id
    system = system_actor(tenant_id)

    with container.uow() as uow:
        if PHYSICIAN not in {role.name for role in accounts.list_roles(uow, system)}:
            accounts.create_role(
                uow, system, accounts.RoleCreate(name=PHYSICIAN, description="Medical staff")
            )

    wanted = {ADMIN_USERNAME: [ADMIN, MEMBER]} | {name: roles_of(name) for name in USERNAMES}
    ids: dict[str, uuid.UUID] = {}
    with container.uow() as uow:
        existing = {account.username: account for account in accounts.list_accounts(uow, system)}
    for username, roles in wanted.items():
        with container.uow() as uow:
            if username in existing:
                # Resetting keeps the printed password true for every demo login.
                account = accounts.update_account(
                    uow, system, AccountUpdate(id=existing[username].id, password=password)
                )
            else:
                account = accounts.create_account(
                    uow,
                    system,
                    AccountCreate(
                        email=f"{username}@{EMAIL_DOMAIN}",
                        username=username,
                        display_name=username.replace("_", " ").title(),
                        password=password,
                        roles=roles,
                    ),
                )
                result.accounts_created += 1
        ids[username] = account.id

    with container.uow() as uow:
        groups = {group.name: group for group in account_groups.list_groups(uow, system)}
    for name, prefix in GROUPS.items():
        members = [ids[username] for username in USERNAMES if username.startswith(prefix)]
        with container.uow() as uow:
            if name not in groups:
                account_groups.create_group(uow, system, GroupCreate(name=name, member_ids=members))
                result.groups_created += 1
                continue
        for account_id in set(members) - set(groups[name].member_ids):
            with container.uow() as uow:
                account_groups.add_member(
                    uow, system, GroupMembership(group_id=groups[name].id, account_id=account_id)
                )

    admin = Actor(
        tenant_id=tenant_id,
        account_id=ids[ADMIN_USERNAME],
        roles=frozenset({ADMIN, MEMBER}),
        email=f"{ADMIN_USERNAME}@{EMAIL_DOMAIN}",
    )
    _import_library(container, admin, result)
    people = {
        username: Actor(
            tenant_id=tenant_id,
            account_id=account_id,
            roles=frozenset(wanted[username]),
            email=f"{username}@{EMAIL_DOMAIN}",
        )
        for username, account_id in ids.items()
    }
    _seed_samples(container, admin, people, result)
    return result


def _seed_samples(
    container: Container, admin: Actor, people: dict[str, Actor], result: DemoResult
) -> None:
    """Sample items in each library pipeline that has none yet."""
    library_documents = _optional("pacetrack.services.template_transfer", "library_documents")
    if library_documents is None:
        return
    with container.uow() as uow:
        instances = {
            instance.name: instance.id for instance in pipelines.list_instances(uow, admin)
        }
    context = SampleContext(
        container=container, admin=admin, people=people, now=container.clock.now()
    )
    names = {key: document.get("name") for key, document in library_documents().items()}
    for key, file in sample_files().items():
        instance_id = instances.get(str(names.get(key)))
        if instance_id is None:
            result.notes.append(f"No running pipeline for the samples “{key}”.")
            continue
        try:
            result.samples_created += seed_pipeline(context, instance_id=instance_id, file=file)
        except (ValueError, ServiceError) as error:
            result.notes.append(f"The samples “{key}” were not all placed: {error}")


def _import_library(container: Container, admin: Actor, result: DemoResult) -> None:
    library_documents = _optional("pacetrack.services.template_transfer", "library_documents")
    import_template = _optional("pacetrack.services.template_transfer", "import_template")
    if library_documents is None or import_template is None:
        result.notes.append("No template library is installed; the demo has no templates.")
        return
    create_instance = _optional("pacetrack.services.pipelines", "create_instance")
    instance_command = _optional("pacetrack.services.pipelines", "PipelineInstanceCreate")
    if create_instance is None or instance_command is None:
        result.notes.append(
            "Pipeline instances are not available; templates are imported without instances."
        )
    for key, document in library_documents().items():
        with container.uow() as uow:
            try:
                template = import_template(uow, admin, document)
            except Conflict:
                result.templates.append(f"{key}: present already")
                continue
            except ServiceError as error:
                result.notes.append(f"The library template “{key}” was not imported: {error}")
                continue
        line = f"{key}: imported as “{template.name}”"
        if create_instance is not None and instance_command is not None:
            with container.uow() as uow:
                try:
                    create_instance(
                        uow,
                        admin,
                        instance_command(
                            pipeline_template_id=template.id,
                            name=template.name,
                            access=RESTRICTED_PIPELINES.get(key),
                        ),
                    )
                    line += " with a running pipeline"
                    if key in RESTRICTED_PIPELINES:
                        line += " (restricted access)"
                except ServiceError as error:
                    result.notes.append(f"No pipeline for “{key}”: {error}")
        result.templates.append(line)
