"""Step colour and icon wherever steps appear: the board's column headings and the item
page's step, each icon a decorative symbol beside the step's name (which stays the label).

SQLite only, like the other UI modules besides ``test_smoke.py``; the studio's step list is
covered by ``test_studio.py``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pacetrack.bootstrap import Container
from pacetrack.services import templates
from pacetrack.services.templates import StepTemplateUpdate
from tests.conftest import Login
from tests.support.versions import publish_and_upgrade
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import Browsing, SalesPipeline, actor_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


@pytest.fixture
def dressed(container: Container, admin: Login, sales: SalesPipeline) -> SalesPipeline:
    """Lead with an icon, Qualified with an icon and a colour, Demo with a name that is no icon."""
    actor = actor_of(container, admin)
    for step, icon, color in (
        ("Lead", "inbox", None),
        ("Qualified", "check", "#2196f3"),
        ("Demo", "not-an-icon", None),
    ):
        with container.uow() as work:
            templates.update_step(
                work,
                actor,
                StepTemplateUpdate(id=sales.step_templates[step], icon=icon, color=color),
            )
    publish_and_upgrade(container, actor, sales.template_id)
    return sales


def test_board_headings_show_each_steps_icon_beside_its_name(
    admin_page: Browsing, dressed: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/pipelines/{dressed.instance_id}")
    lead = page.get_by_role("heading", name=re.compile(r"^Lead"))
    expect(lead.locator(".step-icon")).to_have_text("⇩")
    expect(lead.locator(".step-icon")).to_have_attribute("aria-hidden", "true")
    qualified = page.get_by_role("heading", name=re.compile(r"^Qualified"))
    expect(qualified.locator(".step-icon")).to_have_text("✔")
    demo = page.get_by_role("heading", name=re.compile(r"^Demo"))
    expect(demo).to_be_visible()
    expect(demo.locator(".step-icon")).to_have_count(0)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)


def test_the_item_page_shows_its_steps_icon_and_colour(
    admin_page: Browsing, dressed: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/items/{dressed.item_id}")
    pill = page.get_by_label("Current step")
    expect(pill).to_have_text("✔Qualified")
    expect(pill.locator(".step-icon")).to_have_attribute("aria-hidden", "true")
    expect(pill).to_have_attribute("style", "--step-color: #2196f3")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
        assert_fits_width(page)
