"""Main mode with pre-shared keys (RFC 2409 section 5, identity protection exchange).

::

    Initiator                          Responder
    HDR, SA [, VID]            -->                          (MM1)
                               <--     HDR, SA [, VID]      (MM2)
    HDR, KE, Ni [, NAT-D x2]   -->                          (MM3)
                               <--     HDR, KE, Nr [, NAT-D x2]  (MM4)
    HDR*, IDii, HASH_I [, N]   -->                          (MM5, UDP 4500 after NAT-T float)
                               <--     HDR*, IDir, HASH_R   (MM6)

Initiator and responder halves are separate functions. The engine has already checked each
message's payloads against :mod:`vpnrouter.ike.rules` and answered byte-identical retransmits
from the reply cache. MM5/MM6 act only after HASH_I/HASH_R verified (principle 2).
"""

from __future__ import annotations

from vpnrouter.ike import codec, rules, sessions
from vpnrouter.ike.context import IKE_PORT, Context
from vpnrouter.ike.errors import ProtocolError
from vpnrouter.ike.exchanges import natd, phase1, vendor, xauth
from vpnrouter.ike.proposals import (
    accept_phase1_reply,
    phase1_offers,
    phase1_sa_payload,
    select_phase1,
)
from vpnrouter.ike.ra import RaState
from vpnrouter.ike.sa import ChildRequest, IkeSa, Phase1State
from vpnrouter.wire.constants import ExchangeType, NotifyType, PayloadType
from vpnrouter.wire.header import Header
from vpnrouter.wire.message import encode_payload
from vpnrouter.wire.payloads import HashPayload, NotifyPayload, Payload, SaPayload


def _find_key(ctx: Context, sa: IkeSa) -> bool:
    psk = ctx.policy.find_key(sa.peer)
    if psk is None:
        ctx.isakmp(f"{sa.tag}: No pre-shared key with {sa.peer}!")
        return False
    ctx.isakmp(f"{sa.tag}: found peer pre-shared key matching {sa.peer}")
    sa.psk = psk.secret
    sa.xauth_exempt = psk.no_xauth
    sa.peer_id = sa.peer
    return True


# --- initiator ---------------------------------------------------------------------------------


# RFC 2409 section 5: message 1 offers our ISAKMP policies as transforms of one proposal.
def start(
    ctx: Context, local: str, peer: str, request: ChildRequest | None, replaces: int | None = None
) -> IkeSa:
    sa = IkeSa(
        conn_id=ctx.table.new_conn_id(),
        initiator=True,
        local=local,
        local_port=IKE_PORT,
        peer=peer,
        peer_port=IKE_PORT,
        icookie=ctx.new_cookie(),
        created=ctx.now,
        state=Phase1State.I_MM1,
        offered=phase1.usable_policies(ctx),
        replaces=replaces,
    )
    ctx.table.add(sa)
    if request is not None:
        sa.waiting.append(request)
    ctx.isakmp(f"ISAKMP: local port {IKE_PORT}, remote port {IKE_PORT}")
    if not _find_key(ctx, sa) or not sa.offered:
        sa.failure = f"no pre-shared key or pre-share policy for {peer}"
        return sa
    sa_payload = phase1_sa_payload(sa.offered)
    sa.sa_i_b = encode_payload(sa_payload, 0)[4:]
    message = codec.plain(sa, ExchangeType.MAIN, [sa_payload, *vendor.initiator_vids(ctx)])
    ctx.isakmp(f"{sa.tag}: beginning Main Mode exchange")
    phase1.transmit(ctx, sa, message, None)
    return sa


# RFC 2409 section 5: message 2 must return exactly one of our transforms.
def initiator_mm2(ctx: Context, sa: IkeSa, inbound: codec.Inbound, request: bytes) -> None:
    ctx.isakmp(f"{sa.tag}: processing SA payload. message ID = 0")
    reply = codec.first_of(inbound.payloads, SaPayload)
    try:
        suite = accept_phase1_reply(reply, sa.offered)
    except ProtocolError:
        ctx.syslog(
            f"%CRYPTO-6-IKMP_SA_NOT_OFFERED: Remote peer {sa.peer} responded with attribute "
            f"not offered or changed"
        )
        raise
    sa.rcookie = inbound.header.rcookie
    sa.suite = suite
    ctx.isakmp(f"{sa.tag}: Checking ISAKMP transform against priority {suite.priority} policy")
    ctx.isakmp(f"{sa.tag}: atts are acceptable. Next payload is 0")
    vendor.process(ctx, sa, inbound.payloads)
    sa.state = Phase1State.I_MM3
    payloads = phase1.ke_nonce(ctx, sa) + natd.payloads(sa)
    phase1.transmit(ctx, sa, codec.plain(sa, ExchangeType.MAIN, payloads), request)


