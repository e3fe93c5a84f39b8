"""engine.template_diff: steps matched by id, rules by id or position, metadata by key."""

from __future__ import annotations

from typing import Any

from pacetrack.engine.template_diff import diff_rules, diff_snapshots


def step(step_id: str, name: str, **columns: Any) -> dict[str, Any]:
    return {"id": step_id, "name": name, "validations": [], "metadata": {}, **columns}


def test_rules_with_ids_are_matched_by_id_and_others_by_position() -> None:
    by_id = diff_rules([{"id": "a", "x": 1}, {"id": "b"}], [{"id": "b"}, {"id": "a", "x": 2}])
    by_position = diff_rules([{"field": "f"}], [{"field": "g"}, {"field": "h"}])

    assert by_id[0] == "id"
    assert [(c.kind, c.key) for c in by_id[1]] == [("changed", "a")]
    assert by_position[0] == "position"
    assert [(c.kind, c.key) for c in by_position[1]] == [("changed", "1"), ("added", "2")]


def test_a_snapshot_diff_names_every_kind_of_step_change() -> None:
    before = {"name": "T", "steps": [step("1", "A"), step("2", "B"), step("3", "C")]}
    after = {
        "name": "T",
        "steps": [
            step("3", "C", validations=[{"id": "v", "type": "field_required"}]),
            step("1", "Start", metadata={"k": 1}),
            step("4", "D"),
        ],
    }

    diff = diff_snapshots(before, after)

    assert [s.name for s in diff.added] == ["D"]
    assert [s.name for s in diff.removed] == ["B"]
    assert [(s.before, s.after) for s in diff.renamed] == [("A", "Start")]
    assert [(s.name, s.before, s.after) for s in diff.reordered] == [("C", 2, 1), ("Start", 1, 2)]
    families = {(c.name, f.family, f.changes[0].kind) for c in diff.changed for f in c.families}
    assert families == {("C", "validations", "added"), ("Start", "metadata", "added")}
    assert "Step “C”: validation “v” added." in diff.words
    assert diff_snapshots(before, before).empty


def test_the_changes_grouped_per_step_follow_the_newer_order_and_say_what_a_rule_changed() -> None:
    rule = {"id": "min", "type": "field_min_value", "min_value": 5000}
    before = {"name": "T", "steps": [step("1", "A", validations=[rule]), step("2", "B")]}
    after = {
        "name": "U",
        "steps": [
            step("3", "New"),
            step("1", "Start", validations=[{**rule, "min_value": 8000}]),
        ],
    }

    groups = diff_snapshots(before, after).by_step

    assert [(g.id, g.name) for g in groups] == [
        (None, "Template"),
        ("3", "New"),
        ("1", "Start"),
        ("2", "B"),
    ]
    assert groups[0].words == ("Name changed from “T” to “U”.",)
    assert groups[1].words == ("Added at position 1.",)
    assert groups[2].words == (
        "Renamed from “A” to “Start”.",
        "Validation “min” changed: min value changed from 5000 to 8000.",
    )
    assert groups[3].words == ("Removed.",)
    assert diff_snapshots(before, before).by_step == ()
