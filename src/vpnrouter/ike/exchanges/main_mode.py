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

import hmac

from vpnrouter.crypto import cipher, dh, keymat
from vpnrouter.crypto.errors import InvalidPublicValue, UnsupportedAlgorithm
from vpnrouter.crypto.ivchain import IvChain
from vpnrouter.crypto.prf import Prf
from vpnrouter.ike import codec, rules
from vpnrouter.ike.context import IKE_PORT, Context
from vpnrouter.ike.errors import AuthenticationError, ProtocolError
from vpnrouter.ike.events import IkeSaUp, Phase1Algorithms
from vpnrouter.ike.exchanges import informational, natd, vendor
from vpnrouter.ike.manager import Retransmission
from vpnrouter.ike.policy import AUTH_PRE_SHARE, IsakmpPolicy
from vpnrouter.ike.proposals import accept_phase1_reply, phase1_sa_payload, select_phase1
from vpnrouter.ike.sa import ChildRequest, IkeSa, Phase1Crypto, Phase1State
from vpnrouter.wire.constants import ExchangeType, NotifyType, PayloadType
from vpnrouter.wire.header import Header
from vpnrouter.wire.identity import id_ipv4_addr
from vpnrouter.wire.message import encode_payload
from vpnrouter.wire.payloads import (
    HashPayload,
    IdPayload,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    SaPayload,
)

NONCE_SIZE = 32
UDP = 17


# --- shared ----------------------------------------------------------------------------------


def _usable_policies(ctx: Context) -> tuple[IsakmpPolicy, ...]:
    """Pre-shared key policies in priority order (the only authentication we do)."""
    return tuple(p for p in ctx.policy.policies_by_priority() if p.auth == AUTH_PRE_SHARE)


def _find_key(ctx: Context, sa: IkeSa) -> bool:
    psk = ctx.policy.find_key(sa.peer)
    if psk is None:
        ctx.isakmp(f"{sa.tag}: No pre-shared key with {sa.peer}!")
        return False
    ctx.isakmp(f"{sa.tag}: found peer pre-shared key matching {sa.peer}")
    sa.psk = psk.secret
    return True


def _transmit(ctx: Context, sa: IkeSa, message: bytes, request: bytes | None) -> None:
    """Send our next main mode message; the initiator retransmits it until answered, the
    responder answers a retransmitted ``request`` from the reply cache."""
    ctx.send(sa, message)
    ctx.isakmp(
        f"{sa.tag}: sending packet to {sa.peer} my_port {sa.local_port} peer_port "
        f"{sa.peer_port} ({sa.role}) {sa.state.ios}"
    )
    if request is not None:
        sa.replies.remember(request, (message,))
    if sa.established:
        return
    if sa.initiator:
        sa.retransmit = Retransmission.start(
            (message,), ctx.policy.retransmit, ctx.now, sa.state.ios
        )
    sa.deadline = ctx.now + ctx.policy.retransmit.total()


def _ke_nonce(ctx: Context, sa: IkeSa) -> list[Payload]:
    if sa.suite is None:
        raise RuntimeError("KE before the suite is agreed")
    sa.dh = dh.get_group(sa.suite.group).generate(ctx.random)
    nonce = ctx.random(NONCE_SIZE)
    if sa.initiator:
        sa.ke_i, sa.ni = sa.dh.public, nonce
    else:
        sa.ke_r, sa.nr = sa.dh.public, nonce
    return [KePayload(sa.dh.public), NoncePayload(nonce)]


def _take_ke_nonce(sa: IkeSa, inbound: codec.Inbound) -> None:
    ke = codec.first_of(inbound.payloads, KePayload)
    nonce = codec.first_of(inbound.payloads, NoncePayload)
    if not 8 <= len(nonce.data) <= 256:  # RFC 2409 5: nonces of 8..256 bytes
        raise ProtocolError(NotifyType.PAYLOAD_MALFORMED, "nonce length out of range")
    if sa.initiator:
        sa.ke_r, sa.nr = ke.data, nonce.data
    else:
        sa.ke_i, sa.ni = ke.data, nonce.data


