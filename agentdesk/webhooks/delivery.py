"""One HTTP attempt at delivering a webhook, and when to try again."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from . import destinations, signing

USER_AGENT = "agentdesk-webhooks/1"
LONGEST_WAIT_SECONDS = 6 * 3600


@dataclass(frozen=True)
class AttemptOutcome:
    ok: bool
    status_code: int | None
    error: str
    duration_ms: float
    response_excerpt: str
    refused: bool = False  # not sent: the destination is not allowed (destinations.py)


def post(
    url: str,
    secret: str,
    body: str,
    *,
    event_type: str,
    event_id: str,
    timeout: float,
    now: float | None = None,
) -> AttemptOutcome:
    """POST `body` signed with `secret`; any 2xx answer is a delivery. Redirects are not
    followed (a 3xx counts as a failure), so a signed event never goes where it was not sent.
    A destination that resolves to an address webhooks may not reach is refused before any
    connection is made (destinations.py)."""
    raw = body.encode()
    timestamp = int(time.time() if now is None else now)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Agentdesk-Event": event_type,
        "Agentdesk-Delivery": event_id,
        signing.HEADER: signing.header_value(secret, timestamp, raw),
    }
    started = time.perf_counter()
    try:
        destination = destinations.resolve(url)
    except destinations.Refused as refused:
        return AttemptOutcome(False, None, f"refused, not sent: {refused}", _ms(started), "", True)
    headers["Host"] = destinations.host_header(url)
    # TLS checks the certificate against the URL's host, though the connection goes to the
    # address checked above.
    extensions = {"sni_hostname": destination.host} if destination.scheme == "https" else {}
    try:
        with httpx.Client(timeout=timeout) as client:
            response = client.post(
                destinations.pinned_url(url, destination),
                content=raw,
                headers=headers,
                extensions=extensions,
            )
    except httpx.TimeoutException:
        return AttemptOutcome(False, None, f"no answer within {timeout:g} s", _ms(started), "")
    except httpx.HTTPError as exc:
        return AttemptOutcome(False, None, f"{type(exc).__name__}: {exc}"[:500], _ms(started), "")
    ok = 200 <= response.status_code < 300
    return AttemptOutcome(
        ok,
        response.status_code,
        "" if ok else f"answered HTTP {response.status_code}",
        _ms(started),
        response.text[:300],
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def retry_delay(attempts_made: int, first_delay: float) -> float:
    """Seconds to wait after the `attempts_made`-th failure: `first_delay`, then four times
    longer each time (30 s, 2 min, 8 min, 32 min, …), at most six hours."""
    return min(first_delay * 4 ** (attempts_made - 1), LONGEST_WAIT_SECONDS)
