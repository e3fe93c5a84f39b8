"""Use case 5, Medical: medical fields are sensitive, only people with access to the pipeline
see them (the care team: the physicians group, nurse_1 and billing_1; and admins)."""

from __future__ import annotations

from pacetrack.bootstrap import Container
from pacetrack.cli.demo import seed_demo
from pacetrack.services import pipelines, tenants
from pacetrack.services.context import Actor, system_actor
from pacetrack.services.people import accounts
from tests.usecases.conftest import Journey

CARE_TEAM = {
    "restricted": True,
    "account_groups": ["physicians"],
    "accounts": ["nurse_1", "billing_1"],
}


def test_only_the_care_team_sees_a_patient_of_the_restricted_pipeline(journey: Journey) -> None:
    instance = journey.start("medical")
    restricted = journey.client.post(
        "/api/pipeline-instance/update-access",
        json={"id": str(instance), "access": CARE_TEAM},
        headers=journey.headers(),
    )
    assert restricted.status_code == 200, restricted.text
    patient = journey.created(
        "Patient 10", as_="nurse_1", values={"admission_date": "2026-03-02", "weight_kg": 70}
    )

    def seen_by(username: str) -> int:
        response = journey.client.get(
            "/api/item/get", params={"id": patient["id"]}, headers=journey.headers(username)
        )
        return response.status_code

    outsider_list = journey.client.get("/api/item/list", headers=journey.headers("sdr_1")).json()
    outsider_get = journey.client.get(
        "/api/item/get", params={"id": patient["id"]}, headers=journey.headers("sdr_1")
    )

    assert {name: seen_by(name) for name in ("nurse_1", "billing_1", "physician_2", "admin")} == {
        "nurse_1": 200,
        "billing_1": 200,
        "physician_2": 200,
        "admin": 200,
    }
    assert outsider_get.status_code == 404
    assert "70" not in outsider_get.text
    assert outsider_list["items"] == []
    assert (
        journey.move(patient["id"], "Insurance Authorization", as_="sales_manager").status_code
        == 404
    )
    journey.moved(patient["id"], "Insurance Authorization", as_="nurse_1")


def test_the_demo_starts_the_medical_pipeline_restricted_to_its_care_team(
    container: Container,
) -> None:
    seed_demo(container, password="demo password")
    with container.uow() as work:
        tenant_id = tenants.tenant_by_slug(work, "demo").id
        people = {a.username: a.id for a in accounts.list_accounts(work, system_actor(tenant_id))}

    def pipeline_names(username: str, roles: set[str]) -> set[str]:
        actor = Actor(tenant_id=tenant_id, account_id=people[username], roles=frozenset(roles))
        with container.uow() as work:
            return {instance.name for instance in pipelines.list_instances(work, actor)}

    everyone = pipeline_names("admin", {"admin", "member"})
    medical = {"Surgical patient journey"}
    assert medical < everyone
    for username, roles in (
        ("nurse_1", {"member"}),
        ("billing_1", {"member"}),
        ("physician_1", {"member", "physician"}),
    ):
        assert pipeline_names(username, roles) == everyone
    assert pipeline_names("sdr_1", {"member"}) == everyone - medical
