"""The library's Sales pipeline, and each other library template, built in the studio from an
empty template entirely through its controls, equals the library's template: ``pacetrack
template export`` (the real command, in a subprocess, on the test's database) of the built
template and of the library template imported by ``pacetrack template import --library <key>``
are the same document in every step property and config family.

Every studio tab is checked with axe-core at 1280 and 390 px (on the Sales and Recruiting
templates' busiest steps). SQLite only, like the other studio tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

import pacetrack
from pacetrack.bootstrap import Container
from pacetrack.services import template_transfer
from pacetrack.services.people import account_groups, accounts
from pacetrack.services.people.account_groups import GroupCreate
from pacetrack.services.people.accounts import RoleCreate
from tests.conftest import Login, make_login
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import Browsing, actor_of
from tests.ui.studio_driver import FAMILIES, STUDIO_TABS, build_template, open_tab, select_step

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]

SOURCE = Path(pacetrack.__file__).resolve().parents[1]


def pacetrack_command(database_url: str, *args: str) -> str:
    """Runs the ``pacetrack`` command of this checkout on the test's database."""
    environment = {
        **os.environ,
        "PACETRACK_DATABASE_URL": database_url,
        "PYTHONPATH": str(SOURCE),
    }
    command = [str(Path(sys.executable).parent / "pacetrack"), *args]
    finished = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def export(database_url: str, tenant: str, template: str) -> dict[str, Any]:
    text = pacetrack_command(
        database_url, "template", "export", "--tenant", tenant, "--template", template,
        "--format", "json",
    )  # fmt: skip
    return json.loads(text)  # type: ignore[no-any-return]


LIBRARY_KEYS = sorted(template_transfer.library_documents())
# Every tab is checked with axe on these templates' busiest step: Sales' Qualified (a rule, an
# entry rule, a webhook with its data) and Recruiting's Offer Extended (a date comparison, a
# reminder, a webhook); the other templates use the same controls.
AXE_CHECKED = frozenset({"sales", "recruiting"})
GROUP_TYPES = frozenset({"account_group", "round_robin", "least_assigned"})


def named(node: Any) -> Iterator[tuple[str, str]]:
    """Every (type, id) an assignment, recipient or approver of ``node`` names."""
    if isinstance(node, list):
        for entry in node:
            yield from named(entry)
    elif isinstance(node, dict):
        if isinstance(node.get("type"), str) and isinstance(node.get("id"), str):
            yield node["type"], node["id"]
        for value in node.values():
            yield from named(value)


@pytest.fixture
def library_key(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def document(library_key: str) -> dict[str, Any]:
    return template_transfer.library_documents()[library_key]


@pytest.fixture
def people(container: Container, admin: Login, document: dict[str, Any]) -> None:
    """The people and groups the template names."""
    names = set(named(document["steps"]))
    for username in sorted({name for kind, name in names if kind == "user"}):
        make_login(container, slug=admin.tenant_slug, username=username, roles=["member"])
    actor = actor_of(container, admin)
    for group in sorted({name for kind, name in names if kind in GROUP_TYPES}):
        with container.uow() as work:
            account_groups.create_group(work, actor, GroupCreate(name=group))
    for role in sorted({name for kind, name in names if kind == "role"}):
        with container.uow() as work:
            accounts.create_role(work, actor, RoleCreate(name=role))


@pytest.fixture
def library_export(
    database_url: str, admin: Login, library_key: str, document: dict[str, Any], people: None
) -> dict[str, Any]:
    """The library's template imported by the command line (which also creates the tenant's
    fields the template uses), exported again."""
    name = f"{document['name']} (library)"
    pacetrack_command(
        database_url, "template", "import", "--tenant", admin.tenant_slug,
        "--library", library_key, "--name", name,
    )  # fmt: skip
    return export(database_url, admin.tenant_slug, name)


def create_empty_template(page: Page, name: str, description: str) -> None:
    page.goto("/admin/templates")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    expect(page.get_by_text("This template has no steps yet.")).to_be_visible()


def check_every_tab(page: Page) -> None:
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for tab in STUDIO_TABS:
            open_tab(page, tab)
            assert_accessible(page)
            assert_fits_width(page)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("library_key", LIBRARY_KEYS, indirect=True)
def test_a_library_template_built_with_the_studios_controls_equals_the_library(
    admin_page: Browsing,
    database_url: str,
    library_key: str,
    document: dict[str, Any],
    library_export: dict[str, Any],
) -> None:
    page = admin_page.page
    create_empty_template(page, document["name"], document["description"])

    build_template(page, document)

    names = [entry.strip() for entry in page.locator(".step-name").all_inner_texts()]
    assert names == [f"{n}. {step['name']}" for n, step in enumerate(document["steps"], 1)]
    with_icons = [step for step in document["steps"] if step.get("icon")]
    expect(page.locator(".studio-steps .step-icon")).to_have_count(len(with_icons))
    if library_key in AXE_CHECKED:
        steps = document["steps"]
        busiest = max(range(len(steps)), key=lambda at: sum(map(bool, steps[at].values())))
        select_step(page, busiest, steps[busiest]["name"])
        check_every_tab(page)

    built = export(database_url, admin_page.login.tenant_slug, document["name"])
    for ours, theirs in zip(built["steps"], document["steps"], strict=True):
        for family in FAMILIES:
            assert len(ours[family]) == len(theirs.get(family, [])), (ours["name"], family)
        assert ours["metadata"].keys() == theirs.get("metadata", {}).keys()
    assert built["steps"] == library_export["steps"]
    assert built["fields"] == library_export["fields"]
    assert (built["name"], built["description"]) == (document["name"], document["description"])
    # The library's own file says the same (its steps in its order, with their looks).
    assert [
        (step["name"], step["order"], step["target_duration_days"], step["color"], step["icon"])
        for step in built["steps"]
    ] == [
        (
            step["name"],
            step["order"],
            step.get("target_duration_days"),
            step.get("color"),
            step.get("icon"),
        )
        for step in document["steps"]
    ]
