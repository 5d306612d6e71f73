"""Where a webhook may be sent: only to addresses on the public internet, unless the operator
allows a network (WEBHOOK_ALLOWED_NETWORKS). Checked when an endpoint is saved (saying why)
and again at every delivery on the addresses the name resolves to then; the request goes to
the address that was checked, so a name that resolves elsewhere a moment later (DNS
rebinding) changes nothing. Without this an admin's endpoint could reach loopback services,
cloud metadata (169.254.169.254) or the private network, and the delivery log would show what
answered.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimedOut
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 forms that carry an IPv4 address a host may route to it: IPv4-compatible (::a.b.c.d,
# deprecated), NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48).
_EMBEDS_IPV4 = (
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)


class Refused(Exception):
    """The destination may not be sent to; the message says why."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as written in the URL (a name or an address)
    port: int
    address: IPAddress  # the checked address the request goes to


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value)


def allowed_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.WEBHOOK_ALLOWED_NETWORKS))


def parse_networks(values: list[str]) -> None:
    """Raises ValueError naming a value of WEBHOOK_ALLOWED_NETWORKS that is not a network."""
    for value in values:
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError as exc:
            raise ValueError(f"WEBHOOK_ALLOWED_NETWORKS: {value!r} is not a network") from exc


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _EMBEDS_IPV4) and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: IPAddress) -> str:
    """Why an address is not on the public internet, "" when it is."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "site-local"  # fec0::/10: deprecated, still routed inside some networks
    if address.is_private:
        return "private"
    if address.is_reserved or not address.is_global:
        return "reserved"
    return ""


def problem(address: IPAddress) -> str:
    """Why this address may not be sent to ("" when it may), with WEBHOOK_ALLOWED_NETWORKS."""
    candidates = [address]
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        candidates.append(embedded)
    networks = allowed_networks()
    for candidate in candidates:
        if any(candidate.version == n.version and candidate in n for n in networks):
            return ""
    for candidate in reversed(candidates):  # the IPv4 address an IPv6 form carries first
        kind = _kind(candidate)
        if kind:
            shown = str(address) if candidate == address else f"{address} ({candidate})"
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{shown} is {article} {kind} address"
    return ""


def _same_address(host: str, address: IPAddress) -> bool:
    try:
        return ipaddress.ip_address(host) == address
    except ValueError:
        return False


# The system resolver has no timeout of its own to pass: a name server that never answers
# would hold the job runner's thread (or an admin's save) for as long as resolv.conf allows,
# several times over. The lookup runs on a small pool of its own and is given up after
# WEBHOOK_TIMEOUT_SECONDS, like the request that would follow it.
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


def _look_up(
    host: str, port: int
) -> list[tuple[object, object, object, object, tuple[object, ...]]]:
    seconds = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    lookup = _LOOKUPS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return list(lookup.result(timeout=seconds))
    except LookupTimedOut:
        raise Refused(f"{host} could not be resolved within {seconds:g} s") from None
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"{host} cannot be resolved ({exc})") from None


def resolve(url: str) -> Destination:
    """The URL's host resolved and checked; Refused says why it may not be sent to. Every
    address the name has must be allowed (which one a connection would use is not ours to
    pick)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused(f"only http and https URLs can receive webhooks, not {scheme or 'none'!r}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # a port that is not a number, or out of range
        raise Refused(f"the URL's port is not valid ({exc})") from None
    if not host:
        raise Refused("the URL names no host")
    port = port or (443 if scheme == "https" else 80)
    found = _look_up(host, port)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Refused(f"{host} resolves to no address")
    for address in addresses:
        why = problem(address)
        if why:
            named = "" if _same_address(host, address) else f"{host} resolves to "
            raise Refused(
                f"{named}{why}; webhooks go only to public addresses unless "
                "WEBHOOK_ALLOWED_NETWORKS allows it"
            )
    return Destination(scheme, host, port, addresses[0])


def pinned_url(url: str, destination: Destination) -> str:
    """The URL with its host replaced by the checked address (the Host header and TLS name
    stay the original host's)."""
    parts = urlsplit(url)
    address = destination.address
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{destination.port}"
    if "@" in parts.netloc:  # keep user:password@ (httpx sends it as Basic auth)
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    return parts._replace(netloc=netloc).geturl()


def host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return host if parts.port is None else f"{host}:{parts.port}"
