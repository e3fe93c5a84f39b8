"""Use case 6, Film production: the library template end to end over HTTP on the demo people."""

from __future__ import annotations

from datetime import timedelta

from tests.usecases.conftest import Journey

SHOOT_MESSAGE = "The shoot must start before it ends"


def test_production_from_development_to_distribution(journey: Journey) -> None:
    journey.start("film")
    producer = "producer"
    film = journey.created("Night Train", as_=producer)

    # Pre-Production: total budget is the exact sum; the shoot must start before it ends.
    journey.moved(film["id"], "Pre-Production", as_=producer)
    budgeted = journey.updated(
        film["id"],
        {
            "budget_above_line": "1250000.10",
            "budget_below_line": "3749999.95",
            "shoot_start": "2026-05-15",
            "shoot_end": "2026-04-01",
        },
        as_=producer,
    )
    assert budgeted["field_values"]["total_budget"] == "5000000.05"
    refused = journey.move(film["id"], "Principal Photography", as_=producer)
    assert refused.status_code == 422
    assert refused.json()["violations"] == [
        {"rule_id": "shoot_start_before_end", "field_id": "shoot_start", "message": SHOOT_MESSAGE}
    ]
    journey.updated(film["id"], {"shoot_start": "2026-04-01", "shoot_end": "2026-05-15"})

    # Principal Photography: the line producer, shooting days, percent shot as scenes go.
    shooting = journey.moved(film["id"], "Principal Photography", as_=producer)
    assert journey.usernames(shooting["assigned_account_ids"]) == ["line_producer"]
    assert shooting["field_values"]["shooting_days"] == "44"
    first = journey.updated(
        film["id"], {"scenes_total": 120, "scenes_shot": 30}, as_="line_producer"
    )
    assert first["field_values"]["percent_shot"] == "25"
    later = journey.updated(film["id"], {"scenes_shot": 90}, as_="line_producer")
    assert later["field_values"]["percent_shot"] == "75"

    # Post-Production: the post team; 60 days late tells the producer once.
    post = journey.moved(film["id"], "Post-Production", as_=producer)
    assert journey.usernames(post["assigned_account_ids"]) == ["editor_1"]
    journey.advance(timedelta(days=59, hours=23))
    assert journey.inbox(producer, film["id"], trigger="at_risk") == []
    journey.advance(timedelta(hours=2))
    journey.advance(timedelta(days=5))
    assert [n["subject"] for n in journey.inbox(producer, film["id"], trigger="at_risk")] == [
        "Post-production overdue: Night Train"
    ]
    journey.moved(film["id"], "Distribution", as_=producer)
    assert journey.history(film["id"]) == [
        "Development",
        "Pre-Production",
        "Principal Photography",
        "Post-Production",
        "Distribution",
    ]
