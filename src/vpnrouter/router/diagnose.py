"""``show crypto isakmp diagnose [PEER]``: why a negotiation failed, in one or two sentences,
with the configuration lines on our side that are involved.

The engine keeps a failed or deleted ISAKMP SA for a while in its last state with its
``failure`` text, what the peer offered in main mode (``peer_offers``), what we offered
(``offered``) and the last failed quick mode (``phase2``); the configuration model knows the
source line of every object. ``diagnose(config, crypto_map, isakmp, ipsec, now)`` turns both
into one ``Diagnosis`` per peer: every peer with an ISAKMP SA (live or lingering), then the
``set peer`` addresses of the applied crypto map that have none yet. Nothing here touches
the engine: it reads the same rows ``show crypto isakmp sa`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vpnrouter.cli.shell.snapshot import ConfigRef, Diagnosis
from vpnrouter.config.model import CryptoMap, CryptoMapEntry, RunningConfig
from vpnrouter.ike.proposals import EspOffer
from vpnrouter.ike.sa import Phase2Outcome
from vpnrouter.ike.snapshots import IpsecSaSnapshot, IsakmpSaSnapshot
from vpnrouter.router.diagnose_words import (
    Refs,
    esp_suite,
    ike_suite,
    join,
    plural,
    policy_suite,
    selector_text,
    unique,
)
from vpnrouter.wire.constants import NotifyType, name_of

MAX_LISTED_OFFERS = 4
FIRST_STATES = ("MM_NO_STATE", "AG_NO_STATE")  # we sent message 1, nothing valid came back
KEY_TROUBLE = ("pre-shared key", "hash check", "did not decrypt", "group key")
AUTH_NOTIFIES = frozenset({"INVALID_HASH_INFORMATION", "PAYLOAD_MALFORMED", "AUTHENTICATION_FAILED",
                           "INVALID_PAYLOAD_TYPE"})  # fmt: skip


@dataclass(frozen=True)
class Finding:
    text: str
    refs: tuple[ConfigRef, ...] = ()


def diagnose(
    config: RunningConfig,
    crypto_map: CryptoMap | None,
    isakmp: Sequence[IsakmpSaSnapshot],
    ipsec: Sequence[IpsecSaSnapshot],
    now: float,
) -> tuple[Diagnosis, ...]:
    refs = Refs(config, crypto_map)
    peers: list[str] = []
    for row in sorted(isakmp, key=lambda r: r.conn_id):
        if row.peer not in peers:
            peers.append(row.peer)
    found = [
        _peer(
            refs, [r for r in isakmp if r.peer == peer], [s for s in ipsec if s.peer == peer], now
        )
        for peer in peers
    ]
    configured = [str(p) for e in crypto_map.static_entries for p in e.peers] if crypto_map else []
    for peer in dict.fromkeys(configured):
        if peer not in peers:
            found.append(_idle(refs, peer))
    return tuple(found)


def _latest(rows: Sequence[IsakmpSaSnapshot]) -> IsakmpSaSnapshot:
    return max(rows, key=lambda r: (r.created, r.conn_id))


def _peer(
    refs: Refs, rows: list[IsakmpSaSnapshot], pairs: list[IpsecSaSnapshot], now: float
) -> Diagnosis:
    """One peer's diagnosis from its ISAKMP SA rows (live and lingering) and IPsec pairs."""
    live = [r for r in rows if r.status == "ACTIVE"]
    up = [r for r in live if r.state == "QM_IDLE"]
    if up:
        row = _latest(up)
        if row.phase2 is not None:
            found = _phase2(refs, row, row.phase2)
            return _diagnosis(row, "failed", found, phase=2, age=now - row.phase2.at)
        return _diagnosis(row, "up", _up(refs, row, pairs))
    if live:
        row = _latest(live)
        return _diagnosis(row, "negotiating", _negotiating(refs, row, now))
    row = _latest(rows)
    age = now - row.ended if row.ended is not None else None
    if _xauth_refused(row):
        return _diagnosis(row, "failed", _xauth_failed(refs, row), phase=1, age=age)
    if row.status == "DELETED":
        return _diagnosis(row, "deleted", _deleted(refs, row, pairs), age=age)
    return _diagnosis(row, "failed", _phase1(refs, row), phase=1, age=age)


