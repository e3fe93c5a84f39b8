"""Schemathesis over the whole OpenAPI, on SQLite and PostgreSQL, as a tenant admin.

Every operation gets requests generated from its schema (a fixed seed keeps the run
the same from one run to the next) and each answer is checked: no server error, a
status and content type the OpenAPI declares, a body that matches its schema, and a
request the schema allows is not refused as malformed (400 or 422; a 404 for an id
that does not exist or a 409 for a clash with what is stored are answers, not refusals).
"""

from __future__ import annotations

import collections

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from pacetrack.bootstrap import Container
from pacetrack.web.app import create_app
from tests.conftest import Login

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bodies that carry rules JSON Schema cannot state, checked by the server and answered
# 422 naming the place: step configuration documents and drafts (expressions, the tenant's
# field names, templates), whole template documents, and field definitions (min_value not above
# max_value, a pattern that is a valid RE2 regular expression). Every other check runs on
# them; every other operation is also checked for accepting what its schema allows.
RULES_BEYOND_JSON_SCHEMA = frozenset(
    {
        "POST /api/automation/test",
        "POST /api/field-definition/create",
        "POST /api/field-definition/update",
        "POST /api/pipeline-instance/update-step-overrides",
        "POST /api/pipeline-template/create",
        "POST /api/pipeline-template/import",
        "POST /api/pipeline-template/update",
        "POST /api/step-template/create",
        "POST /api/step-template/simulate",
        "POST /api/step-template/update",
        "POST /api/step-template/update-field-configs",
        "POST /api/step-template/update-validations",
        "POST /api/step-template/update-assignments",
        "POST /api/step-template/update-notifications",
        "POST /api/step-template/update-automations",
        "POST /api/step-template/update-calculations",
        "POST /api/step-template/update-metadata",
    }
)
EXAMPLES_PER_OPERATION = 25
# Both databases' runs go to the same pytest-xdist worker (scripts/test runs
# --dist loadgroup): schemathesis builds each operation's strategies and validators
# once per process, so the second run takes about a third of the CPU time of the first.
pytestmark = pytest.mark.xdist_group("openapi_fuzz")
# Logging out would revoke the token every other request is made with; the event stream
# never ends by itself (tests/api/test_event_stream.py reads it on a real server).
LEFT_OUT = frozenset({"POST /api/auth/logout", "GET /api/events/stream"})


# Every operation of the API, many requests each: about 150 s on an idle machine, so the
# suite's 300 s hang guard is too short for it when the cores are shared.
@pytest.mark.timeout(900)
def test_every_operation_answers_as_its_openapi_says(container: Container, admin: Login) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(container))
    failures: dict[str, list[str]] = collections.defaultdict(list)
    requests = collections.Counter[str]()

    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in LEFT_OUT:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            label = case.operation.label
            requests[label] += 1
            checks = (
                CHECKS if label in RULES_BEYOND_JSON_SCHEMA else [*CHECKS, positive_data_acceptance]
            )
            try:
                case.call_and_validate(headers=admin.headers, checks=checks)
            except BaseException as found:  # schemathesis raises a group of failures
                if isinstance(found, KeyboardInterrupt):
                    raise
                for failure in getattr(found, "exceptions", [found]):
                    failures[f"{label}: {type(failure).__name__}"].append(str(failure)[:400])

        call()

    assert set(requests) >= RULES_BEYOND_JSON_SCHEMA, "a left-out operation no longer exists"
    assert len(requests) >= 80, "the OpenAPI lost operations"
    assert sum(requests.values()) >= 80 * 10
    assert dict(failures) == {}
