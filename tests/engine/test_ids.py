"""Ids read from forms, paths and stored documents."""

from __future__ import annotations

import uuid

import pytest

from pacetrack.engine.ids import as_uuid

AN_ID = uuid.UUID("6f1c2a0e-3b4d-4e5f-8a9b-0c1d2e3f4a5b")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (AN_ID, AN_ID),
        (str(AN_ID), AN_ID),
        (str(AN_ID).upper(), AN_ID),
        (AN_ID.hex, AN_ID),
        ("", None),
        (None, None),
        ("ops-team", None),
        (str(AN_ID)[:-1], None),
        (7, None),
        ([str(AN_ID)], None),
    ],
)
def test_as_uuid_reads_a_uuid_or_its_text_and_nothing_else(raw: object, expected: object) -> None:
    assert as_uuid(raw) == expected
