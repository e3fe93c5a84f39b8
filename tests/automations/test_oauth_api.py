"""An endpoint's OAuth 2.0 client through the API: validation, the secret kept and never shown."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.automations.support import Scene

SECRET = "client-secret-value-9f2c"


def oauth(scene: Scene, **more: Any) -> dict[str, Any]:
    return {
        "type": "oauth2_client_credentials",
        "token_url": scene.url("/token"),
        "client_id": "pacetrack",
        "client_secret": SECRET,
        **more,
    }


def create(scene: Scene, auth: Any, path: str = "/hook") -> Any:
    return scene.client.post(
        "/api/webhook-endpoint/create",
        json={"url": scene.url(path), "auth": auth},
        headers=scene.admin.headers,
    )


def update(scene: Scene, endpoint_id: str, **changes: Any) -> Any:
    return scene.client.post(
        "/api/webhook-endpoint/update",
        json={"id": endpoint_id, **changes},
        headers=scene.admin.headers,
    )


def test_the_client_secret_is_kept_and_never_shown(scene: Scene) -> None:
    response = create(scene, oauth(scene, scope="hooks.write", audience="https://api.example"))
    assert response.status_code == 201
    created = response.json()
    assert created["auth"] == {
        "type": "oauth2_client_credentials",
        "token_url": scene.url("/token"),
        "client_id": "pacetrack",
        "client_secret_set": True,
        "scope": "hooks.write",
        "audience": "https://api.example",
        "client_auth_method": "client_secret_basic",
    }
    fetched = scene.api("GET", "/api/webhook-endpoint/get", params={"id": created["id"]})
    listed = scene.api("GET", "/api/webhook-endpoint/list")
    rotated = scene.api("POST", "/api/webhook-endpoint/rotate-secret", json={"id": created["id"]})
    for answer in (response.text, str(fetched), str(listed), str(rotated)):
        assert SECRET not in answer
    assert fetched["auth"] == created["auth"]
    assert scene.endpoint_row(created["id"]).oauth_client_secret == SECRET


def test_an_update_without_the_secret_keeps_it(scene: Scene) -> None:
    endpoint = create(scene, oauth(scene)).json()
    changed = dict(oauth(scene, client_id="renamed", client_auth_method="client_secret_post"))
    del changed["client_secret"]
    response = update(scene, endpoint["id"], auth=changed)
    assert response.status_code == 200, response.text
    assert response.json()["auth"]["client_id"] == "renamed"
    assert response.json()["auth"]["client_auth_method"] == "client_secret_post"
    row = scene.endpoint_row(endpoint["id"])
    assert (row.oauth_client_id, row.oauth_client_secret) == ("renamed", SECRET)


def test_a_new_token_url_needs_the_secret_again(scene: Scene) -> None:
    endpoint = create(scene, oauth(scene)).json()
    moved = dict(oauth(scene, token_url=scene.url("/elsewhere")))
    del moved["client_secret"]
    response = update(scene, endpoint["id"], auth=moved)
    assert response.status_code == 409
    [problem] = response.json()["errors"]
    assert problem == {
        "field": "auth.client_secret",
        "message": "required again when the token URL changes",
    }
    assert scene.endpoint_row(endpoint["id"]).oauth_token_url == scene.url("/token")


def test_a_new_client_needs_a_secret(scene: Scene) -> None:
    plain = scene.endpoint(scene.url("/hook"))
    without = dict(oauth(scene))
    del without["client_secret"]
    response = update(scene, plain["id"], auth=without)
    assert response.status_code == 409  # well formed, but nothing is stored to keep
    assert response.json()["errors"][0] == {
        "field": "auth.client_secret",
        "message": "required: no secret is stored yet",
    }
    refused = create(scene, without, path="/other")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "auth.client_secret"
    assert scene.endpoint_row(plain["id"]).auth_type is None


def test_null_removes_the_client_and_leaving_auth_out_keeps_it(scene: Scene) -> None:
    endpoint = create(scene, oauth(scene)).json()
    kept = update(scene, endpoint["id"], description="billing")
    assert kept.json()["auth"]["client_secret_set"] is True
    removed = update(scene, endpoint["id"], auth=None)
    assert removed.status_code == 200 and removed.json()["auth"] is None
    row = scene.endpoint_row(endpoint["id"])
    assert (row.auth_type, row.oauth_client_secret, row.oauth_token_url) == (None, None, None)


@pytest.mark.parametrize(
    ("token_url", "status", "words"),
    [
        ("http://169.254.169.254/token", 403, "cloud metadata"),
        ("http://10.0.0.7/token", 403, "private network"),
        ("https://localhost/token", 403, "loopback"),
        ("ftp://auth.example.com/token", 422, "only http and https"),
        ("http://user:pw@auth.example.com/token", 422, "user name or password"),
        ("http://0x0a000001/token", 422, "non-canonical"),
    ],
)
def test_a_token_url_meets_the_outbound_rules_of_the_endpoint_url(
    scene: Scene, token_url: str, status: int, words: str
) -> None:
    response = create(scene, oauth(scene, token_url=token_url))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    [problem] = response.json()["errors"]
    assert problem["field"] == "auth.token_url"
    assert words in problem["message"]
    assert scene.api("GET", "/api/webhook-endpoint/list") == []
    endpoint = scene.endpoint(scene.url("/hook"))
    changed = update(scene, endpoint["id"], auth=oauth(scene, token_url=token_url))
    assert changed.status_code == status
    assert scene.endpoint_row(endpoint["id"]).auth_type is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "api_key"}, "auth.type"),
        ({"scope": "two  spaces"}, "auth.scope"),
        ({"scope": 'quote"d'}, "auth.scope"),
        ({"client_id": ""}, "auth.client_id"),
        ({"client_id": "tab\tinside"}, "auth.client_id"),
        ({"client_secret": ""}, "auth.client_secret"),
        ({"client_auth_method": "private_key_jwt"}, "auth.client_auth_method"),
        ({"token_url": "x" * 2001}, "auth.token_url"),
        ({"extra": 1}, "auth.extra"),
    ],
)
def test_a_malformed_client_is_422_naming_the_field(
    scene: Scene, change: dict[str, Any], field: str
) -> None:
    response = create(scene, oauth(scene, **change))
    assert response.status_code == 422, response.text
    fields = [problem["field"] for problem in response.json()["errors"]]
    assert field in fields
    assert SECRET not in response.text
    assert scene.api("GET", "/api/webhook-endpoint/list") == []


def test_an_unknown_endpoint_is_404(scene: Scene) -> None:
    response = update(scene, str(uuid.uuid4()), auth=oauth(scene))
    assert response.status_code == 404