def _diagnosis(
    row: IsakmpSaSnapshot,
    verdict: str,
    found: Finding,
    *,
    phase: int = 0,
    age: float | None = None,
) -> Diagnosis:
    return Diagnosis(
        peer=row.peer,
        verdict=verdict,
        text=found.text,
        phase=phase,
        conn_id=row.conn_id,
        state=row.state,
        age=max(0.0, age) if age is not None else None,
        config=unique(found.refs),
    )


# -- phase 1 -------------------------------------------------------------------------------------


def _phase1(refs: Refs, row: IsakmpSaSnapshot) -> Finding:
    """The last phase 1 with this peer failed: say why."""
    failure = row.failure or "no reason recorded"
    if row.aggressive and not row.initiator and failure.startswith("client group "):
        return _unknown_name(refs, row)
    if failure.startswith("no pre-shared key") or (
        not row.aggressive and not row.group_name and refs.key_for(row.peer) is None
    ):
        return _no_key(refs, row)
    if row.peer_offers and "ISAKMP transform" in failure:
        return _no_common_policy(refs, row)
    if any(word in failure for word in KEY_TROUBLE):
        return _key_mismatch(refs, row, failure)
    notify = row.peer_notify
    if row.initiator and notify == "NO_PROPOSAL_CHOSEN":
        return _refused_our_policies(refs, row)
    if row.initiator and notify and row.state in FIRST_STATES:
        return _refused_message_1(refs, row, notify)
    if row.initiator and notify in AUTH_NOTIFIES:
        return _key_mismatch(refs, row, f"it answered {notify}")
    if row.initiator and row.state == "MM_NO_STATE":
        return _no_answer(refs, row, failure)
    if row.initiator and row.state == "MM_KEY_EXCH":
        return _key_mismatch(refs, row, f"it went silent after the key exchange ({failure})")
    group = refs.group_of(row.group_name)
    text = f"phase 1 with {row.peer} failed in {row.state}: {failure}."
    return Finding(text, (refs.group(group),) if group is not None else ())


def _offer_texts(row: IsakmpSaSnapshot) -> list[str]:
    texts = list(dict.fromkeys(
        ike_suite(o.encryption, o.key_length, o.hash, o.auth, o.group) for o in row.peer_offers
    ))  # fmt: skip
    if len(texts) > MAX_LISTED_OFFERS:
        more = len(texts) - MAX_LISTED_OFFERS
        texts = [*texts[:MAX_LISTED_OFFERS], f"{more} more"]
    return texts


def _no_common_policy(refs: Refs, row: IsakmpSaSnapshot) -> Finding:
    policies = refs.pre_share_policies()
    offered = ", ".join(_offer_texts(row))
    if not policies:
        text = (
            f"peer {row.peer} offered {offered}; we have no crypto isakmp policy with"
            " authentication pre-share — no match."
        )
        return Finding(text, tuple(refs.policy(p) for p in refs.config.isakmp_policies))
    numbers = join([str(p.priority) for p in policies])
    suites = join([policy_suite(p) for p in policies])
    ours = f"our {plural(len(policies), 'policy', 'policies')} {numbers}"
    verb = plural(len(policies), "allows", "allow")
    text = f"peer {row.peer} offered {offered}; {ours} {verb} {suites} — no match."
    return Finding(text, tuple(refs.policy(p) for p in policies))


def _refused_our_policies(refs: Refs, row: IsakmpSaSnapshot) -> Finding:
    policies = refs.policies_by_priority(row.offered) or refs.pre_share_policies()
    numbers = join([str(p.priority) for p in policies])
    suites = ", ".join(policy_suite(p, with_auth=True) for p in policies)
    text = (
        f"peer {row.peer} refused all of our ISAKMP proposals (NO_PROPOSAL_CHOSEN): we"
        f" offered {plural(len(policies), 'policy', 'policies')} {numbers} ({suites}) and it"
        " accepts none of them."
    )
    return Finding(text, tuple(refs.policy(p) for p in policies))


def _refused_message_1(refs: Refs, row: IsakmpSaSnapshot, notify: str) -> Finding:
    mode = "aggressive" if row.aggressive else "main"
    text = f"peer {row.peer} answered our {mode} mode message 1 with {notify} ({row.failure})."
    found = [refs.entry(e) for e in refs.entries_for(row.peer)]
    return Finding(text, tuple(found + _key_refs(refs, row)))


