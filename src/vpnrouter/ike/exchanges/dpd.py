"""Dead peer detection (RFC 3706), both ways, as ``crypto isakmp keepalive S [R] [periodic]``.

- Answering: an authenticated R-U-THERE gets an R-U-THERE-ACK with the same sequence number
  (:mod:`vpnrouter.ike.exchanges.informational`), always.
- Asking (section 5.3, "worry metric"): on demand, when we sent traffic to the peer but heard
  nothing from it (no authenticated IKE message, no inbound ESP) for ``interval`` seconds;
  ``periodic``, whenever it was silent that long. An unanswered R-U-THERE is repeated every
  ``retry`` seconds with the next sequence number (section 5.5); after ``max_retries``
  repeats the peer is dead: its IPsec SAs and the ISAKMP SA are deleted, and a remote-access
  client's pool address goes back to the pool.

The peer must have said it does DPD (section 5.1: the DPD vendor ID); Cisco Unity clients
answer R-U-THERE without sending that VID (vpnc), so a Unity client is probed as well.
The debug wording is ours in IOS style (IOS's own DPD lines were not confirmed), and so is
the syslog message, which therefore carries the ``%VPNROUTER`` facility, not ``%CRYPTO``.
"""

from __future__ import annotations

from vpnrouter.ike import lifecycle
from vpnrouter.ike.context import Context
from vpnrouter.ike.exchanges import informational, vendor
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.constants import NotifyType

SEQ_MASK = 0x7FFFFFFF  # start low enough that a long session never wraps (RFC 3706 5.5)


def _applies(ctx: Context, sa: IkeSa) -> bool:
    return ctx.policy.dpd is not None and sa.established and vendor.does_dpd(sa)


def deadline(ctx: Context, sa: IkeSa) -> float | None:
    """When :func:`run` next has something to do for ``sa``."""
    policy = ctx.policy.dpd
    if policy is None or not _applies(ctx, sa):
        return None
    state = sa.dpd
    if state.outstanding is not None:
        return state.next_at
    worried = policy.periodic or (
        state.last_sent is not None and state.last_sent > state.last_heard
    )
    return state.last_heard + policy.interval if worried else None


# RFC 3706 5.5: a new sequence number for every R-U-THERE, random to begin with.
def _probe(ctx: Context, sa: IkeSa) -> None:
    state = sa.dpd
    if state.seq == 0:
        state.seq = int.from_bytes(ctx.random(4), "big") & SEQ_MASK or 1
    else:
        state.seq = (state.seq + 1) & 0xFFFFFFFF
    if state.outstanding is None:
        state.outstanding = state.seq
    ctx.isakmp(f"{sa.tag}: DPD/R_U_THERE sequence {state.seq} sent to {sa.peer}")
    informational.send_notify(ctx, sa, NotifyType.R_U_THERE, data=state.seq.to_bytes(4, "big"))


def run(ctx: Context, sa: IkeSa) -> None:
    policy = ctx.policy.dpd
    when = deadline(ctx, sa)
    if policy is None or when is None or ctx.now < when:
        return
    state = sa.dpd
    if state.outstanding is not None:
        state.retries += 1
        if state.retries > policy.max_retries:
            dead(ctx, sa)
            return
        ctx.isakmp(f"{sa.tag}: DPD retransmit {state.retries} of {policy.max_retries} to {sa.peer}")
    _probe(ctx, sa)
    state.next_at = ctx.now + policy.retry


def dead(ctx: Context, sa: IkeSa) -> None:
    """The peer stopped answering: its IPsec SAs and the ISAKMP SA go (no one to tell)."""
    reason = "DPD: peer not responding"
    ctx.isakmp(f"{sa.tag}: peer {sa.peer} did not answer DPD: deleting its SAs")
    ctx.syslog(
        f"%VPNROUTER-5-DPD_DEAD: Peer {sa.peer} did not answer dead peer detection, "
        f"its SAs are deleted"
    )
    for child in ctx.table.children_of(sa.peer_key):
        lifecycle.drop_child(ctx, child, reason)
    lifecycle.drop_ike(ctx, sa, reason)