# RFC 2409 section 5 (SKEYID for pre-shared keys, SKEYID_d/a/e) and App. B (key, first IV).
def _derive(ctx: Context, sa: IkeSa) -> None:
    if sa.suite is None or sa.dh is None:
        raise RuntimeError("derive before the exchange")
    peer_public = sa.ke_r if sa.initiator else sa.ke_i
    try:
        g_xy = dh.get_group(sa.suite.group).shared_secret(sa.dh, peer_public)
        spec = cipher.for_ike(sa.suite.encryption, sa.suite.key_length)
    except InvalidPublicValue as exc:
        raise ProtocolError(NotifyType.INVALID_KEY_INFORMATION, str(exc)) from None
    except UnsupportedAlgorithm as exc:
        raise ProtocolError(NotifyType.NO_PROPOSAL_CHOSEN, str(exc)) from None
    prf = Prf(sa.suite.hash)
    skeyid = keymat.skeyid_psk(prf, sa.psk, sa.ni, sa.nr)
    keys = keymat.derive_phase1(prf, skeyid, g_xy, sa.icookie, sa.rcookie, spec.key_size)
    ivs = IvChain.from_dh(prf, spec.block_size, sa.ke_i, sa.ke_r)
    sa.crypto = Phase1Crypto(prf, keys, spec.new(keys.enc_key), ivs)
    ctx.isakmp(f"{sa.tag}: SKEYID state generated")
    ctx.log_secret(f"{sa.tag}: SKEYID_d {keys.skeyid_d.hex()} SKEYID_a {keys.skeyid_a.hex()}")
    ctx.log_secret(f"{sa.tag}: SKEYID_e {keys.skeyid_e.hex()} key {keys.enc_key.hex()}")


def _id_payload(sa: IkeSa) -> IdPayload:
    """RFC 2407 4.6.2: phase-1 ID of our address, protocol UDP and port 500 (as IOS sends)."""
    return id_ipv4_addr(sa.local, UDP, IKE_PORT)


# RFC 2409 section 5: HASH_I / HASH_R over the KE values, cookies, SAi_b and the ID body.
def _auth_hash(sa: IkeSa, of_initiator: bool, id_body: bytes) -> bytes:
    if sa.crypto is None:
        raise RuntimeError("hash before keys")
    args = {
        "g_xi": sa.ke_i,
        "g_xr": sa.ke_r,
        "cky_i": sa.icookie,
        "cky_r": sa.rcookie,
        "sa_i_b": sa.sa_i_b,
    }
    if of_initiator:
        return keymat.hash_i(sa.crypto.prf, sa.crypto.keys.skeyid, id_ii_b=id_body, **args)
    return keymat.hash_r(sa.crypto.prf, sa.crypto.keys.skeyid, id_ir_b=id_body, **args)


def _verify_peer(ctx: Context, sa: IkeSa, inbound: codec.Inbound) -> None:
    """Check the peer's HASH_I/HASH_R, then commit the IV (principle 2)."""
    ctx.isakmp(f"{sa.tag}: processing ID payload. message ID = 0")
    ctx.isakmp(f"{sa.tag}: processing HASH payload. message ID = 0")
    received = codec.first_of(inbound.payloads, HashPayload)
    expected = _auth_hash(sa, not sa.initiator, inbound.body_of(PayloadType.ID))
    if not hmac.compare_digest(expected, received.data):
        raise AuthenticationError("phase 1 hash mismatch")
    codec.commit(sa, inbound)
    ctx.isakmp(f"{sa.tag}: SA has been authenticated with {sa.peer}")


def _notifies(ctx: Context, sa: IkeSa, inbound: codec.Inbound) -> None:
    for payload in inbound.payloads:
        if isinstance(payload, NotifyPayload):
            informational.process_notify(ctx, sa, payload, 0)


def _establish(ctx: Context, sa: IkeSa) -> None:
    suite = sa.suite
    if suite is None:
        raise RuntimeError("established without a suite")
    sa.state = Phase1State.ESTABLISHED
    sa.established_at = ctx.now
    sa.expires_at = ctx.now + suite.lifetime
    margin = ctx.policy.rekey_margin
    if not sa.initiator:  # the responder rekeys only if the initiator has not done so by then
        margin += (1.0 - margin) / 2
    sa.rekey_at = ctx.now + suite.lifetime * margin
    sa.retransmit = None
    sa.deadline = None
    natd.schedule_keepalive(ctx, sa)
    algorithms = Phase1Algorithms(
        suite.encryption,
        suite.key_length,
        suite.hash,
        suite.auth,
        suite.group,
        suite.lifetime,
        suite.priority,
    )
    ctx.emit(
        IkeSaUp(
            sa.conn_id,
            sa.local,
            sa.peer,
            sa.peer_port,
            sa.local_port,
            sa.initiator,
            sa.icookie,
            sa.rcookie,
            algorithms,
            sa.nat.in_use,
            sa.replaces,
        )
    )


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
        offered=_usable_policies(ctx),
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
    _transmit(ctx, sa, message, None)
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
    payloads = _ke_nonce(ctx, sa) + natd.payloads(sa)
    _transmit(ctx, sa, codec.plain(sa, ExchangeType.MAIN, payloads), request)


