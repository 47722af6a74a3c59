"""What main mode and aggressive mode share (RFC 2409 section 5): KE and nonces, SKEYID and
the phase-1 keys, HASH_I/HASH_R, sending with retransmission, and the end of phase 1.

Pre-shared keys only: SKEYID = prf(pre-shared-key, Ni_b | Nr_b). XAUTHInitPreShared (65001,
draft-beaulieu-ike-xauth-02 section 7.2) derives its keys exactly like pre-shared keys.
"""

from __future__ import annotations

import hmac

from vpnrouter.crypto import cipher, dh, keymat
from vpnrouter.crypto.errors import InvalidPublicValue, UnsupportedAlgorithm
from vpnrouter.crypto.ivchain import IvChain
from vpnrouter.crypto.prf import Prf
from vpnrouter.ike import codec
from vpnrouter.ike.context import IKE_PORT, Context
from vpnrouter.ike.errors import AuthenticationError, ProtocolError
from vpnrouter.ike.events import IkeSaUp, Phase1Algorithms
from vpnrouter.ike.exchanges import informational, natd
from vpnrouter.ike.manager import Retransmission
from vpnrouter.ike.policy import AUTH_PRE_SHARE, IsakmpPolicy
from vpnrouter.ike.sa import IkeSa, Phase1Crypto, Phase1State
from vpnrouter.wire.constants import ExchangeType, NotifyType, PayloadType
from vpnrouter.wire.header import Header
from vpnrouter.wire.identity import id_ipv4_addr
from vpnrouter.wire.payloads import (
    HashPayload,
    IdPayload,
    KePayload,
    NoncePayload,
    NotifyPayload,
    Payload,
)

NONCE_SIZE = 32
UDP = 17


def usable_policies(ctx: Context) -> tuple[IsakmpPolicy, ...]:
    """Pre-shared key policies in priority order (the only authentication we do)."""
    return tuple(p for p in ctx.policy.policies_by_priority() if p.auth == AUTH_PRE_SHARE)


def new_responder(
    ctx: Context, header: Header, local: tuple[str, int], peer: tuple[str, int]
) -> IkeSa:
    """The SA an initial main or aggressive mode message creates (before it is judged)."""
    aggressive = header.exchange_type == ExchangeType.AGGRESSIVE
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
        state=Phase1State.R_AM1 if aggressive else Phase1State.R_MM1,
        aggressive=aggressive,
    )
    ctx.table.add(sa)
    return sa


