"""The argon2id cost of new password hashes: production parameters by default, settable
(the suite runs with the cheapest ones), and old hashes still verify after a change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from pacetrack.adapters import passwords
from pacetrack.adapters.passwords import PasswordCost
from pacetrack.bootstrap import build
from pacetrack.settings import Settings
from tests.conftest import PASSWORD_SETTINGS, TEST_PASSWORD_COST


@pytest.fixture(autouse=True)
def restored_cost() -> Iterator[None]:
    yield
    passwords.use_cost(Settings(_env_file=None).password_cost)  # type: ignore[call-arg]


def test_the_settings_default_to_the_production_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in TEST_PASSWORD_COST:
        monkeypatch.delenv(name)

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    passwords.use_cost(settings.password_cost)

    assert settings.password_cost == PasswordCost(memory_kib=19_456, time_cost=2, parallelism=1)
    assert passwords.hash_password("correct horse").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_the_environment_sets_the_cost_of_new_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACETRACK_PASSWORD_MEMORY_KIB", "16")
    monkeypatch.setenv("PACETRACK_PASSWORD_TIME_COST", "3")
    monkeypatch.setenv("PACETRACK_PASSWORD_PARALLELISM", "2")

    container = build(Settings(database_url="sqlite://", _env_file=None))  # type: ignore[call-arg]
    try:
        made = passwords.hash_password("correct horse")
    finally:
        container.close()

    assert made.startswith("$argon2id$v=19$m=16,t=3,p=2$")
    assert passwords.verify_password(made, "correct horse")
    assert not passwords.verify_password(made, "wrong horse")
    assert not passwords.needs_rehash(made)


def test_a_hash_made_at_another_cost_still_verifies_and_asks_to_be_replaced() -> None:
    passwords.use_cost(PasswordCost())
    production = passwords.hash_password("correct horse")

    passwords.use_cost(PasswordCost(memory_kib=8, time_cost=1, parallelism=1))

    assert passwords.verify_password(production, "correct horse")
    assert passwords.needs_rehash(production)
    assert passwords.hash_password("correct horse").startswith("$argon2id$v=19$m=8,t=1,p=1$")


@pytest.mark.parametrize(
    "values",
    [
        {"password_memory_kib": 7},
        {"password_time_cost": 0},
        {"password_parallelism": 0},
        {"password_memory_kib": 15, "password_parallelism": 2},
    ],
)
def test_a_cost_argon2_cannot_use_is_refused(values: dict[str, int]) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **values)  # type: ignore[call-arg]

    assert any(name in str(refused.value) for name in (*PASSWORD_SETTINGS, "at least 8 per lane"))
