"""The pure assignment choices: order, inactive accounts, rotation, workload ties, manual modes."""

from __future__ import annotations

import uuid

import pytest

from pacetrack.engine.assignment import (
    Candidate,
    RotationPosition,
    apply_mode,
    choose_everyone,
    choose_least_assigned,
    choose_round_robin,
    difference,
)

IDS = {name: uuid.UUID(int=n + 1) for n, name in enumerate(("ann", "bob", "cat", "dan"))}


def person(name: str, *, active: bool = True, sees: bool = True, items: int = 0) -> Candidate:
    return Candidate(
        account_id=IDS[name], username=name, is_active=active, can_see=sees, active_items=items
    )


def names(ids: tuple[uuid.UUID, ...]) -> list[str]:
    return [{v: k for k, v in IDS.items()}[i] for i in ids]


def test_everyone_is_every_active_candidate_in_username_order_once() -> None:
    choice = choose_everyone(
        [person("dan"), person("bob", active=False), person("ann"), person("dan")], what="group x"
    )
    assert names(choice.chosen) == ["ann", "dan"]
    assert choice.unresolved_reason is None


def test_someone_who_cannot_see_the_pipeline_is_never_chosen() -> None:
    crowd = [person("ann", sees=False), person("bob"), person("cat", sees=False, items=0)]
    assert names(choose_everyone(crowd, what="g").chosen) == ["bob"]
    assert names(choose_round_robin(crowd, last=None, what="g").chosen) == ["bob"]
    heavy_bob = [person("ann", sees=False), person("bob", items=9)]
    assert names(choose_least_assigned(heavy_bob, what="g").chosen) == ["bob"]


@pytest.mark.parametrize(
    ("candidates", "reason"),
    [
        ([], "group x has no members"),
        ([person("ann", active=False)], "group x has no active members"),
        (
            [person("ann", sees=False), person("bob", active=False)],
            "group x has no active members who can see this pipeline",
        ),
    ],
)
def test_nobody_eligible_is_a_reason_not_an_error(candidates: list[Candidate], reason: str) -> None:
    for choose in (
        lambda c: choose_everyone(c, what="group x"),
        lambda c: choose_round_robin(c, last=None, what="group x"),
        lambda c: choose_least_assigned(c, what="group x"),
    ):
        choice = choose(candidates)
        assert choice.chosen == ()
        assert choice.unresolved_reason == reason


@pytest.mark.parametrize(
    ("last", "expected"),
    [(None, "ann"), ("ann", "bob"), ("bob", "dan"), ("dan", "ann"), ("cat", "dan")],
)
def test_round_robin_takes_the_next_active_member_after_the_last(
    last: str | None, expected: str
) -> None:
    members = [person("dan"), person("ann"), person("bob"), person("cat", active=False)]
    position = None if last is None else RotationPosition(account_id=IDS[last], username=last)

    choice = choose_round_robin(members, last=position, what="group x")

    assert names(choice.chosen) == [expected]
    assert choice.rotation == RotationPosition(account_id=IDS[expected], username=expected)


def test_round_robin_over_many_entries_is_even() -> None:
    members = [person(n) for n in IDS]
    position = None
    counts = dict.fromkeys(IDS, 0)
    for _ in range(20):
        choice = choose_round_robin(members, last=position, what="group x")
        counts[names(choice.chosen)[0]] += 1
        position = choice.rotation
    assert counts == {"ann": 5, "bob": 5, "cat": 5, "dan": 5}


@pytest.mark.parametrize(
    ("workloads", "expected"),
    [
        ({"ann": 3, "bob": 1, "cat": 2}, "bob"),
        ({"ann": 1, "bob": 1, "cat": 1}, "ann"),
        ({"ann": 2, "bob": 0, "cat": 0}, "bob"),
    ],
)
def test_least_assigned_takes_the_lightest_workload_ties_by_username(
    workloads: dict[str, int], expected: str
) -> None:
    members = [person(n, items=w) for n, w in workloads.items()]
    members.append(person("dan", active=False, items=0))

    assert names(choose_least_assigned(members, what="group x").chosen) == [expected]


@pytest.mark.parametrize(
    ("mode", "accounts", "expected"),
    [
        ("add", ["cat", "ann"], ["ann", "bob", "cat"]),
        ("remove", ["ann", "dan"], ["bob"]),
        ("replace", ["dan", "dan", "cat"], ["dan", "cat"]),
    ],
)
def test_manual_modes(mode: str, accounts: list[str], expected: list[str]) -> None:
    result = apply_mode([IDS["ann"], IDS["bob"]], mode, [IDS[a] for a in accounts])  # type: ignore[arg-type]
    assert names(result) == expected


def test_difference_lists_added_and_removed() -> None:
    added, removed = difference([IDS["ann"], IDS["bob"]], [IDS["bob"], IDS["cat"]])
    assert (names(added), names(removed)) == (["cat"], ["ann"])
