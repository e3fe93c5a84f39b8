"""The UI on the item read model: allowed moves only, the tenant's time zone, restricted pipelines.

These run on SQLite only, like ``test_items.py``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pacetrack.bootstrap import Container
from pacetrack.db.tables import Tenant
from pacetrack.services import pipelines, templates
from pacetrack.services.access import AccessSpec
from pacetrack.services.pipelines import AccessUpdate
from tests.conftest import Login
from tests.support.versions import publish_and_upgrade
from tests.ui.conftest import Browsing, SalesPipeline, actor_of, sign_in_with_token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def test_the_move_controls_offer_only_the_steps_the_transition_rules_allow(
    admin_page: Browsing, sales: SalesPipeline, container: Container, admin: Login
) -> None:
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    expect(page.get_by_role("button", name="Move to Demo")).to_be_visible()
    page.get_by_text("Move to another step").click()
    expect(page.get_by_label("Step", exact=True).locator("option")).to_have_text(["Lead"])

    with container.uow() as work:
        templates.update_family(
            work,
            actor_of(container, admin),
            sales.step_templates["Qualified"],
            family="metadata",
            raw={"allow_backward": False},
        )
    publish_and_upgrade(container, actor_of(container, admin), sales.template_id)
    page.goto(f"/items/{sales.item_id}")

    expect(page.get_by_role("button", name="Move to Demo")).to_be_visible()
    expect(page.get_by_text("Move to another step")).to_have_count(0)


def test_times_on_the_item_page_are_in_the_tenants_time_zone(
    admin_page: Browsing, sales: SalesPipeline, container: Container, admin: Login
) -> None:
    with container.uow() as work:
        tenant = work.session.get(Tenant, admin.tenant_id)
        assert tenant is not None
        tenant.time_zone = "America/New_York"
        work.commit()
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")

    # Created 2026-03-02 09:00 UTC: 04:00 in New York, before the switch to daylight time.
    expect(page.locator("dl.facts")).to_contain_text("2026-03-02 04:00 EST")


def test_a_member_outside_a_restricted_pipeline_sees_neither_it_nor_its_items(
    page: Page,
    live_server: str,
    sales: SalesPipeline,
    container: Container,
    admin: Login,
    member: Login,
) -> None:
    with container.uow() as work:
        pipelines.update_access(
            work,
            actor_of(container, admin),
            AccessUpdate(id=sales.instance_id, access=AccessSpec(restricted=True)),
        )
    sign_in_with_token(page, member, live_server)

    page.goto("/")
    expect(page.get_by_role("heading", name="Pipelines", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Q3 deals")).to_have_count(0)
    for path in (f"/pipelines/{sales.instance_id}", f"/items/{sales.item_id}"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_text("Acme renewal")).to_have_count(0)
