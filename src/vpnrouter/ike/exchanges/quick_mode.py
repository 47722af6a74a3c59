"""Quick mode (RFC 2409 section 5.5): one pair of ESP SAs per exchange.

::

    Initiator                                   Responder
    HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr]  -->
                     <--  HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, N(RESPONDER-LIFETIME)]
    HDR*, HASH(3)                                -->

HASH(1) = prf(SKEYID_a, M-ID | everything after HASH), HASH(2) adds Ni_b after the M-ID,
HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). Every message is verified before it moves
the IV chain or any state (DESIGN.md principle 2). The initiator retransmits QM1 until QM2
arrives; the responder retransmits QM2 until QM3 arrives. The commit bit (RFC 2408 3.1) is
tolerated: a responder that saw it in QM1 sends CONNECTED after QM3. The responder accepts
ESP on its new inbound SPI from QM2 on (the initiator may use the SA as soon as it has QM2)
and sends on the pair only after QM3 (:mod:`vpnrouter.ike.exchanges.child`).
"""

from __future__ import annotations

import hmac

from vpnrouter.crypto import dh, keymat
from vpnrouter.crypto.errors import InvalidPublicValue, UnsupportedAlgorithm
from vpnrouter.crypto.prf import Prf
from vpnrouter.ike import codec, lifecycle, liveness, rules, sessions
from vpnrouter.ike.context import Context
from vpnrouter.ike.errors import AuthenticationError, ProtocolError
from vpnrouter.ike.exchanges import child, informational, proxy
from vpnrouter.ike.manager import Retransmission, signed_mid
from vpnrouter.ike.policy import TrafficSelector
from vpnrouter.ike.proposals import (
    IPSEC_DEFAULT_LIFETIME,
    UDP_MODES,
    EspOffer,
    accept_esp_reply,
    duration,
    esp_sa_payload,
    parse_esp_transform,
)
from vpnrouter.ike.sa import ChildRequest, IkeSa, QmState, QuickMode
from vpnrouter.wire.attributes import ipsec_attribute, pull_attributes, push_attributes
from vpnrouter.wire.buffer import Buffer
from vpnrouter.wire.constants import (
    EncapsulationMode,
    ExchangeType,
    IpsecAttr,
    LifeType,
    NotifyType,
    ProtocolId,
)
from vpnrouter.wire.errors import DecodeError
from vpnrouter.wire.header import Header
from vpnrouter.wire.message import encode_payloads
from vpnrouter.wire.payloads import (
    HashPayload,
    IdPayload,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
)

# RFC 2409 5: any nonce of 8 to 256 bytes. 20, the size vpnc sends and assumes: answering a
# gateway's rekey (vpnc.c do_rekey) it sends our QM1 back as the template of its QM2, writing
# its 20-byte nonce over the start of our Ni and keying with those 20 bytes alone; a longer Ni
# leaves our tail in its Nr on the wire, the two sides derive different KEYMAT and every ESP
# packet on the new pair fails its ICV.
NONCE_SIZE = 20
MAX_KEPT_OFFERS = 16  # a refused proposal's ESP transforms kept for diagnose


# --- shared ----------------------------------------------------------------------------------


def _keys(sa: IkeSa) -> tuple[Prf, bytes]:
    if sa.crypto is None:
        raise RuntimeError("quick mode without phase-1 keys")
    return sa.crypto.prf, sa.crypto.keys.skeyid_a


def _udp_mode(sa: IkeSa) -> int | None:
    """RFC 3947 5.1 (3) or the drafts' value (61443) once the SA floated to 4500."""
    if not sa.nat.floated:
        return None
    if sa.nat.version == "draft":
        return EncapsulationMode.UDP_TUNNEL_DRAFT
    return EncapsulationMode.UDP_TUNNEL


def _ke_payload(ctx: Context, qm: QuickMode) -> list[Payload]:
    if qm.pfs_group is None:
        return []
    qm.dh = dh.get_group(qm.pfs_group).generate(ctx.random)
    return [KePayload(qm.dh.public)]


