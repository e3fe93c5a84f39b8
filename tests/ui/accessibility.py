"""axe-core in the browser tests: no serious or critical accessibility violation.

axe-core comes from the npm registry with the front-end build (``npm ci`` puts it in
node_modules/, pinned by package-lock.json); it is injected into the page under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def _describe(violation: dict[str, Any]) -> str:
    targets = [" ".join(node["target"]) for node in violation["nodes"][:5]]
    return f"{violation['impact']} {violation['id']}: {violation['help']} at {targets}"


def assert_accessible(page: Page) -> None:
    """Runs axe-core on the page as it is now and fails on a serious or critical violation."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `npm ci` (scripts/test does)")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"{page.url}:\n" + "\n".join(_describe(v) for v in blocking)


_WIDE_ELEMENTS = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("body *"))
    .filter((e) => e.getBoundingClientRect().right > width + 0.5)
    .slice(-5)
    .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + e.className);
}"""


def assert_fits_width(page: Page) -> None:
    """Nothing makes the page scroll sideways (at 390 px, a phone)."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        widest = page.evaluate(_WIDE_ELEMENTS)
        pytest.fail(f"{page.url} is {overflow} px wider than the window: {widest}")


def assert_layout(page: Page) -> None:
    """No serious axe-core violation and no sideways scrolling, wide and at 390 px."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
        assert_fits_width(page)
    page.set_viewport_size({"width": 1280, "height": 900})
