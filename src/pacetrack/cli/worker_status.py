"""``pacetrack worker status``: the figures ``GET /metrics`` counts, for a person or a script.

The same figures (``services.operations``, counted by ``db.metrics``) as the scrape, so
the command and the monitoring never disagree.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Annotated, Any

import typer

from pacetrack.services.operations import Figures
from pacetrack.services.vocabulary import counted, duration_words

KIND_WORDS = {
    "notification.fire": ("notification to send", "notifications to send"),
    "notification.email": ("notification email", "notification emails"),
    "notification.digest": ("daily digest", "daily digests"),
    "automation.run": ("automation run", "automation runs"),
    "webhook.deliver": ("webhook delivery", "webhook deliveries"),
}
"""What each kind of job is called in the printed status."""

STATE_WORDS = {
    "pending": "waiting",
    "running": "in progress",
    "done": "done",
    "dead": "dead",
}
STATE_ORDER = tuple(STATE_WORDS)
OUTCOME_WORDS = {"succeeded": "succeeded", "retrying": "failed and retried", "failed": "failed"}


def _kind_words(kind: str, count: int) -> str:
    singular, plural = KIND_WORDS.get(kind, (f"“{kind}” job", f"“{kind}” jobs"))
    return counted(count, singular, plural)


def _tenant(figures: Figures, slug: str) -> str:
    name = figures.tenant_names.get(slug, slug)
    return name if name == slug else f"{name} ({slug})"


def status_lines(figures: Figures) -> list[str]:
    """The status as lines of text for a person."""
    lines = ["Jobs"]
    by_tenant: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for (slug, kind, state), count in figures.tenant_jobs.items():
        by_tenant[slug][kind][state] = count
    if not by_tenant:
        lines.append("  No jobs.")
    for slug in sorted(by_tenant, key=lambda s: (_tenant(figures, s).casefold(), s)):
        lines.append(f"  {_tenant(figures, slug)}")
        for kind, states in sorted(by_tenant[slug].items()):
            ordered = sorted(states, key=lambda s: STATE_ORDER.index(s) if s in STATE_ORDER else 9)
            total = sum(states.values())
            parts = ", ".join(f"{states[s]} {STATE_WORDS.get(s, s)}" for s in ordered)
            lines.append(f"    {_kind_words(kind, total)}: {parts}")
    if figures.oldest_due_seconds > 0:
        waited = duration_words(figures.oldest_due_seconds)
        lines.append(f"The oldest due job has waited {waited}.")
    else:
        lines.append("No due job is waiting.")
    dead = figures.dead_jobs
    if dead:
        lines.append(
            f"{counted(dead, 'dead job')}: read their last error in the automation log, fix the "
            "cause, then run `pacetrack worker --rerun-dead`."
        )
    else:
        lines.append("No dead jobs.")
    lines.append("Webhook deliveries")
    by_endpoint: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for (slug, url, outcome), count in figures.tenant_deliveries.items():
        by_endpoint[slug, url][outcome] = count
    if not by_endpoint:
        lines.append("  No delivery attempts.")
    for (slug, url), outcomes in sorted(by_endpoint.items()):
        parts = ", ".join(
            f"{count} {OUTCOME_WORDS.get(outcome, outcome)}"
            for outcome, count in sorted(outcomes.items())
        )
        attempts = counted(sum(outcomes.values()), "attempt")
        lines.append(f"  {_tenant(figures, slug)}: {url}: {attempts} ({parts})")
    timers = f"Timers: {figures.timers_armed} armed, {figures.timers_overdue} overdue"
    if figures.timers_overdue:
        timers += " (the worker that fires them is behind or not running)"
    lines.append(timers + ".")
    return lines


def status_document(figures: Figures) -> dict[str, Any]:
    """The status as a JSON document for scripts (the same figures, keys stable)."""
    return {
        "jobs": [
            {
                "tenant": figures.tenant_names.get(slug, slug),
                "tenant_slug": slug,
                "kind": kind,
                "state": state,
                "count": count,
            }
            for (slug, kind, state), count in sorted(figures.tenant_jobs.items())
        ],
        "oldest_due_job_age_seconds": round(figures.oldest_due_seconds, 3),
        "dead_jobs": figures.dead_jobs,
        "deliveries": [
            {
                "tenant": figures.tenant_names.get(slug, slug),
                "tenant_slug": slug,
                "endpoint": url,
                "outcome": outcome,
                "count": count,
            }
            for (slug, url, outcome), count in sorted(figures.tenant_deliveries.items())
        ],
        "timers": {"armed": figures.timers_armed, "overdue": figures.timers_overdue},
    }


def status(
    tenant: Annotated[
        str | None, typer.Option(help="One tenant's slug (default: every tenant)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document for scripts")
    ] = False,
) -> None:
    """Print the queues, dead jobs, webhook deliveries and timers (what /metrics counts)."""
    from pacetrack.cli import open_container, run_service
    from pacetrack.services.operations import operator_figures

    container = open_container()
    try:
        figures = run_service(container, lambda uow: operator_figures(uow, tenant_slug=tenant))
    finally:
        container.close()
    if as_json:
        typer.echo(json.dumps(status_document(figures), indent=2))
    else:
        typer.echo("\n".join(status_lines(figures)))
