"""Use case 1, Sales pipeline: the library template end to end over HTTP on the demo people."""

from __future__ import annotations

from datetime import timedelta

from tests.usecases.conftest import Journey

SMB_MESSAGE = "Deals under $5k should go to SMB pipeline"
DISCOUNT_MESSAGE = "Discounts above 30% need a different deal desk"


def test_sales_pipeline_from_lead_to_close(journey: Journey) -> None:
    journey.start("sales")
    seller = "sdr_1"

    # Lead: round robin over sdr_team, in creation order.
    small = journey.created("Initech", as_=seller, values={"deal_value": 4000})
    big = journey.created("Globex", as_=seller, values={"deal_value": 150000})
    medium = journey.created("Hooli", as_=seller, values={"deal_value": 50000})
    lost = journey.created("Umbrella", as_=seller, values={"deal_value": 20000})
    assert [journey.usernames(d["assigned_account_ids"]) for d in (small, big, medium, lost)] == [
        ["sdr_1"],
        ["sdr_2"],
        ["sdr_1"],
        ["sdr_2"],
    ]
    assert small["current_step_id"] == str(journey.steps["Lead"])

    # A $4,000 deal cannot leave Lead for Qualified.
    refused = journey.move(small["id"], "Qualified", as_=seller)
    assert refused.status_code == 422, refused.text
    assert refused.json()["violations"] == [
        {"rule_id": "min_deal_value", "field_id": "deal_value", "message": SMB_MESSAGE}
    ]
    assert journey.history(small["id"]) == ["Lead"]

    # Qualified: deal_value and decision_maker visible and required.
    for deal in (big, medium, lost):
        journey.updated(deal["id"], {"decision_maker": "Pat Buyer"}, as_=seller)
        journey.moved(deal["id"], "Qualified", as_=seller)
    visible, required = journey.view(big["id"])
    assert {"deal_value", "decision_maker"} <= visible
    assert {"deal_value", "decision_maker"} <= required
    no_maker = journey.created("Soylent", as_=seller, step="Qualified", values={"deal_value": 9000})
    blocked = journey.move(no_maker["id"], "Demo", as_=seller)
    assert blocked.status_code == 422
    assert [v["rule_id"] for v in blocked.json()["violations"]] == ["required:decision_maker"]

    # Demo: least assigned over ae_team, so two deals go to different account executives.
    at_demo = [journey.moved(d["id"], "Demo", as_=seller) for d in (big, medium)]
    assert sorted(journey.usernames(d["assigned_account_ids"])[0] for d in at_demo) == [
        "ae_1",
        "ae_2",
    ]

    # Proposal: discount visible, at most 30, commission calculated exactly.
    journey.moved(big["id"], "Proposal", as_=seller)
    visible, _ = journey.view(big["id"])
    assert "discount_pct" in visible
    journey.updated(big["id"], {"discount_pct": 40}, as_=seller)
    too_generous = journey.move(big["id"], "Negotiation", as_=seller)
    assert too_generous.status_code == 422
    assert too_generous.json()["violations"] == [
        {"rule_id": "max_discount", "field_id": "discount_pct", "message": DISCOUNT_MESSAGE}
    ]
    discounted = journey.updated(big["id"], {"discount_pct": 10}, as_=seller)
    assert discounted["field_values"]["commission"] == "13500.00"

    # Negotiation: the $150k deal tells vp_sales, the $50k one does not.
    journey.moved(big["id"], "Negotiation", as_=seller)
    journey.moved(medium["id"], "Proposal", as_=seller)
    journey.updated(medium["id"], {"discount_pct": 0}, as_=seller)
    journey.moved(medium["id"], "Negotiation", as_=seller)
    journey.run_worker()
    vp_inbox = journey.inbox("vp_sales")
    assert [(n["item_id"], n["subject"]) for n in vp_inbox] == [
        (big["id"], "Large deal in negotiation: Globex (150000.00)")
    ]

    # 35 days in Negotiation (target 20 + threshold 15): owner and sales_manager, once each.
    journey.advance(timedelta(days=34, hours=23))
    assert journey.inbox(seller, big["id"]) == []
    journey.advance(timedelta(hours=1))
    journey.advance(timedelta(days=10))
    for username in (seller, "sales_manager"):
        stalled = [n for n in journey.inbox(username, big["id"]) if n["trigger"] == "at_risk"]
        assert [n["subject"] for n in stalled] == ["Negotiation stalled: Globex"]

    # Closed Won needs a close date; Closed Lost a lost reason.
    journey.moved(big["id"], "Closed Won", as_=seller)
    visible, required = journey.view(big["id"])
    assert "close_date" in visible and "close_date" in required
    journey.moved(lost["id"], "Closed Lost", as_=seller)
    visible, required = journey.view(lost["id"])
    assert "lost_reason" in visible and "lost_reason" in required
    bad_reason = journey.update(lost["id"], {"lost_reason": "weather"}, as_=seller)
    assert bad_reason.status_code == 422
    assert (
        journey.updated(lost["id"], {"lost_reason": "price"}, as_=seller)["field_values"][
            "lost_reason"
        ]
        == "price"
    )
