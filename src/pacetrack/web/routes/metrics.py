"""GET /metrics: the worker's queues, deliveries and timers in Prometheus' text format.

The operator's scraper presents ``PACETRACK_METRICS_TOKEN`` and sees every tenant; a
tenant admin's token shows that tenant's figures only.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from starlette.responses import Response

from pacetrack.services import operations
from pacetrack.web.deps import BearerCredentials, actor, container

router = APIRouter(tags=["operations"])


class _FiguresCollector(Collector):
    def __init__(self, figures: operations.Figures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        queue = GaugeMetricFamily(
            "pacetrack_jobs", "Outbox jobs by kind and state", labels=["kind", "state"]
        )
        done = CounterMetricFamily(
            "pacetrack_jobs_done", "Jobs performed to the end, by kind", labels=["kind"]
        )
        dead = GaugeMetricFamily("pacetrack_jobs_dead", "Jobs that gave up and wait for a re-run")
        for (kind, state), count in sorted(figures.jobs.items()):
            queue.add_metric([kind, state], count)
            if state == "done":
                done.add_metric([kind], count)
        dead.add_metric([], figures.dead_jobs)
        yield queue
        yield done
        yield dead
        yield GaugeMetricFamily(
            "pacetrack_oldest_due_job_age_seconds",
            "How long the oldest due job has waited (0 when none waits)",
            value=figures.oldest_due_seconds,
        )
        deliveries = CounterMetricFamily(
            "pacetrack_webhook_attempts",
            "Webhook delivery attempts by endpoint and outcome",
            labels=["endpoint", "outcome"],
        )
        for (endpoint, outcome), count in sorted(figures.deliveries.items()):
            deliveries.add_metric([endpoint, outcome], count)
        yield deliveries
        latency = HistogramMetricFamily(
            "pacetrack_webhook_attempt_duration_seconds",
            "How long webhook delivery attempts took",
        )
        latency.add_metric(
            [],
            buckets=[
                *[(str(bound / 1000), count) for bound, count in figures.latency_buckets],
                ("+Inf", figures.latency_count),
            ],
            sum_value=figures.latency_sum_ms / 1000,
        )
        yield latency
        yield GaugeMetricFamily(
            "pacetrack_timers_armed", "Timers armed for items", value=figures.timers_armed
        )
        yield GaugeMetricFamily(
            "pacetrack_timers_overdue",
            "Armed timers whose due time has passed (the worker has not fired them yet)",
            value=figures.timers_overdue,
        )


def _is_scraper(request: Request, credentials: BearerCredentials) -> bool:
    expected = container(request).settings.metrics_token
    given = credentials.credentials if credentials else ""
    return bool(expected) and hmac.compare_digest(str(expected).encode(), given.encode())


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, credentials: BearerCredentials) -> Response:
    """Prometheus text exposition of the figures the caller may see."""
    current = container(request)
    if _is_scraper(request, credentials):

        def read() -> operations.Figures:
            with current.uow() as work:
                return operations.all_figures(work)

    else:
        caller = await actor(request, credentials)

        def read() -> operations.Figures:
            with current.uow() as work:
                return operations.tenant_figures(work, caller)

    figures = await run_in_threadpool(read)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_FiguresCollector(figures))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
