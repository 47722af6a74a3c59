"""Retrying a failed rekey while the pair it would replace still has lifetime left.

A quick mode we start to replace a pair before it expires can fail: the peer answers with an
error notify (e.g. NO-PROPOSAL-CHOSEN while its configuration changes), it never answers
("Death by retransmission P2"), or the phase 1 that was to carry it fails. The pair itself
still works until its hard lifetime, and letting it run out drops traffic until an acquire
renegotiates. IOS tries again (it re-triggers on soft expiry and traffic); so do we: a new
quick mode (new message ID, SPI and nonces) after a back-off that doubles from
:data:`RETRY_FIRST` up to :data:`RETRY_MAX` seconds, never later than halfway to the pair's
end, at most :data:`MAX_RETRIES` times per pair. After that the pair simply ends.
"""

from __future__ import annotations

from vpnrouter.ike.context import Context
from vpnrouter.ike.sa import ChildSa, ChildState

RETRY_FIRST = 2.0  # seconds after the first failure
RETRY_MAX = 60.0
MAX_RETRIES = 4  # quick modes after the first one, per pair


def rekey_failed(ctx: Context, rekey_of: int, reason: str) -> None:
    """A rekey of the pair with inbound SPI ``rekey_of`` failed: schedule the next attempt,
    unless the pair is gone, no longer current (the peer's own rekey replaced it) or out of
    attempts."""
    child = ctx.table.children.get(rekey_of)
    if child is None or child.state is not ChildState.ACTIVE:
        return
    child.rekey_failures += 1
    left = child.hard_at - ctx.now
    what = f"IPSEC: rekey of spi 0x{child.inbound.spi:08X} with {child.peer} failed ({reason})"
    if child.rekey_failures > MAX_RETRIES or left <= 0:
        ctx.ipsec(f"{what}; no more attempts, the SA ends in {max(left, 0.0):.0f} s")
        return
    delay = min(RETRY_FIRST * 2 ** (child.rekey_failures - 1), RETRY_MAX, left / 2)
    child.rekey_retry_at = ctx.now + delay
    ctx.ipsec(
        f"{what}; retrying in {delay:g} s (attempt {child.rekey_failures + 1} of {MAX_RETRIES + 1})"
    )


def retry_due(ctx: Context, child: ChildSa) -> bool:
    """The pair is still current and its next rekey attempt is due."""
    return (
        child.state is ChildState.ACTIVE
        and child.rekey_retry_at is not None
        and ctx.now >= child.rekey_retry_at
    )
