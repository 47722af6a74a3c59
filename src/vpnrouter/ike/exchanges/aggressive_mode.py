"""Aggressive mode with pre-shared keys (RFC 2409 section 5): the remote-access phase 1.

::

    Initiator (client)                       Responder (router)
    HDR, SA, KE, Ni, IDii [, VID]     -->                                          (AM1)
                 <--  HDR, SA, KE, Nr, IDir, HASH_R [, VID] [, NAT-D, NAT-D]        (AM2)
    HDR*, HASH_I [, N] [, VID] [, NAT-D, NAT-D]  -->        (AM3, on UDP 4500 after a float)

The client's ID names its group (ID_KEY_ID, as the Cisco VPN Client and vpnc send it, or
ID_FQDN / ID_USER_FQDN); the group's ``key`` is the pre-shared key. An ID_FQDN that names no
group is looked up in the hostname keys (``crypto isakmp key ... hostname``, a LAN-to-LAN peer
with ``crypto isakmp identity hostname``). An ID_IPV4_ADDR peer is keyed by address like main
mode (``crypto isakmp key ... address``). NAT-D travels in
messages 2 and 3 (RFC 3947 section 3.2); both sides hash the ports of messages 1 and 2, so
the responder detects NAT from message 3 before following a float.

The client half offers what vpnc offers (XAUTHInitPreShared and pre-shared transforms for
one DH group, since KE is already in message 1). Its message 2 is checked with scratch
values first and changes nothing unless HASH_R verifies (DESIGN.md principle 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vpnrouter.ike import codec, rules, sessions
from vpnrouter.ike.context import IKE_PORT, Context
from vpnrouter.ike.errors import ProtocolError
from vpnrouter.ike.exchanges import natd, phase1, vendor, xauth
from vpnrouter.ike.manager import Retransmission
from vpnrouter.ike.policy import AUTH_XAUTH_INIT_PSK, IsakmpPolicy, TransformSet
from vpnrouter.ike.proposals import (
    accept_phase1_reply,
    duration,
    parse_phase1_transform,
    phase1_offers,
    phase1_sa_payload,
    select_phase1,
)
from vpnrouter.ike.ra import RaState
from vpnrouter.ike.sa import IkeSa, Phase1State
from vpnrouter.wire import vendor_ids
from vpnrouter.wire.attributes import phase1_attribute, pull_attributes, push_attributes
from vpnrouter.wire.buffer import Buffer
from vpnrouter.wire.constants import (
    ExchangeType,
    IdType,
    LifeType,
    NotifyType,
    PayloadType,
    Phase1Attr,
    ProtocolId,
)
from vpnrouter.wire.errors import DecodeError
from vpnrouter.wire.header import Header
from vpnrouter.wire.identity import id_fqdn, id_key_id, id_user_fqdn, id_value
from vpnrouter.wire.message import encode_payload
from vpnrouter.wire.payloads import (
    HashPayload,
    IdPayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    VendorIdPayload,
)

GROUP_IDS = (IdType.KEY_ID, IdType.FQDN, IdType.USER_FQDN)


# --- responder (router) -----------------------------------------------------------------------


def _id_text(ident: IdPayload) -> str:
    try:
        value = id_value(ident)
    except DecodeError as exc:
        raise ProtocolError(NotifyType.INVALID_ID_INFORMATION, str(exc)) from None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _identify(ctx: Context, sa: IkeSa, ident: IdPayload) -> None:
    """Find the pre-shared key for the initiator's ID: its client group, or its address."""
    name = _id_text(ident)
    sa.peer_id = name
    if ident.id_type in GROUP_IDS:
        group = ctx.policy.find_group(name)
        if group is None and ident.id_type == IdType.FQDN and _hostname_key(ctx, sa, name):
            return
        if group is None:
            ctx.isakmp(f"{sa.tag}: No pre-shared key with {name}! (no such client group)")
            raise ProtocolError(
                NotifyType.INVALID_ID_INFORMATION, f"client group {name!r} is not configured"
            )
        sessions.authorize_group(ctx, sa, name)
        ctx.isakmp(f"{sa.tag}: found peer pre-shared key matching {name}")
        sa.psk = group.secret
        sa.ra = RaState(server=True, group=name)
        return
    if ident.id_type != IdType.IPV4_ADDR:
        raise ProtocolError(
            NotifyType.INVALID_ID_INFORMATION, f"identity type {ident.id_type} not supported"
        )
    psk = ctx.policy.find_key(sa.peer)
    if psk is None:
        ctx.isakmp(f"{sa.tag}: No pre-shared key with {sa.peer}!")
        raise ProtocolError(NotifyType.INVALID_ID_INFORMATION, f"no pre-shared key for {sa.peer}")
    ctx.isakmp(f"{sa.tag}: found peer pre-shared key matching {sa.peer}")
    sa.psk = psk.secret
    sa.xauth_exempt = psk.no_xauth