def _key_refs(refs: Refs, row: IsakmpSaSnapshot) -> list[ConfigRef]:
    group = refs.group_of(row.group_name)
    if group is not None:
        return [refs.group(group)]
    by_name = refs.hostname_key_for(row.peer_id) if row.aggressive else None
    key = by_name or refs.key_for(row.peer)
    return [refs.key(key)] if key is not None else []


def _key_mismatch(refs: Refs, row: IsakmpSaSnapshot, why: str) -> Finding:
    by_name = refs.hostname_key_for(row.peer_id) if row.aggressive else None
    what = "the pre-shared key"
    if row.group_name:
        what = f"the group key of {row.group_name}"
    elif by_name is not None:
        what = f"the pre-shared key of hostname {by_name.hostname} (the name it identified by)"
    text = (
        f"phase 1 with {row.peer} failed in {row.state} during authentication: {why}."
        f" {what[0].upper()}{what[1:]} differs on the two sides."
    )
    return Finding(text, tuple(_key_refs(refs, row)))


def _no_key(refs: Refs, row: IsakmpSaSnapshot) -> Finding:
    text = (
        f"we have no pre-shared key for {row.peer}: no crypto isakmp key ... address line"
        " covers it, so no pre-share policy can be used with it."
    )
    entries = refs.entries_for(row.peer)
    found = [refs.entry(e) for e in entries]
    if refs.hostname_keys():
        text += " " + _by_name_only(refs)
        found += [refs.key(k) for k in refs.hostname_keys()]
    return Finding(text, tuple(found))


def _by_name_only(refs: Refs) -> str:
    """A peer we have hostname keys for but no address key: main mode (ours) keys by
    address, so only the peer's aggressive mode with an ID_FQDN can use them."""
    return (
        f"We key {refs.hostname_keys_text()} by name only (crypto isakmp key ... hostname),"
        " which main mode cannot use: only the peer can bring this tunnel up, identifying by"
        " name in aggressive mode."
    )


def _unknown_name(refs: Refs, row: IsakmpSaSnapshot) -> Finding:
    """An aggressive-mode peer gave a name that is neither a client group nor the name of a
    ``crypto isakmp key ... hostname`` (INVALID-ID-INFORMATION)."""
    text = (
        f"peer {row.peer} identified itself as {row.peer_id!r} in aggressive mode: no client"
        " group and no crypto isakmp key ... hostname has that name."
    )
    keys = refs.hostname_keys()
    if keys:
        text += f" Our hostname {plural(len(keys), 'key is', 'keys are')} for"
        text += f" {refs.hostname_keys_text()}."
    groups = [refs.group(g) for g in refs.config.client_groups]
    return Finding(text, tuple([refs.key(k) for k in keys] + groups))


def _no_answer(refs: Refs, row: IsakmpSaSnapshot, failure: str) -> Finding:
    text = (
        f"peer {row.peer} never answered our main mode message 1 ({failure}): is it up,"
        f" reachable on UDP 500, and does its crypto map name {row.local} as peer?"
    )
    found = [refs.entry(e) for e in refs.entries_for(row.peer)]
    return Finding(text, tuple(found + _key_refs(refs, row)))


def _xauth_refused(row: IsakmpSaSnapshot) -> bool:
    """Phase 1 completed (XAuth comes after it) and XAuth did not."""
    return row.xauth == "failed" and row.state == "QM_IDLE"


