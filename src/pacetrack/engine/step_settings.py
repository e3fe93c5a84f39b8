"""A step's settings: the ``metadata`` keys PaceTrack acts on, as one typed value.

``metadata`` is a free JSON object, but some of its keys are rules the engine decides by
(docs/configuration.md lists them with their types and defaults): the terminal outcome,
the transition rules, the entry requirements, the approval settings and the loop limit.
Every other key is free and kept as it is (``StepSettings.free``); ``null`` means unset.

``read_step_settings`` is the one reader. It returns the value *and* every problem of
the document: a save refuses a document with any problem (a 422 naming
``metadata.<key>``), so stored settings are well formed. Rows stored before that check
may still hold a bad value; for them the reading keeps what PaceTrack did before the
settings were typed, key by key:

- a bad ``approvals_required`` counts as 1, a bad ``max_automatic_moves`` as 10 (a
  number above the cap still counts);
- ``requires_approval`` / ``allow_self_approval`` hold only when they are ``true``,
  ``allow_backward`` / ``allow_skip`` restrict only when they are ``false``;
- a malformed ``approver`` means admins and managers; ``void_approval_on_change`` voids
  on any change only when ``true``, and a list keeps its entries as names;
- a ``terminal`` that is not ``{"outcome": <known outcome>}`` is not terminal;
- entries of ``allowed_next_steps`` that are not text never match a step, but a value
  that is not a list refuses every move out of the step;
- a malformed ``entry_required_fields`` (not empty and not a list of texts) or
  ``entry_validations`` refuses every entry into the step until an admin fixes it.

The last two are the problems marked ``blocks``: the move reports them as violations
(``transition:config``, ``entry_config``) rather than guess what the admin meant.

Rules in ``entry_validations`` are JSON shaped like the validations family, which the
service layer parses (the engine reads no JSON schema): ``parse_rules`` is handed in and
raises ``ValueError`` for a list it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from pacetrack.engine.config import JsonValue, ValidationRule
from pacetrack.engine.fields import FieldSpec
from pacetrack.engine.lifecycle import terminal_outcome, terminal_problems

ApproverKind = Literal["user", "account_group", "role"]
RuleParser = Callable[[JsonValue], tuple[ValidationRule, ...]]

APPROVER_KINDS: Final[tuple[ApproverKind, ...]] = ("user", "account_group", "role")
DEFAULT_MAX_AUTOMATIC_MOVES: Final = 10
MAX_COUNT: Final = 1000
"""The largest ``approvals_required`` and ``max_automatic_moves`` a step may ask for."""

KNOWN_KEYS: Final = frozenset(
    {
        "terminal",
        "allowed_next_steps",
        "allow_backward",
        "allow_skip",
        "entry_required_fields",
        "entry_validations",
        "requires_approval",
        "approver",
        "approvals_required",
        "allow_self_approval",
        "void_approval_on_change",
        "max_automatic_moves",
    }
)


@dataclass(frozen=True, kw_only=True)
class SettingProblem:
    """What is wrong with one setting: ``path`` such as ``metadata.approvals_required``;
    ``blocks``: the stored value stops moves rather than being read as its default."""

    path: str
    message: str
    blocks: bool = False


@dataclass(frozen=True, kw_only=True)
class ApprovalSettings:
    """Who must approve leaving the step, and how many of them."""

    required: bool = False
    approvals_required: int = 1
    approver_kind: ApproverKind | None = None
    approver_ref: str | None = None
    allow_self_approval: bool = False
    void_on_change: bool | frozenset[str] = False


@dataclass(frozen=True, kw_only=True)
class StepSettings:
    """The typed settings of one step (its effective ``metadata``)."""

    terminal_outcome: str | None = None
    allowed_next_steps: tuple[str, ...] | None = None
    allow_backward: bool = True
    allow_skip: bool = True
    entry_required_fields: tuple[str, ...] = ()
    entry_validations: tuple[ValidationRule, ...] = ()
    approval: ApprovalSettings = field(default_factory=ApprovalSettings)
    max_automatic_moves: int = DEFAULT_MAX_AUTOMATIC_MOVES
    free: Mapping[str, JsonValue] = field(default_factory=dict)
    problems: tuple[SettingProblem, ...] = ()

    @property
    def fields_named(self) -> frozenset[str]:
        """The fields the settings name (a template's export carries their definitions)."""
        void = self.approval.void_on_change
        return frozenset(self.entry_required_fields) | (
            void if isinstance(void, frozenset) else frozenset()
        )

    def blocking(self, key: str) -> SettingProblem | None:
        """The problem of ``metadata.<key>`` that stops moves, if its stored value has one."""
        if not self.problems:
            return None
        path = f"metadata.{key}"
        return next((p for p in self.problems if p.blocks and p.path == path), None)


NO_SETTINGS: Final = StepSettings()


def _no_rule_parser(raw: JsonValue) -> tuple[ValidationRule, ...]:
    raise ValueError("the rules were not read by the service layer")


class _Reader:
    def __init__(self, metadata: Mapping[str, JsonValue]) -> None:
        self.metadata = metadata
        self.problems: list[SettingProblem] = []

    def get(self, key: str) -> JsonValue:
        return self.metadata.get(key)

    def report(self, key: str, message: str, *, blocks: bool = False) -> None:
        self.problems.append(SettingProblem(path=f"metadata.{key}", message=message, blocks=blocks))

    def flag(self, key: str, *, default: bool) -> bool:
        value = self.get(key)
        if isinstance(value, bool):
            return value
        if value is not None:
            self.report(key, "must be true or false")
        return default

    def count(self, key: str, *, low: int, default: int) -> int:
        value = self.get(key)
        if value is None:
            return default
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if number is None or not low <= number <= MAX_COUNT:
            self.report(key, f"must be a whole number from {low} to {MAX_COUNT}")
        return number if number is not None and number >= low else default

    def texts(self, key: str, what: str) -> list[str]:
        """The texts of a stored list (non-texts reported); blank ones reported but kept."""
        value = self.get(key)
        assert isinstance(value, list | tuple)
        kept: list[str] = []
        for index, entry in enumerate(value):
            if not isinstance(entry, str) or not entry.strip():
                self.report(f"{key}[{index}]", f"must be {what}")
            if isinstance(entry, str):
                kept.append(entry)
        return kept


def _terminal(reader: _Reader) -> str | None:
    for problem in terminal_problems(reader.metadata):
        reader.report(problem.path.removeprefix("metadata."), problem.message)
    return terminal_outcome(reader.metadata)


def _allowed_next_steps(reader: _Reader) -> tuple[str, ...] | None:
    value = reader.get("allowed_next_steps")
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        reader.report("allowed_next_steps", "must be a list of steps", blocks=True)
        return ()
    return tuple(reader.texts("allowed_next_steps", "a step name or id"))


def _entry_required_fields(reader: _Reader) -> tuple[str, ...]:
    value = reader.get("entry_required_fields")
    if value is None or value == []:
        return ()
    if isinstance(value, list) and all(isinstance(entry, str) for entry in value):
        return tuple(reader.texts("entry_required_fields", "a field name"))
    # Read as empty before the check when falsy (0, "", {}); anything else stops entering.
    reader.report("entry_required_fields", "must be a list of field names", blocks=bool(value))
    return ()


def _entry_validations(reader: _Reader, parse_rules: RuleParser) -> tuple[ValidationRule, ...]:
    raw = reader.get("entry_validations")
    if raw is None or raw == []:
        return ()
    if not raw:  # read as no rules before the check
        reader.report("entry_validations", "must be a list of validations")
        return ()
    try:
        return parse_rules(raw)
    except ValueError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "unreadable"
        reader.report(
            "entry_validations", f"is not a valid list of validations ({reason})", blocks=True
        )
        return ()


def _approver(reader: _Reader) -> tuple[ApproverKind | None, str | None]:
    approver = reader.get("approver")
    if approver is None:
        return None, None
    if not isinstance(approver, Mapping):
        reader.report("approver", 'must be an object such as {"type": "role", "id": "manager"}')
        return None, None
    for key in approver:
        if key not in ("type", "id"):
            reader.report(f"approver.{key}", "unknown setting")
    kind = next((k for k in APPROVER_KINDS if k == approver.get("type")), None)
    reference = approver.get("id")
    if kind is None:
        reader.report("approver.type", f"must be one of {', '.join(APPROVER_KINDS)}")
    if not isinstance(reference, str) or not reference.strip():
        reader.report("approver.id", "must name the user, group or role")
    if kind is None or not isinstance(reference, str):
        return None, None
    return kind, reference


def _void_on_change(reader: _Reader) -> bool | frozenset[str]:
    value = reader.get("void_approval_on_change")
    if value is None or isinstance(value, bool):
        return value is True
    if isinstance(value, list):
        reader.texts("void_approval_on_change", "a field name")
        return frozenset(str(entry) for entry in value)
    reader.report("void_approval_on_change", "must be true, false or a list of field names")
    return False


def read_step_settings(
    metadata: Mapping[str, JsonValue], *, parse_rules: RuleParser = _no_rule_parser
) -> StepSettings:
    """The settings ``metadata`` holds, with every problem it has (the module's notes say
    what a stored bad value means)."""
    if not metadata:
        return NO_SETTINGS
    reader = _Reader(metadata)
    terminal = _terminal(reader)
    allowed = _allowed_next_steps(reader)
    allow_backward = reader.flag("allow_backward", default=True)
    allow_skip = reader.flag("allow_skip", default=True)
    required_fields = _entry_required_fields(reader)
    entry_rules = _entry_validations(reader, parse_rules)
    kind, reference = _approver(reader)
    approval = ApprovalSettings(
        required=reader.flag("requires_approval", default=False),
        approvals_required=reader.count("approvals_required", low=1, default=1),
        approver_kind=kind,
        approver_ref=reference,
        allow_self_approval=reader.flag("allow_self_approval", default=False),
        void_on_change=_void_on_change(reader),
    )
    loop_limit = reader.count("max_automatic_moves", low=0, default=DEFAULT_MAX_AUTOMATIC_MOVES)
    return StepSettings(
        terminal_outcome=terminal,
        allowed_next_steps=allowed,
        allow_backward=allow_backward,
        allow_skip=allow_skip,
        entry_required_fields=required_fields,
        entry_validations=entry_rules,
        approval=approval,
        max_automatic_moves=loop_limit,
        free={key: value for key, value in metadata.items() if key not in KNOWN_KEYS},
        problems=tuple(reader.problems),
    )


def field_problems(
    settings: StepSettings, *, fields: Mapping[str, FieldSpec]
) -> tuple[SettingProblem, ...]:
    """The field names in the settings that are not the tenant's fields (checked at save)."""
    problems = [
        SettingProblem(
            path=f"metadata.entry_required_fields[{index}]", message=f"unknown field `{name}`"
        )
        for index, name in enumerate(settings.entry_required_fields)
        if name.strip() and name not in fields
    ]
    void = settings.approval.void_on_change
    if isinstance(void, frozenset):
        problems += [
            SettingProblem(
                path="metadata.void_approval_on_change", message=f"unknown field `{name}`"
            )
            for name in sorted(void)
            if name.strip() and name not in fields
        ]
    return tuple(problems)
