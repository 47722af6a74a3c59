"""Given two or more configurations, find the tunnels they configure between each other.

A *side* is an interface with an address and a crypto map. Two sides are *linked* by a static
crypto map entry of one that points at the other (``set peer``), matched with the other's
static entry that points back, or with its dynamic entry (then only the static side can
initiate). When no entry of either points at the other at all, entries whose crypto ACLs
overlap are linked, so a mistyped ``set peer`` is still reported as such.

Public API: ``Side``, ``Link``, ``sides(result)``, ``find_links(a, b, by_acl=False)``,
``predict_all(results) -> (predictions, findings)``. The checks of one link are in
``tunnel_checks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from itertools import combinations

from vpnrouter.config.lint.findings import Finding, Severity, TunnelPrediction, display_name
from vpnrouter.config.lint.proxy import proxies
from vpnrouter.config.lint.tunnel_checks import predict
from vpnrouter.config.model import CryptoMap, CryptoMapEntry, Interface, RunningConfig
from vpnrouter.config.parser import ParseResult


@dataclass(frozen=True)
class Side:
    result: ParseResult
    interface: Interface
    address: IPv4Address
    cmap: CryptoMap

    @property
    def config(self) -> RunningConfig:
        return self.result.config

    @property
    def file(self) -> str:
        return display_name(self.result)

    @property
    def host(self) -> str:
        return self.config.hostname

    def label(self, entry: CryptoMapEntry | None = None) -> str:
        text = f"{self.host} ({self.interface.name} {self.address}, crypto map {self.cmap.name}"
        return text + (f" {entry.seq})" if entry is not None else ")")

    def addresses(self) -> dict[IPv4Address, str]:
        """Every interface address of this router, with the interface name."""
        found: dict[IPv4Address, str] = {}
        for interface in self.config.interfaces:
            for address in (interface.address, *interface.secondary):
                if address is not None:
                    found[address.ip] = interface.name
        return found


@dataclass(frozen=True)
class Link:
    """``a`` initiates with static ``entry_a``; ``b`` answers with ``entry_b`` (a static entry,
    or the dynamic-map entry when ``b_dynamic``; None when ``b`` has nothing to answer with)."""

    a: Side
    entry_a: CryptoMapEntry
    b: Side
    entry_b: CryptoMapEntry | None
    b_dynamic: bool = False


def sides(result: ParseResult) -> list[Side]:
    found: list[Side] = []
    for interface in result.config.crypto_interfaces():
        cmap = result.config.crypto_map(interface.crypto_map or "")
        if interface.address is not None and cmap is not None and not interface.shutdown:
            found.append(Side(result, interface, interface.address.ip, cmap))
    return found


def _aim(entry: CryptoMapEntry, other: Side) -> int:
    if other.address in entry.peers:
        return 2
    addresses = other.addresses()
    return 1 if any(peer in addresses for peer in entry.peers) else 0


def _acl_overlap(a: Side, entry_a: CryptoMapEntry, b: Side, entry_b: CryptoMapEntry) -> bool:
    acl_a = a.config.acl(entry_a.match_address or "")
    acl_b = b.config.acl(entry_b.match_address or "")
    if acl_a is None or acl_b is None:
        return False
    return any(p.mirror().overlaps(q) for p in proxies(acl_a) for q in proxies(acl_b))


def find_links(
    a: Side, b: Side, by_acl: bool = False, elsewhere: frozenset[IPv4Address] = frozenset()
) -> list[Link]:
    """The links between two sides. ``elsewhere``: crypto interface addresses of the other
    routers given; an entry that points at one of them is not paired with a stranger."""
    scored: list[tuple[int, int, int, CryptoMapEntry, CryptoMapEntry]] = []
    for entry_a in a.cmap.static_entries:
        for entry_b in b.cmap.static_entries:
            aim_a, aim_b = _aim(entry_a, b), _aim(entry_b, a)
            if (not aim_a and set(entry_a.peers) & elsewhere) or (
                not aim_b and set(entry_b.peers) & elsewhere
            ):
                continue
            score = aim_a + aim_b
            if score == 0 and by_acl and _acl_overlap(a, entry_a, b, entry_b):
                score = 1
            if score:
                scored.append((-score, entry_a.seq, entry_b.seq, entry_a, entry_b))
    scored.sort(key=lambda item: item[:3])
    used_a: set[int] = set()
    used_b: set[int] = set()
    links: list[Link] = []
    for _, seq_a, seq_b, entry_a, entry_b in scored:
        if seq_a not in used_a and seq_b not in used_b:
            used_a.add(seq_a)
            used_b.add(seq_b)
            links.append(Link(a, entry_a, b, entry_b))
    links.extend(_dynamic_links(a, b, used_a))
    links.extend(_dynamic_links(b, a, used_b))
    return links


def _dynamic_links(a: Side, b: Side, used: set[int]) -> list[Link]:
    links: list[Link] = []
    for entry in a.cmap.static_entries:
        if entry.seq not in used and _aim(entry, b):
            links.append(Link(a, entry, b, _dynamic_entry(b), b_dynamic=True))
    return links


def _dynamic_entry(side: Side) -> CryptoMapEntry | None:
    for entry in side.cmap.dynamic_entries:
        dynamic_map = side.config.dynamic_map(entry.dynamic_map or "")
        if dynamic_map is not None and dynamic_map.entries:
            return dynamic_map.entries[0]
    return None


def predict_all(
    results: list[ParseResult],
) -> tuple[list[TunnelPrediction], list[Finding]]:
    predictions: list[TunnelPrediction] = []
    linked = [False] * len(results)
    for i, j in combinations(range(len(results)), 2):
        third = [r for k, r in enumerate(results) if k not in (i, j)]
        elsewhere = frozenset(s.address for r in third for s in sides(r))
        links = _links_between(results[i], results[j], elsewhere)
        predictions.extend(predict(link) for link in links)
        if links:
            linked[i] = linked[j] = True
    findings = _unanswered(results)
    if len(results) >= 2:
        for result, has_link in zip(results, linked, strict=True):
            named = any(f.file == display_name(result) for f in findings)
            if not has_link and not named and _has_static_entries(result) and sides(result):
                findings.append(_no_tunnel(result))
    return predictions, findings


def _unanswered(results: list[ParseResult]) -> list[Finding]:
    """Static entries whose peer is an interface of another router without a crypto map."""
    findings: list[Finding] = []
    for result in results:
        for side in sides(result):
            for entry in side.cmap.static_entries:
                for peer in entry.peers:
                    findings.extend(_unanswered_peer(side, entry, peer, results))
    return findings


def _unanswered_peer(
    side: Side, entry: CryptoMapEntry, peer: IPv4Address, results: list[ParseResult]
) -> list[Finding]:
    for other in results:
        if other is side.result:
            continue
        interface = next(
            (i for i in other.config.interfaces if i.address and i.address.ip == peer), None
        )
        if interface is None or sides(other):
            continue  # with a crypto map elsewhere, the link check names the right address
        state = "is shut down" if interface.shutdown else "has no crypto map"
        return [
            Finding(
                Severity.ERROR,
                "tunnel-no-crypto-map",
                side.file,
                entry.line,
                f"{side.label(entry)} sets peer {peer}, which is {other.config.hostname}'s "
                f"{interface.name}, but that interface {state}: {other.config.hostname} does "
                "not answer IKE there and the tunnel does not come up.",
            )
        ]
    return []


def _links_between(
    first: ParseResult, second: ParseResult, elsewhere: frozenset[IPv4Address]
) -> list[Link]:
    pairs = [(a, b) for a in sides(first) for b in sides(second)]
    links = [link for a, b in pairs for link in find_links(a, b, False, elsewhere)]
    if not links:
        links = [link for a, b in pairs for link in find_links(a, b, True, elsewhere)]
    return links


def _has_static_entries(result: ParseResult) -> bool:
    return any(m.static_entries for m in result.config.crypto_maps)


def _no_tunnel(result: ParseResult) -> Finding:
    config = result.config
    entry = next(e for m in config.crypto_maps for e in m.static_entries)
    return Finding(
        Severity.WARNING,
        "tunnel-none",
        display_name(result),
        entry.line,
        f"No crypto map entry of {config.hostname} points at an address of the other "
        "configurations given, and none of theirs points at it: no tunnel to predict. Check "
        "the set peer addresses and that each crypto map is applied to an interface.",
    )