def _xauth_failed(refs: Refs, row: IsakmpSaSnapshot) -> Finding:
    """A client passed group authentication and then failed XAuth (it is told STATUS=FAIL
    and its ISAKMP SA is deleted once its tries are used up)."""
    user = row.xauth_user
    who = f"user {user}" if user else "the user"
    crypto_map = refs.crypto_map
    name = crypto_map.client_authentication_list if crypto_map else None
    found = _key_refs(refs, row)
    if crypto_map is not None and name:
        found.append(ConfigRef(crypto_map.line, f"crypto map {crypto_map.name} client"
                               f" authentication list {name}"))  # fmt: skip
    aaa = refs.config.aaa_list("authentication login", name) if name else None
    if aaa is not None:
        methods = " ".join(aaa.methods)
        found.append(ConfigRef(aaa.line, f"aaa authentication login {aaa.name} {methods}"))
    where = f"list {name} ({' '.join(aaa.methods) if aaa else 'undefined'})" if name else "?"
    known = refs.config.user(user) if user else None
    missing = f"; no username {user} is configured" if user and known is None else ""
    text = (
        f"client {row.peer} passed group authentication (group {row.group_name or '?'}) but"
        f" {who} failed XAuth against {where}{missing}: wrong user name or password."
    )
    if known is not None:
        found.append(ConfigRef(known.line, f"username {known.name} ..."))
    return Finding(text, tuple(found))


def _negotiating(refs: Refs, row: IsakmpSaSnapshot, now: float) -> Finding:
    role = "we started it" if row.initiator else "the peer started it"
    still = f" (still retrying: {row.state}, {role} {max(0, int(now - row.created))} s ago)"
    notify = row.peer_notify
    if row.initiator and notify == "NO_PROPOSAL_CHOSEN":
        found = _refused_our_policies(refs, row)
        return Finding(found.text[:-1] + still + ".", found.refs)
    if row.initiator and notify in AUTH_NOTIFIES:
        found = _key_mismatch(refs, row, f"it answered {notify}")
        return Finding(found.text[:-1] + still + ".", found.refs)
    if any(word in row.failure for word in KEY_TROUBLE):
        found = _key_mismatch(refs, row, row.failure)
        return Finding(found.text[:-1] + still + ".", found.refs)
    text = f"phase 1 with {row.peer} is in progress ({row.state}, {role}"
    text += f" {max(0, int(now - row.created))} s ago)."
    if notify:
        text += f" The peer has sent {notify}."
    return Finding(text, tuple(_key_refs(refs, row)))


def _deleted(refs: Refs, row: IsakmpSaSnapshot, pairs: list[IpsecSaSnapshot]) -> Finding:
    text = f"the ISAKMP SA with {row.peer} was up and has been deleted: {row.failure}."
    if pairs:
        count = len(pairs)
        text += f" {count} IPsec SA {plural(count, 'pair remains', 'pairs remain')} in use."
    return Finding(text, tuple(_key_refs(refs, row)))


def _idle(refs: Refs, peer: str) -> Diagnosis:
    entries = refs.entries_for(peer)
    names = join([f"crypto map {e.map_name} {e.seq}" for e in entries])
    acls = join([refs.acl_permits_text(e) for e in entries])
    key = refs.key_for(peer)
    found: list[ConfigRef] = []
    for entry in entries:
        found += [refs.entry(entry), *refs.acl_refs(entry)]
    if key is None and refs.hostname_keys():
        text = (
            f"no ISAKMP SA with {peer} yet: {names} names it as peer, but no crypto isakmp"
            f" key ... address line covers it, so our traffic ({acls}) cannot start the"
            f" negotiation. {_by_name_only(refs)}"
        )
        found += [refs.key(k) for k in refs.hostname_keys()]
        return Diagnosis(peer=peer, verdict="idle", text=text, config=unique(found))
    text = (
        f"no ISAKMP SA with {peer} yet: {names} names it as peer; the first packet that"
        f" matches ({acls}) starts the negotiation."
    )
    if key is not None:
        found.append(refs.key(key))
    return Diagnosis(peer=peer, verdict="idle", text=text, config=unique(found))


# -- up ------------------------------------------------------------------------------------------


def _up(refs: Refs, row: IsakmpSaSnapshot, pairs: list[IpsecSaSnapshot]) -> Finding:
    suite = ike_suite(row.encryption, row.key_length, row.hash, row.auth, row.group)
    policy = next(
        (p for p in refs.pre_share_policies()
         if (p.encryption, p.hash, p.group) == (row.encryption, row.hash, row.group)),
        None,
    )  # fmt: skip
    by = f" by policy {policy.priority}" if policy is not None else ""
    text = f"phase 1 with {row.peer} is up (QM_IDLE, conn-id {row.conn_id}, {suite}{by})"
    if row.group_name:
        user = f", user {row.username}" if row.username else ""
        address = f", address {row.assigned_address}" if row.assigned_address else ""
        text += f" for client group {row.group_name}{user}{address}"
    active = [p for p in pairs if p.state == "ACTIVE"]
    if active:
        flows = join(list(dict.fromkeys(
            f"{selector_text(p.selector)} (crypto map {p.map_name} {p.map_seq})" for p in active
        )))  # fmt: skip
        count = len(active)
        text += f", with {count} IPsec SA {plural(count, 'pair', 'pairs')}: {flows}."
    else:
        text += "; no IPsec SA yet."
    text += " Nothing failed."
    found = [refs.policy(policy)] if policy is not None else []
    found += _key_refs(refs, row)
    for entry in refs.entries_for(row.peer):
        found.append(refs.entry(entry))
    return Finding(text, tuple(found))