# RFC 2409 section 5 / RFC 3947 sections 3.2 and 4: keys, NAT detection, float, message 5.
def initiator_mm4(ctx: Context, sa: IkeSa, inbound: codec.Inbound, request: bytes) -> None:
    ctx.isakmp(f"{sa.tag}: processing KE payload. message ID = 0")
    ctx.isakmp(f"{sa.tag}: processing NONCE payload. message ID = 0")
    _take_ke_nonce(sa, inbound)
    _derive(ctx, sa)
    vendor.process(ctx, sa, inbound.payloads)
    natd.detect(ctx, sa, list(inbound.payloads))
    natd.float_ports(ctx, sa)
    ctx.isakmp(f"{sa.tag}: SA is doing pre-shared key authentication using id type ID_IPV4_ADDR")
    id_payload = _id_payload(sa)
    id_body = encode_payload(id_payload, 0)[4:]
    payloads: list[Payload] = [id_payload, HashPayload(_auth_hash(sa, True, id_body))]
    if not _has_other_state(ctx, sa):
        # RFC 2407 4.6.3.3: tell a peer that may hold stale SAs from a previous life.
        ctx.isakmp(f"{sa.tag}: Send initial contact")
        payloads.append(NotifyPayload(NotifyType.INITIAL_CONTACT, 1, sa.icookie + sa.rcookie))
    sa.state = Phase1State.I_MM5
    _transmit(ctx, sa, codec.encrypted(sa, ExchangeType.MAIN, payloads), request)


def _has_other_state(ctx: Context, sa: IkeSa) -> bool:
    others = any(
        o is not sa and o.peer == sa.peer and o.established for o in ctx.table.ike.values()
    )
    return others or bool(ctx.table.children_of_peer(sa.peer))


# RFC 2409 section 5: message 6 authenticates the responder; phase 1 is up.
def initiator_mm6(ctx: Context, sa: IkeSa, header: Header, data: bytes) -> None:
    inbound = codec.decrypt(sa, header, data)
    rules.check(rules.Kind.MM6, inbound.payloads)
    _verify_peer(ctx, sa, inbound)
    _notifies(ctx, sa, inbound)
    _establish(ctx, sa)


# --- responder ---------------------------------------------------------------------------------


def new_responder(
    ctx: Context, header: Header, local: tuple[str, int], peer: tuple[str, int]
) -> IkeSa:
    """The SA an initial main mode message creates (before it is judged)."""
    sa = IkeSa(
        conn_id=ctx.table.new_conn_id(),
        initiator=False,
        local=local[0],
        local_port=local[1],
        peer=peer[0],
        peer_port=peer[1],
        icookie=header.icookie,
        rcookie=ctx.new_cookie(),
        created=ctx.now,
        state=Phase1State.R_MM1,
    )
    ctx.table.add(sa)
    return sa


# RFC 2409 section 5: pick one transform (IOS order), echo it in message 2.
def responder_mm1(ctx: Context, sa: IkeSa, inbound: codec.Inbound, request: bytes) -> None:
    ctx.isakmp(f"ISAKMP: local port {sa.local_port}, remote port {sa.peer_port}")
    ctx.isakmp(f"{sa.tag}: processing SA payload. message ID = 0")
    offer = codec.first_of(inbound.payloads, SaPayload)
    candidates = _usable_policies(ctx) if _find_key(ctx, sa) else ()
    choice = select_phase1(offer, candidates, sa.tag, ctx.isakmp)
    sa.suite = choice.suite
    sa.sa_i_b = inbound.body_of(PayloadType.SA)
    vendor.process(ctx, sa, inbound.payloads)
    sa.state = Phase1State.R_MM2
    reply = [SaPayload((choice.proposal,), offer.doi, offer.situation), *vendor.responder_vids(sa)]
    _transmit(ctx, sa, codec.plain(sa, ExchangeType.MAIN, reply), request)


# RFC 2409 section 5 / RFC 3947 3.2: our KE and nonce, NAT-D both ways, keys.
def responder_mm3(ctx: Context, sa: IkeSa, inbound: codec.Inbound, request: bytes) -> None:
    ctx.isakmp(f"{sa.tag}: processing KE payload. message ID = 0")
    ctx.isakmp(f"{sa.tag}: processing NONCE payload. message ID = 0")
    _take_ke_nonce(sa, inbound)
    payloads = _ke_nonce(ctx, sa)
    _derive(ctx, sa)
    vendor.process(ctx, sa, inbound.payloads)
    natd.detect(ctx, sa, list(inbound.payloads))
    payloads += natd.payloads(sa)
    sa.state = Phase1State.R_MM4
    _transmit(ctx, sa, codec.plain(sa, ExchangeType.MAIN, payloads), request)


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
    _verify_peer(ctx, sa, inbound)
    local_port, src = arrival
    natd.follow_peer(ctx, sa, local_port, src)
    _notifies(ctx, sa, inbound)
    id_payload = _id_payload(sa)
    id_body = encode_payload(id_payload, 0)[4:]
    reply: list[Payload] = [id_payload, HashPayload(_auth_hash(sa, False, id_body))]
    _establish(ctx, sa)
    _transmit(ctx, sa, codec.encrypted(sa, ExchangeType.MAIN, reply), data)
