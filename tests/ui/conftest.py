"""The real app served by uvicorn on loopback, driven by Debian's headless Chromium.

Playwright's bundled browsers are not used (``playwright install`` is never
needed): ``PACETRACK_CHROMIUM`` or /usr/bin/chromium is launched directly.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from pacetrack.bootstrap import Container
from pacetrack.web.app import create_app
from tests.conftest import Login

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
PASSWORD = "correct horse"

expect.set_options(timeout=10_000)


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
    """The app on an ephemeral loopback port; the socket listens before the thread starts,
    so the browser's first request waits in the backlog instead of racing the start-up."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(container), log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
    assert not thread.is_alive(), "uvicorn did not stop"


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