def _hostname_key(ctx: Context, sa: IkeSa, fqdn: str) -> bool:
    """An ID_FQDN that names no client group: ``crypto isakmp key ... hostname`` (LAN-to-LAN
    in aggressive mode; like an address key, no client group and ``no-xauth`` honoured)."""
    psk = ctx.policy.find_hostname_key(fqdn)
    if psk is None:
        return False
    ctx.isakmp(f"{sa.tag}: found peer pre-shared key matching hostname {fqdn}")
    sa.psk = psk.secret
    sa.xauth_exempt = psk.no_xauth
    return True


# RFC 2409 section 5: identify, choose one transform (IOS order), answer with HASH_R.
def responder_am1(ctx: Context, sa: IkeSa, inbound: codec.Inbound, request: bytes) -> None:
    ctx.isakmp(f"ISAKMP: local port {sa.local_port}, remote port {sa.peer_port}")
    _identify(ctx, sa, codec.first_of(inbound.payloads, IdPayload))
    ctx.isakmp(f"{sa.tag}: processing SA payload. message ID = 0")
    offer = codec.first_of(inbound.payloads, SaPayload)
    sa.peer_offers = phase1_offers(offer)
    wanted = sessions.xauth_wanted(ctx, sa)
    choice = select_phase1(offer, phase1.usable_policies(ctx), sa.tag, ctx.isakmp, xauth=wanted)
    sa.suite = choice.suite
    if sa.ra is None and wanted:
        sa.ra = RaState(server=True)
    if sa.ra is not None:
        sa.ra.xauth_required = wanted
        if choice.suite.auth == AUTH_XAUTH_INIT_PSK:
            ctx.isakmp(f"{sa.tag}: Authentication by xauth preshared")
    sa.sa_i_b = inbound.body_of(PayloadType.SA)
    sa.id_i_b = inbound.body_of(PayloadType.ID)
    vendor.process(ctx, sa, inbound.payloads)
    ctx.isakmp(f"{sa.tag}: processing KE payload. message ID = 0")
    ctx.isakmp(f"{sa.tag}: processing NONCE payload. message ID = 0")
    phase1.take_ke_nonce(sa, inbound)
    ours = phase1.ke_nonce(ctx, sa)
    phase1.derive(ctx, sa)
    id_payload = phase1.address_id(sa)
    hash_r = phase1.auth_hash(sa, False, encode_payload(id_payload, 0)[4:])
    reply: list[Payload] = [
        SaPayload((choice.proposal,), offer.doi, offer.situation),
        *ours,
        id_payload,
        HashPayload(hash_r),
        *vendor.responder_vids(sa),
        *natd.payloads(sa),
        *_responder_lifetime(sa, choice.proposal),
    ]
    sa.state = Phase1State.R_AM2
    message = codec.plain(sa, ExchangeType.AGGRESSIVE, reply)
    phase1.transmit(ctx, sa, message, request)
    # Message 3 has no answer: if it is lost, the client learns it only from our resent
    # message 2 (which it answers from its reply cache), as IOS resends AG_INIT_EXCH.
    sa.retransmit = Retransmission.start((message,), ctx.policy.retransmit, ctx.now, "AG_INIT_EXCH")


