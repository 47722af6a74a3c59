"""Informational exchanges (RFC 2409 section 5.7, RFC 2408 sections 3.14-3.15, 4.8).

Once phase-1 keys exist every notify or delete we send is protected:
``HDR*, HASH(1), N/D`` with HASH(1) = prf(SKEYID_a, M-ID | N/D) and a fresh message ID whose IV
is hash(last phase-1 block | M-ID). Before that (e.g. NO-PROPOSAL-CHOSEN for main mode
message 1) the notify goes in the clear. Received protected messages act only after HASH(1)
verified; unprotected ones are logged and change nothing (DESIGN.md principle 2), with one
exception: an error notify answering our message 1 (see :func:`refuses_message_1`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from vpnrouter.crypto import keymat
from vpnrouter.ike import codec, lifecycle, liveness, rules
from vpnrouter.ike.context import Context
from vpnrouter.ike.errors import AuthenticationError
from vpnrouter.ike.manager import signed_mid
from vpnrouter.ike.sa import AWAITING_RCOOKIE, ZERO_COOKIE, ChildSa, IkeSa
from vpnrouter.wire.constants import ExchangeType, NotifyType, ProtocolId, name_of
from vpnrouter.wire.errors import DecodeError
from vpnrouter.wire.header import Header
from vpnrouter.wire.message import encode_payloads
from vpnrouter.wire.payloads import DeletePayload, HashPayload, NotifyPayload, Payload

ERROR_NOTIFY_LIMIT = 16384  # RFC 2408 3.14.1: types below this are errors
DEFINED_ERROR_LIMIT = 8192  # RFC 2408 3.14.1: 1-8191 are the defined error types
REFUSED_REASON = "Informational (in) state 1"  # IOS's reason for a refused message 1


def notify_name(notify_type: int) -> str:
    return name_of(NotifyType, notify_type)


def _protected(sa: IkeSa) -> bool:
    return sa.crypto is not None and sa.rcookie != ZERO_COOKIE


# RFC 2409 5.7: HDR*, HASH(1), N/D with HASH(1) = prf(SKEYID_a, M-ID | N/D).
def _send_protected(ctx: Context, sa: IkeSa, payloads: Sequence[Payload]) -> int:
    if sa.crypto is None:
        raise RuntimeError("protected informational without keys")
    mid = sa.message_ids.allocate(ctx.random)
    digest = keymat.informational_hash(
        sa.crypto.prf, sa.crypto.keys.skeyid_a, mid, encode_payloads(payloads)
    )
    message = codec.encrypted(
        sa, ExchangeType.INFORMATIONAL, [HashPayload(digest), *payloads], mid, one_message=True
    )
    ctx.send(sa, message)
    return mid


# RFC 2408 3.14: for ISAKMP the SPI is the cookie pair; for IPsec the SA's SPI.
def send_notify(
    ctx: Context,
    sa: IkeSa,
    notify_type: int,
    *,
    protocol: int = ProtocolId.ISAKMP,
    spi: bytes | None = None,
    data: bytes = b"",
) -> bytes | None:
    """Send a notify about ``sa`` (protected when keys exist); returns the plain message."""
    if spi is None:
        spi = sa.icookie + sa.rcookie if protocol == ProtocolId.ISAKMP else b""
    payload = NotifyPayload(notify_type, protocol, spi, data)
    name = notify_name(notify_type)
    if _protected(sa):
        mid = _send_protected(ctx, sa, [payload])
        ctx.isakmp(
            f"{sa.tag}: sending NOTIFY {name} protocol {protocol}, message ID = {signed_mid(mid)}"
        )
        return None
    message = codec.plain(sa, ExchangeType.INFORMATIONAL, [payload])
    ctx.isakmp(f"{sa.tag}: sending NOTIFY {name} protocol {protocol} (unprotected)")
    ctx.send(sa, message)
    return message


# RFC 2408 3.15: Delete for the ISAKMP SA carries the 16-byte cookie pair.
def send_delete_ike(ctx: Context, sa: IkeSa) -> None:
    if not _protected(sa):
        return
    payload = DeletePayload(ProtocolId.ISAKMP, 16, (sa.icookie + sa.rcookie,))
    mid = _send_protected(ctx, sa, [payload])
    ctx.isakmp(f"{sa.tag}: sending DELETE for ISAKMP SA, message ID = {signed_mid(mid)}")


# RFC 2408 3.15: Delete for ESP SAs lists the SPIs the peer sends to (our inbound SPIs).
def send_delete_children(ctx: Context, sa: IkeSa, children: Sequence[ChildSa]) -> None:
    if not _protected(sa) or not children:
        return
    spis = tuple(c.inbound.spi.to_bytes(4, "big") for c in children)
    mid = _send_protected(ctx, sa, [DeletePayload(ProtocolId.IPSEC_ESP, 4, spis)])
    for child in children:
        ctx.isakmp(
            f"{sa.tag}: sending DELETE spi {child.inbound.spi}, message ID = {signed_mid(mid)}"
        )


def _usable_mid(sa: IkeSa, mid: int, digest: bytes) -> bool:
    """A fresh message ID, or one an earlier informational of the peer's used (RFC 2409 5.7: an
    informational is a one-message exchange, its IV is derived from the M-ID alone) carrying a
    different message: vpnc reuses IDs from a small range; a byte-identical replay is refused.
    M-ID 0 is phase 1's, so it is refused until phase 1 is done; after that it can only be an
    informational (vpnc draws its Delete IDs from one random byte, 0 included: its
    src/vpnc.c send_delete_ipsec/send_delete_isakmp_cookie)."""
    if mid == 0 and not sa.established:
        return False
    if mid not in sa.message_ids.used:
        return True
    return digest not in sa.peer_informationals.get(mid, {digest})


# RFC 2409 5.7: verify HASH(1) before acting on anything (DESIGN.md principle 2).
def receive_protected(ctx: Context, sa: IkeSa, header: Header, data: bytes) -> None:
    mid = header.message_id
    digest = hashlib.sha256(data).digest()
    if sa.crypto is None or not _usable_mid(sa, mid, digest):
        raise DecodeError(f"informational with unusable message ID {mid}")
    inbound = codec.decrypt(sa, header, data, one_message=True)
    rules.check(rules.Kind.INFO, inbound.payloads)
    expected = keymat.informational_hash(
        sa.crypto.prf, sa.crypto.keys.skeyid_a, mid, inbound.after_hash()
    )
    if not hmac.compare_digest(expected, inbound.hash_data()):
        raise AuthenticationError("informational HASH(1) mismatch")
    sa.message_ids.claim(mid)
    sa.peer_informationals.setdefault(mid, set()).add(digest)
    if len(inbound.payloads) == 1:
        ctx.isakmp(f"{sa.tag}: keepalive (HASH only) from {sa.peer}")
    for payload in inbound.payloads[1:]:
        if isinstance(payload, DeletePayload):
            _process_delete(ctx, sa, payload, mid)
        elif isinstance(payload, NotifyPayload):
            process_notify(ctx, sa, payload, mid)
    liveness.heard(ctx, sa)  # after an R-U-THERE-ACK was matched against the open round


def receive_plain(ctx: Context, sa: IkeSa, header: Header, payloads: Sequence[Payload]) -> None:
    """Unauthenticated notifies/deletes: logged, remembered for diagnostics, never acted on,
    except an error notify that refuses our message 1 (:func:`refuses_message_1`)."""
    for payload in payloads:
        if isinstance(payload, NotifyPayload) and refuses_message_1(sa, payload):
            _refused(ctx, sa, header, payload)
            return
    for payload in payloads:
        if isinstance(payload, NotifyPayload):
            name = notify_name(payload.notify_type)
            ctx.isakmp(
                f"{sa.tag}: processing NOTIFY {name} protocol {payload.protocol_id} from "
                f"{sa.peer} (unprotected, ignored)"
            )
            if payload.notify_type < ERROR_NOTIFY_LIMIT:
                sa.peer_notify = payload.notify_type
        elif isinstance(payload, DeletePayload):
            ctx.isakmp(f"{sa.tag}: unprotected DELETE from {sa.peer} ignored")


# RFC 2408 3.14 and 3.14.1: before any keys exist a notify cannot be authenticated, yet the
# peer may only refuse our first message in the clear. IOS and strongSwan end the
# negotiation on it: we initiated, still wait for message 2, and the notify is an error
# about our cookie (the message's header found this SA by our initiator cookie; an SPI, when
# the notify carries one, must start with it). Anything later must be protected.
def refuses_message_1(sa: IkeSa, payload: NotifyPayload) -> bool:
    if not sa.initiator or sa.state not in AWAITING_RCOOKIE:
        return False
    if not 0 < payload.notify_type < DEFINED_ERROR_LIMIT:
        return False
    if payload.protocol_id != ProtocolId.ISAKMP:
        return False
    return not payload.spi or payload.spi[:8] == sa.icookie


def _refused(ctx: Context, sa: IkeSa, header: Header, payload: NotifyPayload) -> None:
    spi = int.from_bytes(payload.spi, "big") if len(payload.spi) == 4 else 0  # IOS: ISAKMP 0
    ctx.isakmp(
        f"{sa.tag}: processing NOTIFY {notify_name(payload.notify_type)} protocol "
        f"{payload.protocol_id} spi {spi}, message ID = {signed_mid(header.message_id)}"
    )
    sa.peer_notify = payload.notify_type
    lifecycle.drop_ike(ctx, sa, REFUSED_REASON, payload.notify_type)


def _process_delete(ctx: Context, sa: IkeSa, payload: DeletePayload, mid: int) -> None:
    ctx.isakmp(
        f"{sa.tag}: processing DELETE payload. message ID = {signed_mid(mid)}, "
        f"spi size = {payload.spi_size}"
    )
    if payload.protocol_id == ProtocolId.ISAKMP:
        for cookies in payload.spis:
            target = ctx.table.find(cookies[:8], cookies[8:]) if len(cookies) == 16 else None
            if target is not None and target.peer_key == sa.peer_key:
                lifecycle.drop_ike(ctx, target, "Receive delete from peer")
        return
    if payload.protocol_id != ProtocolId.IPSEC_ESP or payload.spi_size != 4:
        ctx.isakmp(f"{sa.tag}: DELETE for protocol {payload.protocol_id} ignored")
        return
    done: set[int] = set()
    for raw_spi in payload.spis:
        spi = int.from_bytes(raw_spi, "big")
        if spi in done:
            continue
        # The SPI the sender receives on (our outbound). Some peers name our inbound one
        # instead: vpnc lists both SPIs of the pair, strongSwan 5.9 uses ours when it
        # cannot install a pair it just negotiated. Either way it names one of our pairs.
        child = ctx.table.child_by_outbound(spi) or ctx.table.children.get(spi)
        if child is None or (child.peer_key or child.peer) != sa.peer_key:
            ctx.isakmp(f"{sa.tag}: DELETE for unknown spi {spi} ignored")
            continue
        ctx.isakmp(f"{sa.tag}: deleting spi {spi} message ID = {signed_mid(mid)}")
        done |= {child.inbound.spi, child.outbound.spi}
        lifecycle.drop_child(ctx, child, "deleted by peer")


# RFC 2408 3.14.1: INVALID-SPI, protocol ESP, the SPI field holding the SPI the ESP packet
# carried (the peer's outbound SPI of a pair we do not have).
def send_invalid_spi(ctx: Context, sa: IkeSa, spi: int) -> None:
    send_notify(
        ctx, sa, NotifyType.INVALID_SPI, protocol=ProtocolId.IPSEC_ESP, spi=spi.to_bytes(4, "big")
    )


def _invalid_spi(ctx: Context, sa: IkeSa, payload: NotifyPayload) -> None:
    """IOS "invalid SPI recovery": the peer receives ESP from us on an SPI it does not know,
    so the pair is gone on its side. Delete ours (a Delete goes too, in case the peer kept
    the other half): the traffic falls back to an older pair still valid, or its next packet
    negotiates a new one. One naming no pair of ours with this peer changes nothing."""
    spi = int.from_bytes(payload.spi, "big") if len(payload.spi) == 4 else None
    child = ctx.table.child_by_outbound(spi) if spi is not None else None
    esp = payload.protocol_id == ProtocolId.IPSEC_ESP
    if not esp or child is None or (child.peer_key or child.peer) != sa.peer_key:
        ctx.isakmp(f"{sa.tag}: INVALID_SPI for spi {payload.spi.hex()}: no such SA, ignored")
        return
    ctx.ipsec(
        f"IPSEC: {sa.peer} has no SA with spi 0x{child.outbound.spi:08X}: deleting the pair "
        f"(invalid SPI recovery)"
    )
    send_delete_children(ctx, sa, [child])
    lifecycle.drop_child(ctx, child, "peer reported invalid SPI")


# RFC 2407 4.6.3.3: INITIAL-CONTACT drops every other SA with the peer. A remote-access
# peer is its address *and port*: other clients behind the same NAT address keep theirs.
def initial_contact(ctx: Context, sa: IkeSa) -> None:
    ctx.isakmp(
        f"{sa.tag}: Process initial contact, bring down existing phase 1 and 2 SA's with "
        f"local {sa.local} remote {sa.peer_key}"
    )
    for other in list(ctx.table.ike.values()):
        if other is not sa and other.peer_key == sa.peer_key and other.alive:
            lifecycle.drop_ike(ctx, other, "Receive initial contact")
    for child in ctx.table.children_of(sa.peer_key):
        lifecycle.drop_child(ctx, child, "initial contact")


def process_notify(ctx: Context, sa: IkeSa, payload: NotifyPayload, mid: int) -> None:
    """An authenticated notify (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706)."""
    kind = payload.notify_type
    name = notify_name(kind)
    ctx.isakmp(
        f"{sa.tag}: processing NOTIFY {name} protocol {payload.protocol_id}, "
        f"message ID = {signed_mid(mid)}"
    )
    if kind == NotifyType.INITIAL_CONTACT:
        initial_contact(ctx, sa)
    elif kind == NotifyType.R_U_THERE and len(payload.data) == 4:
        # RFC 3706 5.1: acknowledge with the same sequence number.
        send_notify(ctx, sa, NotifyType.R_U_THERE_ACK, data=payload.data)
    elif kind == NotifyType.R_U_THERE_ACK:
        liveness.ack(ctx, sa, payload)
    elif kind == NotifyType.INVALID_SPI:
        _invalid_spi(ctx, sa, payload)
    elif kind < ERROR_NOTIFY_LIMIT:
        _error_notify(ctx, sa, payload)


def _error_notify(ctx: Context, sa: IkeSa, payload: NotifyPayload) -> None:
    """A protected error notify ends the quick mode it is about (by SPI, or the only one)."""
    pending = [qm for qm in sa.quick.values() if qm.initiator]
    by_spi = [qm for qm in pending if qm.inbound_spi.to_bytes(4, "big") == payload.spi]
    targets = by_spi or (pending if len(pending) == 1 else [])
    reason = f"peer sent {notify_name(payload.notify_type)}"
    for qm in targets:
        lifecycle.fail_quick(ctx, sa, qm, reason, payload.notify_type)
