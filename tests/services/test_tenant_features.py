"""services.tenant_features on SQLite and PostgreSQL: the operator's write stores only what
was set, and a library import into a tenant without a family is refused step by step."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import PipelineTemplate
from pacetrack.db.tables_features import TenantFeature
from pacetrack.services.context import system_actor
from pacetrack.services.errors import InvalidInput, NotFound
from pacetrack.services.template_transfer import import_template, library_documents
from pacetrack.services.tenant_features import (
    FeatureChange,
    TenantFeaturesOut,
    features_for_tenant,
    set_features,
)
from pacetrack.services.tenants import create_tenant


def change(container: Container, **flags: list[str]) -> TenantFeaturesOut:
    with container.uow() as uow:
        return set_features(uow, FeatureChange(tenant="acme", **flags), updated_by="ops")


@pytest.fixture
def acme(container: Container) -> uuid.UUID:
    with container.uow() as uow:
        return create_tenant(uow, name="Acme", slug="acme").id


@pytest.mark.usefixtures("acme")
def test_only_flags_an_operator_set_are_stored_and_setting_the_same_state_keeps_its_time(
    container: Container, clock: FrozenClock
) -> None:
    first = change(container, disable=["family.automations"])
    set_at = clock.now()
    clock.advance(timedelta(hours=1))
    same = change(container, disable=["family.automations"])
    clock.advance(timedelta(hours=1))
    back = change(container, enable=["family.automations"])
    with container.uow() as uow:
        rows = uow.session.execute(select(TenantFeature.name, TenantFeature.enabled)).all()

    flags = {flag.name.value: flag for flag in first.features}
    assert not flags["family.automations"].enabled
    assert [name for name, flag in flags.items() if flag.is_default] == [
        name for name in flags if name != "family.automations"
    ]
    kept = next(f for f in same.features if f.name.value == "family.automations")
    assert (kept.updated_at, kept.updated_by) == (set_at, "ops")
    again = next(f for f in back.features if f.name.value == "family.automations")
    assert (again.enabled, again.is_default, again.updated_at) == (True, False, clock.now())
    assert [tuple(row) for row in rows] == [("family.automations", True)]
    with container.uow() as uow:
        assert features_for_tenant(uow, tenant_slug="acme") == back


def test_an_unknown_tenant_is_not_found(container: Container) -> None:
    with container.uow() as uow, pytest.raises(NotFound):
        set_features(uow, FeatureChange(tenant="nobody", disable=[]), updated_by="ops")


def test_a_library_template_with_automations_is_refused_naming_each_step_that_has_them(
    container: Container, acme: uuid.UUID
) -> None:
    document = library_documents()["manufacturing"]
    with_rules = [
        f"steps[{index}].automations"
        for index, step in enumerate(document["steps"])
        if step.get("automations")
    ]
    change(container, disable=["family.automations"])

    with container.uow() as uow, pytest.raises(InvalidInput) as refused:
        import_template(uow, system_actor(acme), document)
    with container.uow() as uow:
        templates = uow.session.scalar(select(func.count()).select_from(PipelineTemplate))

    assert len(with_rules) >= 2
    assert [problem.field for problem in refused.value.problems] == with_rules
    assert {problem.message for problem in refused.value.problems} == {
        "the automations family is not enabled for this organisation"
    }
    assert templates == 0
