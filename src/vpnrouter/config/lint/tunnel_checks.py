"""Will one tunnel come up? The checks an engineer does by hand, in the order IKE meets them.

1. ``set peer`` points at the other side's crypto-map interface address.
2. Phase 1: the responder accepts one of the initiator's ISAKMP policies (encryption, hash,
   authentication and DH group equal; the proposed lifetime at most the responder's).
3. Each side has an ISAKMP key covering the other's address, the keys are equal, and a crypto
   map with XAuth does not challenge the LAN-to-LAN peer (``no-xauth``).
4. Phase 2: a transform set in common, compatible PFS, mirrored crypto ACLs.
5. The seed's rule: no dynamic entry ahead of the static entry used.

Public API: ``predict(link) -> TunnelPrediction``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vpnrouter.config import names
from vpnrouter.config.lint.findings import Finding, Severity, TunnelPrediction
from vpnrouter.config.lint.proxy import Mismatch, compare, proxies
from vpnrouter.config.lint.single import dynamic_order_message, xauth_message
from vpnrouter.config.model import CryptoMapEntry, IsakmpPolicy, RunningConfig, TransformSet

if TYPE_CHECKING:
    from vpnrouter.config.lint.tunnels import Link, Side

DEFAULT_POLICY = IsakmpPolicy(65536)  # IOS's "Default protection suite"


def predict(link: Link) -> TunnelPrediction:
    check = _Check(link)
    return check.run()


class _Check:
    def __init__(self, link: Link) -> None:
        self.link = link
        self.a, self.b = link.a, link.b
        self.reasons: list[Finding] = []
        self.notes: list[str] = []

    def error(self, code: str, side: Side, line: int, message: str) -> None:
        self.reasons.append(Finding(Severity.ERROR, code, side.file, line, message))

    def run(self) -> TunnelPrediction:
        link = self.link
        left = self.a.label(link.entry_a)
        right = self.b.label(link.entry_b if not link.b_dynamic else None)
        if link.entry_b is None:
            self.error(
                "tunnel-no-entry",
                self.b,
                self.b.cmap.line,
                f"{self.a.label(link.entry_a)} sets peer {self.b.address}, but crypto "
                f"map {self.b.cmap.name} of {self.b.host} has no entry for peer "
                f"{self.a.address} and no dynamic entry: {self.b.host} rejects the "
                "tunnel.",
            )
            return TunnelPrediction(left, right, False, "does not come up", tuple(self.reasons))
        entry_b = link.entry_b
        self.peers()
        phase1 = self.phase1()
        self.keys(phase1)
        self.xauth()
        transform = self.transform_sets(entry_b)
        self.pfs(entry_b)
        traffic = self.proxy_ids(entry_b)
        self.order()
        comes_up = not self.reasons
        summary = _summary(comes_up, phase1, transform, traffic, self.notes)
        return TunnelPrediction(left, right, comes_up, summary, tuple(self.reasons))

    # -- 1. peer addresses ----------------------------------------------------------------
    def peers(self) -> None:
        self._peer(self.a, self.link.entry_a, self.b)
        entry_b = self.link.entry_b
        if entry_b is not None and not self.link.b_dynamic:
            self._peer(self.b, entry_b, self.a)

    def _peer(self, side: Side, entry: CryptoMapEntry, other: Side) -> None:
        if other.address in entry.peers:
            return
        addresses = other.addresses()
        hits = [p for p in entry.peers if p in addresses]
        where = f"{other.host}'s crypto map interface {other.interface.name} ({other.address})"
        if hits:
            message = (
                f"{side.label(entry)} sets peer {hits[0]}, which is {other.host}'s "
                f"{addresses[hits[0]]}; IKE runs between the crypto map interfaces, so "
                f"the peer must be {where}."
            )
        else:
            peers = ", ".join(str(p) for p in entry.peers) or "no peer"
            message = (
                f"{side.label(entry)} sets peer {peers}, but {where} is the other end: "
                "the tunnel is never negotiated with the right address."
            )
        self.error("tunnel-peer", side, entry.line, message)

    # -- 2. phase 1 -------------------------------------------------------------------------
    def phase1(self) -> tuple[IsakmpPolicy, IsakmpPolicy] | None:
        a, b = self.a.config, self.b.config
        forward = _phase1(a, b)
        backward = None if self.link.b_dynamic else _phase1(b, a)
        if forward is None and backward is None:
            self.error(
                "tunnel-isakmp-policy",
                self.a,
                self.link.entry_a.line,
                f"No ISAKMP policy matches: {self.a.host} offers "
                f"{_policies_text(a)}; {self.b.host} has {_policies_text(b)}. "
                "Encryption, hash, authentication and DH group must all be "
                "equal.",
            )
            return None
        if forward is None or (backward is None and not self.link.b_dynamic):
            self._one_way_phase1(forward is not None)
        return forward or backward

    def _one_way_phase1(self, forward_ok: bool) -> None:
        works, fails = (self.a, self.b) if forward_ok else (self.b, self.a)
        offered = _phase1_lifetime(fails.config, works.config)
        self.error(
            "tunnel-isakmp-policy",
            works,
            self._line(works),
            f"Phase 1 succeeds only when {works.host} initiates: the matching ISAKMP policy "
            f"lasts {offered[0]} s on {fails.host} but only {offered[1]} s on {works.host}, "
            "and IOS accepts a proposed lifetime only up to its own. Make the lifetimes equal.",
        )

    # -- 3. keys and XAuth ----------------------------------------------------------------
    def keys(self, phase1: tuple[IsakmpPolicy, IsakmpPolicy] | None) -> None:
        if phase1 is not None and phase1[1].authentication != names.AUTH_PSK:
            self.notes.append("RSA signatures: certificates are not checked")
            return
        if phase1 is None and not (_uses_psk(self.a.config) and _uses_psk(self.b.config)):
            return
        key_a = self.a.config.isakmp_key_for(self.b.address)
        key_b = self.b.config.isakmp_key_for(self.a.address)
        for side, key, other in ((self.a, key_a, self.b), (self.b, key_b, self.a)):
            if key is None:
                self.error(
                    "tunnel-psk",
                    side,
                    self._line(side),
                    f"{side.host} has no ISAKMP key covering {other.address} "
                    f"({other.host}){_keys_text(side.config)}: add crypto isakmp key KEY "
                    f"address {other.address}.",
                )
        if key_a is not None and key_b is not None and key_a.key != key_b.key:
            self.error(
                "tunnel-psk",
                self.a,
                key_a.line,
                f"The pre-shared keys differ: {self.a.host}'s key for {self.b.address} "
                f"is not {self.b.host}'s key for {self.a.address}. Main mode fails "
                "after the key exchange (MM_KEY_EXCH).",
            )

    def _line(self, side: Side) -> int:
        if side is self.a:
            return self.link.entry_a.line
        return self.link.entry_b.line if self.link.entry_b is not None else side.cmap.line

    def xauth(self) -> None:
        for side, other in ((self.a, self.b), (self.b, self.a)):
            if side.cmap.client_authentication_list is None:
                continue
            key = side.config.isakmp_key_for(other.address)
            if key is not None and not key.no_xauth:
                message = xauth_message(side.config, side.cmap, str(other.address))
                self.error("xauth-l2l", side, key.line, message)

    # -- 4. phase 2 -------------------------------------------------------------------------
    def transform_sets(self, entry_b: CryptoMapEntry) -> TransformSet | None:
        sets_a = _transform_sets(self.a.config, self.link.entry_a)
        sets_b = _transform_sets(self.b.config, entry_b)
        for tset in sets_a:
            if any(tset.proposal == other.proposal for other in sets_b):
                return tset
        self.error(
            "tunnel-transform-set",
            self.a,
            self.link.entry_a.line,
            f"No transform set in common: {self.a.host} offers "
            f"{_sets_text(sets_a)}; {self.b.host} accepts {_sets_text(sets_b)}. "
            "Quick mode fails (transform proposal not supported).",
        )
        return None

    def pfs(self, entry_b: CryptoMapEntry) -> None:
        group_a, group_b = self.link.entry_a.pfs_group, entry_b.pfs_group
        if group_a == group_b or (group_b is None and self.link.b_dynamic):
            return
        if group_a is not None and group_b is not None:
            self.error(
                "tunnel-pfs",
                self.a,
                self.link.entry_a.line,
                f"PFS groups differ: {self.a.host} sets pfs group{group_a} and {self.b.host} "
                f"pfs group{group_b}, so quick mode fails both ways. Use the same group.",
            )
            return
        wants, other = (self.a, self.b) if group_a is not None else (self.b, self.a)
        group = group_a if group_a is not None else group_b
        outcome = (
            f"the tunnel comes up only when {wants.host} initiates"
            if not self.link.b_dynamic
            else f"{other.host} is the only side that initiates here, so it does not come up"
        )
        self.error(
            "tunnel-pfs",
            wants,
            self._line(wants),
            f"{wants.host} requires PFS (set pfs group{group}) and {other.host} does not offer "
            f"it: {wants.host} rejects {other.host}'s quick mode, and {outcome}. Configure the "
            "same set pfs on both entries.",
        )

    def proxy_ids(self, entry_b: CryptoMapEntry) -> list[str]:
        acl_a = self.a.config.acl(self.link.entry_a.match_address or "")
        acl_b = self.b.config.acl(entry_b.match_address or "")
        if acl_a is None:
            self.error(
                "tunnel-proxy-ids",
                self.a,
                self.link.entry_a.line,
                f"{self.a.label(self.link.entry_a)} has no access list to say what "
                "traffic to protect.",
            )
            return []
        traffic = [f"{p.local} <-> {p.remote}" for p in proxies(acl_a)]
        if acl_b is None:
            if not self.link.b_dynamic:
                self.error(
                    "tunnel-proxy-ids",
                    self.b,
                    entry_b.line,
                    f"{self.b.label(entry_b)} has no access list to say what traffic to protect.",
                )
            return traffic
        for mismatch in compare(acl_a, acl_b):
            self._mismatch(mismatch, acl_names=(acl_a.name, acl_b.name))
        return traffic

    def _mismatch(self, mismatch: Mismatch, acl_names: tuple[str, str]) -> None:
        side, other = (self.a, self.b) if mismatch.side == 0 else (self.b, self.a)
        if self.link.b_dynamic and (mismatch.side == 1 or mismatch.relation == "wider"):
            return  # a dynamic responder only checks what the initiator proposes
        if mismatch.relation in ("narrower",) or (
            mismatch.relation == "partial" and mismatch.side == 1
        ):
            return  # the same pair of lines is reported from the other side
        own = f"{side.host} access-list {acl_names[mismatch.side]} "
        own += f"(permit {mismatch.proxy.describe()})"
        wanted = f"access-list {acl_names[1 - mismatch.side]} {mismatch.proxy.mirror().acl_text()}"
        line = mismatch.proxy.entry.line if mismatch.proxy.entry else 0
        self.error("tunnel-proxy-ids", side, line, _mismatch_text(mismatch, own, other, wanted))

    # -- 5. entry order -------------------------------------------------------------------
    def order(self) -> None:
        pairs = [(self.a, self.link.entry_a)]
        if self.link.entry_b is not None and not self.link.b_dynamic:
            pairs.append((self.b, self.link.entry_b))
        for side, entry in pairs:
            for dynamic in side.cmap.dynamic_entries:
                if dynamic.seq < entry.seq:
                    later = [e for e in side.cmap.static_entries if e.seq > dynamic.seq]
                    self.error(
                        "dynamic-entry-order",
                        side,
                        dynamic.line,
                        dynamic_order_message(dynamic, later),
                    )


def _mismatch_text(mismatch: Mismatch, own: str, other: Side, wanted: str) -> str:
    if mismatch.relation == "none":
        return (
            f"{own} has no mirror image on {other.host}: it rejects these proxy "
            f"identities and that traffic is never protected. {other.host} needs "
            f"'{wanted}'."
        )
    theirs = mismatch.other.describe() if mismatch.other else "?"
    if mismatch.relation == "wider":
        return (
            f"{own} is narrower than the mirror of {other.host}'s (permit {theirs}): the "
            f"tunnel comes up only when {own.split()[0]} initiates. Make the two lines "
            f"mirror images ('{wanted}')."
        )
    return (
        f"{own} only partly overlaps the mirror of {other.host}'s (permit {theirs}): "
        f"neither side accepts the other's proxy identities. Use '{wanted}'."
    )


def _phase1(
    initiator: RunningConfig, responder: RunningConfig
) -> tuple[IsakmpPolicy, IsakmpPolicy] | None:
    """(initiator's policy, responder's policy) IOS would agree on, or None."""
    mine = responder.isakmp_policies or (DEFAULT_POLICY,)
    for proposal in initiator.isakmp_policies or (DEFAULT_POLICY,):
        for policy in mine:
            if _same_suite(proposal, policy) and proposal.lifetime <= policy.lifetime:
                return (proposal, policy)
    return None


def _phase1_lifetime(initiator: RunningConfig, responder: RunningConfig) -> tuple[int, int]:
    """(initiator's lifetime, responder's lifetime) of the first suite both have."""
    for proposal in initiator.isakmp_policies or (DEFAULT_POLICY,):
        for policy in responder.isakmp_policies or (DEFAULT_POLICY,):
            if _same_suite(proposal, policy):
                return (proposal.lifetime, policy.lifetime)
    return (0, 0)


def _same_suite(a: IsakmpPolicy, b: IsakmpPolicy) -> bool:
    return (a.encryption, a.key_length, a.hash, a.authentication, a.group) == (
        b.encryption,
        b.key_length,
        b.hash,
        b.authentication,
        b.group,
    )


def _keys_text(config: RunningConfig) -> str:
    if not config.isakmp_keys:
        return ""
    return " (its keys cover " + ", ".join(str(k.network) for k in config.isakmp_keys) + ")"


def _uses_psk(config: RunningConfig) -> bool:
    return any(p.authentication == names.AUTH_PSK for p in config.isakmp_policies)


def _policies_text(config: RunningConfig) -> str:
    policies = config.isakmp_policies
    if not policies:
        return f"only the default policy ({DEFAULT_POLICY.describe()})"
    return ", ".join(f"policy {p.priority} ({p.describe()})" for p in policies)


def _transform_sets(config: RunningConfig, entry: CryptoMapEntry) -> list[TransformSet]:
    found = (config.transform_set(name) for name in entry.transform_sets)
    return [t for t in found if t is not None]


def _sets_text(sets: list[TransformSet]) -> str:
    if not sets:
        return "no transform set"
    return ", ".join(f"{t.name} ({' '.join(t.transforms)})" for t in sets)


def _summary(
    comes_up: bool,
    phase1: tuple[IsakmpPolicy, IsakmpPolicy] | None,
    transform: TransformSet | None,
    traffic: list[str],
    notes: list[str],
) -> str:
    if not comes_up:
        return "does not come up"
    parts = ["comes up"]
    if phase1 is not None:
        parts.append(f"phase 1 policy {phase1[0].priority} ({phase1[0].describe()})")
    if transform is not None:
        parts.append(f"phase 2 {transform.name} ({' '.join(transform.transforms)})")
    if traffic:
        parts.append("traffic " + ", ".join(traffic))
    return "; ".join(parts + notes)
