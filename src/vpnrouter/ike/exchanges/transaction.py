"""Routing of received transaction exchange messages (exchange type 6) to XAuth and Mode
Config, for both halves, and what happens when one of ours is never answered.

draft-dukes-ike-mode-cfg-02 3.2: REQUEST -> REPLY, SET -> ACK, same message ID. Which one a
message is follows from who we are (router or client) and whether its message ID is an
exchange we started. A message only acts after its HASH verified (principle 2); a client
waiting for its user recognises the gateway's retransmitted XAuth request by its bytes.

Debug wording: ``processing transaction payload from ... message ID = ...`` and ``Config
payload REQUEST/REPLY/SET/ACK`` are remembered IOS 12.x lines, unconfirmed (no source found;
see :mod:`vpnrouter.ike.exchanges.xauth`); the other lines here are ours.
"""

from __future__ import annotations

from vpnrouter.ike import lifecycle, liveness
from vpnrouter.ike.context import Context
from vpnrouter.ike.events import NegotiationFailed
from vpnrouter.ike.exchanges import cfgmsg, informational, mode_config, xauth
from vpnrouter.ike.manager import signed_mid
from vpnrouter.ike.ra import Transaction, TxKind
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.constants import CfgAttr, CfgMessageType, name_of
from vpnrouter.wire.errors import DecodeError
from vpnrouter.wire.header import Header
from vpnrouter.wire.payloads import AttributePayload


def handle(ctx: Context, sa: IkeSa, header: Header, data: bytes) -> None:
    """One received transaction message on an established ISAKMP SA."""
    ra = sa.ra
    mid = header.message_id
    if ra is None:
        ctx.counters["dropped"] += 1
        ctx.isakmp(f"{sa.tag}: transaction exchange from a peer without XAuth/Mode Config")  # ours
        return
    if ra.pending_xauth is not None and data == ra.pending_xauth.raw:
        ctx.counters["duplicates"] += 1  # the gateway repeats while our user types
        return
    tx = ra.transactions.get(mid)
    if tx is None and mid in ra.closed:
        ctx.counters["duplicates"] += 1  # a late answer to an exchange we already closed
        return
    if tx is None and (mid == 0 or mid in sa.message_ids.used):
        raise DecodeError(f"transaction exchange with unusable message ID {signed_mid(mid)}")
    payload = cfgmsg.receive(sa, header, data)
    if tx is None:
        sa.message_ids.claim(mid)
    liveness.heard(ctx, sa)
    ra.waiting = None
    # remembered IOS wording, unconfirmed
    ctx.isakmp(
        f"{sa.tag}: processing transaction payload from {sa.peer}. message ID = {signed_mid(mid)}"
    )
    ctx.isakmp(f"ISAKMP: Config payload {name_of(CfgMessageType, payload.cfg_type)}")
    if tx is not None and payload.identifier != tx.identifier:
        # draft-dukes-ike-mode-cfg-02 3.2 wants the REPLY/ACK to echo the identifier, but
        # strongSwan 5.9 answers with 0: the message ID already ties it to our request.
        ctx.isakmp(
            f"{sa.tag}: Config payload identifier {payload.identifier} (expected "
            f"{tx.identifier}) accepted"
        )
    if ra.server:
        _router(ctx, sa, tx, mid, payload, data)
    else:
        _client(ctx, sa, tx, mid, payload, data)


def _unexpected(ctx: Context, sa: IkeSa, payload: AttributePayload) -> None:
    ctx.counters["dropped"] += 1
    kind = name_of(CfgMessageType, payload.cfg_type)
    ctx.isakmp(f"{sa.tag}: unexpected Config payload {kind} from {sa.peer}: ignored")


def _router(
    ctx: Context,
    sa: IkeSa,
    tx: Transaction | None,
    mid: int,
    payload: AttributePayload,
    raw: bytes,
) -> None:
    kind = payload.cfg_type
    if tx is not None:
        if tx.kind is TxKind.XAUTH_REQUEST and kind == CfgMessageType.REPLY:
            xauth.server_reply(ctx, sa, tx, payload)
        elif tx.kind is TxKind.XAUTH_STATUS and kind == CfgMessageType.ACK:
            xauth.server_ack(ctx, sa, tx)
        elif tx.kind is TxKind.CONFIG_SET and kind == CfgMessageType.ACK:
            mode_config.server_ack(ctx, sa, tx)
        else:
            _unexpected(ctx, sa, payload)
        return
    if kind == CfgMessageType.REQUEST and not xauth.is_xauth(payload):
        if sa.ra is not None and not sa.ra.ready:
            xauth.implied_ack(ctx, sa)
        mode_config.server_request(ctx, sa, mid, payload, raw)
        return
    _unexpected(ctx, sa, payload)


def _client(
    ctx: Context,
    sa: IkeSa,
    tx: Transaction | None,
    mid: int,
    payload: AttributePayload,
    raw: bytes,
) -> None:
    kind = payload.cfg_type
    if tx is not None:
        if tx.kind is TxKind.CONFIG_REQUEST and kind == CfgMessageType.REPLY:
            mode_config.client_reply(ctx, sa, tx, payload)
        else:
            _unexpected(ctx, sa, payload)
        return
    has_status = any(a.type == CfgAttr.XAUTH_STATUS for a in payload.attributes)
    if kind == CfgMessageType.REQUEST and xauth.is_xauth(payload):
        xauth.client_request(ctx, sa, mid, payload, raw)
    elif kind == CfgMessageType.SET and has_status:
        xauth.client_status(ctx, sa, mid, payload, raw)
    elif kind == CfgMessageType.SET:
        mode_config.client_set(ctx, sa, mid, payload, raw)
    else:
        _unexpected(ctx, sa, payload)


def expired(ctx: Context, sa: IkeSa, tx: Transaction) -> None:
    """One of our REQUEST/SET messages went unanswered through every retransmission."""
    if tx.kind in (TxKind.XAUTH_REQUEST, TxKind.XAUTH_STATUS):
        xauth.expired(ctx, sa, tx)
        return
    cfgmsg.finish(ctx, sa, tx, f"{tx.kind.value} not answered")
    reason = f"Mode Config: {tx.kind.value} not answered"
    if tx.kind is TxKind.CONFIG_REQUEST:
        ctx.emit(NegotiationFailed(sa.peer, 1, reason))
    informational.send_delete_ike(ctx, sa)
    lifecycle.drop_ike(ctx, sa, reason)


def gave_up_waiting(ctx: Context, sa: IkeSa) -> None:
    """Client half: the gateway agreed to XAuth but never started it."""
    reason = "XAuth: the gateway never asked for credentials"
    ctx.emit(NegotiationFailed(sa.peer, 1, reason))
    informational.send_delete_ike(ctx, sa)
    lifecycle.drop_ike(ctx, sa, reason)
