"""Message bookkeeping shared by every exchange: message IDs, retransmission and the reply cache.

- RFC 2408 section 3.1 / RFC 2409 section 5.5: phase-2 and informational exchanges carry a
  random, non-zero message ID unique within the ISAKMP SA.
- RFC 2408 section 5 (and IOS behaviour): a request that is not answered is retransmitted with
  growing intervals; after the last retransmission the negotiation is abandoned.
- A retransmitted request (byte-identical to one already processed) is answered with the very
  same response bytes, without processing it again (no state moves, no new IV, no new keys).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from vpnrouter.ike.policy import RetransmitPolicy

REPLY_CACHE_SIZE: Final = 8  # remembered (request -> response) pairs per ISAKMP SA
MAX_MID_DRAWS: Final = 64


class Datagram(NamedTuple):
    """Something to send to the peer's (address, port) from our local port (500/4500) of our
    address ``local_addr`` ("": the data plane's first): ``data``, one bare ISAKMP message, or
    with ``keepalive`` an RFC 3948 2.3 NAT keepalive (``data`` empty). The framing of port
    4500 (the non-ESP marker, the 0xFF byte) is the data plane's (``netio``), never the
    engine's."""

    data: bytes
    addr: tuple[str, int]
    local_port: int
    keepalive: bool = False
    local_addr: str = ""


def fingerprint(data: bytes) -> bytes:
    """Key of the reply cache: a digest of the received ISAKMP message."""
    return hashlib.sha256(data).digest()


class ReplyCache:
    """Maps a processed request to the datagrams sent in answer (bounded, oldest evicted)."""

    def __init__(self, size: int = REPLY_CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[bytes, tuple[bytes, ...]] = OrderedDict()

    def remember(self, request: bytes, replies: tuple[bytes, ...]) -> None:
        key = fingerprint(request)
        self._entries[key] = replies
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def lookup(self, request: bytes) -> tuple[bytes, ...] | None:
        return self._entries.get(fingerprint(request))

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class Retransmission:
    """An outstanding request: resent at growing intervals until answered or given up."""

    messages: tuple[bytes, ...]  # ISAKMP messages
    policy: RetransmitPolicy
    next_at: float
    attempt: int = 0  # retransmissions done so far
    what: str = ""  # IOS state name, for "retransmitting phase 1 MM_NO_STATE..."

    @classmethod
    def start(
        cls, messages: tuple[bytes, ...], policy: RetransmitPolicy, now: float, what: str
    ) -> Retransmission:
        return cls(messages, policy, now + policy.interval(0), 0, what)

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def exhausted(self) -> bool:
        return self.attempt >= self.policy.retries

    def advance(self, now: float) -> None:
        """Count one retransmission and schedule the next timer (RFC 2408 5: back off)."""
        self.attempt += 1
        self.next_at = now + self.policy.interval(self.attempt)


@dataclass
class MessageIds:
    """RFC 2408 3.1: random non-zero message IDs, never reused within one ISAKMP SA."""

    used: set[int] = field(default_factory=set)

    def allocate(self, random_bytes: Callable[[int], bytes]) -> int:
        for _ in range(MAX_MID_DRAWS):
            mid = int.from_bytes(random_bytes(4), "big")
            if mid != 0 and mid not in self.used:
                self.used.add(mid)
                return mid
        raise RuntimeError("random source keeps returning used message IDs")

    def claim(self, mid: int) -> bool:
        """Record a peer-chosen ID; False if it was seen before in this SA."""
        if mid in self.used:
            return False
        self.used.add(mid)
        return True


def signed_mid(mid: int) -> int:
    """IOS prints message IDs as signed 32-bit numbers (``message ID = -1079653588``)."""
    return mid - (1 << 32) if mid & 0x80000000 else mid
