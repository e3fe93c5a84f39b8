"""The built-in templates and their demo samples hold well-formed step settings: what
PaceTrack ships passes the checks a save applies (no database needed)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from pacetrack.engine.fields import FieldSpec, FieldType
from pacetrack.engine.step_settings import field_problems
from pacetrack.services.config_schema import step_settings
from pacetrack.services.template_transfer import library_documents

LIBRARY = library_documents()


def _samples(key: str) -> dict[str, Any]:
    folder = resources.files("pacetrack") / "templates_library" / "samples"
    entry = folder / f"{key}.yaml"
    return yaml.safe_load(entry.read_text(encoding="utf-8")) if entry.is_file() else {}


def _fields(document: dict[str, Any]) -> dict[str, FieldSpec]:
    return {
        field["name"]: FieldSpec(name=field["name"], field_type=FieldType(field["field_type"]))
        for field in document.get("fields", [])
    }


@pytest.mark.parametrize("key", sorted(LIBRARY))
def test_each_library_step_and_sample_override_has_sound_settings(key: str) -> None:
    document = LIBRARY[key]
    fields = _fields(document)
    metadata = [step.get("metadata") or {} for step in document["steps"]]
    overrides = _samples(key).get("step_overrides", {})
    metadata += [override.get("metadata") or {} for override in overrides.values()]
    for stored in metadata:
        settings = step_settings(stored)
        assert settings.problems == (), (key, stored)
        assert field_problems(settings, fields=fields) == (), (key, stored)


def test_the_library_uses_the_settings_it_is_meant_to_show() -> None:
    read = [
        step_settings(step.get("metadata") or {})
        for document in LIBRARY.values()
        for step in document["steps"]
    ]
    assert any(s.approval.required and s.approval.approver_kind == "role" for s in read)
    assert any(s.entry_validations for s in read)
    assert any(s.entry_required_fields for s in read)
    assert any(s.allowed_next_steps for s in read)
    assert {s.terminal_outcome for s in read} >= {"won", "lost", "done", "hired", "rejected"}
