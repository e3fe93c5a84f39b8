"""The ``step_icon`` filter: a known icon name becomes its symbol, hidden from screen
readers; anything else renders nothing (stored text never reaches the page as markup)."""

from __future__ import annotations

from pacetrack.services.template_transfer import library_documents
from pacetrack.web.ui.rendering import templates
from pacetrack.web.ui.step_icons import STEP_ICONS

render_icon = templates.env.filters["step_icon"]


def test_a_known_name_renders_its_symbol_hidden_from_screen_readers() -> None:
    assert str(render_icon("handshake")) == ('<span class="step-icon" aria-hidden="true">✍</span>')


def test_every_icon_the_library_templates_use_has_a_symbol() -> None:
    used = {
        step["icon"]
        for document in library_documents().values()
        for step in document["steps"]
        if step.get("icon")
    }
    assert used <= STEP_ICONS.keys()


def test_unknown_names_and_no_icon_render_nothing() -> None:
    for value in ("rocketship", "<script>", "🏆", "", None, 3):
        assert str(render_icon(value)) == ""
