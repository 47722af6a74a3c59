"""One direction of an ESP security association, its counters and its lifetime (sans-I/O).

RFC 4303 (ESP) section 2 and 3.3.3 (sequence numbers, never cycled), RFC 2407 section 4.4.4 /
4.5 (transform and authentication algorithm numbers), RFC 4301 section 4.4.2.1 (SAD entry:
SPI, sequence counter, anti-replay window, algorithms and keys, lifetime in time and bytes,
selectors), RFC 3948 (UDP encapsulation ports). The counters are the ones ``show crypto ipsec
sa`` prints; ``Drop`` is the reason each dropped packet is dropped for.

The cipher and the keyed HMAC are built once, in the constructor: the codec only supplies
per-packet IVs and data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from ipaddress import IPv4Address
from typing import NamedTuple

from vpnrouter.crypto.cipher import ESP_NULL, CbcCipher, for_esp
from vpnrouter.crypto.prf import Integrity, get_integrity
from vpnrouter.esp.replay import DEFAULT_WINDOW, SEQ_MAX, ReplayWindow
from vpnrouter.esp.spd import Selector

ESP_HEADER = 8  # SPI + sequence number (RFC 4303 section 2)
ESP_TRAILER = 2  # pad length + next header
UDP_HEADER = 8
IPV4_HEADER = 20

#: IOS defaults (``crypto ipsec security-association lifetime``): 3600 s, 4608000 KB.
DEFAULT_LIFETIME_SECONDS = 3600
DEFAULT_LIFETIME_KILOBYTES = 4_608_000
#: Fraction of a lifetime after which the SA asks to be rekeyed (soft expiry).
SOFT_FRACTION = 0.9
#: Outbound sequence numbers left when the SA asks to be rekeyed.
SOFT_SEQ_MARGIN = 1 << 20
#: Byte count no SA reaches: the volume mark of an SA without a kilobyte lifetime.
NO_VOLUME_LIMIT = 1 << 80


class Direction(Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Drop(Enum):
    """Why a packet was dropped. Every drop increments ``SaCounters.drops[reason]``."""

    # decapsulation (RFC 4303 section 3.4)
    TRUNCATED = "too short for ESP with this SA"
    BAD_SPI = "SPI is not this SA's"
    REPLAY = "sequence number replayed or left of the window"
    BAD_LENGTH = "ciphertext is not whole blocks"
    AUTH_FAILED = "ICV did not verify"
    BAD_PADDING = "padding is not 1, 2, 3, ..."
    BAD_NEXT_HEADER = "next header is not IPv4 (4)"
    DUMMY = "dummy packet (next header 59)"
    BAD_INNER = "inner packet is not a well-formed IPv4 packet"
    SELECTOR_MISMATCH = "inner packet is outside the SA's selectors"
    # both directions
    EXPIRED = "SA lifetime expired"
    WRONG_DIRECTION = "SA used in the wrong direction"
    # encapsulation
    SEQ_OVERFLOW = "sequence number space exhausted; the SA must be rekeyed"
    TOO_BIG = "encapsulated packet would exceed 65535 bytes"
    # data-plane driver (netio), counted on the driver or the SA it concerns
    NOT_IPV4 = "not an IPv4 packet"
    NO_SA = "crypto ACL matched but no SA yet (acquire)"
    POLICY_BYPASS = "traffic routed into the tunnel matches no PROTECT policy"
    POLICY_DISCARD = "DISCARD policy"
    UNKNOWN_SPI = "no inbound SA with this SPI"
    FRAG_NEEDED = "larger than the path MTU with DF set (ICMP sent)"
    SEND_FAILED = "socket send failed"
    TUN_WRITE_FAILED = "TUN write failed"


class UdpEncap(NamedTuple):
    """RFC 3948 ESP-in-UDP: our port and the peer's (4500, or what a NAT mapped it to)."""

    local_port: int
    remote_port: int


@dataclass(frozen=True, slots=True)
class Lifetime:
    """RFC 2407 section 4.5 SA Life Type/Duration: seconds and kilobytes (0 = no limit)."""

    seconds: int = DEFAULT_LIFETIME_SECONDS
    kilobytes: int = DEFAULT_LIFETIME_KILOBYTES


class LifetimeState(Enum):
    OK = "ok"
    SOFT = "soft"  # time to rekey
    HARD = "hard"  # unusable


