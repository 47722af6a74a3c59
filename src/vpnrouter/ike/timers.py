"""Everything that happens because time passed: retransmissions with back-off, negotiation
timeouts, NAT keepalives, rekeying before expiry (phase 1 and 2) and expiry itself, and the
removal of failed SAs after they lingered for ``show``/diagnosis."""

from __future__ import annotations

from collections.abc import Callable

from vpnrouter.ike import lifecycle, rekey_retry
from vpnrouter.ike.context import Context
from vpnrouter.ike.exchanges import dpd, informational, natd, transaction
from vpnrouter.ike.manager import Retransmission, signed_mid
from vpnrouter.ike.sa import ChildRequest, ChildSa, ChildState, IkeSa, Phase1State

RequestChild = Callable[[str, str, ChildRequest], None]
StartPhase1 = Callable[[IkeSa], None]


def next_deadline(ctx: Context) -> float | None:
    """The earliest instant at which :func:`run` has something to do."""
    times: list[float] = []
    for sa in ctx.table.ike.values():
        if sa.dead:
            times.append(sa.linger_until if sa.linger_until is not None else ctx.now)
            continue
        times += [t for t in (sa.deadline, sa.expires_at, sa.nat.next_keepalive) if t is not None]
        if sa.retransmit is not None:
            times.append(sa.retransmit.next_at)
        if sa.rekey_at is not None:
            times.append(sa.rekey_at)
        for qm in sa.quick.values():
            if qm.retransmit is not None:
                times.append(qm.retransmit.next_at)
            if qm.deadline is not None:
                times.append(qm.deadline)
        times += _remote_access_times(ctx, sa)
    for child in ctx.table.children.values():
        times.append(child.hard_at)
        if child.state is ChildState.ACTIVE and not child.rekey_started:
            times.append(child.soft_at)
        if child.state is ChildState.ACTIVE and child.rekey_retry_at is not None:
            times.append(child.rekey_retry_at)
    return min(times) if times else None


def _remote_access_times(ctx: Context, sa: IkeSa) -> list[float]:
    times: list[float] = []
    if sa.ra is not None:
        if sa.ra.waiting is not None:
            times.append(sa.ra.waiting.next_at)
        for tx in sa.ra.transactions.values():
            if tx.retransmit is not None:
                times.append(tx.retransmit.next_at)
            if tx.deadline is not None:
                times.append(tx.deadline)
    when = dpd.deadline(ctx, sa)
    if when is not None:
        times.append(when)
    return times


def _remote_access(ctx: Context, sa: IkeSa) -> None:
    """XAuth / Mode Config retransmissions and give-ups, then dead peer detection."""
    ra = sa.ra
    waiting = ra.waiting if ra is not None else None
    if ra is not None and waiting is not None and not _retransmit(ctx, sa, waiting, "phase 1"):
        ra.waiting = None
        transaction.gave_up_waiting(ctx, sa)
        return
    for tx in list(ra.transactions.values()) if ra is not None else []:
        if sa.dead:
            return
        alive = tx.retransmit is None or _retransmit(ctx, sa, tx.retransmit, "transaction")
        if not alive or (tx.deadline is not None and ctx.now >= tx.deadline):
            transaction.expired(ctx, sa, tx)
    if not sa.dead:
        dpd.run(ctx, sa)


def _retransmit(ctx: Context, sa: IkeSa, state: Retransmission, what: str) -> bool:
    """Resend if due; False once the retransmissions are used up (RFC 2408 5, IOS: 5)."""
    if not state.due(ctx.now):
        return True
    if state.exhausted():
        return False
    state.advance(ctx.now)
    ctx.isakmp(f"{sa.tag}: retransmitting {what} {state.what}...")
    ctx.isakmp(
        f"{sa.tag}: incrementing error counter on sa, attempt {state.attempt} of "
        f"{state.policy.retries}: retransmit {what}"
    )
    ctx.counters["retransmits"] += 1
    for message in state.messages:
        ctx.send(sa, message)
    return True


def _exhausted(state: Retransmission | None) -> bool:
    """All retransmissions sent. With a real clock every timer fires a little late, so the
    last one's wait ends a few milliseconds after the negotiation deadline: reaching the
    deadline then is still "death by retransmission", not a plain timeout."""
    return state is not None and state.exhausted()


_KEY_HINT = " (no aggressive mode message 3: group key mismatch?)"


def _given_up(ctx: Context, sa: IkeSa, death: bool) -> None:
    """Phase 1 is abandoned: by retransmission (IOS "Death by retransmission P1") or time.
    An aggressive mode responder waiting for message 3 most likely faces a client whose
    group key differs: it failed to verify HASH_R and went silent."""
    if death:
        ctx.isakmp(f"{sa.tag}: peer does not do paranoid keepalives.")
    reason = "Death by retransmission P1" if death else "phase 1 negotiation timed out"
    if sa.state is Phase1State.R_AM2:
        reason += _KEY_HINT
    lifecycle.drop_ike(ctx, sa, reason, sa.peer_notify)


