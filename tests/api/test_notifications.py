"""/api/notification/{list,mark-read,history}: the caller's own inbox, read marks, admin history."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from tests.services.moves_support import StepDef
from tests.worker.office import Office, open_office

ENTERED = {
    "id": "entered",
    "trigger": "on_enter",
    "recipients": [{"type": "owner"}, {"type": "user", "id": "sales_manager"}],
}


@pytest.fixture
def office(container: Container, client: TestClient, clock: FrozenClock) -> Office:
    office = open_office(container, client, clock)
    office.build(
        [StepDef(name="Lead"), StepDef(name="Review", config={"notifications": [ENTERED]})]
    )
    for name in ("First", "Second", "Third"):
        office.move(office.create(name), "Review")
        office.advance(timedelta(minutes=1))
    return office


def mark(office: Office, username: str, body: object) -> tuple[int, dict[str, object]]:
    response = office.client.post(
        "/api/notification/mark-read", json=body, headers=office.headers(username)
    )
    return response.status_code, response.json()


def test_list_shows_the_callers_notifications_newest_first_with_counts(office: Office) -> None:
    response = office.client.get("/api/notification/list", headers=office.headers("owner"))
    assert response.status_code == 200
    page = response.json()
    assert [n["subject"] for n in page["notifications"]] == [
        "Third entered Review",
        "Second entered Review",
        "First entered Review",
    ]
    assert (page["total"], page["unread"], page["limit"], page["offset"]) == (3, 3, 50, 0)
    assert all(n["read_at"] is None and n["trigger"] == "on_enter" for n in page["notifications"])
    assert all(n["url"].endswith(f"/items/{n['item_id']}") for n in page["notifications"])


def test_list_paginates_without_overlap(office: Office) -> None:
    pages = [
        office.client.get(
            "/api/notification/list",
            params={"limit": 2, "offset": offset},
            headers=office.headers("owner"),
        ).json()
        for offset in (0, 2, 4)
    ]
    ids = [[n["id"] for n in page["notifications"]] for page in pages]
    assert [len(chunk) for chunk in ids] == [2, 1, 0]
    assert len(set(ids[0] + ids[1])) == 3
    assert all(page["total"] == 3 for page in pages)


def test_list_only_ever_shows_the_callers_own(office: Office) -> None:
    owners = {n["id"] for n in office.inbox("owner")}
    managers = {n["id"] for n in office.inbox("sales_manager")}
    assert len(owners) == len(managers) == 3
    assert not owners & managers
    assert office.inbox("vp_sales") == []
    stranger = open_office(office.container, office.client, office.clock, slug="elsewhere")
    assert stranger.inbox("owner") == []


def test_unread_filter_and_marking_some_read(office: Office) -> None:
    newest, middle, _oldest = office.inbox("owner")
    status, body = mark(office, "owner", {"ids": [newest["id"], middle["id"]]})
    assert (status, body) == (200, {"updated": 2})

    unread = office.client.get(
        "/api/notification/list", params={"unread": True}, headers=office.headers("owner")
    ).json()
    assert [n["subject"] for n in unread["notifications"]] == ["First entered Review"]
    assert (unread["total"], unread["unread"]) == (3, 1)
    read = {n["id"]: n["read_at"] for n in office.inbox("owner")}
    assert read[newest["id"]] is not None and read[middle["id"]] is not None
    # Marking again changes nothing.
    assert mark(office, "owner", {"ids": [newest["id"]]}) == (200, {"updated": 0})


def test_mark_all_read(office: Office) -> None:
    assert mark(office, "owner", {"all": True}) == (200, {"updated": 3})
    assert all(n["read_at"] is not None for n in office.inbox("owner"))
    assert all(n["read_at"] is None for n in office.inbox("sales_manager"))
    assert mark(office, "owner", {"all": True}) == (200, {"updated": 0})


def test_someone_elses_or_an_unknown_id_is_ignored_not_an_error(office: Office) -> None:
    theirs = office.inbox("sales_manager")[0]["id"]
    status, body = mark(office, "owner", {"ids": [theirs, str(uuid.uuid4())]})
    assert (status, body) == (200, {"updated": 0})
    assert all(n["read_at"] is None for n in office.inbox("sales_manager"))
    stranger = open_office(office.container, office.client, office.clock, slug="elsewhere")
    assert mark(stranger, "owner", {"ids": [theirs]}) == (200, {"updated": 0})
    assert mark(stranger, "owner", {"all": True}) == (200, {"updated": 0})
    assert all(n["read_at"] is None for n in office.inbox("sales_manager"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"ids": [], "all": True}, "body"),
        ({"ids": ["not-a-uuid"]}, "ids[0]"),
        ({"all": "yes please"}, "all"),
        ({"all": True, "everything": True}, "everything"),
    ],
)
def test_bad_mark_read_requests_answer_422_naming_the_field(
    office: Office, body: object, field: str
) -> None:
    status, problem = mark(office, "owner", body)
    assert status == 422, problem
    fields = [e["field"] for e in problem["errors"]]  # type: ignore[union-attr]
    assert field in fields, fields


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"offset": -1}, "offset")],
)
def test_bad_list_parameters_answer_422_naming_the_parameter(
    office: Office, params: dict[str, int], field: str
) -> None:
    response = office.client.get(
        "/api/notification/list", params=params, headers=office.headers("owner")
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_without_a_token_the_inbox_is_401(office: Office) -> None:
    assert office.client.get("/api/notification/list").status_code == 401


def test_history_is_for_admins_with_recipients_and_outcomes(office: Office) -> None:
    for username in ("owner", "sales_manager"):
        response = office.client.get("/api/notification/history", headers=office.headers(username))
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")

    entries = office.history()
    assert len(entries) == 3
    entry = entries[0]
    assert (entry["rule_id"], entry["trigger"], entry["subject"]) == (
        "entered",
        "on_enter",
        "Third entered Review",
    )
    assert set(entry["recipients"]) == {str(office.id("owner")), str(office.id("sales_manager"))}
    outcomes = {(o["account_id"], o["channel"], o["status"]) for o in entry["outcomes"]}
    assert outcomes == {
        (str(office.id(u)), channel, status)
        for u in ("owner", "sales_manager")
        for channel, status in (("in_app", "sent"), ("email", "not_sent"))
    }
    assert entry["triggered_at"] <= entry["created_at"]


def test_history_filters_by_item_and_another_tenants_item_is_404(office: Office) -> None:
    item_id = office.inbox("owner")[-1]["item_id"]
    (entry,) = office.history(item_id=item_id)
    assert entry["subject"] == "First entered Review"
    stranger = open_office(office.container, office.client, office.clock, slug="elsewhere")
    response = office.client.get(
        "/api/notification/history",
        params={"item_id": item_id},
        headers=stranger.headers(),
    )
    assert response.status_code == 404
    assert stranger.history() == []