@dataclass(slots=True)
class SaCounters:
    """What ``show crypto ipsec sa`` prints; outbound SAs count encaps/encrypt/digest and send
    errors, inbound SAs decaps/decrypt/verify, recv errors and replay failures."""

    encaps: int = 0
    encrypt: int = 0
    digest: int = 0
    decaps: int = 0
    decrypt: int = 0
    verify: int = 0
    send_errors: int = 0
    recv_errors: int = 0
    replay_failures: int = 0
    octets: int = 0  # inner bytes carried, for the kilobyte lifetime
    drops: Counter[Drop] = field(default_factory=Counter)


def keymat_lengths(
    transform_id: int, key_len_bits: int | None, auth_alg: int | None
) -> tuple[int, int]:
    """Bytes of KEYMAT the SA needs: (encryption key, authentication key), in that order
    (RFC 2409 section 5.5 leaves the split to the DOI; RFC 2407 4.5 / RFC 4303 take the
    encryption key first)."""
    enc = for_esp(transform_id, key_len_bits).key_size
    auth = get_integrity(auth_alg).key_size if auth_alg else 0
    return enc, auth


class EspSa:
    """One direction of an ESP SA in tunnel mode.

    ``selector`` covers the inner packets as they travel: for an outbound SA from the local
    protected network to the remote one, for an inbound SA the reverse. ``auth_alg`` None (or 0)
    means no integrity (then no anti-replay either, RFC 4303 section 3.4.3); ESP_NULL without
    integrity is refused (RFC 4303 section 3.2.1).
    """

    __slots__ = (
        "align",
        "auth_alg",
        "cipher",
        "counters",
        "created",
        "direction",
        "encap",
        "hard_expired",
        "hard_octets",
        "icv_size",
        "integrity",
        "iv_size",
        "key_len_bits",
        "lifetime",
        "lifetime_signal",
        "local",
        "min_len",
        "remote",
        "replay",
        "selector",
        "seq",
        "spi",
        "spi_bytes",
        "tag",
        "transform_id",
        "volume_mark",
    )

    def __init__(
        self,
        *,
        spi: int,
        direction: Direction,
        transform_id: int,
        enc_key: bytes,
        auth_alg: int | None,
        auth_key: bytes,
        local: IPv4Address,
        remote: IPv4Address,
        selector: Selector,
        key_len_bits: int | None = None,
        encap: UdpEncap | None = None,
        lifetime: Lifetime | None = None,
        created: float = 0.0,
        replay_window: int = DEFAULT_WINDOW,
        tag: str = "",
    ) -> None:
        if not 256 <= spi <= 0xFFFFFFFF:
            raise ValueError(f"SPI {spi:#x} is reserved or out of range (RFC 4303 section 2.1)")
        if transform_id == ESP_NULL and not auth_alg:
            raise ValueError("ESP_NULL without integrity protects nothing (RFC 4303 3.2.1)")
        self.spi = spi
        self.spi_bytes = spi.to_bytes(4, "big")
        self.direction = direction
        self.transform_id = transform_id
        self.key_len_bits = key_len_bits
        self.auth_alg = auth_alg or None
        self.cipher: CbcCipher = for_esp(transform_id, key_len_bits).new(enc_key)
        self.integrity: Integrity | None = (
            get_integrity(auth_alg).new(auth_key) if auth_alg else None
        )
        self.iv_size = self.cipher.iv_size
        self.align = max(self.cipher.block_size, 4)  # RFC 4303 section 2.4: 4-byte aligned
        self.icv_size = self.integrity.icv_size if self.integrity else 0
        self.min_len = ESP_HEADER + self.iv_size + self.align + self.icv_size
        self.local = local
        self.remote = remote
        self.selector = selector
        self.encap = encap
        self.lifetime = lifetime or Lifetime()
        self.created = created
        self.tag = tag
        self.seq = 0  # last sequence number sent (outbound)
        self.replay: ReplayWindow | None = (
            ReplayWindow(replay_window)
            if self.integrity is not None and direction is Direction.INBOUND
            else None
        )
        self.counters = SaCounters()
        self.hard_expired = False
        kilobytes = self.lifetime.kilobytes
        self.hard_octets = kilobytes * 1024 if kilobytes else NO_VOLUME_LIMIT
        # the byte count at which the packet path must look at the lifetime: the soft
        # threshold, then (once it was crossed) just past the hard limit
        self.volume_mark = int(kilobytes * 1024 * SOFT_FRACTION) if kilobytes else NO_VOLUME_LIMIT
        #: set by the packet that crossed the soft threshold or hit the hard limit; the data
        #: plane reports it (``SaLifetime``) and clears it
        self.lifetime_signal: LifetimeState | None = None

    # -- sizes -----------------------------------------------------------------------------
    def overhead(self, inner_len: int) -> int:
        """Bytes ESP (and UDP encapsulation) adds to an inner packet of ``inner_len`` bytes."""
        padded = inner_len + ESP_TRAILER
        padded += (-padded) % self.align
        udp = UDP_HEADER if self.encap else 0
        return udp + ESP_HEADER + self.iv_size + padded - inner_len + self.icv_size

    def max_inner(self, path_mtu: int) -> int:
        """Largest inner packet whose outer IPv4 packet fits ``path_mtu``."""
        fixed = IPV4_HEADER + (UDP_HEADER if self.encap else 0) + ESP_HEADER + self.iv_size
        room = path_mtu - fixed - self.icv_size
        return room - room % self.align - ESP_TRAILER

    # -- lifetime --------------------------------------------------------------------------
    def remaining_seconds(self, now: float) -> int:
        if not self.lifetime.seconds:
            return 0
        return max(0, int(self.created + self.lifetime.seconds - now))

    def remaining_kilobytes(self) -> int:
        if not self.lifetime.kilobytes:
            return 0
        return max(0, self.lifetime.kilobytes - self.counters.octets // 1024)

    def lifetime_state(self, now: float) -> LifetimeState:
        """HARD once a lifetime is used up (the SA then drops everything), SOFT from
        ``SOFT_FRACTION`` of either lifetime or near the end of the sequence space."""
        if self.hard_expired:
            return LifetimeState.HARD
        used = 0.0
        if self.lifetime.seconds:
            used = (now - self.created) / self.lifetime.seconds
        if self.lifetime.kilobytes:
            used = max(used, self.counters.octets / (self.lifetime.kilobytes * 1024))
        if used >= 1.0:
            self.hard_expired = True
            return LifetimeState.HARD
        if used >= SOFT_FRACTION or self.seq >= SEQ_MAX - SOFT_SEQ_MARGIN:
            return LifetimeState.SOFT
        return LifetimeState.OK

    # RFC 4301 4.4.2.1: the byte lifetime counts the bytes IPsec processed; the soft limit
    # asks for a new SA, the hard one ends this one. Checked for every packet with one
    # integer comparison; the rare crossing is handled out of line.
    def account(self, inner_len: int) -> bool:
        """Add ``inner_len`` bytes to the byte lifetime; False (and hard expiry) past it.
        The packet that crosses the soft threshold sets ``lifetime_signal`` to SOFT (once);
        the one that would go past the limit is refused, leaves the count at the limit and
        sets it to HARD."""
        octets = self.counters.octets + inner_len
        if octets < self.volume_mark:
            self.counters.octets = octets
            return True
        return self._volume_mark_reached(octets)

    def _volume_mark_reached(self, octets: int) -> bool:
        if octets > self.hard_octets:
            self.counters.octets = self.hard_octets
            self.hard_expired = True
            self.volume_mark = NO_VOLUME_LIMIT
            self.lifetime_signal = LifetimeState.HARD
            return False
        self.counters.octets = octets
        self.volume_mark = self.hard_octets + 1
        self.lifetime_signal = LifetimeState.SOFT
        return True

    def drop(self, reason: Drop) -> Drop:
        """Count ``reason`` (and the IOS error counter it belongs to) and return it."""
        counters = self.counters
        counters.drops[reason] += 1
        if reason is Drop.DUMMY:
            return reason
        if self.direction is Direction.INBOUND:
            counters.recv_errors += 1
            if reason is Drop.REPLAY:
                counters.replay_failures += 1
        else:
            counters.send_errors += 1
        return reason

    def __repr__(self) -> str:
        return (
            f"EspSa(spi={self.spi:#010x}, {self.direction.value}, transform={self.transform_id},"
            f" auth={self.auth_alg}, {self.local} -> {self.remote}, encap={self.encap})"
        )
