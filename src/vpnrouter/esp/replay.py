"""ESP anti-replay window (sans-I/O).

RFC 4303 section 3.4.3 (sequence number verification) with the bitmap layout of RFC 6479
("IPsec Anti-Replay Algorithm without Bit Shifting"): the window is a ring of 64-bit blocks; a
sequence number ``s`` lives in block ``(s >> 6) mod N`` at bit ``s & 63``. Moving the window
forward clears whole blocks instead of shifting the bitmap, and one spare block keeps a full
``window`` of numbers below the highest one received checkable.

DESIGN principle 2: :meth:`ReplayWindow.check` is called before the ICV is verified and never
changes state; :meth:`ReplayWindow.update` is called only once the ICV has verified.
"""

from __future__ import annotations

from enum import Enum

BLOCK_BITS = 64
_BLOCK_SHIFT = 6  # log2(BLOCK_BITS)
_BIT_MASK = BLOCK_BITS - 1
_BLOCK_MASK64 = (1 << BLOCK_BITS) - 1

MIN_WINDOW = 64
MAX_WINDOW = 1 << 16
DEFAULT_WINDOW = 1024
SEQ_MAX = (1 << 32) - 1


class ReplayVerdict(Enum):
    """Outcome of :meth:`ReplayWindow.check`."""

    OK = "ok"
    ZERO = "sequence number zero"  # never sent (RFC 4303 3.3.3: the first packet has seq 1)
    TOO_OLD = "left of the window"
    DUPLICATE = "already received"


class ReplayWindow:
    """RFC 6479 bitmap window accepting ``window`` sequence numbers below the highest seen.

    ``window`` is rounded up to a multiple of 64 and must lie in [64, 65536].
    """

    __slots__ = ("_blocks", "_index_mask", "_nblocks", "highest", "window")

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        if not MIN_WINDOW <= window <= MAX_WINDOW:
            raise ValueError(f"replay window {window} not in [{MIN_WINDOW}, {MAX_WINDOW}]")
        usable_blocks = -(-window // BLOCK_BITS)
        # RFC 6479: one more block than the window needs; the count is a power of two so that
        # the block index is a mask, not a modulo.
        nblocks = 1
        while nblocks < usable_blocks + 1:
            nblocks <<= 1
        self.window = usable_blocks * BLOCK_BITS
        self._nblocks = nblocks
        self._index_mask = nblocks - 1
        self._blocks = [0] * nblocks
        self.highest = 0

    def check(self, seq: int) -> ReplayVerdict:
        """Would ``seq`` be accepted? Pure: the window is not changed."""
        if seq == 0:
            return ReplayVerdict.ZERO
        if seq > self.highest:
            return ReplayVerdict.OK
        if seq + self.window <= self.highest:
            return ReplayVerdict.TOO_OLD
        block = self._blocks[(seq >> _BLOCK_SHIFT) & self._index_mask]
        if block >> (seq & _BIT_MASK) & 1:
            return ReplayVerdict.DUPLICATE
        return ReplayVerdict.OK

    def update(self, seq: int) -> None:
        """Record ``seq`` (which :meth:`check` accepted and whose ICV verified)."""
        if not 0 < seq <= SEQ_MAX:
            return
        block_index = seq >> _BLOCK_SHIFT
        if seq > self.highest:
            current = self.highest >> _BLOCK_SHIFT
            advance = min(block_index - current, self._nblocks)
            for step in range(1, advance + 1):
                self._blocks[(current + step) & self._index_mask] = 0
            self.highest = seq
        elif seq + self.window <= self.highest:
            return
        slot = block_index & self._index_mask
        self._blocks[slot] = (self._blocks[slot] | (1 << (seq & _BIT_MASK))) & _BLOCK_MASK64

    def reset(self) -> None:
        """Forget everything (a new SA starts from sequence number 1)."""
        self._blocks = [0] * self._nblocks
        self.highest = 0
