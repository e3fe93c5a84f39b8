"""Standard Webhooks signing (https://www.standardwebhooks.com/).

A receiver verifies ``webhook-signature`` by computing HMAC-SHA256 over
``"{webhook-id}.{webhook-timestamp}.{body}"`` with the endpoint secret (the
base64 part of ``whsec_…``) and comparing it, in constant time, with each
space-separated ``v1,<base64>`` entry. Sending one signature per live secret
lets an endpoint rotate its secret without a window where deliveries fail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _random
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# The Standard Webhooks specification bounds secrets to 24..64 bytes.
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
SIGNATURE_VERSION = "v1"

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
# The product plan names this header; it carries exactly the Standard Webhooks value.
HEADER_PACETRACK_SIGNATURE = "X-PaceTrack-Signature"


class SigningError(ValueError):
    """The webhook could not be signed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__)


class InvalidSecretError(SigningError):
    """The webhook secret is not a whsec_ secret of 24 to 64 base64-encoded bytes."""


def generate_secret() -> str:
    """A new endpoint secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode("ascii")


def _secret_key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecretError("the webhook secret is not valid base64 after whsec_") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecretError(
            f"the webhook secret holds {len(key)} bytes; "
            f"{MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} are required"
        )
    return key


def _check_message(msg_id: str, timestamp: int) -> None:
    # The id travels in a header and is part of the signed text: keep it to visible ASCII.
    if not msg_id or not all("!" <= ch <= "~" for ch in msg_id):
        raise SigningError("the message id must be non-empty visible ASCII without spaces")
    if timestamp < 0:
        raise SigningError("the timestamp must be seconds since the epoch, not negative")


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "msg_id.timestamp.body">`` for one secret."""
    _check_message(msg_id, timestamp)
    signed = msg_id.encode("ascii") + b"." + str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(_secret_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_headers(
    *, secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The signing headers of one delivery: one signature per secret, newest first.

    ``msg_id`` must stay the same on every retry of a message: receivers use it
    to drop duplicates of an at-least-once delivery.
    """
    if isinstance(secrets, str):
        raise SigningError("pass a sequence of secrets, not a single string")
    live = list(dict.fromkeys(secrets))
    if not live:
        raise SigningError("at least one secret is needed to sign a webhook")
    signature = " ".join(
        sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in live
    )
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signature,
        HEADER_PACETRACK_SIGNATURE: signature,
    }


def secret_hint(secret: str) -> str:
    """What the API shows instead of the secret, e.g. ``whsec_…k9Qx``.

    Four base64 characters carry 24 bits of a 256-bit key: enough to tell
    secrets apart, far too little to help guess one.
    """
    tail = secret.removeprefix(SECRET_PREFIX).rstrip("=")[-4:]
    return f"{SECRET_PREFIX}…{tail}"
