"""engine.step_settings: the typed reading of a step's metadata, its problems at save, and
what a bad stored value means when items move."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tests.engine.engine_support import FIELDS

from pacetrack.engine.config import FieldMinValueRule, StepConfig, ValidationRule
from pacetrack.engine.step_settings import (
    NO_SETTINGS,
    ApprovalSettings,
    StepSettings,
    field_problems,
    read_step_settings,
)

MIN_RULE = FieldMinValueRule(id="min_deal", field_id="deal_value", min_value=Decimal(5000))


def parse_rules(raw: Any) -> tuple[ValidationRule, ...]:
    """Stands for the service layer's validations schema: one known rule shape."""
    if raw == [{"id": "min_deal", "type": "field_min_value"}]:
        return (MIN_RULE,)
    raise ValueError("validations[0].type: unknown type\nmore detail")


def read(metadata: dict[str, Any]) -> StepSettings:
    return read_step_settings(metadata, parse_rules=parse_rules)


def problems(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in read(metadata).problems]


def test_every_known_key_is_typed_and_free_keys_stay_as_they_are() -> None:
    settings = read(
        {
            "terminal": {"outcome": "won"},
            "allowed_next_steps": ["Demo", "Closed Lost"],
            "allow_backward": False,
            "allow_skip": False,
            "entry_required_fields": ["deal_value"],
            "entry_validations": [{"id": "min_deal", "type": "field_min_value"}],
            "requires_approval": True,
            "approver": {"type": "account_group", "id": "physicians"},
            "approvals_required": 2,
            "allow_self_approval": True,
            "void_approval_on_change": ["deal_value"],
            "max_automatic_moves": 3,
            "sla": {"hours": 4},
            "color_hint": "red",
        }
    )
    assert settings == StepSettings(
        terminal_outcome="won",
        allowed_next_steps=("Demo", "Closed Lost"),
        allow_backward=False,
        allow_skip=False,
        entry_required_fields=("deal_value",),
        entry_validations=(MIN_RULE,),
        approval=ApprovalSettings(
            required=True,
            approvals_required=2,
            approver_kind="account_group",
            approver_ref="physicians",
            allow_self_approval=True,
            void_on_change=frozenset({"deal_value"}),
        ),
        max_automatic_moves=3,
        free={"sla": {"hours": 4}, "color_hint": "red"},
    )


