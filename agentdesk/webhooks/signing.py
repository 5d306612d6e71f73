"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>" with the endpoint's secret.

Sent as `Agentdesk-Signature: t=<unix seconds>,v1=<hex digest>`. The timestamp is inside
the signed text, so a captured request cannot be replayed later with a fresh timestamp; a
receiver refuses timestamps older than a few minutes (docs/webhooks.md has the recipe).
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Agentdesk-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


class BadSignature(ValueError):
    """The request is not from agentdesk (or is too old to trust); the message says why."""


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """Check a received webhook; returns its timestamp or raises BadSignature.

    This is what a receiver does (in any language): parse t and v1 from the header, refuse an
    old t, recompute the digest over the raw body and compare in constant time."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
        digest = parts["v1"]
    except (KeyError, ValueError):
        raise BadSignature(f"{HEADER} must look like t=<seconds>,v1=<hex>") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise BadSignature(f"timestamp {timestamp} is more than {tolerance} s away from now")
    if not hmac.compare_digest(signature(secret, timestamp, body), digest):
        raise BadSignature("the signature does not match the body")
    return timestamp
