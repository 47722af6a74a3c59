"""IPv4 helpers: 5-tuples, fragmentation, ICMP fragmentation-needed, MSS clamping."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address

from hypothesis import given, settings
from hypothesis import strategies as st

from vpnrouter.esp.ipv4 import (
    FLAG_DF,
    OPAQUE_PORT,
    build_header,
    checksum,
    clamp_tcp_mss,
    flow_key,
    fragment,
    icmp_frag_needed,
)

H1 = IPv4Address("10.10.10.10").packed
H2 = IPv4Address("10.10.20.10").packed


def packet(proto: int, payload: bytes, *, df: bool = False, ident: int = 0x1234) -> bytes:
    return (
        build_header(
            src=H1,
            dst=H2,
            protocol=proto,
            payload_len=len(payload),
            ident=ident,
            flags_offset=FLAG_DF if df else 0,
        )
        + payload
    )


def tcp_syn(mss: int | None, extra_options: bytes = b"") -> bytes:
    options = extra_options + (struct.pack("!BBH", 2, 4, mss) if mss is not None else b"")
    options += b"\x00" * (-len(options) % 4)
    offset = (20 + len(options)) // 4
    header = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, offset << 4, 0x02, 65535, 0, 0) + options
    segment = header
    pseudo = H1 + H2 + struct.pack("!BBH", 0, 6, len(segment))
    csum = checksum(pseudo + segment)
    segment = segment[:16] + csum.to_bytes(2, "big") + segment[18:]
    return packet(6, segment, df=True)


def tcp_checksum_ok(pkt: bytes) -> bool:
    ihl = (pkt[0] & 15) * 4
    segment = pkt[ihl:]
    pseudo = pkt[12:16] + pkt[16:20] + struct.pack("!BBH", 0, 6, len(segment))
    return checksum(pseudo + segment) == 0


def test_flow_key_tcp_udp_icmp() -> None:
    tcp = packet(6, struct.pack("!HH", 1234, 80) + bytes(16))
    assert flow_key(tcp) == (
        int(IPv4Address("10.10.10.10")),
        int(IPv4Address("10.10.20.10")),
        6,
        1234,
        80,
    )
    icmp = packet(1, bytes(8))
    assert flow_key(icmp)[3:] == (OPAQUE_PORT, OPAQUE_PORT)  # type: ignore[index]


def test_flow_key_rejects_garbage() -> None:
    assert flow_key(b"") is None
    assert flow_key(b"\x60" + bytes(39)) is None  # IPv6
    good = packet(1, bytes(8))
    assert flow_key(good[:-1]) is None  # total length beyond the data
    assert flow_key(b"\x44" + good[1:]) is None  # IHL 16 < 20


def test_non_initial_fragment_has_opaque_ports() -> None:
    frag = bytearray(packet(17, struct.pack("!HH", 53, 53) + bytes(4)))
    frag[6:8] = (100).to_bytes(2, "big")
    assert flow_key(bytes(frag))[3] == OPAQUE_PORT  # type: ignore[index]


def reassemble(fragments: list[bytes]) -> tuple[bytes, bytes]:
    parts = sorted(fragments, key=lambda f: ((f[6] << 8) | f[7]) & 0x1FFF)
    offsets = [(((f[6] << 8) | f[7]) & 0x1FFF) * 8 for f in parts]
    assert offsets == [sum(len(p) - 20 for p in parts[:i]) for i in range(len(parts))]
    return parts[0][:20], b"".join(f[20:] for f in parts)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=3000), st.integers(min_value=68, max_value=1500))
def test_fragment_then_reassemble(size: int, mtu: int) -> None:
    original = packet(17, bytes(i & 0xFF for i in range(size)))
    pieces = fragment(original, mtu)
    assert pieces is not None
    assert all(len(p) <= mtu for p in pieces)
    for p in pieces:
        assert checksum(p[:20]) == 0
        assert p[4:6] == original[4:6]
    flags = [((p[6] << 8) | p[7]) for p in pieces]
    assert all(f & 0x2000 for f in flags[:-1]) and not flags[-1] & 0x2000
    _, payload = reassemble(pieces)
    assert payload == original[20:]


def test_fragment_refuses_df() -> None:
    assert fragment(packet(1, bytes(2000), df=True), 1400) is None


def test_icmp_frag_needed() -> None:
    big = packet(1, b"\x08\x00" + bytes(1500), df=True)
    icmp = icmp_frag_needed(big, 1438)
    assert icmp is not None
    assert icmp[9] == 1 and icmp[16:20] == H1 and icmp[12:16] == bytes(4)
    assert checksum(icmp[:20]) == 0
    body = icmp[20:]
    assert body[0] == 3 and body[1] == 4 and checksum(body) == 0
    assert int.from_bytes(body[6:8], "big") == 1438
    assert body[8:] == big[:28]


def test_no_icmp_error_about_an_icmp_error() -> None:
    err = packet(1, b"\x03\x04" + bytes(1500), df=True)
    assert icmp_frag_needed(err, 1400) is None


def test_mss_is_clamped_and_checksum_stays_valid() -> None:
    syn = tcp_syn(1460, extra_options=b"\x01\x01")
    assert tcp_checksum_ok(syn)
    clamped = clamp_tcp_mss(syn, 1398)
    assert clamped != syn
    assert struct.unpack("!H", clamped[20 + 24 : 20 + 26])[0] == 1398
    assert tcp_checksum_ok(clamped)


def test_small_mss_and_non_syn_are_untouched() -> None:
    syn = tcp_syn(1200)
    assert clamp_tcp_mss(syn, 1398) is syn
    no_mss = tcp_syn(None)
    assert clamp_tcp_mss(no_mss, 1398) is no_mss
    ack = bytearray(tcp_syn(1460))
    ack[33] = 0x10
    assert clamp_tcp_mss(bytes(ack), 1398) == bytes(ack)
    udp = packet(17, bytes(30))
    assert clamp_tcp_mss(udp, 100) is udp


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_helpers_never_raise_on_garbage(data: bytes) -> None:
    flow_key(data)
    clamp_tcp_mss(data, 1000)
    icmp_frag_needed(data, 1000)
    fragment(data, 576)
