"""Upgrading every running pipeline of a template at once from the web UI: from the versions
page's link to the dry run per pipeline, one step chosen for a removed step's items in all
of them, the upgrade, and the versions page naming how many pipelines were upgraded.

SQLite only, like ``test_pipeline_upgrade_page.py``; the page's posts are covered on both
databases by ``tests/api/test_template_upgrade_all_pages.py``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pacetrack.bootstrap import Container
from pacetrack.services import items, pipelines
from pacetrack.services.items import ItemCreate
from pacetrack.services.pipelines import PipelineInstanceCreate
from tests.conftest import Login
from tests.ui.accessibility import assert_layout
from tests.ui.conftest import Browsing, SalesPipeline, actor_of, screenshot
from tests.ui.test_pipeline_upgrade_page import publish_without_qualified

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def start_q4(container: Container, admin: Login, sales: SalesPipeline) -> None:
    """A second pipeline of Sales at version 1, with two deals waiting at Qualified."""
    actor = actor_of(container, admin)
    with container.uow() as work:
        instance = pipelines.create_instance(
            work,
            actor,
            PipelineInstanceCreate(pipeline_template_id=sales.template_id, name="Q4 deals"),
        )
    qualified = next(step.id for step in instance.steps or [] if step.name == "Qualified")
    for name in ("Beta expansion", "Gamma pilot"):
        with container.uow() as work:
            items.create_item(
                work,
                actor,
                ItemCreate(
                    pipeline_instance_id=instance.id,
                    name=name,
                    step_id=qualified,
                    field_values={"deal_value": "9000", "decision_maker": "Lee"},
                ),
            )


def test_an_admin_upgrades_every_pipeline_of_a_template_with_one_choice(
    admin_page: Browsing, container: Container, admin: Login, sales: SalesPipeline
) -> None:
    start_q4(container, admin, sales)
    publish_without_qualified(container, admin, sales)
    page = admin_page.page
    page.goto(f"/admin/templates/{sales.template_id}/versions")
    page.get_by_role("link", name="Upgrade all pipelines to version 2").click()

    expect(page.get_by_role("heading", name="Upgrade the pipelines of Sales")).to_be_visible()
    expect(page.get_by_text("2 active pipelines of Sales run another version")).to_be_visible()
    choice = page.get_by_label("Move the 3 items of “Qualified” to")
    expect(choice).to_have_value("")
    dry_run = page.locator("section.card", has=page.get_by_role("heading", name="Dry run"))
    expect(dry_run).to_contain_text("Choose a step for the items of each removed step")
    expect(page.get_by_role("button", name=re.compile("^Upgrade all"))).to_have_count(0)
    assert_layout(page)

    choice.select_option(label="Demo")
    page.get_by_role("button", name="Show the dry run").click()
    expect(page).to_have_url(re.compile(r"\?to=2&map-"))
    q3 = dry_run.locator(".upgrade-pipeline", has_text="Q3 deals: version 1 to version 2")
    q4 = dry_run.locator(".upgrade-pipeline", has_text="Q4 deals: version 1 to version 2")
    expect(q3.locator(".upgrade-summary")).to_contain_text("Qualified: 1 item → Demo")
    expect(q4.locator(".upgrade-summary")).to_contain_text("Qualified: 2 items → Demo")
    expect(q4).to_contain_text("Step “Qualified” is removed; its 2 items would move to “Demo”.")
    expect(page.get_by_label("Move the 3 items of “Qualified” to")).to_have_value(
        str(sales.step_templates["Demo"])
    )
    assert_layout(page)
    screenshot(page, "template-upgrade-all")

    page.get_by_role("button", name="Upgrade all 2 pipelines to version 2").click()

    expect(page).to_have_url(
        re.compile(rf"/admin/templates/{sales.template_id}/versions\?notice=upgraded-2")
    )
    expect(page.get_by_role("status")).to_have_text(
        "Upgraded 2 pipelines: they run the new version."
    )
    latest = page.locator("#version-2")
    expect(latest).to_contain_text("Running in 2 pipelines:")
    for name in ("Q3 deals", "Q4 deals"):
        expect(latest.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Upgrade all pipelines"))).to_have_count(0)
    page.goto(f"/pipelines/{sales.instance_id}")
    demo = page.locator(".board-column", has=page.get_by_role("heading", name=re.compile("Demo")))
    expect(demo.get_by_role("link", name="Acme renewal")).to_be_visible()