def _g_qm(qm: QuickMode) -> bytes | None:
    """RFC 2409 5.5: the PFS shared secret g(qm)^xy, or None without PFS."""
    if qm.pfs_group is None or qm.dh is None:
        return None
    try:
        return dh.get_group(qm.pfs_group).shared_secret(qm.dh, qm.peer_ke)
    except (InvalidPublicValue, UnsupportedAlgorithm) as exc:
        raise ProtocolError(NotifyType.INVALID_KEY_INFORMATION, str(exc)) from None


def _take_ke(inbound: codec.Inbound, qm: QuickMode) -> None:
    ke = [p for p in inbound.payloads if isinstance(p, KePayload)]
    if bool(ke) != (qm.pfs_group is not None):
        raise ProtocolError(NotifyType.PAYLOAD_MALFORMED, "KE present without PFS or missing")
    if ke:
        qm.peer_ke = ke[0].data


def _ids(inbound: codec.Inbound) -> list[IdPayload]:
    return [p for p in inbound.payloads if isinstance(p, IdPayload)]


def _sa_request_log(ctx: Context, sa: IkeSa, qm: QuickMode) -> None:
    sel = qm.selector
    names = " ".join(ts.display() for ts in qm.offered)
    ctx.ipsec(
        "IPSEC(sa_request): ,\n"
        f"  (key eng. msg.) OUTBOUND local= {sa.local}, remote= {sa.peer},\n"
        f"    local_proxy= {proxy.ios_proxy(sel.local, sel.protocol, sel.local_port)},\n"
        f"    remote_proxy= {proxy.ios_proxy(sel.remote, sel.protocol, sel.remote_port)},\n"
        f"    protocol= ESP, transform= {names} ,\n"
        f"    lifedur= {qm.lifetime_seconds}s and {qm.lifetime_kilobytes}kb,\n"
        f"    spi= 0x{qm.inbound_spi:X}({qm.inbound_spi}), conn_id= 0, keysize= 0, flags= 0x400C"
    )


# --- initiator ---------------------------------------------------------------------------------


# RFC 2409 5.5: message 1 with one ESP proposal per transform set, IDs from the ACL line.
def start(ctx: Context, sa: IkeSa, request: ChildRequest) -> QuickMode:
    prf, skeyid_a = _keys(sa)
    entry = request.entry
    qm = QuickMode(
        mid=sa.message_ids.allocate(ctx.random),
        initiator=True,
        state=QmState.I_QM1,
        entry=entry,
        selector=request.selector,
        send_ids=True,
        inbound_spi=ctx.new_spi(),
        ni=ctx.random(NONCE_SIZE),
        pfs_group=entry.pfs_group,
        offered=entry.transform_sets,
        udp_mode=_udp_mode(sa),
        lifetime_seconds=entry.lifetime_seconds or ctx.policy.ipsec_lifetime_seconds,
        lifetime_kilobytes=entry.lifetime_kilobytes or ctx.policy.ipsec_lifetime_kilobytes,
        rekey_of=request.rekey_of,
    )
    _sa_request_log(ctx, sa, qm)
    offer = esp_sa_payload(
        qm.offered,
        qm.inbound_spi.to_bytes(4, "big"),
        qm.udp_mode,
        qm.lifetime_seconds,
        qm.lifetime_kilobytes,
        qm.pfs_group,
    )
    payloads: list[Payload] = [offer, NoncePayload(qm.ni), *_ke_payload(ctx, qm)]
    payloads += proxy.ids_for(qm.selector)
    digest = keymat.qm_hash1(prf, skeyid_a, qm.mid, encode_payloads(payloads))
    message = codec.encrypted(sa, ExchangeType.QUICK, [HashPayload(digest), *payloads], qm.mid)
    sa.quick[qm.mid] = qm
    ctx.isakmp(f"{sa.tag}: beginning Quick Mode exchange, M-ID of {signed_mid(qm.mid)}")
    ctx.send(sa, message)
    ctx.isakmp(f"{sa.tag}: sending packet to {sa.peer} ({sa.role}) QM_IDLE")
    qm.retransmit = Retransmission.start((message,), ctx.policy.retransmit, ctx.now, "QM_IDLE")
    qm.deadline = ctx.now + ctx.policy.retransmit.total()
    return qm


