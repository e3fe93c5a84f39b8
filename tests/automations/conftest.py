"""Fixtures for automation tests: the acme tenant may reach the loopback receiver."""

from tests.automations.support import receiver_fixture, scene_fixture

__all__ = ["receiver_fixture", "scene_fixture"]
