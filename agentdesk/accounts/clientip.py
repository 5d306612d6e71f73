"""The client's address, read correctly behind a known number of trusted proxies.

Each proxy appends the address it received the connection from to `X-Forwarded-For`, so with
N trusted proxies in front the client is the N-th entry from the right; everything left of it
was written by the client and may be forged. With `TRUSTED_PROXY_COUNT = 0` (the default) the
header is never read. Hand-written because the rule is this one line and must not fall back to
the left-most (forgeable) entry, which is what generic helpers default to.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    direct = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return direct
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request did not come the configured way, so no entry
        # can be trusted; the connecting address is the one fact.
        return direct
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return direct