def _responder_lifetimes(qm: QuickMode, payloads: tuple[Payload, ...]) -> None:
    """RFC 2407 4.6.3.1: RESPONDER-LIFETIME lowers our lifetimes to the responder's."""
    for payload in payloads:
        if not isinstance(payload, NotifyPayload):
            continue
        if payload.notify_type != NotifyType.RESPONDER_LIFETIME:
            continue
        try:
            attrs = pull_attributes(Buffer(payload.data), "RESPONDER-LIFETIME")
            life_type = None
            for attr in attrs:
                if attr.type == IpsecAttr.SA_LIFE_TYPE:
                    life_type = attr.as_int()
                elif attr.type == IpsecAttr.SA_LIFE_DURATION and attr.as_int() > 0:
                    if life_type == LifeType.SECONDS:
                        qm.lifetime_seconds = min(qm.lifetime_seconds, attr.as_int())
                    elif life_type == LifeType.KILOBYTES:
                        qm.lifetime_kilobytes = min(qm.lifetime_kilobytes, attr.as_int())
        except DecodeError:
            continue


def _check_reply(ctx: Context, sa: IkeSa, qm: QuickMode, inbound: codec.Inbound) -> int:
    """Everything after HASH(2) verified; returns the agreed encapsulation mode."""
    reply = codec.first_of(inbound.payloads, SaPayload)
    choice = accept_esp_reply(reply, qm.offered, qm.pfs_group, sa.nat.floated)
    qm.transform_set = choice.transform_set
    qm.outbound_spi = int.from_bytes(choice.proposal.spi, "big")
    qm.nr = codec.first_of(inbound.payloads, NoncePayload).data
    _take_ke(inbound, qm)
    ids = _ids(inbound)
    if ids and proxy.selector_of_reply(ids) != qm.selector:
        raise ProtocolError(NotifyType.INVALID_ID_INFORMATION, "responder changed the proxies")
    if choice.offer.life_seconds:
        qm.lifetime_seconds = min(qm.lifetime_seconds, choice.offer.life_seconds)
    if choice.offer.life_kilobytes:
        qm.lifetime_kilobytes = min(qm.lifetime_kilobytes, choice.offer.life_kilobytes)
    _responder_lifetimes(qm, inbound.payloads)
    return choice.offer.encap


# RFC 2409 5.5: verify HASH(2), derive KEYMAT, answer with HASH(3).
def initiator_qm2(ctx: Context, sa: IkeSa, qm: QuickMode, header: Header, data: bytes) -> None:
    prf, skeyid_a = _keys(sa)
    inbound = codec.decrypt(sa, header, data)
    rules.check(rules.Kind.QM2, inbound.payloads)
    nonce_i = qm.ni
    expected = keymat.qm_hash2(prf, skeyid_a, qm.mid, nonce_i, inbound.after_hash())
    if not hmac.compare_digest(expected, inbound.hash_data()):
        raise AuthenticationError("quick mode HASH(2) mismatch")
    codec.commit(sa, inbound)
    liveness.heard(ctx, sa)
    qm.retransmit = None
    ctx.isakmp(f"{sa.tag}: processing HASH payload. message ID = {signed_mid(qm.mid)}")
    ctx.isakmp(f"{sa.tag}: processing SA payload. message ID = {signed_mid(qm.mid)}")
    try:
        encap = _check_reply(ctx, sa, qm, inbound)
        g_qm = _g_qm(qm)
    except ProtocolError as err:
        informational.send_notify(
            ctx,
            sa,
            err.notify,
            protocol=ProtocolId.IPSEC_ESP,
            spi=qm.inbound_spi.to_bytes(4, "big"),
        )
        lifecycle.fail_quick(ctx, sa, qm, err.message, err.notify)
        return
    digest = keymat.qm_hash3(prf, skeyid_a, qm.mid, qm.ni, qm.nr)
    message = codec.encrypted(sa, ExchangeType.QUICK, [HashPayload(digest)], qm.mid)
    ctx.send(sa, message)
    sa.replies.remember(data, (message,))
    ctx.isakmp(f"{sa.tag}: sending packet to {sa.peer} ({sa.role}) QM_IDLE")
    child.install(ctx, sa, qm, encap, g_qm)
    qm.state = QmState.DONE
    lifecycle.finish_quick(ctx, sa, qm)


# --- responder ---------------------------------------------------------------------------------


