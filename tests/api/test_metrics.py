"""GET /metrics: the worker's figures in Prometheus' text format, as a scraper parses them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.settings import Settings
from pacetrack.web.app import create_app
from tests.conftest import Login

SCRAPE_TOKEN = "s" * 40


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def enqueue(container: Container, login: Login, kind: str, count: int) -> None:
    with container.uow() as uow:
        for _ in range(count):
            outbox.enqueue(
                uow.session, tenant_id=login.tenant_id, kind=kind, payload={}, now=uow.clock.now()
            )
        uow.commit()


def test_an_admin_reads_the_tenants_queue_and_timers(
    client: TestClient, container: Container, admin: Login, other_admin: Login, clock: FrozenClock
) -> None:
    enqueue(container, admin, "notification.fire", 3)
    enqueue(container, other_admin, "webhook.deliver", 5)
    clock.advance(timedelta(seconds=90))

    response = client.get("/metrics", headers=admin.headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    figures = samples(response.text)
    assert figures[("pacetrack_jobs", (("kind", "notification.fire"), ("state", "pending")))] == 3
    # Another tenant's jobs are not this admin's to see.
    assert not any(labels and ("kind", "webhook.deliver") in labels for _n, labels in figures)
    assert figures[("pacetrack_oldest_due_job_age_seconds", ())] == 90
    assert figures[("pacetrack_jobs_dead", ())] == 0
    assert figures[("pacetrack_timers_armed", ())] == 0
    assert figures[("pacetrack_webhook_attempt_duration_seconds_count", ())] == 0


def test_the_scrape_token_sees_every_tenant_and_others_are_refused(
    container: Container, admin: Login, other_admin: Login, member: Login
) -> None:
    enqueue(container, admin, "notification.fire", 2)
    enqueue(container, other_admin, "notification.fire", 4)
    settings = container.settings.model_copy(update={"metrics_token": SCRAPE_TOKEN})
    scraping = dataclasses.replace(container, settings=settings)
    with TestClient(create_app(scraping)) as client:
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
        anonymous = client.get("/metrics")
        as_member = client.get("/metrics", headers=member.headers)
        wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})

    assert scraped.status_code == 200
    key = ("pacetrack_jobs", (("kind", "notification.fire"), ("state", "pending")))
    assert samples(scraped.text)[key] == 6
    assert anonymous.status_code == 401
    assert as_member.status_code == 403
    assert wrong.status_code == 401


def test_a_scrape_token_is_long_or_absent() -> None:
    assert Settings().metrics_token is None
    with pytest.raises(ValidationError):
        Settings(metrics_token="short")
