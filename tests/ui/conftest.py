"""The real app served by uvicorn on loopback, driven by Debian's headless Chromium.

Playwright's bundled browsers are not used (``playwright install`` is never
needed): ``PACETRACK_CHROMIUM`` or /usr/bin/chromium is launched directly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from pacetrack.bootstrap import Container
from pacetrack.engine.fields import FieldType
from pacetrack.services import auth, fields, items, pipelines, templates
from pacetrack.services.context import Actor
from pacetrack.services.fields import FieldDefinitionCreate
from pacetrack.services.items import ItemCreate
from pacetrack.services.pipelines import PipelineInstanceCreate
from pacetrack.services.templates import PipelineTemplateCreate, StepTemplateCreate
from pacetrack.web.app import create_app
from tests.conftest import Login
from tests.support.live_app import serving

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DOC_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
PASSWORD = "correct horse"

expect.set_options(timeout=10_000)


def screenshot(page: Page, name: str) -> None:
    """A full-page screenshot: into docs/images/ for the user guide with
    ``PACETRACK_DOC_SCREENSHOTS=1``, else into test-artifacts/."""
    folder = DOC_IMAGES if os.environ.get("PACETRACK_DOC_SCREENSHOTS") == "1" else ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=os.environ.get("PACETRACK_CHROMIUM", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        yield launched
        launched.close()


@pytest.fixture
def live_server(container: Container) -> Iterator[str]:
    with serving(create_app(container)) as base_url:
        yield base_url


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@dataclass(frozen=True)
class Browsing:
    """A page logged in as one account."""

    page: Page
    login: Login
    base_url: str


def log_in(page: Page, login: Login, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Organisation").fill(login.tenant_slug)
    page.get_by_label("Email or username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def sign_in_with_token(page: Page, login: Login, base_url: str) -> None:
    """Starts the session the login form would (skipping its deliberately slow password hash)."""
    page.context.add_cookies(
        [
            {
                "name": "pacetrack_token",
                "value": login.token,
                "url": base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


@pytest.fixture
def admin_page(page: Page, admin: Login, live_server: str) -> Browsing:
    sign_in_with_token(page, admin, live_server)
    return Browsing(page=page, login=admin, base_url=live_server)


MIN_DEAL_MESSAGE = "Deals under $5k should go to SMB pipeline"


@dataclass(frozen=True)
class SalesPipeline:
    """The plan's Sales example: a deal waiting at Qualified with too small a value."""

    template_id: uuid.UUID
    instance_id: uuid.UUID
    item_id: uuid.UUID
    steps: dict[str, uuid.UUID]
    step_templates: dict[str, uuid.UUID]


def actor_of(container: Container, login: Login) -> Actor:
    with container.uow() as work:
        return auth.authenticate(work, login.token)


@pytest.fixture
def sales(container: Container, admin: Login) -> SalesPipeline:
    actor = actor_of(container, admin)
    with container.uow() as work:
        for name, label, kind in (
            ("deal_value", "Deal value", FieldType.CURRENCY),
            ("decision_maker", "Decision maker", FieldType.TEXT),
            ("discount_pct", "Discount %", FieldType.NUMBER),
        ):
            fields.create_field(
                work, actor, FieldDefinitionCreate(name=name, label=label, field_type=kind)
            )
    with container.uow() as work:
        template = templates.create_template(
            work, actor, PipelineTemplateCreate(name="Sales", description="B2B deals")
        )
    step_specs: list[dict[str, Any]] = [
        {"name": "Lead", "target_duration_days": 7},
        {
            "name": "Qualified",
            "target_duration_days": 10,
            "field_configs": [
                {"field_definition_id": "deal_value", "is_visible": True, "is_required": True},
                {"field_definition_id": "decision_maker", "is_visible": True, "is_required": True},
            ],
            "validations": [
                {
                    "id": "min_deal_value",
                    "type": "field_min_value",
                    "field_id": "deal_value",
                    "min_value": 5000,
                    "error_message": MIN_DEAL_MESSAGE,
                }
            ],
        },
        {
            "name": "Demo",
            "target_duration_days": 14,
            "field_configs": [{"field_definition_id": "discount_pct", "is_visible": True}],
        },
    ]
    step_templates: dict[str, uuid.UUID] = {}
    for spec in step_specs:
        with container.uow() as work:
            created = templates.create_step(
                work,
                actor,
                StepTemplateCreate.model_validate({"pipeline_template_id": template.id, **spec}),
            )
            step_templates[created.name] = created.id
    with container.uow() as work:
        instance = pipelines.create_instance(
            work,
            actor,
            PipelineInstanceCreate(pipeline_template_id=template.id, name="Q3 deals"),
        )
    steps = {step.name: step.id for step in instance.steps or []}
    with container.uow() as work:
        item = items.create_item(
            work,
            actor,
            ItemCreate(
                pipeline_instance_id=instance.id,
                name="Acme renewal",
                step_id=steps["Qualified"],
                field_values={"deal_value": "4000", "decision_maker": "Dana Diaz"},
            ),
        )
    return SalesPipeline(
        template_id=template.id,
        instance_id=instance.id,
        item_id=item.id,
        steps=steps,
        step_templates=step_templates,
    )
