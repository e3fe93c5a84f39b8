"""The pipeline upgrade page over HTTP: the dry run writes nothing, the mapping is in the
address, refusals come back once, and only admins upgrade."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.api.test_template_version_pages import HTML, as_browser, send
from tests.api.test_template_versions import delete_step, publish
from tests.api.test_templates import make_template, post
from tests.conftest import Login, make_login


def running_pipeline(client: TestClient, admin: Login) -> dict[str, Any]:
    """A pipeline at version 1 with an item in “Step 2”, which version 2 removes."""
    template = make_template(client, admin, steps=3)
    instance = post(
        client,
        admin,
        "/api/pipeline-instance/create",
        {"pipeline_template_id": template["id"], "name": "Q1"},
    )
    steps = {step["name"]: step for step in instance["steps"]}
    post(
        client,
        admin,
        "/api/item/create",
        {"pipeline_instance_id": instance["id"], "name": "Deal", "step_id": steps["Step 2"]["id"]},
    )
    delete_step(client, admin, template["steps"][1]["id"])
    publish(client, admin, template["id"], "Without step 2")
    return {
        "instance": instance,
        "removed": template["steps"][1]["id"],
        "kept": template["steps"][2]["id"],
    }


def version_of(client: TestClient, admin: Login, instance_id: str) -> int:
    response = client.get(
        "/api/pipeline-instance/get", params={"id": instance_id}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    number: int = response.json()["template_version"]
    return number


def test_the_dry_run_needs_a_step_for_the_removed_steps_items_and_writes_nothing(
    client: TestClient, admin: Login
) -> None:
    setup = running_pipeline(client, admin)
    instance_id = setup["instance"]["id"]
    path = f"/admin/pipelines/{instance_id}/upgrade"
    as_browser(client, admin)

    unmapped = client.get(f"{path}?to=2", headers=HTML)
    mapped = client.get(f"{path}?to=2&map-{setup['removed']}={setup['kept']}", headers=HTML)

    assert unmapped.status_code == 200
    assert "Move the 1 item of “Step 2” to" in unmapped.text
    assert "Upgrade to version 2" not in unmapped.text
    assert mapped.status_code == 200
    assert "Step “Step 2” is removed; its 1 item would move to “Step 3”." in mapped.text
    assert f'name="map-{setup["removed"]}" value="{setup["kept"]}"' in mapped.text
    assert "Upgrade to version 2" in mapped.text
    assert version_of(client, admin, instance_id) == 1


def test_upgrading_redirects_to_the_board_and_a_refusal_shows_once_on_the_page(
    client: TestClient, admin: Login
) -> None:
    setup = running_pipeline(client, admin)
    instance_id = setup["instance"]["id"]
    path = f"/admin/pipelines/{instance_id}/upgrade"

    refused = send(client, admin, path, {"to_version": "2"})
    shown = client.get(refused.headers["location"], headers=HTML)
    again = client.get(refused.headers["location"], headers=HTML)
    upgraded = send(
        client, admin, path, {"to_version": "2", f"map-{setup['removed']}": setup["kept"]}
    )
    board = client.get(upgraded.headers["location"], headers=HTML)

    assert refused.status_code == 303 and refused.headers["location"] == f"{path}?to=2"
    assert 'role="alert"' in shown.text and "“Step 2” has 1 item" in shown.text
    assert "“Step 2” has 1 item" not in again.text  # shown once; the page asks for the step
    assert "Move the 1 item of “Step 2” to" in again.text
    assert upgraded.status_code == 303
    assert upgraded.headers["location"] == f"/pipelines/{instance_id}?notice=upgraded"
    assert version_of(client, admin, instance_id) == 2
    assert "Upgraded: the pipeline runs the new version." in board.text


def test_only_admins_see_the_page_and_upgrade(
    client: TestClient, container: Container, admin: Login, member: Login
) -> None:
    setup = running_pipeline(client, admin)
    instance_id = setup["instance"]["id"]
    path = f"/admin/pipelines/{instance_id}/upgrade"
    manager = make_login(container, slug="acme", username="mia", roles=["manager"])
    mapping = {"to_version": "2", f"map-{setup['removed']}": setup["kept"]}

    as_browser(client, manager)
    looked = client.get(path, headers=HTML)
    by_manager = send(client, manager, path, mapping)
    by_member = send(client, member, path, mapping)
    bad_version = send(client, admin, path, {"to_version": "9"})

    assert looked.status_code == 403 and "text/html" in looked.headers["content-type"]
    assert by_manager.status_code == 403 and "Only admins can upgrade" in by_manager.text
    assert by_member.status_code == 403
    assert bad_version.status_code == 303
    assert version_of(client, admin, instance_id) == 1
