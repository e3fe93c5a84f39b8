"""Fixtures for the outbound adapters: a real receiver on loopback and a policy admitting it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pacetrack.adapters.outbound_http import OutboundPolicy
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def loopback_policy() -> OutboundPolicy:
    """Nothing is allowed by default; the tests admit loopback for their own receiver."""
    return OutboundPolicy(allow_networks=("127.0.0.0/8",), timeout_seconds=5.0)
