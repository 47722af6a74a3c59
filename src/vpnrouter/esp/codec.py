"""ESP packet encoding and decoding, tunnel mode, IPv4 (sans-I/O).

RFC 4303 (IP Encapsulating Security Payload):
  section 2    packet format: SPI | Sequence Number | IV | payload | Padding | Pad Length |
               Next Header | ICV
  section 2.4  padding: 1, 2, 3, ... ; the trailer ends on a max(block, 4)-byte boundary
  section 2.6  next header 4 (IPv4, tunnel mode); 59 marks a dummy packet to be discarded
  section 3.3  outbound processing: sequence number increment, encrypt, then ICV
  section 3.4  inbound processing: SA lookup (SPI), replay check, ICV verify (before
               decrypting), replay window update, decrypt, padding / next header checks
RFC 4301 section 5.2 (the inner packet must match the SA's selectors), RFC 6479 (window),
RFC 2405 / 2451 / 3602 / 2410 (DES, 3DES, AES-CBC, NULL), RFC 2403 / 2404 / 4868 (ICVs).

The output of ``encapsulate`` is what follows the outer IPv4 header (or the UDP header, RFC
3948); the input of ``decapsulate`` is the same. Neither raises for any input: a dropped packet
is a :class:`~vpnrouter.esp.sa.Drop`, counted on the SA.
"""

from __future__ import annotations

from collections.abc import Callable

from vpnrouter.esp.ipv4 import flow_key
from vpnrouter.esp.replay import SEQ_MAX, ReplayVerdict
from vpnrouter.esp.sa import ESP_HEADER, Direction, Drop, EspSa

NEXT_HEADER_IPV4 = 4
NEXT_HEADER_NONE = 59  # RFC 4303 section 2.6: dummy packet
MAX_PACKET = 65535

# RFC 4303 section 2.4: the padding bytes are 1, 2, 3, ... (a pad of n bytes is _PADS[n]).
_PADS = tuple(bytes(range(1, n + 1)) for n in range(256))
_TRAILERS = tuple(bytes((n, NEXT_HEADER_IPV4)) for n in range(256))

RandomBytes = Callable[[int], bytes]


def encapsulate(sa: EspSa, inner: bytes, random_bytes: RandomBytes) -> bytes | Drop:
    """RFC 4303 section 3.3: ESP-protect the IPv4 packet ``inner`` with the outbound ``sa``."""
    if sa.direction is not Direction.OUTBOUND:
        return sa.drop(Drop.WRONG_DIRECTION)
    if sa.hard_expired:
        return sa.drop(Drop.EXPIRED)
    seq = sa.seq + 1
    if seq > SEQ_MAX:  # RFC 4303 section 3.3.3: never cycle; the SA must be rekeyed
        return sa.drop(Drop.SEQ_OVERFLOW)
    size = len(inner)
    if size + sa.overhead(size) > MAX_PACKET:
        return sa.drop(Drop.TOO_BIG)
    if not sa.account(size):
        return sa.drop(Drop.EXPIRED)
    sa.seq = seq
    pad = (-(size + 2)) % sa.align
    plaintext = b"".join((inner, _PADS[pad], _TRAILERS[pad]))
    iv = random_bytes(sa.iv_size) if sa.iv_size else b""
    head = b"".join((sa.spi_bytes, seq.to_bytes(4, "big"), iv, sa.cipher.encrypt(iv, plaintext)))
    counters = sa.counters
    counters.encaps += 1
    counters.encrypt += 1
    if sa.integrity is None:
        return head
    counters.digest += 1
    return head + sa.integrity.compute(head)


def decapsulate(sa: EspSa, packet: bytes) -> bytes | Drop:
    """RFC 4303 section 3.4: verify and decrypt ``packet`` with the inbound ``sa``.

    Returns the inner IPv4 packet (trimmed to its total length: TFC padding is removed) or
    the reason it was dropped. The replay window moves only after the ICV verified.
    """
    if sa.direction is not Direction.INBOUND:
        return sa.drop(Drop.WRONG_DIRECTION)
    size = len(packet)
    if size < sa.min_len:
        return sa.drop(Drop.TRUNCATED)
    if packet[:4] != sa.spi_bytes:
        return sa.drop(Drop.BAD_SPI)
    if sa.hard_expired:
        return sa.drop(Drop.EXPIRED)
    seq = int.from_bytes(packet[4:8], "big")
    replay = sa.replay
    if replay is not None and replay.check(seq) is not ReplayVerdict.OK:
        return sa.drop(Drop.REPLAY)
    icv_size = sa.icv_size
    body_end = size - icv_size
    ct_start = ESP_HEADER + sa.iv_size
    if (body_end - ct_start) % sa.align:
        return sa.drop(Drop.BAD_LENGTH)
    integrity = sa.integrity
    if integrity is not None and not integrity.verify(packet[:body_end], packet[body_end:]):
        return sa.drop(Drop.AUTH_FAILED)
    if replay is not None:
        replay.update(seq)
    plaintext = sa.cipher.decrypt(packet[ESP_HEADER:ct_start], packet[ct_start:body_end])
    return _unwrap(sa, plaintext)


def _unwrap(sa: EspSa, plaintext: bytes) -> bytes | Drop:
    """Trailer checks (RFC 4303 sections 2.4, 2.6), then the inner packet and its selectors."""
    pad = plaintext[-2]
    next_header = plaintext[-1]
    end = len(plaintext) - 2 - pad
    if end < 0 or plaintext[end:-2] != _PADS[pad]:
        return sa.drop(Drop.BAD_PADDING)
    if next_header == NEXT_HEADER_NONE:
        return sa.drop(Drop.DUMMY)
    if next_header != NEXT_HEADER_IPV4:
        return sa.drop(Drop.BAD_NEXT_HEADER)
    inner = plaintext[:end]
    key = flow_key(inner)
    if key is None:
        return sa.drop(Drop.BAD_INNER)
    total = (inner[2] << 8) | inner[3]
    if total < end:
        inner = inner[:total]
    if not sa.selector.matches(key):
        return sa.drop(Drop.SELECTOR_MISMATCH)
    if not sa.account(total):
        return sa.drop(Drop.EXPIRED)
    counters = sa.counters
    counters.decaps += 1
    counters.decrypt += 1
    if sa.integrity is not None:
        counters.verify += 1
    return inner
