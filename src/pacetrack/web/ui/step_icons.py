"""The step icons: the names a step's ``icon`` may hold and the symbol shown for each.

One fixed table serves the server's pages (the ``step_icon`` filter) and the studio
(its icon picker and step list read it from the page), so a name means the same symbol
everywhere. The symbol is decorative: the step's name stays its label. The symbols are
text characters common fonts have (DejaVu, Liberation's fallbacks, system UI fonts), so they
show without an emoji font.
"""

from __future__ import annotations

import json

STEP_ICONS: dict[str, str] = {
    "inbox": "⇩",
    "check": "✔",
    "presentation": "▤",
    "document": "❏",
    "handshake": "✍",
    "trophy": "♛",
    "close": "✖",
    "phone": "☎",
    "mail": "✉",
    "calendar": "▦",
    "clock": "◷",
    "person": "☺",
    "people": "⚇",
    "search": "⌕",
    "money": "⛁",
    "box": "❒",
    "tools": "⚒",
    "gear": "⚙",
    "lab": "⚗",
    "medical": "⚕",
    "heart": "♥",
    "shipping": "✈",
    "play": "▶",
    "film": "✇",
    "cut": "✂",
    "pencil": "✎",
    "flag": "⚑",
    "star": "★",
    "warning": "⚠",
    "scales": "⚖",
    "cloud": "☁",
    "home": "⌂",
}


def symbol_of(name: object) -> str:
    """The symbol of an icon name; an unknown name (or none) has no symbol."""
    return STEP_ICONS.get(name, "") if isinstance(name, str) else ""


def icons_json() -> str:
    """The table for the studio, as the page's ``data-step-icons`` attribute carries it."""
    return json.dumps(STEP_ICONS, ensure_ascii=False)
