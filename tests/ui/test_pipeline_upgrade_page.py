"""Upgrading a running pipeline from the web UI: from the versions page to the dry run,
a mapping chosen for a removed step, the upgrade, and the board showing where the items went.

SQLite only, like the other UI modules besides ``test_smoke.py``; the upgrade service and
its API are covered on both databases by ``tests/services/test_template_upgrade.py`` and
``tests/api/test_template_upgrade.py``, the page's posts by
``tests/api/test_pipeline_upgrade_pages.py``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pacetrack.bootstrap import Container
from pacetrack.services import template_versions, templates
from pacetrack.services.template_versions import PublishVersion
from pacetrack.services.templates import StepTemplateCreate
from tests.conftest import Login
from tests.ui.accessibility import assert_layout
from tests.ui.conftest import Browsing, SalesPipeline, actor_of, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


REMINDER = {
    "id": "demo_reminder",
    "trigger": "on_duration",
    "duration_days": 1,
    "repeat_every_days": 1,
    "recipients": [{"type": "owner"}],
}


def publish_without_qualified(container: Container, admin: Login, sales: SalesPipeline) -> None:
    """Version 2 of Sales: Qualified removed (its deal waits there), Proposal added, and a
    daily reminder on Demo, armed for the deal when it is mapped there."""
    actor = actor_of(container, admin)
    with container.uow() as work:
        templates.delete_step(work, actor, sales.step_templates["Qualified"])
    with container.uow() as work:
        templates.create_step(
            work,
            actor,
            StepTemplateCreate(pipeline_template_id=sales.template_id, name="Proposal"),
        )
    with container.uow() as work:
        templates.update_family(
            work, actor, sales.step_templates["Demo"], family="notifications", raw=[REMINDER]
        )
    with container.uow() as work:
        template_versions.publish(
            work, actor, PublishVersion(id=sales.template_id, note="Qualify inside Demo")
        )


def test_an_admin_upgrades_a_pipeline_choosing_where_a_removed_steps_items_go(
    admin_page: Browsing, container: Container, admin: Login, sales: SalesPipeline
) -> None:
    publish_without_qualified(container, admin, sales)
    page = admin_page.page
    page.goto(f"/admin/templates/{sales.template_id}/versions")
    older = page.locator("#version-1")
    expect(older).to_contain_text("Running in 1 pipeline:")
    older.get_by_role("link", name="Upgrade Q3 deals to version 2").click()

    expect(page.get_by_role("heading", name="Upgrade Q3 deals")).to_be_visible()
    expect(page.get_by_text("Q3 deals runs version 1 of Sales.")).to_be_visible()
    choice = page.get_by_label("Move the 1 item of “Qualified” to")
    expect(choice).to_have_value("")
    dry_run = page.locator("section", has=page.get_by_role("heading", name="Dry run"))
    expect(dry_run).to_contain_text("Choose a step for the items of each removed step")
    expect(page.get_by_role("button", name="Upgrade to version 2")).to_have_count(0)
    assert_layout(page)

    choice.select_option(label="Demo")
    page.get_by_role("button", name="Show the dry run").click()
    expect(page).to_have_url(re.compile(r"\?to=2&map-"))
    summary = dry_run.locator(".upgrade-summary > div")
    expect(summary.filter(has_text="Steps added")).to_contain_text("Proposal")
    expect(summary.filter(has_text="Steps removed")).to_contain_text("Qualified: 1 item → Demo")
    expect(summary.filter(has_text="Items moved")).to_contain_text("1")
    expect(summary.filter(has_text="Timers")).to_contain_text("0 cancelled, 0 re-armed, 1 added")
    expect(dry_run).to_contain_text("Step “Qualified” is removed; its 1 item would move to “Demo”.")
    expect(page.get_by_label("Move the 1 item of “Qualified” to")).to_have_value(
        str(sales.step_templates["Demo"])
    )
    assert_layout(page)
    screenshot(page, "pipeline-upgrade")

    page.get_by_role("button", name="Upgrade to version 2").click()

    expect(page).to_have_url(re.compile(rf"/pipelines/{sales.instance_id}\?notice=upgraded"))
    expect(page.get_by_role("status")).to_have_text("Upgraded: the pipeline runs the new version.")
    demo = page.locator(".board-column", has=page.get_by_role("heading", name=re.compile("Demo")))
    expect(demo.get_by_role("link", name="Acme renewal")).to_be_visible()
    expect(page.locator(".board-column h2", has_text="Qualified")).to_have_count(0)
    expect(page.locator(".board-column h2", has_text="Proposal")).to_have_count(1)

    page.goto(f"/admin/templates/{sales.template_id}/versions")
    expect(page.locator("#version-2")).to_contain_text("Running in 1 pipeline: Q3 deals")
    page.goto(f"/admin/pipelines/{sales.instance_id}/upgrade")
    expect(page.get_by_text("there is nothing to upgrade")).to_be_visible()
