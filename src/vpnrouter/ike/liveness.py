"""Signs of life for dead peer detection (RFC 3706): what resets a peer's DPD clock.

Kept apart from :mod:`vpnrouter.ike.exchanges.dpd` (which sends R-U-THERE through the
informational exchange) so that the informational, quick mode and transaction code can
report liveness without importing it.
"""

from __future__ import annotations

from vpnrouter.ike.context import Context
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.payloads import NotifyPayload


def heard(ctx: Context, sa: IkeSa) -> None:
    """Something authenticated came from the peer (or inbound ESP on its SAs): it is alive."""
    sa.dpd.last_heard = ctx.now
    sa.dpd.outstanding = None
    sa.dpd.retries = 0
    sa.dpd.next_at = None


def sent_traffic(ctx: Context, sa: IkeSa) -> None:
    """We sent ESP to the peer (on-demand DPD worries only then)."""
    sa.dpd.last_sent = ctx.now


# RFC 3706 5.4: an R-U-THERE-ACK must carry a sequence number of the outstanding round.
def ack(ctx: Context, sa: IkeSa, payload: NotifyPayload) -> None:
    if len(payload.data) != 4:
        return
    seq = int.from_bytes(payload.data, "big")
    state = sa.dpd
    if state.outstanding is None or not state.outstanding <= seq <= state.seq:
        ctx.isakmp(f"{sa.tag}: DPD/R_U_THERE_ACK {seq} not expected: ignored")
        return
    ctx.isakmp(f"{sa.tag}: DPD/R_U_THERE_ACK sequence {seq} from {sa.peer}")
    heard(ctx, sa)
