"""The studio page's server side: it loads the built island, or, where the assets were
not built, says so and links to the plain JSON editor instead of a script that never loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pacetrack.web.ui import template_pages
from tests.conftest import Login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session")


def _template_page(client: TestClient, admin: Login) -> str:
    created = client.post(
        "/api/pipeline-template/create", json={"name": "Sales"}, headers=admin.headers
    )
    assert created.status_code == 201
    client.cookies.set("pacetrack_token", admin.token)
    page = client.get(f"/admin/templates/{created.json()['id']}")
    assert page.status_code == 200
    return page.text


def test_the_page_loads_the_built_studio(client: TestClient, admin: Login) -> None:
    assert template_pages.STUDIO_SCRIPT.is_file(), "run `npm ci && npm run build` first"
    text = _template_page(client, admin)
    assert '<script type="module" src="/static/dist/studio.js"></script>' in text
    assert 'id="studio"' in text
    assert client.get("/static/dist/studio.js").status_code == 200


def test_without_the_built_assets_the_page_offers_the_plain_editor(
    client: TestClient, admin: Login, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(template_pages, "STUDIO_SCRIPT", tmp_path / "studio.js")
    text = _template_page(client, admin)
    assert "/static/dist/studio.js" not in text
    assert "scripts are not built" in text
    assert '/json">plain JSON editor</a>' in text
