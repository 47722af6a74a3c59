"""Proxy identities: what a crypto ACL entry proposes in quick mode, and how two peers' compare.

Each ``permit`` line of a crypto map's ACL becomes one pair of proxy identities (RFC 2409 5.5:
IDci/IDcr): local network, remote network, protocol and ports. A responder accepts the
initiator's proposal when its mirror image lies inside one of its own permit lines; so two
peers work in both directions only when their ACLs mirror each other exactly.

Public API: ``Proxy``, ``proxies(acl)``, ``Proxy.mirror()``, ``Proxy.contains(other)``,
``Proxy.overlaps(other)``, ``Proxy.describe()``, ``Proxy.acl_text()``, ``compare(acl_a,
acl_b) -> list[Mismatch]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from vpnrouter.config.model import AccessList, AclEntry, AddressMatch, PortMatch
from vpnrouter.config.render_parts import acl_entry_text

ANY = IPv4Network("0.0.0.0/0")
Ports = tuple[int, int] | None


@dataclass(frozen=True)
class Proxy:
    local: IPv4Network
    remote: IPv4Network
    protocol: int = 0
    local_ports: Ports = None
    remote_ports: Ports = None
    entry: AclEntry | None = None

    def key(self) -> tuple[object, ...]:
        return (self.local, self.remote, self.protocol, self.local_ports, self.remote_ports)

    def mirror(self) -> Proxy:
        return Proxy(self.remote, self.local, self.protocol, self.remote_ports, self.local_ports)

    def contains(self, other: Proxy) -> bool:
        return (
            other.local.subnet_of(self.local)
            and other.remote.subnet_of(self.remote)
            and self.protocol in (0, other.protocol)
            and _ports_contain(self.local_ports, other.local_ports)
            and _ports_contain(self.remote_ports, other.remote_ports)
        )

    def overlaps(self, other: Proxy) -> bool:
        return (
            self.local.overlaps(other.local)
            and self.remote.overlaps(other.remote)
            and (0 in (self.protocol, other.protocol) or self.protocol == other.protocol)
        )

    def describe(self) -> str:
        proto = "" if self.protocol == 0 else f" (protocol {self.protocol})"
        return f"{self.local} -> {self.remote}{proto}"

    def acl_text(self) -> str:
        """This proxy as an extended ACL permit line."""
        entry = AclEntry(
            "permit",
            self.protocol,
            AddressMatch.of_network(self.local),
            AddressMatch.of_network(self.remote),
            _port_match(self.local_ports),
            _port_match(self.remote_ports),
        )
        return acl_entry_text(entry, standard=False)


def _ports_contain(outer: Ports, inner: Ports) -> bool:
    if outer is None:
        return True
    if inner is None:
        return outer == (0, 65535)
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _port_match(ports: Ports) -> PortMatch | None:
    if ports is None:
        return None
    if ports[0] == ports[1]:
        return PortMatch("eq", (ports[0],))
    return PortMatch("range", ports)


def _network(match: AddressMatch | None) -> IPv4Network | None:
    return ANY if match is None else match.network


def _bounds(match: PortMatch | None) -> tuple[bool, Ports]:
    if match is None:
        return (True, None)
    bounds = match.bounds()
    return (bounds is not None, bounds)


def proxy_of(entry: AclEntry) -> Proxy | None:
    """The proxy identities of a permit line; None when IKE cannot express it (a
    non-contiguous wildcard, ``neq`` ports)."""
    local, remote = _network(entry.source), _network(entry.destination)
    ok_local, local_ports = _bounds(entry.source_port)
    ok_remote, remote_ports = _bounds(entry.destination_port)
    if local is None or remote is None or not (ok_local and ok_remote):
        return None
    return Proxy(local, remote, entry.protocol, local_ports, remote_ports, entry)


def proxies(acl: AccessList) -> list[Proxy]:
    found: list[Proxy] = []
    for entry in acl.permits:
        proxy = proxy_of(entry)
        if proxy is not None:
            found.append(proxy)
    return found


@dataclass(frozen=True)
class Mismatch:
    """A permit line of ``side`` (0 = first ACL, 1 = second) the other side does not mirror.

    ``relation``: ``"none"`` (no mirror at all), ``"narrower"`` (the other side's line is
    narrower: it rejects this side's proposal, only the other side can initiate), ``"wider"``
    (the other side's line is wider: only this side can initiate), ``"partial"``.
    """

    side: int
    proxy: Proxy
    relation: str
    other: Proxy | None


def compare(acl_a: AccessList, acl_b: AccessList) -> list[Mismatch]:
    sides = (proxies(acl_a), proxies(acl_b))
    mismatches: list[Mismatch] = []
    for side in (0, 1):
        others = sides[1 - side]
        other_keys = {o.key() for o in others}
        for proxy in sides[side]:
            mirror = proxy.mirror()
            if mirror.key() in other_keys:
                continue
            mismatches.append(_relation(side, proxy, mirror, others))
    return mismatches


def _relation(side: int, proxy: Proxy, mirror: Proxy, others: list[Proxy]) -> Mismatch:
    for other in others:
        if other.contains(mirror):
            return Mismatch(side, proxy, "wider", other)
    for other in others:
        if mirror.contains(other):
            return Mismatch(side, proxy, "narrower", other)
    for other in others:
        if other.overlaps(mirror):
            return Mismatch(side, proxy, "partial", other)
    return Mismatch(side, proxy, "none", None)