def _lifetimes(
    ctx: Context, qm: QuickMode, theirs_s: int | None, theirs_kb: int | None
) -> list[Payload]:
    """The lower lifetime wins; RFC 2407 4.6.3.1 RESPONDER-LIFETIME when ours is lower."""
    ours_s = qm.entry.lifetime_seconds or ctx.policy.ipsec_lifetime_seconds
    ours_kb = qm.entry.lifetime_kilobytes or ctx.policy.ipsec_lifetime_kilobytes
    proposed_s = theirs_s or IPSEC_DEFAULT_LIFETIME
    qm.lifetime_seconds = min(ours_s, proposed_s)
    qm.lifetime_kilobytes = min(ours_kb, theirs_kb) if theirs_kb else ours_kb
    attrs = []
    if ours_s < proposed_s:
        attrs += [
            ipsec_attribute(IpsecAttr.SA_LIFE_TYPE, LifeType.SECONDS),
            duration(IpsecAttr.SA_LIFE_DURATION, ours_s),
        ]
    if theirs_kb and ours_kb < theirs_kb:
        attrs += [
            ipsec_attribute(IpsecAttr.SA_LIFE_TYPE, LifeType.KILOBYTES),
            duration(IpsecAttr.SA_LIFE_DURATION, ours_kb),
        ]
    if not attrs:
        return []
    out = bytearray()
    push_attributes(out, attrs)
    spi = qm.outbound_spi.to_bytes(4, "big")
    return [NotifyPayload(NotifyType.RESPONDER_LIFETIME, ProtocolId.IPSEC_ESP, spi, bytes(out))]


def _responder_qm(
    ctx: Context, sa: IkeSa, header: Header, inbound: codec.Inbound
) -> tuple[QuickMode, list[Payload]]:
    """Judge QM1 (already authenticated): crypto map entry, transform, PFS, lifetimes."""
    offer = codec.first_of(inbound.payloads, SaPayload)
    ids = _ids(inbound)
    selector = proxy.proposed_selector(sa, ids)
    sessions.check_quick_mode(ctx, sa, selector, offer.proposals[0].spi if offer.proposals else b"")
    own = sa.ra.entry if sa.ra is not None and not sa.ra.server else None
    entry, choice = proxy.find_entry(ctx, sa, selector, offer, (own,) if own else None)
    ctx.isakmp(f"{sa.tag}: processing NONCE payload. message ID = {signed_mid(header.message_id)}")
    qm = QuickMode(
        mid=header.message_id,
        initiator=False,
        state=QmState.R_QM2,
        entry=entry,
        selector=selector,
        send_ids=bool(ids),
        inbound_spi=ctx.new_spi(),
        ni=codec.first_of(inbound.payloads, NoncePayload).data,
        nr=ctx.random(NONCE_SIZE),
        pfs_group=choice.offer.group,
        offered=(choice.transform_set,),
        udp_mode=choice.offer.encap if choice.offer.encap in UDP_MODES else None,
        outbound_spi=int.from_bytes(choice.proposal.spi, "big"),
        transform_set=choice.transform_set,
        commit=header.commit,
    )
    _take_ke(inbound, qm)
    notify = _lifetimes(ctx, qm, choice.offer.life_seconds, choice.offer.life_kilobytes)
    echoed = Proposal(
        choice.proposal.number,
        ProtocolId.IPSEC_ESP,
        qm.inbound_spi.to_bytes(4, "big"),
        (choice.transform,),
    )
    payloads: list[Payload] = [
        SaPayload((echoed,), offer.doi, offer.situation),
        NoncePayload(qm.nr),
        *_ke_payload(ctx, qm),
        *ids,
        *notify,
    ]
    return qm, payloads


def _peer_proposal(
    sa: IkeSa, inbound: codec.Inbound
) -> tuple[tuple[EspOffer, ...], TrafficSelector | None]:
    """What a refused QM1 proposed (ESP transforms, proxies from our side), for diagnose."""
    offers: list[EspOffer] = []
    sa_payloads = [p for p in inbound.payloads if isinstance(p, SaPayload)]
    for proposal in sa_payloads[0].proposals if sa_payloads else ():
        if proposal.protocol_id != ProtocolId.IPSEC_ESP:
            continue
        for transform in proposal.transforms:
            try:
                offers.append(parse_esp_transform(transform))
            except DecodeError:
                continue
    try:
        proposed: TrafficSelector | None = proxy.proposed_selector(sa, _ids(inbound))
    except (ProtocolError, ValueError):
        proposed = None
    return tuple(offers[:MAX_KEPT_OFFERS]), proposed