@pytest.mark.parametrize("metadata", [{}, {key: None for key in ("terminal", "approver")}])
def test_empty_or_null_settings_are_the_defaults(metadata: dict[str, Any]) -> None:
    settings = read(metadata)
    assert settings.problems == ()
    assert settings.approval == ApprovalSettings()
    assert settings.allowed_next_steps is None
    assert settings.max_automatic_moves == 10
    assert read({}) is NO_SETTINGS


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (
            {"approvals_required": "2"},
            [("metadata.approvals_required", "must be a whole number from 1 to 1000")],
        ),
        (
            {"approvals_required": 0},
            [("metadata.approvals_required", "must be a whole number from 1 to 1000")],
        ),
        (
            {"max_automatic_moves": True},
            [("metadata.max_automatic_moves", "must be a whole number from 0 to 1000")],
        ),
        ({"requires_approval": "yes"}, [("metadata.requires_approval", "must be true or false")]),
        ({"allow_skip": 0}, [("metadata.allow_skip", "must be true or false")]),
        (
            {"allowed_next_steps": "Demo"},
            [("metadata.allowed_next_steps", "must be a list of steps")],
        ),
        (
            {"allowed_next_steps": ["Demo", 3, " "]},
            [
                ("metadata.allowed_next_steps[1]", "must be a step name or id"),
                ("metadata.allowed_next_steps[2]", "must be a step name or id"),
            ],
        ),
        (
            {"entry_required_fields": "deal_value"},
            [("metadata.entry_required_fields", "must be a list of field names")],
        ),
        (
            {"entry_required_fields": [""]},
            [("metadata.entry_required_fields[0]", "must be a field name")],
        ),
        (
            {"entry_validations": [{"type": "nope"}]},
            [
                (
                    "metadata.entry_validations",
                    "is not a valid list of validations (validations[0].type: unknown type)",
                )
            ],
        ),
        (
            {"approver": "physicians"},
            [("metadata.approver", 'must be an object such as {"type": "role", "id": "manager"}')],
        ),
        (
            {"approver": {"type": "team", "id": "", "why": 1}},
            [
                ("metadata.approver.why", "unknown setting"),
                ("metadata.approver.type", "must be one of user, account_group, role"),
                ("metadata.approver.id", "must name the user, group or role"),
            ],
        ),
        (
            {"void_approval_on_change": "deal_value"},
            [
                (
                    "metadata.void_approval_on_change",
                    "must be true, false or a list of field names",
                )
            ],
        ),
        (
            {"terminal": {"outcome": "triumph"}},
            [
                (
                    "metadata.terminal.outcome",
                    "must be one of won, lost, done, hired, rejected, cancelled",
                )
            ],
        ),
    ],
)
def test_a_bad_value_is_a_problem_naming_its_path(
    metadata: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems(metadata) == expected


@pytest.mark.parametrize(
    ("metadata", "read_as"),
    [
        ({"approvals_required": "2"}, {"approvals_required": 1}),
        ({"approvals_required": 0}, {"approvals_required": 1}),
        ({"approvals_required": 5000}, {"approvals_required": 5000}),
        ({"requires_approval": "yes"}, {"required": False}),
        ({"allow_self_approval": 1}, {"allow_self_approval": False}),
        ({"approver": {"type": "team", "id": "x"}}, {"approver_kind": None}),
        ({"approver": {"type": "role", "id": "physician", "x": 1}}, {"approver_ref": "physician"}),
        ({"void_approval_on_change": "yes"}, {"void_on_change": False}),
        ({"void_approval_on_change": ["a", 7]}, {"void_on_change": frozenset({"a", "7"})}),
    ],
)
def test_a_stored_bad_approval_setting_reads_as_before_the_check(
    metadata: dict[str, Any], read_as: dict[str, Any]
) -> None:
    settings = read(metadata)
    assert settings.problems
    for name, value in read_as.items():
        assert getattr(settings.approval, name) == value
    assert settings.blocking("approvals_required") is None


def test_stored_bad_transition_and_loop_settings_read_as_before_the_check() -> None:
    settings = read(
        {
            "max_automatic_moves": -1,
            "allow_backward": "no",
            "allow_skip": None,
            "allowed_next_steps": ["Demo", 3],
            "terminal": {"outcome": "triumph"},
        }
    )
    assert settings.max_automatic_moves == 10
    assert settings.allow_backward is True and settings.allow_skip is True
    assert settings.allowed_next_steps == ("Demo",)
    assert settings.terminal_outcome is None
    assert all(not p.blocks for p in settings.problems)


@pytest.mark.parametrize(
    ("metadata", "key"),
    [
        ({"allowed_next_steps": {"Demo": True}}, "allowed_next_steps"),
        ({"entry_required_fields": "deal_value"}, "entry_required_fields"),
        ({"entry_required_fields": ["deal_value", 3]}, "entry_required_fields"),
        ({"entry_validations": [{"type": "nope"}]}, "entry_validations"),
    ],
)
def test_a_malformed_rule_of_entering_or_leaving_blocks_moves(
    metadata: dict[str, Any], key: str
) -> None:
    settings = read(metadata)
    problem = settings.blocking(key)
    assert problem is not None and problem.path == f"metadata.{key}"
    assert settings.entry_required_fields == () and settings.entry_validations == ()


@pytest.mark.parametrize("empty", [0, "", {}, False])
def test_an_empty_entry_requirement_of_the_wrong_type_is_refused_but_does_not_block(
    empty: object,
) -> None:
    settings = read({"entry_required_fields": empty, "entry_validations": empty})
    assert [p.path for p in settings.problems] == [
        "metadata.entry_required_fields",
        "metadata.entry_validations",
    ]
    assert all(not p.blocks for p in settings.problems)


def test_field_names_the_settings_use_must_be_fields() -> None:
    settings = read(
        {
            "entry_required_fields": ["deal_value", "budget"],
            "void_approval_on_change": ["notes", "mood"],
        }
    )
    assert [(p.path, p.message) for p in field_problems(settings, fields=FIELDS)] == [
        ("metadata.entry_required_fields[1]", "unknown field `budget`"),
        ("metadata.void_approval_on_change", "unknown field `mood`"),
    ]


def test_a_step_config_reads_its_settings_once_with_the_rule_parser_it_was_built_with() -> None:
    metadata = {"entry_validations": [{"id": "min_deal", "type": "field_min_value"}]}
    config = StepConfig(metadata=metadata, rule_parser=parse_rules)
    assert config.settings.entry_validations == (MIN_RULE,)
    assert config.settings is config.settings
    unparsed = StepConfig(metadata=metadata).settings
    assert unparsed.blocking("entry_validations") is not None
