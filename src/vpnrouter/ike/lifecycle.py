"""Tearing SAs down: the bookkeeping and events, no datagrams (callers send Delete payloads
through :mod:`vpnrouter.ike.exchanges.informational` first when the peer must be told).

RFC 2408 section 4.8 / RFC 2409 section 5.7: deleting an SA is local plus an optional Delete
notification. In IKEv1 IPsec SAs outlive the ISAKMP SA that created them.
"""

from __future__ import annotations

from vpnrouter.ike import rekey_retry, sessions
from vpnrouter.ike.context import Context
from vpnrouter.ike.events import ChildSaDown, IkeSaDown, NegotiationFailed
from vpnrouter.ike.exchanges import child as child_sa
from vpnrouter.ike.manager import signed_mid
from vpnrouter.ike.policy import TrafficSelector
from vpnrouter.ike.proposals import EspOffer
from vpnrouter.ike.sa import ChildSa, ChildState, IkeSa, Phase2Outcome, QuickMode


def drop_child(ctx: Context, child: ChildSa, reason: str) -> None:
    """Remove one pair of ESP SAs and tell the data plane (ChildSaDown)."""
    if ctx.table.children.get(child.inbound.spi) is not child:
        return
    del ctx.table.children[child.inbound.spi]
    was_active = child.state is ChildState.ACTIVE
    child.state = ChildState.DELETED
    if was_active:
        _promote_survivor(ctx, child)
    for spi, dest in ((child.inbound.spi, child.local), (child.outbound.spi, child.peer)):
        ctx.ipsec(
            f"IPSEC(delete_sa): deleting SA, (sa) sa_dest= {dest}, sa_prot= 50, "
            f"sa_spi= 0x{spi:08X}({spi}), sa_conn_id= {child.conn_ids[0]}"
        )
    ctx.emit(ChildSaDown(child.local, child.peer, child.inbound.spi, child.outbound.spi, reason))
    if child.client_address is not None:
        sessions.release_unused(ctx, reason)


def _promote_survivor(ctx: Context, gone: ChildSa) -> None:
    """One ACTIVE pair per traffic: when the current pair goes (the peer deleted it, its
    lifetime ran out before its successor came up, ...) while older pairs for the same
    traffic still run, the newest of them carries the traffic again (the data plane falls
    back to it as well) and is rekeyed when it is due, unless a quick mode for that traffic
    is already under way, instead of waiting, REKEYED, for its end with traffic on it."""
    key = gone.peer_key or gone.peer
    negotiating = any(
        qm.selector == gone.selector
        for sa in ctx.table.ike.values()
        if sa.alive and sa.peer_key == key
        for qm in sa.quick.values()
    )
    rest = [
        c
        for c in ctx.table.children.values()
        if (c.peer_key or c.peer) == key
        and c.selector == gone.selector
        and c.state is ChildState.REKEYED
    ]
    if not rest:
        return
    survivor = max(rest, key=lambda c: c.conn_ids[0])
    survivor.state = ChildState.ACTIVE
    survivor.rekey_started = negotiating
    survivor.rekey_retry_at = None
    ctx.ipsec(
        f"IPSEC: spi 0x{survivor.inbound.spi:08X} to {survivor.peer} is the current SA again "
        f"(spi 0x{gone.inbound.spi:08X} deleted)"
    )


def fail_quick(
    ctx: Context, sa: IkeSa, qm: QuickMode, reason: str, notify: int | None = None
) -> None:
    """Abandon a quick mode (RFC 2409 5.5); the ISAKMP SA stays. A responder's inbound SA,
    accepting since QM2, goes again; a rekey we started is tried again later."""
    if sa.quick.pop(qm.mid, None) is None:
        return
    if sa.crypto is not None:
        sa.crypto.ivs.forget(qm.mid)
    if not sa.dead:
        note_phase2_failure(ctx, sa, reason, notify)
    ctx.isakmp(f'{sa.tag}: deleting node {signed_mid(qm.mid)} error TRUE reason "{reason}"')
    child_sa.withdraw_inbound(ctx, sa, qm, reason)
    ctx.emit(NegotiationFailed(sa.peer, 2, reason, notify, qm.entry.map_name, qm.entry.seq))
    if qm.initiator and qm.rekey_of is not None:
        rekey_retry.rekey_failed(ctx, qm.rekey_of, reason)


def note_phase2_failure(
    ctx: Context,
    sa: IkeSa,
    reason: str,
    notify: int | None,
    peer_offers: tuple[EspOffer, ...] = (),
    peer_proxy: TrafficSelector | None = None,
) -> None:
    """Remember why a quick mode failed, for ``show crypto isakmp diagnose`` (as responder
    with what the peer had proposed)."""
    sa.phase2 = Phase2Outcome(reason, notify, ctx.now, peer_offers, peer_proxy)


def finish_quick(ctx: Context, sa: IkeSa, qm: QuickMode) -> None:
    """A quick mode completed: forget its IV state, keep its message ID marked used."""
    sa.phase2 = None
    sa.quick.pop(qm.mid, None)
    if sa.crypto is not None:
        sa.crypto.ivs.forget(qm.mid)
    ctx.isakmp(f'{sa.tag}: deleting node {signed_mid(qm.mid)} error FALSE reason "quick mode done"')


def drop_ike(ctx: Context, sa: IkeSa, reason: str, notify: int | None = None) -> None:
    """Mark an ISAKMP SA dead; it stays visible in its last state for ``failed_sa_linger``."""
    if sa.dead:
        return
    was_established = sa.established
    sa.dead = True
    sa.ended_at = ctx.now
    sa.failure = sa.failure or reason
    sa.linger_until = ctx.now + ctx.policy.failed_sa_linger
    sa.retransmit = None
    sa.deadline = None
    sa.nat.next_keepalive = None
    sa.dpd.next_at = None
    for qm in list(sa.quick.values()):
        fail_quick(ctx, sa, qm, reason, notify)
    if sa.ra is not None:
        for tx in sa.ra.transactions.values():
            tx.retransmit = None
        sa.ra.transactions.clear()
        sa.ra.waiting = None
        sa.ra.pending_xauth = None
    ctx.isakmp(
        f'{sa.tag}: deleting SA reason "{reason}" state ({sa.role}) {sa.state.ios} (peer {sa.peer})'
    )
    if was_established:
        ctx.emit(IkeSaDown(sa.conn_id, sa.local, sa.peer, reason))
        if sa.ra is not None and sa.ra.address is not None:
            sessions.release_unused(ctx, reason)
        return
    waiting = list(sa.waiting)
    sa.waiting.clear()
    entry = waiting[0].entry if waiting else None
    ctx.emit(
        NegotiationFailed(
            sa.peer,
            1,
            reason,
            notify,
            entry.map_name if entry else "",
            entry.seq if entry else 0,
        )
    )
    for request in waiting:
        if request.rekey_of is not None:
            rekey_retry.rekey_failed(ctx, request.rekey_of, f"phase 1: {reason}")
