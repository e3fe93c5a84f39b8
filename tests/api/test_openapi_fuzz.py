"""Schemathesis over the whole OpenAPI, on SQLite and PostgreSQL, as a tenant admin.

Every operation gets requests generated from its schema (a fixed seed keeps the run
the same from one run to the next) and each answer is checked: no server error, a
status and content type the OpenAPI declares, and a body that matches its schema.
"""

from __future__ import annotations

import collections

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
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
EXAMPLES_PER_OPERATION = 25
# Both databases' runs go to the same pytest-xdist worker (scripts/test runs
# --dist loadgroup): schemathesis builds each operation's strategies and validators
# once per process, so the second run takes about a third of the CPU time of the first.
pytestmark = pytest.mark.xdist_group("openapi_fuzz")
# Logging out would revoke the token every other request is made with.
LEFT_OUT = frozenset({"POST /api/auth/logout"})


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
            try:
                case.call_and_validate(headers=admin.headers, checks=CHECKS)
            except BaseException as found:  # schemathesis raises a group of failures
                if isinstance(found, KeyboardInterrupt):
                    raise
                for failure in getattr(found, "exceptions", [found]):
                    failures[f"{label}: {type(failure).__name__}"].append(str(failure)[:400])

        call()

    assert len(requests) >= 80, "the OpenAPI lost operations"
    assert sum(requests.values()) >= 80 * 10
    assert dict(failures) == {}
