"""Our signatures, checked by the reference Standard Webhooks library."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from pacetrack.adapters.webhook_signing import (
    InvalidSecretError,
    SigningError,
    generate_secret,
    secret_hint,
    sign,
    signature_headers,
)

BODY = b'{"type":"item.step_entered","data":{"candidate_id":"c-42","name":"J\xc3\xb6rg"}}'
MSG_ID = "msg_2b7a6f0c-5f2e-4a59-9d8e-1f1d7d0e6b21"


def _now() -> int:
    # standardwebhooks checks the timestamp against the wall clock.
    return int(time.time())


def test_generated_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = generate_secret(), generate_secret()

    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32
    assert first != second


def test_signature_verifies_with_the_standardwebhooks_library() -> None:
    secret = generate_secret()
    headers = signature_headers(secrets=[secret], msg_id=MSG_ID, timestamp=_now(), body=BODY)

    payload = Webhook(secret).verify(BODY, headers)

    assert payload["data"]["candidate_id"] == "c-42"


def test_sign_matches_the_reference_signature_byte_for_byte() -> None:
    secret = generate_secret()
    timestamp = _now()
    reference = Webhook(secret).sign(
        msg_id=MSG_ID,
        timestamp=datetime.fromtimestamp(timestamp, tz=UTC),
        data=BODY.decode("utf-8"),
    )

    assert sign(secret=secret, msg_id=MSG_ID, timestamp=timestamp, body=BODY) == reference


def test_headers_carry_id_timestamp_and_the_same_signature_twice() -> None:
    secret = generate_secret()
    headers = signature_headers(secrets=[secret], msg_id=MSG_ID, timestamp=1_700_000_000, body=BODY)

    assert headers["webhook-id"] == MSG_ID
    assert headers["webhook-timestamp"] == "1700000000"
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["X-PaceTrack-Signature"] == headers["webhook-signature"]
    assert set(headers) == {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "X-PaceTrack-Signature",
    }


def test_tampered_body_fails_verification() -> None:
    secret = generate_secret()
    headers = signature_headers(secrets=[secret], msg_id=MSG_ID, timestamp=_now(), body=BODY)

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"c-42", b"c-43"), headers)


def test_tampered_id_fails_verification() -> None:
    secret = generate_secret()
    headers = signature_headers(secrets=[secret], msg_id=MSG_ID, timestamp=_now(), body=BODY)
    headers["webhook-id"] = "msg_replayed"

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)


def test_stale_timestamp_fails_verification() -> None:
    secret = generate_secret()
    ten_minutes_ago = _now() - 600
    headers = signature_headers(
        secrets=[secret], msg_id=MSG_ID, timestamp=ten_minutes_ago, body=BODY
    )

    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


def test_wrong_secret_fails_verification() -> None:
    headers = signature_headers(
        secrets=[generate_secret()], msg_id=MSG_ID, timestamp=_now(), body=BODY
    )

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(generate_secret()).verify(BODY, headers)


def test_rotation_sends_two_signatures_and_either_secret_verifies() -> None:
    old, new = generate_secret(), generate_secret()
    headers = signature_headers(secrets=[new, old], msg_id=MSG_ID, timestamp=_now(), body=BODY)

    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(BODY, headers)


def test_same_secret_twice_is_signed_once() -> None:
    secret = generate_secret()
    headers = signature_headers(secrets=[secret, secret], msg_id=MSG_ID, timestamp=1, body=BODY)

    assert len(headers["webhook-signature"].split(" ")) == 1


@pytest.mark.parametrize(
    "secret",
    [
        "whsec_not*base64",
        "whsec_" + base64.b64encode(b"x" * 16).decode(),
        "whsec_" + base64.b64encode(b"x" * 65).decode(),
        "whsec_",
    ],
    ids=["not-base64", "16-bytes", "65-bytes", "empty"],
)
def test_invalid_secrets_are_refused(secret: str) -> None:
    with pytest.raises(InvalidSecretError):
        sign(secret=secret, msg_id=MSG_ID, timestamp=1, body=BODY)


@pytest.mark.parametrize("msg_id", ["", "has space", "line\nbreak", "ünicode"])
def test_message_ids_that_cannot_travel_in_a_header_are_refused(msg_id: str) -> None:
    with pytest.raises(SigningError):
        sign(secret=generate_secret(), msg_id=msg_id, timestamp=1, body=BODY)


def test_no_secret_is_refused() -> None:
    with pytest.raises(SigningError):
        signature_headers(secrets=[], msg_id=MSG_ID, timestamp=1, body=BODY)


def test_secret_hint_shows_prefix_and_last_four_characters_only() -> None:
    secret = "whsec_" + base64.b64encode(bytes(range(32))).decode()  # ...GBkaGxwdHh8=

    assert secret_hint(secret) == "whsec_…dHh8"
