"""Per-tenant feature flags: the closed set of names and what a disabled one forbids.

The plan's rollout starts with a "Beta Feature Flag": the advanced step
configuration is enabled for select tenants. Each configuration family is a
flag of its own (``family.automations`` …), and so is each capability a tenant
may be held back from. Every flag is on unless the tenant has an override that
turns it off, so nothing changes for a tenant until an operator says so.

A disabled family refuses new saves that *use* it (a non-empty list); configs
saved before keep working, because nothing at run time reads the flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Feature(StrEnum):
    """Every flag PaceTrack knows; the value is the name operators and the API use."""

    FIELD_CONFIGS = "family.field_configs"
    VALIDATIONS = "family.validations"
    ASSIGNMENTS = "family.assignments"
    NOTIFICATIONS = "family.notifications"
    AUTOMATIONS = "family.automations"
    CALCULATIONS = "family.calculations"
    STUDIO_SIMULATION = "studio.simulation"
    BULK_ACTIONS = "items.bulk_actions"


FAMILY_PREFIX = "family."

DESCRIPTIONS: Mapping[Feature, str] = {
    Feature.FIELD_CONFIGS: "Field configurations: visibility and requirements per step",
    Feature.VALIDATIONS: "Validations checked when an item enters or leaves a step",
    Feature.ASSIGNMENTS: "Assignment rules that choose who works on an item",
    Feature.NOTIFICATIONS: "Notifications sent on step events and deadlines",
    Feature.AUTOMATIONS: "Automations: webhooks, field updates, follow-up moves and items",
    Feature.CALCULATIONS: "Calculations that fill fields from formulas",
    Feature.STUDIO_SIMULATION: "Simulating a step configuration in the studio",
    Feature.BULK_ACTIONS: "Moving and assigning many items at once",
}


def family_feature(family: str) -> Feature | None:
    """The flag that governs configuration ``family`` (None for ``metadata``: step settings
    such as colour and terminal outcome are not held back)."""
    try:
        return Feature(f"{FAMILY_PREFIX}{family}")
    except ValueError:
        return None


def is_family(feature: Feature) -> bool:
    return feature.value.startswith(FAMILY_PREFIX)


def family_of(feature: Feature) -> str:
    """``automations`` for ``family.automations``."""
    return feature.value.removeprefix(FAMILY_PREFIX)


@dataclass(frozen=True, kw_only=True)
class FeatureSet:
    """The flags a tenant has turned off; every other flag is on."""

    disabled: frozenset[Feature] = frozenset()

    def enabled(self, feature: Feature) -> bool:
        return feature not in self.disabled

    @classmethod
    def from_overrides(cls, overrides: Iterable[tuple[str, bool]]) -> FeatureSet:
        """From stored (name, enabled) rows; a name no longer known is ignored."""
        known = {feature.value: feature for feature in Feature}
        return cls(
            disabled=frozenset(
                known[name] for name, enabled in overrides if name in known and not enabled
            )
        )


def used(value: object) -> bool:
    """Whether a family's value uses the family: a non-empty list (or any other value)."""
    return value is not None and value != [] and value != ()


def disabled_families_used(features: FeatureSet, families: Mapping[str, object]) -> list[str]:
    """The families of ``families`` whose flag is off and whose value uses them, in order."""
    refused: list[str] = []
    for family, value in families.items():
        feature = family_feature(family)
        if feature is not None and not features.enabled(feature) and used(value):
            refused.append(family)
    return refused
