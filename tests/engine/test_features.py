"""The feature flags' names and what a disabled family refuses (pure, table-driven)."""

from __future__ import annotations

import pytest

from pacetrack.engine.config import CONFIG_FAMILIES
from pacetrack.engine.features import (
    DESCRIPTIONS,
    Feature,
    FeatureSet,
    disabled_families_used,
    family_feature,
)


def test_every_list_family_has_a_flag_and_every_flag_a_description() -> None:
    flagged = {family for family in CONFIG_FAMILIES if family_feature(family) is not None}

    assert flagged == set(CONFIG_FAMILIES) - {"metadata"}
    assert set(DESCRIPTIONS) == set(Feature)


def test_stored_overrides_turn_flags_off_and_unknown_names_are_ignored() -> None:
    features = FeatureSet.from_overrides(
        [("family.automations", False), ("studio.simulation", True), ("family.gone", False)]
    )

    assert features.disabled == frozenset({Feature.AUTOMATIONS})
    assert features.enabled(Feature.STUDIO_SIMULATION)


@pytest.mark.parametrize(
    ("families", "refused"),
    [
        ({"automations": [{"id": "a"}]}, ["automations"]),
        ({"automations": []}, []),  # clearing a disabled family is allowed
        ({"automations": None, "validations": [{"id": "v"}]}, []),
        ({"metadata": {"color": "#fff"}, "calculations": [{"id": "c"}]}, ["calculations"]),
    ],
)
def test_a_disabled_family_is_refused_only_when_the_request_uses_it(
    families: dict[str, object], refused: list[str]
) -> None:
    features = FeatureSet(disabled=frozenset({Feature.AUTOMATIONS, Feature.CALCULATIONS}))

    assert disabled_families_used(features, families) == refused
