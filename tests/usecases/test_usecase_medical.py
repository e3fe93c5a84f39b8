"""Use case 5, Medical: a surgical patient journey end to end over HTTP on the demo people."""

from __future__ import annotations

from datetime import timedelta

from tests.usecases.conftest import Journey

AUTH_MESSAGE = "Insurance authorization is required before diagnostic testing"


def test_surgical_patient_from_intake_to_discharge(journey: Journey) -> None:
    journey.start("medical")
    nurse = "nurse_1"
    patient = journey.created(
        "Patient 7",
        as_=nurse,
        values={"admission_date": "2026-03-02", "weight_kg": 70, "height_m": "1.75"},
    )
    visible, required = journey.view(patient["id"])
    assert "admission_date" in required and "insurance_auth_number" not in visible

    # Insurance Authorization: billing_1; no auth number, no Diagnostic Testing.
    authorizing = journey.moved(patient["id"], "Insurance Authorization", as_=nurse)
    assert journey.usernames(authorizing["assigned_account_ids"]) == ["billing_1"]
    refused = journey.move(patient["id"], "Diagnostic Testing", as_="billing_1")
    assert refused.status_code == 422
    assert {(v["rule_id"], v["message"]) for v in refused.json()["violations"]} >= {
        ("insurance_auth_required", AUTH_MESSAGE)
    }
    malformed = journey.update(patient["id"], {"insurance_auth_number": "INS-12"}, as_="billing_1")
    assert malformed.status_code == 422
    assert [e["field"] for e in malformed.json()["errors"]] == [
        "field_values.insurance_auth_number"
    ]
    journey.updated(patient["id"], {"insurance_auth_number": "INS-123456"}, as_="billing_1")

    # Diagnostic Testing: BMI 70 kg / 1.75 m squared = 22.9, dose = weight x mg per kg.
    journey.moved(patient["id"], "Diagnostic Testing", as_="billing_1")
    tested = journey.updated(patient["id"], {"dose_mg_per_kg": "1.5"}, as_=nurse)
    assert tested["field_values"]["bmi"] == "22.9"
    assert tested["field_values"]["medication_dose_mg"] == "105"

    # Surgery, then Post-Op Recovery with every physician assigned.
    journey.moved(patient["id"], "Surgery", as_=nurse)
    journey.updated(patient["id"], {"surgery_date": "2026-03-03"}, as_=nurse)
    recovering = journey.moved(patient["id"], "Post-Op Recovery", as_=nurse)
    assert journey.usernames(recovering["assigned_account_ids"]) == ["physician_1", "physician_2"]

    # Three days in Post-Op give three daily reminders to each assignee.
    for _day in range(3):
        journey.advance(timedelta(days=1))
    for physician in ("physician_1", "physician_2"):
        assert [
            n["subject"] for n in journey.inbox(physician, patient["id"], trigger="on_duration")
        ] == ["Daily post-op assessment: Patient 7"] * 3
    assert journey.inbox(nurse, patient["id"]) == []

    # Discharge needs a physician's approval.
    unapproved = journey.move(patient["id"], "Discharged", as_=nurse)
    assert unapproved.status_code == 422
    assert [v["rule_id"] for v in unapproved.json()["violations"]] == ["approval_required"]
    request = journey.client.post(
        "/api/approval/request", json={"item_id": patient["id"]}, headers=journey.headers(nurse)
    )
    assert request.status_code == 201, request.text
    by_nurse = journey.client.post(
        "/api/approval/approve",
        json={"request_id": request.json()["id"]},
        headers=journey.headers("billing_1"),
    )
    assert by_nurse.status_code == 403
    approved = journey.client.post(
        "/api/approval/approve",
        json={"request_id": request.json()["id"]},
        headers=journey.headers("physician_2"),
    )
    assert approved.status_code == 200, approved.text
    journey.moved(patient["id"], "Discharged", as_=nurse)
    journey.advance(timedelta(days=3))
    assert len(journey.inbox("physician_1", patient["id"], trigger="on_duration")) == 3

    # Discharged: discharge date required, length of stay calculated.
    _, required = journey.view(patient["id"])
    assert "discharge_date" in required
    discharged = journey.updated(patient["id"], {"discharge_date": "2026-03-09"}, as_=nurse)
    assert discharged["field_values"]["length_of_stay_days"] == "7"


def test_a_patient_without_an_auth_number_cannot_enter_diagnostic_testing(
    journey: Journey,
) -> None:
    journey.start("medical")
    patient = journey.created("Patient 8", as_="nurse_1", values={"admission_date": "2026-03-02"})

    skipped = journey.move(patient["id"], "Diagnostic Testing", as_="nurse_1")

    assert skipped.status_code == 422
    assert "insurance_auth_number" in {v["field_id"] for v in skipped.json()["violations"]}
    assert journey.history(patient["id"]) == ["Intake"]


def test_medical_fields_are_hidden_from_other_tenants(journey: Journey) -> None:
    journey.start("medical")
    patient = journey.created(
        "Patient 9", as_="nurse_1", values={"admission_date": "2026-03-02", "weight_kg": 70}
    )
    from tests.conftest import make_login

    outsider = make_login(journey.container, slug="globex", username="gus", roles=["admin"])

    seen = journey.client.get(
        "/api/item/get", params={"id": patient["id"]}, headers=outsider.headers
    )

    assert seen.status_code == 404
    assert "70" not in seen.text
