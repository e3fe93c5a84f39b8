"""POST /api/step-template/simulate on the Sales use case, on SQLite and PostgreSQL.

Each simulation is checked against what the real move decides, and against a
snapshot of every row of every table (and PostgreSQL's sequences): a simulation
writes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from tests.api.studio_support import SalesStudio, database_snapshot, sales_studio
from tests.conftest import START
from tests.usecases.conftest import seed_people

__all__ = ["sales_studio"]

SIMULATE = "/api/step-template/simulate"


def simulate(studio: SalesStudio, body: dict[str, Any], *, as_: str = "admin") -> Any:
    return studio.post(SIMULATE, body, as_=as_)


def simulated(studio: SalesStudio, body: dict[str, Any]) -> dict[str, Any]:
    response = simulate(studio, body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def by_rule(results: list[dict[str, Any]], phase: str) -> dict[str, dict[str, Any]]:
    return {r["rule_id"]: r for r in results if r["phase"] == phase}


def test_a_4000_deal_at_qualified_reports_the_min_value_violation_and_writes_nothing(
    sales_studio: SalesStudio, container: Container
) -> None:
    deal = sales_studio.journey.created("Tiny deal", values={"deal_value": "4000"})
    before = database_snapshot(container)

    answer = simulated(
        sales_studio,
        {"step_id": str(sales_studio.step_templates["Qualified"]), "item_id": deal["id"]},
    )

    assert database_snapshot(container) == before
    leaving = by_rule(answer["validations"], "leave")
    assert leaving["min_deal_value"] == {
        "rule_id": "min_deal_value",
        "field_id": "deal_value",
        "phase": "leave",
        "passed": False,
        "message": "Deals under $5k should go to SMB pipeline",
    }
    assert by_rule(answer["validations"], "enter")["min_deal_value"]["passed"] is False
    assert leaving["required:decision_maker"]["passed"] is False
    assert leaving["required:deal_value"]["passed"] is True
    assert answer["can_enter"] is False
    assert answer["ready_to_leave"] is False
    assert answer["field_view"]["visible"] == ["deal_value", "decision_maker", "company_size"]
    assert answer["field_view"]["required"] == ["deal_value", "decision_maker"]
    # The real move refuses it for the same rule.
    refused = sales_studio.journey.move(deal["id"], "Qualified")
    assert refused.status_code == 422
    assert "min_deal_value" in {v["rule_id"] for v in refused.json()["violations"]}


def test_a_150k_deal_entering_negotiation_reports_the_vp_notification_and_the_at_risk_timer(
    sales_studio: SalesStudio, container: Container
) -> None:
    before = database_snapshot(container)

    answer = simulated(
        sales_studio,
        {
            "step_id": str(sales_studio.step_templates["Negotiation"]),
            "field_values": {"deal_value": "150000"},
        },
    )

    assert database_snapshot(container) == before
    entering = {n["rule_id"]: n for n in answer["on_enter"]["notifications"]}
    assert entering["big_deal"]["fires"] is True
    assert [r["username"] for r in entering["big_deal"]["recipients"]] == ["vp_sales"]
    assert entering["big_deal"]["rule"]["condition"] == "deal_value > 100000"
    assert answer["on_enter"]["timers"] == [
        {
            "rule_kind": "notification",
            "rule_id": "stalled_negotiation",
            "trigger": "at_risk",
            "occurrence": 1,
            # target_duration_days 20 + threshold_days 15, from the moment of entry.
            "due_at": (START + timedelta(days=35)).isoformat().replace("+00:00", "Z"),
        }
    ]
    assert answer["on_leave"]["timers_cancelled"] == ["stalled_negotiation"]
    assert answer["on_leave"]["notifications"] == []


def test_a_50k_deal_entering_negotiation_does_not_tell_the_vp(sales_studio: SalesStudio) -> None:
    answer = simulated(
        sales_studio,
        {
            "step_id": str(sales_studio.step_templates["Negotiation"]),
            "field_values": {"deal_value": "50000"},
        },
    )
    entering = {n["rule_id"]: n for n in answer["on_enter"]["notifications"]}
    assert entering["big_deal"]["fires"] is False
    assert entering["big_deal"]["recipients"] == []


def test_round_robin_is_previewed_without_taking_a_turn(
    sales_studio: SalesStudio, container: Container
) -> None:
    journey = sales_studio.journey
    lead = {"step_id": str(sales_studio.step_templates["Lead"]), "field_values": {}}
    before = database_snapshot(container)
    first = simulated(sales_studio, lead)
    again = simulated(sales_studio, lead)
    assert database_snapshot(container) == before

    chosen = [a["username"] for a in first["assignment"]["assignees"]]
    assert chosen == [a["username"] for a in again["assignment"]["assignees"]]
    assert first["assignment"]["rules_apply"] is True
    # A real entry takes exactly the previewed turn; the next preview shows the next member.
    created = journey.created("Acme")
    assert journey.usernames(created["assigned_account_ids"]) == chosen
    after = simulated(sales_studio, lead)
    assert [a["username"] for a in after["assignment"]["assignees"]] != chosen
    second = journey.created("Globex")
    assert journey.usernames(second["assigned_account_ids"]) == [
        a["username"] for a in after["assignment"]["assignees"]
    ]
    assigned = {n["rule_id"]: n for n in after["on_enter"]["notifications"]}
    assert [r["username"] for r in assigned["item_assigned"]["recipients"]] == [
        a["username"] for a in after["assignment"]["assignees"]
    ]


def test_calculations_run_on_the_item_values_with_samples_over_them(
    sales_studio: SalesStudio,
) -> None:
    deal = sales_studio.journey.created("Initech", values={"deal_value": "100000"})
    answer = simulated(
        sales_studio,
        {
            "step_id": str(sales_studio.step_templates["Proposal"]),
            "item_id": deal["id"],
            "field_values": {"discount_pct": "10"},
        },
    )
    assert answer["calculations"] == [
        {
            "calculation_id": "commission",
            "output_field_id": "commission",
            "value": "9000.00",
            "error": None,
        }
    ]
    assert answer["values"]["commission"] == "9000.00"
    assert by_rule(answer["validations"], "leave")["max_discount"]["passed"] is True


def test_a_draft_replaces_the_step_families_it_gives(sales_studio: SalesStudio) -> None:
    answer = simulated(
        sales_studio,
        {
            "step_id": str(sales_studio.step_templates["Qualified"]),
            "validations": [
                {
                    "id": "big_only",
                    "type": "field_min_value",
                    "field_id": "deal_value",
                    "min_value": 10000,
                }
            ],
            "field_values": {"deal_value": "8000", "decision_maker": "Pat"},
        },
    )
    leaving = by_rule(answer["validations"], "leave")
    assert "min_deal_value" not in leaving
    assert leaving["big_only"]["passed"] is False
    # The family the draft leaves out is the stored one: entering still checks $5k.
    assert by_rule(answer["validations"], "enter")["min_deal_value"]["passed"] is True


def test_a_draft_alone_is_simulated_against_the_tenant_fields(sales_studio: SalesStudio) -> None:
    answer = simulated(
        sales_studio,
        {
            "target_duration_days": 3,
            "notifications": [
                {
                    "id": "late",
                    "trigger": "at_risk",
                    "threshold_days": 1,
                    "recipients": [{"type": "role", "id": "manager"}],
                }
            ],
            "field_values": {},
        },
    )
    assert answer["step_id"] is None
    assert [t["rule_id"] for t in answer["on_enter"]["timers"]] == ["late"]
    assert answer["assignment"] == {"rules_apply": False, "assignees": [], "unresolved": []}


def test_a_bad_draft_is_refused_naming_the_path_and_changes_nothing(
    sales_studio: SalesStudio, container: Container
) -> None:
    before = database_snapshot(container)
    response = simulate(
        sales_studio,
        {
            "step_id": str(sales_studio.step_templates["Qualified"]),
            "validations": [{"id": "v", "type": "field_min_value", "field_id": "deal_value"}],
            "calculations": [
                {
                    "id": "c",
                    "type": "custom",
                    "expression": "deal_valu * 2",
                    "output_field_id": "commission",
                }
            ],
            "field_values": {},
        },
    )
    assert response.status_code == 422, response.text
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(fields) == {"validations[0].min_value"}
    assert database_snapshot(container) == before

    response = simulate(
        sales_studio,
        {
            "calculations": [
                {
                    "id": "c",
                    "type": "custom",
                    "expression": "deal_valu * 2",
                    "output_field_id": "commission",
                }
            ],
            "field_values": {"deal_value": "abc"},
        },
    )
    assert response.status_code == 422, response.text
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "did you mean `deal_value`" in fields["calculations[0].expression"]
    assert database_snapshot(container) == before


def test_bad_sample_values_are_refused_naming_the_field(
    sales_studio: SalesStudio, container: Container
) -> None:
    before = database_snapshot(container)
    response = simulate(
        sales_studio,
        {
            "step_id": str(sales_studio.step_templates["Qualified"]),
            "field_values": {"deal_value": "lots", "no_such_field": 1},
        },
    )
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == {
        "field_values.deal_value",
        "field_values.no_such_field",
    }
    response = simulate(sales_studio, {"step_id": str(sales_studio.step_templates["Lead"])})
    assert response.status_code == 422
    assert database_snapshot(container) == before


def test_unknown_step_and_item_are_404_naming_the_field(sales_studio: SalesStudio) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    response = simulate(sales_studio, {"step_id": missing, "field_values": {}})
    assert response.status_code == 404
    assert response.json()["errors"] == [{"field": "step_id", "message": "no such step template"}]
    response = simulate(
        sales_studio,
        {"step_id": str(sales_studio.step_templates["Lead"]), "item_id": missing},
    )
    assert response.status_code == 404
    assert response.json()["errors"] == [{"field": "item_id", "message": "no such item"}]


def test_members_may_not_simulate_and_managers_may(sales_studio: SalesStudio) -> None:
    body = {"step_id": str(sales_studio.step_templates["Lead"]), "field_values": {}}
    assert simulate(sales_studio, body, as_="sdr_1").status_code == 403
    assert simulate(sales_studio, body, as_="sales_manager").status_code == 200


def test_another_tenants_step_is_not_found(sales_studio: SalesStudio, container: Container) -> None:
    from tests.conftest import make_login

    other = make_login(container, slug="other", username="olga", roles=["admin"])
    response = sales_studio.client.post(
        SIMULATE,
        json={"step_id": str(sales_studio.step_templates["Lead"]), "field_values": {}},
        headers=other.headers,
    )
    assert response.status_code == 404


def test_least_assigned_and_unresolved_rules_are_previewed_as_entry_decides(
    sales_studio: SalesStudio, container: Container
) -> None:
    demo = {"step_id": str(sales_studio.step_templates["Demo"]), "field_values": {}}
    preview = simulated(sales_studio, demo)
    [chosen] = [a["username"] for a in preview["assignment"]["assignees"]]
    before = database_snapshot(container)
    nobody = simulated(
        sales_studio,
        {"assignments": [{"type": "account_group", "id": "no_such_team"}], "field_values": {}},
    )
    assert database_snapshot(container) == before
    assert nobody["assignment"]["assignees"] == []
    assert nobody["assignment"]["unresolved"] == [
        {
            "rule_type": "account_group",
            "rule_target": "no_such_team",
            "reason": "group “no_such_team” does not exist",
        }
    ]
    [told] = nobody["on_enter"]["notifications"]
    assert told["rule_id"] == "assignment_unresolved"
    assert [r["username"] for r in told["recipients"]] == ["admin"]
    # A real entry into Demo assigns the member the preview named.
    journey = sales_studio.journey
    deal = journey.created("Umbrella", step="Proposal", values={"deal_value": "9000"})
    moved = journey.moved(deal["id"], "Demo")
    assert journey.usernames(moved["assigned_account_ids"]) == [chosen]


def test_approval_is_a_leave_requirement_met_only_by_an_approved_stay(
    container: Container, client: TestClient, clock: FrozenClock
) -> None:
    journey = seed_people(container, client, clock)
    journey.start("recruiting")
    steps = client.get("/api/step-template/list", headers=journey.headers()).json()
    technical = next(s["id"] for s in steps if s["name"] == "Technical Screen")
    hm = "hiring_manager"
    staying = journey.created("Grace", as_=hm, step="Technical Screen")
    elsewhere = journey.created("Linus", as_=hm)

    def approval(item_id: str) -> dict[str, Any]:
        response = client.post(
            SIMULATE, json={"step_id": technical, "item_id": item_id}, headers=journey.headers()
        )
        assert response.status_code == 200, response.text
        return by_rule(response.json()["validations"], "leave")["approval_required"]

    assert approval(staying["id"])["passed"] is False
    assert "request approval first" in approval(elsewhere["id"])["message"]
    request = client.post(
        "/api/approval/request", json={"item_id": staying["id"]}, headers=journey.headers("eng_1")
    )
    assert request.status_code == 201, request.text
    approved = client.post(
        "/api/approval/approve",
        json={"request_id": request.json()["id"]},
        headers=journey.headers(hm),
    )
    assert approved.status_code == 200, approved.text
    assert approval(staying["id"]) == {
        "rule_id": "approval_required",
        "field_id": None,
        "phase": "leave",
        "passed": True,
        "message": "Leaving Technical Screen is approved",
    }
    assert approval(elsewhere["id"])["passed"] is False
