"""The in-app notification center: a notification fired by a move is listed and marked read.

These run on SQLite only; ``test_smoke.py`` runs the core path on PostgreSQL too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.services import items, moves, notifications, templates
from pacetrack.services.items import ItemFieldsUpdate
from pacetrack.services.moves import MoveItem
from pacetrack.worker.runner import Worker
from tests.conftest import Login
from tests.support.versions import publish_and_upgrade
from tests.ui.conftest import Browsing, SalesPipeline, actor_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]

DEMO_BOOKED = {
    "id": "demo_booked",
    "trigger": "on_enter",
    "recipients": [{"type": "owner"}],
    "subject": "Demo stage: {{ item.name }}",
    "body": "Book the demo for {{ item.name }}.",
    "channels": ["in_app"],
}


@pytest.fixture
def notified(
    container: Container, admin_page: Browsing, sales: SalesPipeline, clock: FrozenClock
) -> None:
    notify_owner(container, admin_page.login, sales, clock)


def notify_owner(
    container: Container, login: Login, sales: SalesPipeline, clock: FrozenClock
) -> None:
    """The deal reaches Demo, whose on_enter rule notifies the owner (ada) in the app."""
    actor = actor_of(container, login)
    # Parsed step configs are cached by the template's updated_at: let the edit change it.
    clock.advance(timedelta(minutes=1))
    with container.uow() as work:
        templates.update_family(
            work, actor, sales.step_templates["Demo"], family="notifications", raw=[DEMO_BOOKED]
        )
    publish_and_upgrade(container, actor, sales.template_id)
    with container.uow() as work:
        items.update_fields(
            work, actor, ItemFieldsUpdate(id=sales.item_id, field_values={"deal_value": "6000"})
        )
    with container.uow() as work:
        moves.move_item(work, actor, MoveItem(id=sales.item_id, step_id=sales.steps["Demo"]))
    Worker(container, mailer=None).drain()


def test_a_notification_is_listed_and_marked_read(admin_page: Browsing, notified: None) -> None:
    page = admin_page.page
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Notifications")).to_contain_text("1")
    nav.get_by_role("link", name="Notifications").click()

    entry = page.locator("li.notification")
    expect(entry).to_have_count(1)
    expect(entry).to_have_class("notification unread")
    expect(entry.get_by_role("link")).to_have_text("Demo stage: Acme renewal")
    expect(entry).to_contain_text("Book the demo for Acme renewal.")
    entry.get_by_role("button", name="Mark “Demo stage: Acme renewal” as read").click()

    expect(page.get_by_role("status")).to_have_text("Marked as read.")
    expect(page.locator("li.notification")).to_have_class("notification")
    expect(page.get_by_text("0 unread")).to_be_visible()
    page.get_by_role("link", name="Unread", exact=True).click()
    expect(page.get_by_text("No unread notifications.")).to_be_visible()


def test_the_notification_links_to_its_item(admin_page: Browsing, notified: None) -> None:
    page = admin_page.page
    page.goto("/notifications")
    page.get_by_role("link", name="Demo stage: Acme renewal").click()

    expect(page.get_by_role("heading", name="Acme renewal", level=1)).to_be_visible()
    expect(page.get_by_label("Current step")).to_have_text("Demo")


def test_notification_settings_are_saved_from_the_page(
    admin_page: Browsing, container: Container
) -> None:
    page = admin_page.page
    page.goto("/notifications")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Notification settings")).to_be_visible()

    page.get_by_label("My approval is requested: by email").uncheck()
    page.get_by_label("An item is at risk of missing its target time: in the app").uncheck()
    page.get_by_label("Collect them in one email a day (08:00)").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("My approval is requested: by email")).not_to_be_checked()
    expect(page.get_by_label("My approval is requested: in the app")).to_be_checked()
    with container.uow() as work:
        saved = notifications.get_preferences(work, actor_of(container, admin_page.login))
    assert saved.channels["approval_requested"] == {"in_app": True, "email": False}
    assert saved.channels["at_risk"] == {"in_app": False, "email": True}
    assert saved.channels["on_enter"] == {"in_app": True, "email": True}
    assert saved.email_digest == "daily"
