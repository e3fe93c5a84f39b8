"""The studio's Automations tab: a webhook's Test button (the request rendered, or really sent
to a receiver on loopback) and, under each automation, its last runs and success rate from
the automation log, with Replay for a failed delivery.

SQLite only, like the other UI modules besides ``test_smoke.py``. With
``PACETRACK_DOC_SCREENSHOTS=1`` the screenshots go to docs/images/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import expect

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from tests.automations.support import LOOPBACK, allow, make_worker
from tests.support.webhook_receiver import Reply, WebhookReceiver
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import Browsing, SalesPipeline
from tests.ui.test_studio import open_studio, saved_step, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def post(browsing: Browsing, path: str, body: dict[str, object]) -> dict[str, object]:
    answer = httpx.post(
        f"{browsing.base_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {browsing.login.token}"},
    )
    assert answer.is_success, answer.text
    return dict(answer.json())


def test_a_webhook_is_tested_and_its_runs_are_shown_and_replayed(
    admin_page: Browsing,
    sales: SalesPipeline,
    receiver: WebhookReceiver,
    container: Container,
    clock: FrozenClock,
) -> None:
    allow(container, admin_page.login.tenant_id, LOOPBACK)
    clock.set(datetime.now(UTC).replace(microsecond=0))
    target = receiver.url + "/hook"
    post(
        admin_page,
        "/api/step-template/update-automations",
        {
            "id": str(sales.step_templates["Demo"]),
            "automations": [
                {
                    "id": "tell_crm",
                    "name": "Tell the CRM",
                    "trigger": "on_enter",
                    "action": {
                        "type": "webhook",
                        "target": target,
                        "data": {"deal": "{{item.name}}"},
                    },
                }
            ],
        },
    )
    # The running pipeline follows the edited draft once it is published and upgraded.
    post(admin_page, "/api/pipeline-template/publish", {"id": str(sales.template_id)})
    upgraded = httpx.post(
        f"{admin_page.base_url}/api/pipeline-template/upgrade-instances",
        json={"id": str(sales.template_id)},
        headers={"Authorization": f"Bearer {admin_page.login.token}"},
    )
    assert upgraded.is_success, upgraded.text
    receiver.reply_with(Reply.ok(), Reply.error(400), Reply.error(503))
    for name in ("Globex", "Initech", "Umbrella"):
        post(
            admin_page,
            "/api/item/create",
            {
                "pipeline_instance_id": str(sales.instance_id),
                "name": name,
                "step_id": str(sales.steps["Demo"]),
            },
        )
    worker = make_worker(container)
    worker.drain()
    first_three = receiver.wait_for(3)

    page = open_studio(admin_page, sales, "Demo")
    page.get_by_role("tab", name="Automations").click()
    card = page.get_by_role("tabpanel").locator(".config-row").nth(0)
    runs = card.locator(".automation-runs")
    expect(runs.locator(".run-rate")).to_have_text(
        "Success rate 50%: 1 of 2 finished runs succeeded (3 runs in all)."
    )
    expect(runs.locator("tbody tr")).to_have_count(3)
    # The 503 is retried later: the run waits, its next retry said in its row.
    waiting = runs.locator('tr[data-status="pending"]')
    expect(waiting).to_contain_text("Pending")
    expect(waiting).to_contain_text("HTTP 503")
    expect(waiting.locator("td").nth(4)).not_to_be_empty()
    expect(waiting.get_by_role("button", name="Replay")).to_have_count(0)
    failed = runs.locator('tr[data-status="failed"]')
    expect(failed).to_contain_text("Failed")
    expect(failed).to_contain_text("HTTP 400")
    expect(runs.locator('tr[data-status="succeeded"]')).to_contain_text("Succeeded")

    card.get_by_role("button", name="Test").click()
    result = card.locator(".webhook-result")
    expect(result).to_contain_text("Not sent")
    expect(result.get_by_label("The request")).to_contain_text(f"POST {target}")
    expect(result.get_by_label("The request")).to_contain_text('"deal": "Sample item"')
    assert len(receiver.requests) == 3

    card.get_by_label("Really send it").check()
    card.get_by_role("button", name="Test").click()
    expect(result.locator(".webhook-exchange", has_text="Response")).to_contain_text(
        "HTTP 200 after"
    )
    assert len(receiver.wait_for(4)) == 4
    assert_accessible(page)
    screenshot(page, "studio-webhook-test")

    failed.get_by_role("button", name="Replay").first.click()
    expect(card.locator(".automation-runs .replay-status")).to_contain_text(
        "Queued to be sent again"
    )
    worker.drain()
    [*_, replayed] = receiver.wait_for(5)
    # The receiver answered the second request 400: that delivery is sent again, same id.
    assert replayed.header("webhook-id") == first_three[1].header("webhook-id")
    assert replayed.body == first_three[1].body

    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_width(page)
    assert_accessible(page)


def test_a_set_field_expression_is_checked_against_the_field_it_sets(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = open_studio(admin_page, sales, "Demo")
    page.get_by_role("tab", name="Automations").click()
    panel = page.get_by_role("tabpanel")
    panel.get_by_role("button", name="Add automation").click()
    card = panel.locator(".config-row").nth(0)
    card.get_by_label("Action").select_option("update_field")
    card.get_by_label("Field", exact=True).select_option("decision_maker")
    card.get_by_label("Set it to").select_option("expression")
    card.get_by_role("textbox", name="Expression", exact=True).click()
    page.keyboard.type("discount_pct * 2")
    page.keyboard.press("Escape")
    expression = page.get_by_role("textbox", name="Expression", exact=True)
    verdict = card.locator(".formula-row", has=expression).locator(".formula-verdict")
    expect(verdict).to_have_text(
        "Line 1, column 1: the expression gives number, but text is needed"
    )
    # Setting a number field instead satisfies the same expression.
    card.get_by_label("Field", exact=True).select_option("deal_value")
    expect(verdict).to_have_text("Valid: gives a number.")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    [saved] = saved_step(admin_page, sales.step_templates["Demo"])["automations"]
    assert saved["action"] == {
        "type": "update_field",
        "field_id": "deal_value",
        "expression": "discount_pct * 2",
    }
