"""A serving process freezes its start-up objects; an app built for a test does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from pacetrack.web.app import create_app


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_serving_app_freezes_the_objects_alive_at_start_up(
    container: Container, unfrozen: None
) -> None:
    app = create_app(container, freeze_startup_objects=True)
    assert gc.get_freeze_count() == 0

    with TestClient(app) as client:
        frozen = gc.get_freeze_count()
        assert client.get("/healthz").status_code == 200

    # Everything the process had built by then, the app and its container among it.
    assert frozen > 10_000


def test_an_app_built_for_a_test_freezes_nothing(container: Container, unfrozen: None) -> None:
    with TestClient(create_app(container)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
