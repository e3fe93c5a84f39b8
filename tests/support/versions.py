"""Publishing a template's draft and upgrading its running pipelines, for tests that edit
a template after starting a pipeline: since edits are a draft, a running pipeline sees
them once they are published and the pipeline upgraded to the new version."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from pacetrack.services import template_upgrade, template_versions
from pacetrack.services.context import Actor
from pacetrack.services.template_versions import PublishVersion
from pacetrack.services.upgrade_report import UpgradeOut


def publish_and_upgrade(
    container: Container,
    actor: Actor,
    template_id: uuid.UUID,
    *,
    step_mapping: Mapping[uuid.UUID, uuid.UUID] | None = None,
) -> list[UpgradeOut]:
    """Publishes the template's draft and upgrades every active pipeline of it."""
    with container.uow() as uow:
        template_versions.publish(uow, actor, PublishVersion(id=template_id, note="test"))
    with container.uow() as uow:
        return template_upgrade.upgrade_template_instances(
            uow, actor, template_id, step_mapping=step_mapping
        )


def publish_and_upgrade_api(
    client: TestClient,
    headers: Mapping[str, str],
    template_id: str,
    *,
    step_mapping: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The same through the HTTP API, as an admin with ``headers``."""
    published = client.post(
        "/api/pipeline-template/publish", json={"id": template_id}, headers=dict(headers)
    )
    assert published.status_code == 201, published.text
    upgraded = client.post(
        "/api/pipeline-template/upgrade-instances",
        json={"id": template_id, "step_mapping": dict(step_mapping or {})},
        headers=dict(headers),
    )
    assert upgraded.status_code == 200, upgraded.text
    result: list[dict[str, Any]] = upgraded.json()
    return result
