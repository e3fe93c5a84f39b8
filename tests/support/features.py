"""Turning a tenant's feature flags on and off in tests, as the operator would."""

from __future__ import annotations

from collections.abc import Sequence

from pacetrack.bootstrap import Container
from pacetrack.services.tenant_features import FeatureChange, set_features


def switch(
    container: Container, slug: str, *, disable: Sequence[str] = (), enable: Sequence[str] = ()
) -> None:
    change = FeatureChange.model_validate(
        {"tenant": slug, "disable": list(disable), "enable": list(enable)}
    )
    with container.uow() as uow:
        set_features(uow, change, updated_by="test")
