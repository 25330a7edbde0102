"""Signing webhook bodies, and checking a signature as a receiver would.

Pure functions, no Django: a receiver can copy this file. The signature is
HMAC-SHA256, keyed with the subscription's secret, over "<timestamp>.<body>", where
the timestamp is whole seconds since the epoch (UTC) sent in `X-LFR-Timestamp` and
the body is the exact bytes POSTed. It is sent as `X-LFR-Signature: v1=<hex>`. A
receiver refuses a timestamp further than the tolerance from its own clock, so a
captured delivery cannot be replayed later.
"""

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-LFR-Timestamp"
SIGNATURE_HEADER = "X-LFR-Signature"
EVENT_HEADER = "X-LFR-Event"
DELIVERY_HEADER = "X-LFR-Delivery"
SCHEME = "v1"


class SignatureInvalid(Exception):
    """The signature does not match, is malformed, or the timestamp is out of tolerance."""


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp`: "v1=<hex>"."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def signed_headers(
    *, secret: str, body: bytes, event: str, delivery: str, timestamp: int | None = None
) -> dict[str, str]:
    """Every header a delivery carries besides the content type."""
    when = int(time.time()) if timestamp is None else int(timestamp)
    return {
        TIMESTAMP_HEADER: str(when),
        SIGNATURE_HEADER: signature(secret=secret, timestamp=when, body=body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery,
    }


def verify(
    *,
    secret: str,
    body: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    tolerance_seconds: int,
    now: float | None = None,
) -> None:
    """Raise SignatureInvalid unless the signature matches and the timestamp is recent."""
    if not timestamp_header or not signature_header:
        raise SignatureInvalid("missing timestamp or signature header")
    try:
        timestamp = int(timestamp_header)
    except ValueError as exc:
        raise SignatureInvalid("timestamp is not a whole number of seconds") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise SignatureInvalid("timestamp outside the tolerance (a replay, or a wrong clock)")
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    offered = [part.strip() for part in signature_header.split(",")]
    if not any(hmac.compare_digest(expected, part) for part in offered):
        raise SignatureInvalid("signature does not match")
