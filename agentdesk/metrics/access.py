"""Who may read `/metrics`: clients inside METRICS_ALLOWED_NETWORKS, and nobody else."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> list[Network]:
    """Networks from settings text ("127.0.0.1", "10.0.0.0/8", "::1").

    A ValueError names the entry that is not an address or network."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"METRICS_ALLOWED_NETWORKS: {value!r} is not a network") from exc
    return networks


def _inside(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def may_scrape(remote_addr: str, forwarded_for: str, networks: list[Network]) -> bool:
    """True when the peer is inside an allowed network and so is every address a proxy says
    it forwarded for. A load balancer on the same host connects from 127.0.0.1; without the
    second check it would pass every outside request to /metrics as a local one."""
    if not _inside(remote_addr, networks):
        return False
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    return all(_inside(hop, networks) for hop in hops)
