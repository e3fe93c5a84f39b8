"""engine.lifecycle: which status allows which change, and the terminal setting's checks."""

from __future__ import annotations

from typing import Any

import pytest

from pacetrack.engine.lifecycle import (
    OUTCOMES,
    lifecycle_refusal,
    terminal_outcome,
    terminal_problems,
)


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        ("move", {"active"}),
        ("change", {"active", "completed"}),
        ("reopen", {"completed"}),
        ("archive", {"completed"}),
        ("unarchive", {"archived"}),
        ("delete", {"active", "completed", "archived"}),
    ],
)
def test_each_change_is_allowed_in_its_statuses_only(action: Any, allowed: set[str]) -> None:
    for status in ("active", "completed", "archived", "deleted"):
        refusal = lifecycle_refusal(action, status)
        assert (refusal is None) == (status in allowed), (action, status)
        assert refusal is None or refusal.endswith(".")


@pytest.mark.parametrize(
    ("metadata", "outcome", "problems"),
    [
        ({}, None, []),
        ({"terminal": None}, None, []),
        ({"terminal": {"outcome": "won"}}, "won", []),
        ({"terminal": {"outcome": "triumph"}}, None, ["metadata.terminal.outcome"]),
        ({"terminal": {"outcome": ["won"]}}, None, ["metadata.terminal.outcome"]),
        ({"terminal": True}, None, ["metadata.terminal"]),
        (
            {"terminal": {"outcome": "lost", "why": "x"}},
            "lost",
            ["metadata.terminal.why"],
        ),
    ],
)
def test_the_terminal_setting(
    metadata: dict[str, Any], outcome: str | None, problems: list[str]
) -> None:
    assert terminal_outcome(metadata) == outcome
    assert [problem.path for problem in terminal_problems(metadata)] == problems


def test_every_outcome_is_accepted() -> None:
    for outcome in OUTCOMES:
        assert terminal_problems({"terminal": {"outcome": outcome}}) == ()
        assert terminal_outcome({"terminal": {"outcome": outcome}}) == outcome
