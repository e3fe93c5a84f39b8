"""The versions page over HTTP: who sees and may post what, post-redirect-get, refusals."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from pacetrack.web.csrf import csrf_for
from tests.api.test_template_versions import publish, versions
from tests.api.test_templates import make_template, post
from tests.conftest import Login, make_login

HTML = {"Accept": "text/html"}


def as_browser(client: TestClient, login: Login) -> TestClient:
    client.cookies.set("pacetrack_token", login.token)
    return client


def page(client: TestClient, login: Login, template_id: str, query: str = "") -> Any:
    as_browser(client, login)
    return client.get(f"/admin/templates/{template_id}/versions{query}", headers=HTML)


def send(client: TestClient, login: Login, path: str, form: dict[str, str]) -> Any:
    as_browser(client, login)
    return client.post(
        path,
        data={**form, "csrf_token": csrf_for(login.token)},
        headers=HTML,
        follow_redirects=False,
    )


def test_a_manager_reads_the_page_without_forms_and_others_may_not_post(
    client: TestClient, container: Container, admin: Login, member: Login
) -> None:
    template = make_template(client, admin, steps=1)
    publish(client, admin, template["id"], "First")
    post(
        client,
        admin,
        "/api/step-template/update",
        {"id": template["steps"][0]["id"], "name": "Lead"},
    )
    publish(client, admin, template["id"], "Second")
    post(
        client,
        admin,
        "/api/step-template/update",
        {"id": template["steps"][0]["id"], "name": "Open"},
    )
    manager = make_login(container, slug="acme", username="mia", roles=["manager"])
    base = f"/admin/templates/{template['id']}/versions"

    shown = page(client, manager, template["id"])
    refused_page = page(client, member, template["id"])
    by_manager = send(client, manager, f"{base}/publish", {"note": "x"})
    by_member = send(client, member, f"{base}/1/rollback", {"confirm": "yes"})

    assert shown.status_code == 200
    assert "Unpublished changes" in shown.text
    assert "Renamed from “Lead” to “Open”." in shown.text
    assert "Version 2" in shown.text and "Second" in shown.text
    assert "Publish version" not in shown.text and "Roll back to" not in shown.text
    assert refused_page.status_code == 403 and "text/html" in refused_page.headers["content-type"]
    assert by_manager.status_code == 403 and "Only admins can publish" in by_manager.text
    assert by_member.status_code == 403 and "text/html" in by_member.headers["content-type"]
    assert [v["number"] for v in versions(client, admin, template["id"])] == [2, 1]


def test_publishing_from_the_page_redirects_to_the_list_and_a_refusal_shows_once(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=1)
    base = f"/admin/templates/{template['id']}/versions"
    before = page(client, admin, template["id"])

    published = send(client, admin, f"{base}/publish", {"note": "Launch", "form": "publish"})
    again = send(client, admin, f"{base}/publish", {"note": "Twice", "form": "publish"})
    with_refusal = client.get(base, headers=HTML)
    reloaded = client.get(base, headers=HTML)

    assert "Nothing is published yet" in before.text and "Publish version 1" in before.text
    assert "No versions yet." in before.text
    assert published.status_code == 303
    assert published.headers["location"] == f"{base}?notice=published"
    assert [(v["number"], v["note"]) for v in versions(client, admin, template["id"])] == [
        (1, "Launch")
    ]
    assert again.status_code == 303 and again.headers["location"] == f"{base}#publish-heading"
    assert "Nothing changed since version 1; there is nothing to publish." in with_refusal.text
    assert "nothing to publish" not in reloaded.text
    assert "No unpublished changes: the draft is version 1." in reloaded.text


def test_a_rollback_needs_the_confirmation_and_then_publishes_the_old_steps(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=1)
    step = template["steps"][0]["id"]
    publish(client, admin, template["id"])
    post(client, admin, "/api/step-template/update", {"id": step, "name": "Lead"})
    publish(client, admin, template["id"])
    base = f"/admin/templates/{template['id']}/versions"

    unconfirmed = send(client, admin, f"{base}/1/rollback", {"note": "Undo", "form": "rollback-1"})
    asked = client.get(base, headers=HTML)
    confirmed = send(
        client, admin, f"{base}/1/rollback", {"note": "Undo", "confirm": "yes", "form": "x"}
    )

    assert unconfirmed.status_code == 303
    assert "tick the box to confirm the rollback" in asked.text
    assert re.search(r'<details class="rollback" open>', asked.text)
    assert ">Undo</textarea>" in asked.text  # what was typed is kept
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"{base}?notice=rolled-back"
    listed = versions(client, admin, template["id"])
    assert (listed[0]["number"], listed[0]["note"]) == (3, "Restores version 1. Undo")


def test_the_diff_is_a_get_form_and_a_bad_choice_is_named(client: TestClient, admin: Login) -> None:
    template = make_template(client, admin, steps=2)
    publish(client, admin, template["id"])
    post(
        client,
        admin,
        "/api/step-template/update",
        {"id": template["steps"][1]["id"], "name": "Won"},
    )
    publish(client, admin, template["id"])

    compared = page(client, admin, template["id"], "?from=1&to=2")
    bad = page(client, admin, template["id"], "?from=1&to=9")

    assert compared.status_code == 200
    assert "From version 1 to version 2" in compared.text
    assert "Step “Won”" in compared.text
    assert "Renamed from “Step 2” to “Won”." in compared.text
    assert bad.status_code == 422
    assert 'id="compare-to-error"' in bad.text and "choose a version from the list" in bad.text