# -- phase 2 -------------------------------------------------------------------------------------


def _phase2(refs: Refs, row: IsakmpSaSnapshot, outcome: Phase2Outcome) -> Finding:
    notify = name_of(NotifyType, outcome.notify) if outcome.notify is not None else ""
    entries = refs.entries_for(row.peer) or (refs.dynamic_entries() if row.group_name else [])
    found: list[ConfigRef] = []
    for entry in entries:
        found.append(refs.entry(entry))
    sets_text = _sets_text(refs, entries, found)
    if outcome.peer_proxy is not None and notify == "INVALID_ID_INFORMATION":
        acls = join([refs.acl_permits_text(e) for e in entries]) or "no crypto map entry"
        for entry in entries:
            found += refs.acl_refs(entry)
        text = (
            f"peer {row.peer} proposed traffic {selector_text(outcome.peer_proxy)} but no crypto"
            f" map entry for it covers that: {acls} (seen from {row.peer} the crypto ACL must"
            " be its mirror image)."
        )
    elif outcome.peer_offers:
        text = (
            f"peer {row.peer} proposed ESP {_esp_offers(outcome.peer_offers)}"
            f"{_for(outcome)}; {sets_text} — no match."
        )
    elif notify == "NO_PROPOSAL_CHOSEN":
        text = (
            f"peer {row.peer} refused our phase 2 proposal (NO_PROPOSAL_CHOSEN): {sets_text};"
            " its transform sets or PFS setting differ."
        )
    elif notify == "INVALID_ID_INFORMATION":
        acls = join([refs.acl_permits_text(e) for e in entries])
        for entry in entries:
            found += refs.acl_refs(entry)
        text = (
            f"peer {row.peer} refused our proxy identities (INVALID_ID_INFORMATION): {acls};"
            " the peer's crypto ACL must be its mirror image."
        )
    else:
        reason = f"{outcome.reason} ({notify})" if notify else outcome.reason
        text = f"phase 1 with {row.peer} is up but the last quick mode failed: {reason}."
    return Finding(text, tuple(found))


def _for(outcome: Phase2Outcome) -> str:
    return f" for {selector_text(outcome.peer_proxy)}" if outcome.peer_proxy else ""


def _esp_offers(offers: Sequence[EspOffer]) -> str:
    texts = list(dict.fromkeys(
        esp_suite(o.transform_id, o.key_length, o.auth)
        + (f" with PFS group {o.group}" if o.group is not None else "")
        for o in offers
    ))  # fmt: skip
    if len(texts) > MAX_LISTED_OFFERS:
        texts = [*texts[:MAX_LISTED_OFFERS], f"{len(texts) - MAX_LISTED_OFFERS} more"]
    return ", ".join(texts)


def _sets_text(refs: Refs, entries: Sequence[CryptoMapEntry], found: list[ConfigRef]) -> str:
    """``crypto map clientmap 1 allows transform set myset (esp-3des esp-md5-hmac)``."""
    parts: list[str] = []
    for entry in entries:
        sets = refs.transform_sets_of(entry)
        found += [refs.transform_set(t) for t in sets]
        described = join([f"{t.name} ({' '.join(t.transforms)})" for t in sets]) or "nothing"
        pfs = f" with PFS group {entry.pfs_group}" if entry.pfs_group is not None else ""
        word = plural(len(sets), "transform set", "transform sets")
        parts.append(f"crypto map {entry.map_name} {entry.seq} allows {word} {described}{pfs}")
    return join(parts) or "no crypto map entry names this peer"