# RFC 2409 5.5: verify HASH(1), pick entry and transform, answer with HASH(2).
def responder_qm1(ctx: Context, sa: IkeSa, header: Header, data: bytes) -> None:
    prf, skeyid_a = _keys(sa)
    mid = header.message_id
    if mid == 0 or mid in sa.message_ids.used:
        raise DecodeError(f"quick mode with unusable message ID {signed_mid(mid)}")
    inbound = codec.decrypt(sa, header, data)
    rules.check(rules.Kind.QM1, inbound.payloads)
    expected = keymat.qm_hash1(prf, skeyid_a, mid, inbound.after_hash())
    if not hmac.compare_digest(expected, inbound.hash_data()):
        raise AuthenticationError("quick mode HASH(1) mismatch")
    codec.commit(sa, inbound)
    liveness.heard(ctx, sa)
    sa.message_ids.claim(mid)
    ctx.isakmp(f"{sa.tag}: processing HASH payload. message ID = {signed_mid(mid)}")
    ctx.isakmp(f"{sa.tag}: processing SA payload. message ID = {signed_mid(mid)}")
    try:
        qm, payloads = _responder_qm(ctx, sa, header, inbound)
        g_qm = _g_qm(qm)
    except ProtocolError as err:
        offers, proposed = _peer_proposal(sa, inbound)
        lifecycle.note_phase2_failure(ctx, sa, err.message, err.notify, offers, proposed)
        raise
    digest = keymat.qm_hash2(prf, skeyid_a, mid, qm.ni, encode_payloads(payloads))
    message = codec.encrypted(sa, ExchangeType.QUICK, [HashPayload(digest), *payloads], mid)
    sa.quick[mid] = qm
    ctx.send(sa, message)
    sa.replies.remember(data, (message,))
    ctx.isakmp(f"{sa.tag}: sending packet to {sa.peer} ({sa.role}) QM_IDLE")
    qm.retransmit = Retransmission.start((message,), ctx.policy.retransmit, ctx.now, "QM_IDLE")
    qm.deadline = ctx.now + ctx.policy.retransmit.total()
    # The initiator may send on the new SA once it has QM2: accept on our SPI from now on.
    child.install_inbound(ctx, sa, qm, _responder_encap(qm), g_qm)


def _responder_encap(qm: QuickMode) -> int:
    return qm.udp_mode if qm.udp_mode is not None else EncapsulationMode.TUNNEL


# RFC 2409 5.5: HASH(3) proves the initiator has the keys: the pair is complete and our
# traffic moves to it (the inbound SA was accepting since QM2).
def responder_qm3(ctx: Context, sa: IkeSa, qm: QuickMode, header: Header, data: bytes) -> None:
    prf, skeyid_a = _keys(sa)
    inbound = codec.decrypt(sa, header, data)
    rules.check(rules.Kind.QM3, inbound.payloads)
    expected = keymat.qm_hash3(prf, skeyid_a, qm.mid, qm.ni, qm.nr)
    if not hmac.compare_digest(expected, inbound.hash_data()):
        raise AuthenticationError("quick mode HASH(3) mismatch")
    codec.commit(sa, inbound)
    liveness.heard(ctx, sa)
    sa.replies.remember(data, ())
    qm.retransmit = None
    ctx.isakmp(f"{sa.tag}: processing HASH payload. message ID = {signed_mid(qm.mid)}")
    if qm.keys is None:
        raise RuntimeError("quick mode responder without the keys derived for QM2")
    child.install(ctx, sa, qm, _responder_encap(qm), None)
    qm.state = QmState.DONE
    lifecycle.finish_quick(ctx, sa, qm)
    if qm.commit:
        # RFC 2408 3.1: the initiator asked for the commit bit; confirm the SA is in place.
        informational.send_notify(
            ctx,
            sa,
            NotifyType.CONNECTED,
            protocol=ProtocolId.IPSEC_ESP,
            spi=qm.outbound_spi.to_bytes(4, "big"),
        )
