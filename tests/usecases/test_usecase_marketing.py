"""Use case 4, Marketing campaigns: the library template end to end over HTTP on the demo people."""

from __future__ import annotations

from datetime import timedelta

from tests.usecases.conftest import Journey

DATES_MESSAGE = "The campaign must launch before it ends"


def test_campaign_from_brief_to_reporting(journey: Journey) -> None:
    journey.start("marketing")
    lead = "marketing_lead"
    spring = journey.created("Spring launch", as_=lead, values={"budget": 10000})
    autumn = journey.created("Autumn promo", as_=lead, values={"budget": 8000})
    _, required = journey.view(spring["id"])
    assert "budget" in required

    # Content Creation: the whole content team; 5 days late tells the marketing lead once.
    writing = journey.moved(spring["id"], "Content Creation", as_=lead)
    assert journey.usernames(writing["assigned_account_ids"]) == ["content_1", "content_2"]
    journey.advance(timedelta(days=4, hours=23))
    assert journey.inbox(lead, spring["id"], trigger="at_risk") == []
    journey.advance(timedelta(hours=2))
    journey.advance(timedelta(days=3))
    assert [n["subject"] for n in journey.inbox(lead, spring["id"], trigger="at_risk")] == [
        "Content creation delayed: Spring launch"
    ]

    # Design Production: least assigned over the design team.
    designed = [journey.moved(c["id"], "Design Production", as_=lead) for c in (spring, autumn)]
    assert sorted(journey.usernames(d["assigned_account_ids"])[0] for d in designed) == [
        "designer_1",
        "designer_2",
    ]

    # Review: the launch must come before the end.
    journey.moved(spring["id"], "Review", as_=lead)
    journey.updated(spring["id"], {"launch_date": "2026-04-10", "end_date": "2026-04-01"}, as_=lead)
    refused = journey.move(spring["id"], "Live Campaign", as_=lead)
    assert refused.status_code == 422
    assert refused.json()["violations"] == [
        {"rule_id": "launch_before_end", "field_id": "launch_date", "message": DATES_MESSAGE}
    ]
    journey.updated(spring["id"], {"end_date": "2026-05-31"}, as_=lead)

    # Live Campaign: ROI (40 x 250 - 5000) / 5000 x 100 = 100, CTR 50 of 1000 clicks.
    journey.moved(spring["id"], "Live Campaign", as_=lead)
    live = journey.updated(
        spring["id"],
        {
            "actual_leads": 40,
            "avg_lead_value": 250,
            "actual_spend": 5000,
            "clicks": 50,
            "impressions": 1000,
        },
        as_=lead,
    )
    assert live["field_values"]["current_roi"] == "100"
    assert live["field_values"]["ctr"] == "5"
    assert live["calculation_errors"] == {}

    # No spend yet: the ROI is an error recorded on the item, not a crash.
    zero = journey.update(spring["id"], {"actual_spend": 0}, as_=lead)
    assert zero.status_code == 200, zero.text
    errors = zero.json()["calculation_errors"]
    assert list(errors) == ["roi_calculation"]
    assert "zero" in str(errors["roi_calculation"]).lower()
    assert journey.get(spring["id"]).json()["item"]["calculation_errors"] == errors

    journey.moved(spring["id"], "Reporting", as_=lead)
    visible, _ = journey.view(spring["id"])
    assert {"current_roi", "ctr"} <= visible
