"""Unknown addresses: a page for a browser, a problem for an API client."""

from __future__ import annotations

from fastapi.testclient import TestClient

HTML = {"Accept": "text/html,application/xhtml+xml"}


def test_a_browser_gets_an_html_page_for_an_unknown_address(client: TestClient) -> None:
    response = client.get("/no/such/page", headers=HTML)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "This page does not exist." in response.text


def test_the_api_answers_problems_whatever_the_client_accepts(client: TestClient) -> None:
    for headers in (HTML, {"Accept": "application/json"}):
        response = client.get("/api/no-such-operation", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_a_client_that_does_not_ask_for_html_gets_a_problem(client: TestClient) -> None:
    response = client.post("/", headers={"Accept": "*/*"})

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
