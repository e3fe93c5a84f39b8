"""Approvals on the item page: a member asks, an admin rejects (with a reason) or approves.

These run on SQLite only; ``test_smoke.py`` runs the core path on PostgreSQL too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.services import items, templates
from pacetrack.services.items import ItemFieldsUpdate
from tests.conftest import Login
from tests.support.versions import publish_and_upgrade
from tests.ui.conftest import Browsing, SalesPipeline, actor_of, sign_in_with_token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


@pytest.fixture
def needs_approval(
    container: Container, admin: Login, sales: SalesPipeline, clock: FrozenClock
) -> SalesPipeline:
    """Leaving Qualified needs an approval; the deal is otherwise ready to move."""
    actor = actor_of(container, admin)
    # Parsed step configs are cached by the template's updated_at: let the edit change it.
    clock.advance(timedelta(minutes=1))
    with container.uow() as work:
        templates.update_family(
            work,
            actor,
            sales.step_templates["Qualified"],
            family="metadata",
            raw={"requires_approval": True},
        )
    publish_and_upgrade(container, actor, sales.template_id)
    with container.uow() as work:
        items.update_fields(
            work, actor, ItemFieldsUpdate(id=sales.item_id, field_values={"deal_value": "6000"})
        )
    return sales


@pytest.fixture
def member_page(browser: Browser, live_server: str, member: Login) -> Iterator[Page]:
    # Closed after the test: a signed-in page holds the live event stream open, and the
    # server stops only when its streams have ended.
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    sign_in_with_token(page, member, live_server)
    yield page
    context.close()


def request_as_member(page: Page, sales: SalesPipeline) -> None:
    page.goto(f"/items/{sales.item_id}")
    unmet = page.get_by_role("list", name="Requirements").locator("li.unmet")
    expect(unmet).to_have_count(1)
    page.get_by_label("Comment for the approvers").fill("Customer signed the NDA")
    page.get_by_role("button", name="Request approval").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")


def test_an_admin_approves_a_members_request_and_the_item_moves(
    admin_page: Browsing, member_page: Page, needs_approval: SalesPipeline
) -> None:
    request_as_member(member_page, needs_approval)
    page = admin_page.page
    page.goto(f"/items/{needs_approval.item_id}")
    waiting = page.locator("section[aria-labelledby=approvals-heading]")
    expect(waiting).to_contain_text("Leave Qualified, requested by max")
    expect(waiting).to_contain_text("Customer signed the NDA")
    waiting.get_by_role("button", name="Approve").click()

    expect(page.get_by_role("status")).to_have_text("Approved.")
    expect(page.get_by_role("list", name="Requirements").locator("li.unmet")).to_have_count(0)
    page.get_by_role("button", name="Move to Demo").click()
    expect(page.get_by_label("Current step")).to_have_text("Demo")


def test_a_rejection_needs_a_reason_and_then_blocks_the_move(
    admin_page: Browsing, member_page: Page, needs_approval: SalesPipeline
) -> None:
    request_as_member(member_page, needs_approval)
    page = admin_page.page
    page.goto(f"/items/{needs_approval.item_id}")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("alert")).to_contain_text("Comment")

    page.get_by_label("Comment (needed to reject)").fill("Budget not confirmed")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status")).to_have_text("Rejected.")
    page.get_by_role("button", name="Move to Demo").click()

    summary = page.locator("#move-summary")
    expect(summary).to_contain_text(re.compile("Budget not confirmed"))
    expect(page.get_by_label("Current step")).to_have_text("Qualified")


def test_an_approver_decides_from_the_approvals_inbox(
    admin_page: Browsing, member_page: Page, needs_approval: SalesPipeline
) -> None:
    request_as_member(member_page, needs_approval)
    page = admin_page.page
    page.goto("/")
    page.get_by_role("link", name="Approvals").click()

    waiting = page.get_by_role("listitem").filter(has_text="Acme renewal")
    expect(waiting).to_contain_text("Leave Qualified, requested by max")
    expect(waiting).to_contain_text("Customer signed the NDA")
    waiting.get_by_role("button", name="Approve").click()

    expect(page.get_by_role("status")).to_have_text("Approved.")
    expect(page).to_have_url(re.compile(r"/approvals\?notice=approved$"))
    expect(page.get_by_text("Nothing waits for your approval.")).to_be_visible()
    # The requester has no approval to give: the inbox is empty for them.
    member_page.goto("/approvals")
    expect(member_page.get_by_text("Nothing waits for your approval.")).to_be_visible()


def test_an_approver_is_not_offered_the_request_form(
    admin_page: Browsing, member_page: Page, needs_approval: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/items/{needs_approval.item_id}")
    expect(page.get_by_role("heading", name="Acme renewal")).to_be_visible()
    expect(page.get_by_role("button", name="Request approval")).to_have_count(0)

    member_page.goto(f"/items/{needs_approval.item_id}")
    expect(member_page.get_by_role("button", name="Request approval")).to_be_visible()