def _phase1(ctx: Context, sa: IkeSa, start_phase1: StartPhase1) -> None:
    if sa.retransmit is not None and not _retransmit(ctx, sa, sa.retransmit, "phase 1"):
        _given_up(ctx, sa, True)
        return
    if sa.deadline is not None and ctx.now >= sa.deadline:
        _given_up(ctx, sa, _exhausted(sa.retransmit))
        return
    if not sa.established:
        return
    natd.keepalive_due(ctx, sa)
    if sa.expires_at is not None and ctx.now >= sa.expires_at:
        informational.send_delete_ike(ctx, sa)
        lifecycle.drop_ike(ctx, sa, "lifetime expired")
        return
    if sa.rekey_at is not None and ctx.now >= sa.rekey_at:
        sa.rekey_at = None
        start_phase1(sa)


def _quick_modes(ctx: Context, sa: IkeSa) -> None:
    for qm in list(sa.quick.values()):
        if qm.retransmit is not None and not _retransmit(ctx, sa, qm.retransmit, "phase 2"):
            lifecycle.fail_quick(ctx, sa, qm, "Death by retransmission P2")
            continue
        if qm.deadline is not None and ctx.now >= qm.deadline:
            if _exhausted(qm.retransmit):
                lifecycle.fail_quick(ctx, sa, qm, "Death by retransmission P2")
                continue
            ctx.isakmp(f"{sa.tag}: quick mode {signed_mid(qm.mid)} timed out")
            lifecycle.fail_quick(ctx, sa, qm, "quick mode timed out")


def _children(ctx: Context, request_child: RequestChild) -> None:
    for child in list(ctx.table.children.values()):
        if ctx.now >= child.hard_at:
            expire_child(ctx, child, "lifetime expired")
        elif soft_due(ctx, child) or rekey_retry.retry_due(ctx, child):
            rekey_child(ctx, child, request_child)


def soft_due(ctx: Context, child: ChildSa) -> bool:
    """The current pair reached its soft lifetime and no rekey was started for it."""
    return child.state is ChildState.ACTIVE and not child.rekey_started and ctx.now >= child.soft_at


def expire_child(ctx: Context, child: ChildSa, reason: str) -> None:
    """Hard lifetime: tell the peer (RFC 2408 4.8) and remove the pair."""
    sa = ctx.table.ike_for_child(child)
    if sa is not None:
        informational.send_delete_children(ctx, sa, [child])
    lifecycle.drop_child(ctx, child, reason)


def retire_superseded(ctx: Context, sa: IkeSa, child: ChildSa) -> None:
    """The peer sends on ``child``; it sends on its newest pair for the traffic, so the
    REKEYED pairs installed before ``child`` carry nothing any more. All but the latest of
    them are deleted now (one Delete, RFC 2408 4.8) rather than at their own end: rekeyed in
    time, pairs no longer run out, and those of a short kilobyte lifetime at a high rate
    would otherwise pile up. The latest is kept as the fallback the data plane turns to if
    ``child`` runs out before its own successor is up (the last 10 % of 2560 KB last 20 ms
    at 100 Mbit/s); it goes at the next round or at its end."""
    key = child.peer_key or child.peer
    older = sorted(
        (
            other
            for other in ctx.table.children.values()
            if other.state is ChildState.REKEYED
            and (other.peer_key or other.peer) == key
            and other.selector == child.selector
            and other.conn_ids[0] < child.conn_ids[0]
        ),
        key=lambda other: other.conn_ids[0],
    )
    done = older[:-1]
    if not done:
        return
    ctx.ipsec(
        f"IPSEC: {child.peer} sends on spi 0x{child.inbound.spi:08X}: deleting the "
        f"{len(done)} pair(s) it replaced"
    )
    informational.send_delete_children(ctx, sa, done)
    for other in done:
        lifecycle.drop_child(ctx, other, "superseded")


def rekey_child(ctx: Context, child: ChildSa, request_child: RequestChild) -> None:
    """Soft lifetime (time or volume), or the retry of a rekey that failed
    (:mod:`vpnrouter.ike.rekey_retry`): negotiate the successor before the pair expires."""
    child.rekey_started = True
    child.rekey_retry_at = None
    ctx.ipsec(
        f"IPSEC(sa_request): rekeying SA with spi 0x{child.inbound.spi:08X} to {child.peer} "
        f"(map {child.entry.map_name} {child.entry.seq})"
    )
    request = ChildRequest(
        child.entry,
        child.selector,
        rekey_of=child.inbound.spi,
        ike_conn_id=child.ike_conn_id,
        peer_key=child.peer_key,
    )
    request_child(child.local, child.peer, request)


def run(ctx: Context, request_child: RequestChild, start_phase1: StartPhase1) -> None:
    for sa in list(ctx.table.ike.values()):
        if sa.dead:
            if sa.linger_until is None or ctx.now >= sa.linger_until:
                ctx.table.remove(sa)
            continue
        _phase1(ctx, sa, start_phase1)
        if not sa.dead:
            _quick_modes(ctx, sa)
        if not sa.dead and sa.established:
            _remote_access(ctx, sa)
    _children(ctx, request_child)
