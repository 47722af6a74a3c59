"""Small IPv4 helpers for the data plane (sans-I/O).

RFC 791 (header, fragmentation), RFC 792 / RFC 1191 (ICMP destination unreachable,
fragmentation needed, with the next-hop MTU), RFC 1071 (Internet checksum), RFC 9293 section
3.7.1 (TCP MSS option; clamping it is what routers do for tunnels, cf. RFC 4459 section 3.2).

Nothing here raises on malformed packets: parsers return ``None``.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ESP = 50
PROTO_SCTP = 132

MIN_HEADER = 20
FLAG_DF = 0x4000
FLAG_MF = 0x2000
OFFSET_MASK = 0x1FFF

#: Port value used for packets whose ports cannot be known: protocols without ports and
#: non-initial fragments (RFC 4301 section 4.4.1.1 "OPAQUE"). Only "any port" selectors match.
OPAQUE_PORT = -1

_PORT_PROTOCOLS = frozenset({PROTO_TCP, PROTO_UDP, PROTO_SCTP})
_HDR = struct.Struct("!BBHHHBBH4s4s")
_FLOW = struct.Struct("!BxHxxHxBxxII")  # version/IHL, total length, flags/offset, proto, src, dst
_PORTS = struct.Struct("!HH")
_ICMP_ERRORS = frozenset({3, 4, 5, 11, 12})


class FlowKey(NamedTuple):
    """The 5-tuple an SPD lookup uses; addresses as integers."""

    src: int
    dst: int
    protocol: int
    src_port: int
    dst_port: int


def flow_key(packet: bytes) -> FlowKey | None:
    """Parse an IPv4 packet's 5-tuple, or ``None`` when it is not a well-formed IPv4 header."""
    if len(packet) < MIN_HEADER:
        return None
    version_ihl, total, flags_offset, protocol, src, dst = _FLOW.unpack_from(packet)
    ihl = (version_ihl & 0x0F) * 4
    if version_ihl >> 4 != 4 or ihl < MIN_HEADER or total < ihl or total > len(packet):
        return None
    if protocol in _PORT_PROTOCOLS and not flags_offset & OFFSET_MASK and total >= ihl + 4:
        sport, dport = _PORTS.unpack_from(packet, ihl)
        return FlowKey(src, dst, protocol, sport, dport)
    return FlowKey(src, dst, protocol, OPAQUE_PORT, OPAQUE_PORT)


def checksum(data: bytes) -> int:
    """RFC 1071 one's complement sum, folded and complemented."""
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def total_length(packet: bytes) -> int:
    """The header's total length field (callers have checked the header with flow_key)."""
    return (packet[2] << 8) | packet[3]


def dont_fragment(packet: bytes) -> bool:
    return bool(packet[6] & 0x40)


def build_header(
    *,
    src: bytes,
    dst: bytes,
    protocol: int,
    payload_len: int,
    ident: int = 0,
    flags_offset: int = 0,
    ttl: int = 64,
    tos: int = 0,
) -> bytes:
    """A 20-byte IPv4 header with its checksum."""
    header = _HDR.pack(
        0x45, tos, MIN_HEADER + payload_len, ident, flags_offset, ttl, protocol, 0, src, dst
    )
    return header[:10] + checksum(header).to_bytes(2, "big") + header[12:]


def fragment(packet: bytes, mtu: int) -> list[bytes] | None:
    """Split ``packet`` into fragments of at most ``mtu`` bytes (RFC 791 section 3.2).

    Returns ``None`` when it cannot be done: DF set, malformed header, or ``mtu`` too small for
    the header plus 8 bytes. Options are copied into every fragment (only correct for options
    with the copy flag, which is all a tunnel ever sees in practice).
    """
    if flow_key(packet) is None or dont_fragment(packet):
        return None
    total = total_length(packet)
    if total <= mtu:
        return [packet[:total]]
    ihl = (packet[0] & 0x0F) * 4
    chunk = (mtu - ihl) & ~7
    if chunk < 8:
        return None
    header = bytearray(packet[:ihl])
    flags_offset = (packet[6] << 8) | packet[7]
    base_offset = flags_offset & OFFSET_MASK
    more_after = flags_offset & FLAG_MF
    payload = packet[ihl:total]
    fragments: list[bytes] = []
    for start in range(0, len(payload), chunk):
        piece = payload[start : start + chunk]
        last = start + chunk >= len(payload)
        field = (base_offset + start // 8) | (more_after if last else FLAG_MF)
        struct.pack_into("!HHH", header, 2, ihl + len(piece), (packet[4] << 8) | packet[5], field)
        header[10:12] = b"\x00\x00"
        header[10:12] = checksum(bytes(header)).to_bytes(2, "big")
        fragments.append(bytes(header) + piece)
    return fragments


def icmp_frag_needed(original: bytes, next_hop_mtu: int, src: bytes = bytes(4)) -> bytes | None:
    """ICMP type 3 code 4 (RFC 1191 section 4) for ``original``, as a whole IPv4 packet.

    ``src`` all-zero lets a raw IPPROTO_RAW socket fill in the router's own address. Returns
    ``None`` for packets that must not be answered with an ICMP error (RFC 1122 3.2.2):
    non-initial fragments and ICMP errors themselves.
    """
    key = flow_key(original)
    if key is None or ((original[6] << 8) | original[7]) & OFFSET_MASK:
        return None
    ihl = (original[0] & 0x0F) * 4
    if key.protocol == PROTO_ICMP and len(original) > ihl and original[ihl] in _ICMP_ERRORS:
        return None
    quoted = original[: ihl + 8]
    body = struct.pack("!BBHHH", 3, 4, 0, 0, next_hop_mtu & 0xFFFF) + quoted
    body = body[:2] + checksum(body).to_bytes(2, "big") + body[4:]
    header = build_header(src=src, dst=original[12:16], protocol=PROTO_ICMP, payload_len=len(body))
    return header + body


def clamp_tcp_mss(packet: bytes, max_mss: int) -> bytes:
    """Lower the MSS option of a TCP SYN to ``max_mss``; any other packet is returned as is.

    The TCP checksum is updated incrementally (RFC 1624).
    """
    if len(packet) < 40 or packet[9] != PROTO_TCP or packet[0] >> 4 != 4:
        return packet
    ihl = (packet[0] & 0x0F) * 4
    if ((packet[6] << 8) | packet[7]) & OFFSET_MASK or len(packet) < ihl + 20:
        return packet
    if not packet[ihl + 13] & 0x02:  # SYN
        return packet
    data_offset = (packet[ihl + 12] >> 4) * 4
    end = ihl + data_offset
    if data_offset < 20 or end > len(packet):
        return packet
    i = ihl + 20
    while i < end:
        kind = packet[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= end or packet[i + 1] < 2:
            break
        length = packet[i + 1]
        if kind == 2 and length == 4 and i + 4 <= end:
            mss = (packet[i + 2] << 8) | packet[i + 3]
            if mss <= max_mss:
                return packet
            return _rewrite_mss(packet, ihl, i + 2, mss, max_mss)
        i += length
    return packet


def _rewrite_mss(packet: bytes, ihl: int, at: int, old: int, new: int) -> bytes:
    out = bytearray(packet)
    out[at : at + 2] = new.to_bytes(2, "big")
    csum_at = ihl + 16
    old_csum = (out[csum_at] << 8) | out[csum_at + 1]
    # RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
    total = (~old_csum & 0xFFFF) + (~old & 0xFFFF) + new
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    out[csum_at : csum_at + 2] = (~total & 0xFFFF).to_bytes(2, "big")
    return bytes(out)