# RFC 2407 4.6.3.1: the echoed transform keeps the client's lifetime (vpnc offers 2147483 s);
# when ours is lower, say so, as vpnc reads it from message 2 and rekeys in time.
def _responder_lifetime(sa: IkeSa, proposal: Proposal) -> list[Payload]:
    offered = parse_phase1_transform(proposal.transforms[0]).life_seconds
    if sa.suite is None or offered is None or sa.suite.lifetime >= offered:
        return []
    out = bytearray()
    push_attributes(
        out,
        [
            phase1_attribute(Phase1Attr.LIFE_TYPE, LifeType.SECONDS),
            duration(Phase1Attr.LIFE_DURATION, sa.suite.lifetime),
        ],
    )
    spi = sa.icookie + sa.rcookie
    return [NotifyPayload(NotifyType.RESPONDER_LIFETIME, ProtocolId.ISAKMP, spi, bytes(out))]


def _lifetime_notice(sa: IkeSa, payloads: Sequence[Payload]) -> None:
    """Client half: a RESPONDER-LIFETIME in message 2 lowers the phase-1 lifetime."""
    for payload in payloads:
        if not isinstance(payload, NotifyPayload) or sa.suite is None:
            continue
        if payload.notify_type != NotifyType.RESPONDER_LIFETIME:
            continue
        try:
            attrs = pull_attributes(Buffer(payload.data), "RESPONDER-LIFETIME")
            unit, seconds = None, None
            for attr in attrs:
                if attr.type == Phase1Attr.LIFE_TYPE:
                    unit = attr.as_int()
                elif attr.type == Phase1Attr.LIFE_DURATION and unit == LifeType.SECONDS:
                    seconds = attr.as_int()
        except DecodeError:
            continue
        if seconds and seconds < sa.suite.lifetime:
            sa.suite = replace(sa.suite, lifetime=seconds)


# RFC 2409 section 5 / RFC 3947 section 4: HASH_I proves the group key; NAT-D, float.
def responder_am3(
    ctx: Context,
    sa: IkeSa,
    header: Header,
    data: bytes,
    arrival: tuple[int, tuple[str, int]],
) -> None:
    inbound = (
        codec.decrypt(sa, header, data) if header.encrypted else codec.decode_plain(header, data)
    )
    rules.check(rules.Kind.AM3, inbound.payloads)
    phase1.verify_peer(ctx, sa, inbound, sa.id_i_b)
    natd.detect(ctx, sa, list(inbound.payloads))
    local_port, src = arrival
    natd.follow_peer(ctx, sa, local_port, src)
    vendor.process(ctx, sa, inbound.payloads)
    phase1.notifies(ctx, sa, inbound)
    phase1.establish(ctx, sa)
    sa.replies.remember(data, ())
    if sa.ra is not None and vendor_ids.CISCO_UNITY in sa.peer_vids:
        ctx.isakmp(f"{sa.tag}: Talking to a Unity Client")
    xauth.after_phase1(ctx, sa, data)


# --- initiator (client half) ------------------------------------------------------------------


def client_id(group: str, id_type: int) -> IdPayload:
    """The group name as the client's phase-1 identity (vpnc and Cisco send ID_KEY_ID)."""
    if id_type == IdType.FQDN:
        return id_fqdn(group)
    if id_type == IdType.USER_FQDN:
        return id_user_fqdn(group)
    return id_key_id(group.encode())