def transmit(ctx: Context, sa: IkeSa, message: bytes, request: bytes | None) -> None:
    """Send our next phase-1 message; the initiator retransmits it until answered, the
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


def ke_nonce(ctx: Context, sa: IkeSa) -> list[Payload]:
    """Our DH public value and nonce for the agreed group (RFC 2409 section 5)."""
    if sa.suite is None:
        raise RuntimeError("KE before the suite is agreed")
    return ke_nonce_for(ctx, sa, sa.suite.group)


def ke_nonce_for(ctx: Context, sa: IkeSa, group: int) -> list[Payload]:
    sa.dh = dh.get_group(group).generate(ctx.random)
    nonce = ctx.random(NONCE_SIZE)
    if sa.initiator:
        sa.ke_i, sa.ni = sa.dh.public, nonce
    else:
        sa.ke_r, sa.nr = sa.dh.public, nonce
    return [KePayload(sa.dh.public), NoncePayload(nonce)]


# RFC 2409 section 5: nonces of 8 to 256 bytes.
def peer_ke_nonce(inbound: codec.Inbound) -> tuple[bytes, bytes]:
    ke = codec.first_of(inbound.payloads, KePayload)
    nonce = codec.first_of(inbound.payloads, NoncePayload)
    if not 8 <= len(nonce.data) <= 256:
        raise ProtocolError(NotifyType.PAYLOAD_MALFORMED, "nonce length out of range")
    return ke.data, nonce.data


def take_ke_nonce(sa: IkeSa, inbound: codec.Inbound) -> None:
    ke, nonce = peer_ke_nonce(inbound)
    if sa.initiator:
        sa.ke_r, sa.nr = ke, nonce
    else:
        sa.ke_i, sa.ni = ke, nonce


# RFC 2409 section 5 (SKEYID for pre-shared keys, SKEYID_d/a/e) and App. B (key, first IV).
def make_crypto(sa: IkeSa) -> Phase1Crypto:
    """The phase-1 keys from the exchanged values, not yet stored on the SA."""
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
    return Phase1Crypto(prf, keys, spec.new(keys.enc_key), ivs)


def derive(ctx: Context, sa: IkeSa) -> None:
    install_crypto(ctx, sa, make_crypto(sa))


def install_crypto(ctx: Context, sa: IkeSa, crypto: Phase1Crypto) -> None:
    sa.crypto = crypto
    keys = crypto.keys
    ctx.isakmp(f"{sa.tag}: SKEYID state generated")
    ctx.log_secret(f"{sa.tag}: SKEYID_d {keys.skeyid_d.hex()} SKEYID_a {keys.skeyid_a.hex()}")
    ctx.log_secret(f"{sa.tag}: SKEYID_e {keys.skeyid_e.hex()} key {keys.enc_key.hex()}")


def address_id(sa: IkeSa) -> IdPayload:
    """RFC 2407 4.6.2: phase-1 ID of our address, protocol UDP and port 500 (as IOS sends)."""
    return id_ipv4_addr(sa.local, UDP, IKE_PORT)


# RFC 2409 section 5: HASH_I / HASH_R over the KE values, cookies, SAi_b and the ID body.
def auth_hash(
    sa: IkeSa, of_initiator: bool, id_body: bytes, crypto: Phase1Crypto | None = None
) -> bytes:
    crypto = crypto or sa.crypto
    if crypto is None:
        raise RuntimeError("hash before keys")
    args = {
        "g_xi": sa.ke_i,
        "g_xr": sa.ke_r,
        "cky_i": sa.icookie,
        "cky_r": sa.rcookie,
        "sa_i_b": sa.sa_i_b,
    }
    if of_initiator:
        return keymat.hash_i(crypto.prf, crypto.keys.skeyid, id_ii_b=id_body, **args)
    return keymat.hash_r(crypto.prf, crypto.keys.skeyid, id_ir_b=id_body, **args)


def check_auth(sa: IkeSa, received: bytes, id_body: bytes, crypto: Phase1Crypto) -> None:
    """The peer's HASH_I/HASH_R must match (constant time); nothing is changed here."""
    expected = auth_hash(sa, not sa.initiator, id_body, crypto)
    if not hmac.compare_digest(expected, received):
        raise AuthenticationError("phase 1 hash mismatch")


def verify_peer(ctx: Context, sa: IkeSa, inbound: codec.Inbound, id_body: bytes) -> None:
    """Check the peer's HASH_I/HASH_R, then commit the IV (principle 2)."""
    ctx.isakmp(f"{sa.tag}: processing ID payload. message ID = 0")
    ctx.isakmp(f"{sa.tag}: processing HASH payload. message ID = 0")
    if sa.crypto is None:
        raise RuntimeError("verify before keys")
    received = codec.first_of(inbound.payloads, HashPayload)
    check_auth(sa, received.data, id_body, sa.crypto)
    codec.commit(sa, inbound)
    ctx.isakmp(f"{sa.tag}: SA has been authenticated with {sa.peer}")


def id_body_of(inbound: codec.Inbound) -> bytes:
    return inbound.body_of(PayloadType.ID)


def notifies(ctx: Context, sa: IkeSa, inbound: codec.Inbound) -> None:
    for payload in inbound.payloads:
        if isinstance(payload, NotifyPayload):
            informational.process_notify(ctx, sa, payload, 0)


def establish(ctx: Context, sa: IkeSa) -> None:
    """Phase 1 is done (IOS QM_IDLE): lifetimes, rekey time, keepalives, IkeSaUp."""
    suite = sa.suite
    if suite is None:
        raise RuntimeError("established without a suite")
    sa.state = Phase1State.ESTABLISHED
    sa.established_at = ctx.now
    sa.expires_at = ctx.now + suite.lifetime
    margin = ctx.policy.rekey_margin
    if not sa.initiator:  # the responder rekeys only if the initiator has not done so by then
        margin += (1.0 - margin) / 2
    # The gateway never renews a remote-access phase 1: the client would have to authenticate
    # again, which only it can start (IOS does the same); the client half re-authenticates.
    serving = sa.ra is not None and sa.ra.server
    sa.rekey_at = None if serving else ctx.now + suite.lifetime * margin
    sa.retransmit = None
    sa.deadline = None
    sa.dpd.last_heard = ctx.now
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
