"""The webhook signing scheme, pure so senders and tests can reproduce it exactly.

A sender computes ``HMAC-SHA256(secret, f"{timestamp}.".encode() + raw_body)``
over the exact bytes it sends, hex-encodes it, and sends::

    X-Inside-Flow-Timestamp: <Unix seconds>
    X-Inside-Flow-Signature: sha256=<hex digest>
    X-Inside-Flow-Delivery:  <optional id, the same on every retry of one delivery>

Signing the timestamp with the body lets the receiver reject a captured request
replayed outside the tolerance window; retries inside it are deduplicated by
the delivery id.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from chalicelib.triggers.errors import SignatureExpired, SignatureInvalid, SignatureMissing

__all__ = ["TIMESTAMP_HEADER", "SIGNATURE_HEADER", "DELIVERY_HEADER", "signed_payload", "sign", "verify"]

TIMESTAMP_HEADER = "x-inside-flow-timestamp"
SIGNATURE_HEADER = "x-inside-flow-signature"
DELIVERY_HEADER = "x-inside-flow-delivery"
_PREFIX = "sha256="


def signed_payload(timestamp: int | str, raw_body: bytes) -> bytes:
    return f"{timestamp}.".encode() + raw_body


def sign(secret: str, timestamp: int | str, raw_body: bytes) -> str:
    """The ``X-Inside-Flow-Signature`` header value for this body and timestamp."""
    digest = hmac.new(secret.encode(), signed_payload(timestamp, raw_body), hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify(secret: str, timestamp: str | None, signature: str | None, raw_body: bytes, now: datetime,
           tolerance_seconds: int) -> int:
    """Return the signed timestamp, or raise a 401 error saying what was wrong (never which byte)."""
    if not timestamp or not signature:
        raise SignatureMissing(f"send {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers")
    if not timestamp.isdigit():
        raise SignatureInvalid(f"{TIMESTAMP_HEADER} must be Unix seconds")
    expected = sign(secret, timestamp, raw_body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match the body")
    # Checked after the HMAC so an unsigned caller learns nothing about the window.
    if abs(now.timestamp() - int(timestamp)) > tolerance_seconds:
        raise SignatureExpired(f"{TIMESTAMP_HEADER} is more than {tolerance_seconds}s from the receiver's clock")
    return int(timestamp)