# RFC 2409 section 5: message 1 carries the SA, KE, nonce and identity at once.
def start(
    ctx: Context,
    local: str,
    gateway: str,
    group: str,
    key: str,
    offered: Sequence[IsakmpPolicy],
    transform_sets: Sequence[TransformSet],
    *,
    nat_t: bool = True,
    id_type: int = IdType.KEY_ID,
) -> IkeSa:
    if not offered or len({p.group for p in offered}) != 1:
        raise ValueError("aggressive mode offers need exactly one Diffie-Hellman group")
    sa = IkeSa(
        conn_id=ctx.table.new_conn_id(),
        initiator=True,
        local=local,
        local_port=IKE_PORT,
        peer=gateway,
        peer_port=IKE_PORT,
        icookie=ctx.new_cookie(),
        created=ctx.now,
        state=Phase1State.I_AM1,
        offered=tuple(offered),
        psk=key.encode(),
        aggressive=True,
        peer_id=gateway,
    )
    sa.ra = RaState(server=False, group=group, transform_sets=tuple(transform_sets))
    ctx.table.add(sa)
    sa_payload = phase1_sa_payload(sa.offered)
    sa.sa_i_b = encode_payload(sa_payload, 0)[4:]
    ident = client_id(group, id_type)
    sa.id_i_b = encode_payload(ident, 0)[4:]
    ke_nonce = phase1.ke_nonce_for(ctx, sa, offered[0].group)
    vids = vendor.client_vids(ctx, nat_t)
    ctx.isakmp(f"ISAKMP: local port {IKE_PORT}, remote port {IKE_PORT}")
    ctx.isakmp(f"{sa.tag}: beginning Aggressive Mode exchange with {gateway} as group {group}")
    message = codec.plain(sa, ExchangeType.AGGRESSIVE, [sa_payload, *ke_nonce, ident, *vids])
    phase1.transmit(ctx, sa, message, None)
    return sa


def _accept_am2(ctx: Context, sa: IkeSa, inbound: codec.Inbound) -> None:
    """Everything message 2 sets, kept only if HASH_R verifies (principle 2)."""
    reply = codec.first_of(inbound.payloads, SaPayload)
    suite = accept_phase1_reply(reply, sa.offered)
    saved = (sa.rcookie, sa.suite, sa.ke_r, sa.nr)
    try:
        sa.rcookie = inbound.header.rcookie
        sa.suite = suite
        phase1.take_ke_nonce(sa, inbound)
        crypto = phase1.make_crypto(sa)
        received = codec.first_of(inbound.payloads, HashPayload).data
        phase1.check_auth(sa, received, phase1.id_body_of(inbound), crypto)
    except Exception:
        sa.rcookie, sa.suite, sa.ke_r, sa.nr = saved
        raise
    phase1.install_crypto(ctx, sa, crypto)
    _lifetime_notice(sa, inbound.payloads)


def _initial_contact(ctx: Context, sa: IkeSa) -> list[Payload]:
    """RFC 2407 4.6.3.3, as vpnc: on a fresh connection tell the gateway to drop old SAs."""
    others = any(
        o is not sa and o.peer == sa.peer and o.established for o in ctx.table.ike.values()
    )
    if others:
        return []
    ctx.isakmp(f"{sa.tag}: Send initial contact")
    return [NotifyPayload(NotifyType.INITIAL_CONTACT, 1, sa.icookie + sa.rcookie)]


# RFC 2409 section 5 / RFC 3947 3.2, 4: verify HASH_R, detect NAT, float, send message 3.
def initiator_am2(ctx: Context, sa: IkeSa, inbound: codec.Inbound, request: bytes) -> None:
    ctx.isakmp(f"{sa.tag}: processing SA payload. message ID = 0")
    _accept_am2(ctx, sa, inbound)
    ctx.isakmp(f"{sa.tag}: SA has been authenticated with {sa.peer}")
    vendor.process(ctx, sa, inbound.payloads)
    natd.detect(ctx, sa, list(inbound.payloads))
    nat_d = natd.payloads(sa)  # over the ports of messages 1 and 2, before the float
    natd.float_ports(ctx, sa)
    hash_i = phase1.auth_hash(sa, True, sa.id_i_b)
    payloads: list[Payload] = [
        HashPayload(hash_i),
        *_initial_contact(ctx, sa),
        VendorIdPayload(vendor_ids.CISCO_UNITY),
        *nat_d,
    ]
    phase1.establish(ctx, sa)
    message = codec.encrypted(sa, ExchangeType.AGGRESSIVE, payloads)
    phase1.transmit(ctx, sa, message, request)
    ra = sa.ra
    if ra is None or sa.suite is None:
        return
    ra.xauth_required = sa.suite.auth == AUTH_XAUTH_INIT_PSK
    if ra.xauth_required:
        # Message 3 gets no answer of its own: resend it until the gateway starts XAuth.
        ra.waiting = Retransmission.start((message,), ctx.policy.retransmit, ctx.now, "AG_AUTH")
    xauth.after_phase1(ctx, sa)