# RFC 2409 section 5 / RFC 3947 sections 3.2 and 4: keys, NAT detection, float, message 5.
def initiator_mm4(ctx: Context, sa: IkeSa, inbound: codec.Inbound, request: bytes) -> None:
    ctx.isakmp(f"{sa.tag}: processing KE payload. message ID = 0")
    ctx.isakmp(f"{sa.tag}: processing NONCE payload. message ID = 0")
    phase1.take_ke_nonce(sa, inbound)
    phase1.derive(ctx, sa)
    vendor.process(ctx, sa, inbound.payloads)
    natd.detect(ctx, sa, list(inbound.payloads))
    natd.float_ports(ctx, sa)
    ctx.isakmp(f"{sa.tag}: SA is doing pre-shared key authentication using id type ID_IPV4_ADDR")
    id_payload = phase1.address_id(sa)
    id_body = encode_payload(id_payload, 0)[4:]
    payloads: list[Payload] = [id_payload, HashPayload(phase1.auth_hash(sa, True, id_body))]
    if not _has_other_state(ctx, sa):
        # RFC 2407 4.6.3.3: tell a peer that may hold stale SAs from a previous life.
        ctx.isakmp(f"{sa.tag}: Send initial contact")
        payloads.append(NotifyPayload(NotifyType.INITIAL_CONTACT, 1, sa.icookie + sa.rcookie))
    sa.state = Phase1State.I_MM5
    phase1.transmit(ctx, sa, codec.encrypted(sa, ExchangeType.MAIN, payloads), request)


def _has_other_state(ctx: Context, sa: IkeSa) -> bool:
    others = any(
        o is not sa and o.peer == sa.peer and o.established for o in ctx.table.ike.values()
    )
    return others or bool(ctx.table.children_of_peer(sa.peer))


# RFC 2409 section 5: message 6 authenticates the responder; phase 1 is up.
def initiator_mm6(ctx: Context, sa: IkeSa, header: Header, data: bytes) -> None:
    inbound = codec.decrypt(sa, header, data)
    rules.check(rules.Kind.MM6, inbound.payloads)
    phase1.verify_peer(ctx, sa, inbound, phase1.id_body_of(inbound))
    phase1.notifies(ctx, sa, inbound)
    phase1.establish(ctx, sa)


# --- responder ---------------------------------------------------------------------------------


# RFC 2409 section 5: pick one transform (IOS order), echo it in message 2.
def responder_mm1(ctx: Context, sa: IkeSa, inbound: codec.Inbound, request: bytes) -> None:
    ctx.isakmp(f"ISAKMP: local port {sa.local_port}, remote port {sa.peer_port}")
    ctx.isakmp(f"{sa.tag}: processing SA payload. message ID = 0")
    offer = codec.first_of(inbound.payloads, SaPayload)
    sa.peer_offers = phase1_offers(offer)
    have_key = _find_key(ctx, sa)
    candidates = phase1.usable_policies(ctx) if have_key else ()
    xauth = have_key and sessions.xauth_wanted(ctx, sa)
    choice = select_phase1(offer, candidates, sa.tag, ctx.isakmp, xauth=xauth)
    if xauth:
        # draft-beaulieu-ike-xauth: this peer logs in after phase 1 (a remote-access
        # client keyed by address); IOS skips it only for keys marked "no-xauth".
        sa.ra = RaState(server=True, xauth_required=True)
    sa.suite = choice.suite
    sa.sa_i_b = inbound.body_of(PayloadType.SA)
    vendor.process(ctx, sa, inbound.payloads)
    sa.state = Phase1State.R_MM2
    reply = [SaPayload((choice.proposal,), offer.doi, offer.situation), *vendor.responder_vids(sa)]
    phase1.transmit(ctx, sa, codec.plain(sa, ExchangeType.MAIN, reply), request)


# RFC 2409 section 5 / RFC 3947 3.2: our KE and nonce, NAT-D both ways, keys.
def responder_mm3(ctx: Context, sa: IkeSa, inbound: codec.Inbound, request: bytes) -> None:
    ctx.isakmp(f"{sa.tag}: processing KE payload. message ID = 0")
    ctx.isakmp(f"{sa.tag}: processing NONCE payload. message ID = 0")
    phase1.take_ke_nonce(sa, inbound)
    payloads = phase1.ke_nonce(ctx, sa)
    phase1.derive(ctx, sa)
    vendor.process(ctx, sa, inbound.payloads)
    natd.detect(ctx, sa, list(inbound.payloads))
    payloads += natd.payloads(sa)
    sa.state = Phase1State.R_MM4
    phase1.transmit(ctx, sa, codec.plain(sa, ExchangeType.MAIN, payloads), request)


# RFC 2409 section 5 / RFC 3947 4: authenticate the initiator, follow a float, message 6.
def responder_mm5(
    ctx: Context,
    sa: IkeSa,
    header: Header,
    data: bytes,
    arrival: tuple[int, tuple[str, int]],
) -> None:
    inbound = codec.decrypt(sa, header, data)
    rules.check(rules.Kind.MM5, inbound.payloads)
    phase1.verify_peer(ctx, sa, inbound, phase1.id_body_of(inbound))
    local_port, src = arrival
    natd.follow_peer(ctx, sa, local_port, src)
    phase1.notifies(ctx, sa, inbound)
    id_payload = phase1.address_id(sa)
    id_body = encode_payload(id_payload, 0)[4:]
    reply: list[Payload] = [id_payload, HashPayload(phase1.auth_hash(sa, False, id_body))]
    phase1.establish(ctx, sa)
    phase1.transmit(ctx, sa, codec.encrypted(sa, ExchangeType.MAIN, reply), data)
    xauth.after_phase1(ctx, sa, data)
