"""Upgrading every pipeline of a template from the web UI over HTTP: the link on the versions
page, the items of a removed step counted across pipelines, the dry run writing nothing, a
refusal shown once, the upgrade itself, and only admins."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.api.test_pipeline_upgrade_pages import version_of
from tests.api.test_template_version_pages import HTML, as_browser, send
from tests.api.test_template_versions import delete_step, publish
from tests.api.test_templates import make_template, post
from tests.conftest import Login, make_login


def start_with_items(
    client: TestClient, admin: Login, template_id: str, name: str, *, items: int
) -> dict[str, Any]:
    instance = post(
        client,
        admin,
        "/api/pipeline-instance/create",
        {"pipeline_template_id": template_id, "name": name},
    )
    steps = {step["name"]: step["id"] for step in instance["steps"]}
    for number in range(items):
        post(
            client,
            admin,
            "/api/item/create",
            {
                "pipeline_instance_id": instance["id"],
                "name": f"{name} deal {number + 1}",
                "step_id": steps["Step 2"],
            },
        )
    result: dict[str, Any] = instance
    return result


def three_pipelines(client: TestClient, admin: Login) -> dict[str, Any]:
    """East (1 item in “Step 2”) and West (2 items there) run version 1; version 2 removes
    “Step 2”; North starts on version 2; version 3 renames “Step 3” to “Closing”."""
    template = make_template(client, admin, steps=3)
    east = start_with_items(client, admin, template["id"], "East", items=1)
    west = start_with_items(client, admin, template["id"], "West", items=2)
    delete_step(client, admin, template["steps"][1]["id"])
    publish(client, admin, template["id"], "Without step 2")
    north = post(
        client,
        admin,
        "/api/pipeline-instance/create",
        {"pipeline_template_id": template["id"], "name": "North"},
    )
    post(
        client,
        admin,
        "/api/step-template/update",
        {"id": template["steps"][2]["id"], "name": "Closing"},
    )
    publish(client, admin, template["id"], "Closing")
    return {
        "template": template["id"],
        "ids": [east["id"], west["id"], north["id"]],
        "removed": template["steps"][1]["id"],
        "kept": template["steps"][2]["id"],
    }


def test_the_versions_page_links_to_the_upgrade_of_every_pipeline_and_its_dry_run_writes_nothing(
    client: TestClient, admin: Login
) -> None:
    setup = three_pipelines(client, admin)
    path = f"/admin/templates/{setup['template']}/upgrade"
    as_browser(client, admin)

    versions = client.get(f"/admin/templates/{setup['template']}/versions", headers=HTML)
    unmapped = client.get(f"{path}?to=3", headers=HTML)
    mapped = client.get(f"{path}?to=3&map-{setup['removed']}={setup['kept']}", headers=HTML)

    assert f'href="{path}?to=3">Upgrade all pipelines to version 3</a>' in versions.text
    assert "3 active pipelines on an older version" in versions.text
    assert unmapped.status_code == 200
    assert "Move the 3 items of “Step 2” to" in unmapped.text
    assert "Upgrade all 3 pipelines to version 3" not in unmapped.text
    assert mapped.status_code == 200
    assert "East: version 1 to version 3" in mapped.text
    assert "North: version 2 to version 3" in mapped.text
    assert "Step “Step 2” is removed; its 2 items would move to “Closing”." in mapped.text
    assert "Step “Step 3” is renamed “Closing”." in mapped.text
    assert f'name="map-{setup["removed"]}" value="{setup["kept"]}"' in mapped.text
    assert "Upgrade all 3 pipelines to version 3" in mapped.text
    assert [version_of(client, admin, i) for i in setup["ids"]] == [1, 1, 2]


def test_an_unmapped_upgrade_is_refused_once_then_one_mapping_upgrades_every_pipeline(
    client: TestClient, admin: Login
) -> None:
    setup = three_pipelines(client, admin)
    path = f"/admin/templates/{setup['template']}/upgrade"

    refused = send(client, admin, path, {"to_version": "3"})
    shown = client.get(refused.headers["location"], headers=HTML)
    again = client.get(refused.headers["location"], headers=HTML)
    unchanged = [version_of(client, admin, i) for i in setup["ids"]]
    upgraded = send(
        client, admin, path, {"to_version": "3", f"map-{setup['removed']}": setup["kept"]}
    )
    versions = client.get(upgraded.headers["location"], headers=HTML)
    nothing_left = client.get(f"{path}?to=3", headers=HTML)

    assert refused.status_code == 303 and refused.headers["location"] == f"{path}?to=3"
    assert 'role="alert"' in shown.text
    # The first pipeline refused refuses them all (East and West start at the same moment).
    assert re.search(
        r"Pipeline “(East|West)”: “Step 2” has \d items? and is not in version 3", shown.text
    )
    assert "“Step 2” has" not in again.text  # shown once; the page asks for the step
    assert "Move the 3 items of “Step 2” to" in again.text
    assert unchanged == [1, 1, 2]
    assert upgraded.status_code == 303
    assert upgraded.headers["location"] == (
        f"/admin/templates/{setup['template']}/versions?notice=upgraded-3"
    )
    assert "Upgraded 3 pipelines: they run the new version." in versions.text
    assert "Upgrade all pipelines to version" not in versions.text
    assert [version_of(client, admin, i) for i in setup["ids"]] == [3, 3, 3]
    assert "there is nothing to upgrade" in nothing_left.text


def test_only_admins_see_the_page_and_upgrade_every_pipeline(
    client: TestClient, container: Container, admin: Login, member: Login
) -> None:
    setup = three_pipelines(client, admin)
    path = f"/admin/templates/{setup['template']}/upgrade"
    manager = make_login(container, slug="acme", username="mia", roles=["manager"])
    mapping = {"to_version": "3", f"map-{setup['removed']}": setup["kept"]}

    as_browser(client, manager)
    looked = client.get(f"{path}?to=3", headers=HTML)
    versions = client.get(f"/admin/templates/{setup['template']}/versions", headers=HTML)
    by_manager = send(client, manager, path, mapping)
    by_member = send(client, member, path, mapping)

    assert looked.status_code == 403 and "text/html" in looked.headers["content-type"]
    assert "Upgrade all pipelines" not in versions.text
    assert by_manager.status_code == 403 and "Only admins can upgrade" in by_manager.text
    assert by_member.status_code == 403
    assert [version_of(client, admin, i) for i in setup["ids"]] == [1, 1, 2]


def test_a_mapping_of_a_step_no_pipeline_runs_is_refused_naming_it(
    client: TestClient, admin: Login
) -> None:
    setup = three_pipelines(client, admin)
    stranger = setup["template"]

    response = client.post(
        "/api/pipeline-template/upgrade-instances",
        json={
            "id": setup["template"],
            "step_mapping": {setup["removed"]: setup["kept"], stranger: setup["kept"]},
        },
        headers=admin.headers,
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "field": f"step_mapping.{stranger}",
            "message": "is not a step of any pipeline being upgraded",
        }
    ]
    assert [version_of(client, admin, i) for i in setup["ids"]] == [1, 1, 2]
