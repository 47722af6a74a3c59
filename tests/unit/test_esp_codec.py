"""ESP tunnel-mode codec (RFC 4303): round trips, drops with their reasons and counters."""

from __future__ import annotations

import os
import random
from ipaddress import IPv4Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpnrouter.esp.codec import decapsulate, encapsulate
from vpnrouter.esp.ipv4 import build_header
from vpnrouter.esp.replay import SEQ_MAX
from vpnrouter.esp.sa import Direction, Drop, EspSa, Lifetime, UdpEncap, keymat_lengths
from vpnrouter.esp.spd import Selector

LEFT = Selector.of("10.10.10.0/24", "10.10.20.0/24")
SPI = 0x7B7B2015

# (transform_id, key_len_bits, auth_alg, iv, block, icv)
SUITES = [
    (2, None, 1, 8, 8, 12),  # esp-des esp-md5-hmac
    (3, None, 1, 8, 8, 12),  # esp-3des esp-md5-hmac (the seed)
    (3, None, 2, 8, 8, 12),  # esp-3des esp-sha-hmac
    (12, 128, 2, 16, 16, 12),  # esp-aes esp-sha-hmac
    (12, 192, 5, 16, 16, 16),  # esp-aes 192 esp-sha256-hmac
    (12, 256, 6, 16, 16, 24),  # esp-aes 256 esp-sha384-hmac
    (12, 256, 7, 16, 16, 32),  # esp-aes 256 esp-sha512-hmac
    (11, None, 1, 0, 4, 12),  # esp-null esp-md5-hmac
    (11, None, 2, 0, 4, 12),  # esp-null esp-sha-hmac
    (11, None, 5, 0, 4, 16),  # esp-null esp-sha256-hmac
    (3, None, None, 8, 8, 0),  # esp-3des alone (no integrity, no anti-replay)
    (12, 128, None, 16, 16, 0),  # esp-aes alone
]


def make_pair(
    transform_id: int = 3,
    key_len_bits: int | None = None,
    auth_alg: int | None = 1,
    *,
    seed: int = 1,
    **kw: object,
) -> tuple[EspSa, EspSa]:
    rnd = random.Random(seed)
    enc_len, auth_len = keymat_lengths(transform_id, key_len_bits, auth_alg)
    enc_key, auth_key = rnd.randbytes(enc_len), rnd.randbytes(auth_len)
    common: dict[str, object] = {
        "spi": SPI,
        "transform_id": transform_id,
        "key_len_bits": key_len_bits,
        "enc_key": enc_key,
        "auth_alg": auth_alg,
        "auth_key": auth_key,
        "local": IPv4Address("172.18.124.199"),
        "remote": IPv4Address("172.18.124.159"),
        "selector": LEFT,
    }
    common.update(kw)
    out = EspSa(direction=Direction.OUTBOUND, **common)  # type: ignore[arg-type]
    inb = EspSa(direction=Direction.INBOUND, **common)  # type: ignore[arg-type]
    return out, inb


def ip_packet(
    size: int = 84, src: str = "10.10.10.5", dst: str = "10.10.20.7", proto: int = 1
) -> bytes:
    payload = bytes(i & 0xFF for i in range(size - 20))
    return (
        build_header(
            src=IPv4Address(src).packed,
            dst=IPv4Address(dst).packed,
            protocol=proto,
            payload_len=len(payload),
        )
        + payload
    )


def seal(sa: EspSa, packet: bytes) -> bytes:
    out = encapsulate(sa, packet, os.urandom)
    assert isinstance(out, bytes), out
    return out


def forge(sa: EspSa, seq: int, plaintext: bytes, iv: bytes | None = None) -> bytes:
    """An ESP packet with a valid ICV around an arbitrary (block-aligned) plaintext."""
    iv = os.urandom(sa.iv_size) if iv is None else iv
    head = sa.spi_bytes + seq.to_bytes(4, "big") + iv + sa.cipher.encrypt(iv, plaintext)
    return head + (sa.integrity.compute(head) if sa.integrity else b"")


@pytest.mark.parametrize(("transform", "bits", "auth", "iv", "block", "icv"), SUITES)
@pytest.mark.parametrize("size", [20, 21, 84, 1400, 1500])
def test_round_trip_every_transform(
    transform: int, bits: int | None, auth: int | None, iv: int, block: int, icv: int, size: int
) -> None:
    out, inb = make_pair(transform, bits, auth)
    inner = ip_packet(size)
    esp = seal(out, inner)
    assert esp[:4] == SPI.to_bytes(4, "big")
    assert int.from_bytes(esp[4:8], "big") == 1
    ciphertext = len(esp) - 8 - iv - icv
    assert ciphertext % block == 0 and ciphertext >= size + 2
    assert ciphertext - (size + 2) < block  # minimal padding
    assert len(esp) + 20 == size + out.overhead(size) + 20
    if transform != 11 and size >= 84:
        assert inner[20:60] not in esp
    assert decapsulate(inb, esp) == inner
    assert (out.counters.encaps, out.counters.encrypt, out.counters.digest) == (1, 1, int(icv > 0))
    assert (inb.counters.decaps, inb.counters.decrypt, inb.counters.verify) == (1, 1, int(icv > 0))
    assert inb.counters.recv_errors == 0


def test_sequence_numbers_count_up_from_one() -> None:
    out, inb = make_pair()
    packets = [seal(out, ip_packet()) for _ in range(5)]
    assert [int.from_bytes(p[4:8], "big") for p in packets] == [1, 2, 3, 4, 5]
    for p in reversed(packets):
        assert isinstance(decapsulate(inb, p), bytes)


def test_padding_is_one_two_three() -> None:
    out, _ = make_pair(12, 128, 2)
    inner = ip_packet(85)  # 85 + 2 -> 96: 9 bytes of padding
    esp = seal(out, inner)
    iv = esp[8:24]
    plaintext = out.cipher.decrypt(iv, esp[24:-12])
    assert plaintext[85:94] == bytes(range(1, 10))
    assert plaintext[-2:] == bytes([9, 4])


def test_ivs_are_fresh_per_packet() -> None:
    out, _ = make_pair(12, 128, 2)
    ivs = {seal(out, ip_packet())[8:24] for _ in range(50)}
    assert len(ivs) == 50


def test_replay_is_dropped_and_counted() -> None:
    out, inb = make_pair()
    esp = seal(out, ip_packet())
    assert isinstance(decapsulate(inb, esp), bytes)
    assert decapsulate(inb, esp) is Drop.REPLAY
    assert inb.counters.replay_failures == 1
    assert inb.counters.recv_errors == 1
    assert inb.counters.drops[Drop.REPLAY] == 1
    assert inb.counters.decaps == 1


def test_too_old_is_a_replay() -> None:
    out, inb = make_pair(replay_window=64)
    first = seal(out, ip_packet())
    for _ in range(64):
        seal(out, ip_packet())
    assert isinstance(decapsulate(inb, seal(out, ip_packet())), bytes)  # seq 66
    assert decapsulate(inb, first) is Drop.REPLAY


def test_tampered_icv_is_dropped_and_does_not_move_the_window() -> None:
    out, inb = make_pair()
    esp = seal(out, ip_packet())
    bad = esp[:-1] + bytes([esp[-1] ^ 1])
    assert decapsulate(inb, bad) is Drop.AUTH_FAILED
    assert inb.counters.drops[Drop.AUTH_FAILED] == 1
    assert inb.counters.recv_errors == 1
    assert inb.replay is not None and inb.replay.highest == 0
    assert isinstance(decapsulate(inb, esp), bytes)  # the genuine packet still gets in


def test_forged_sequence_number_cannot_poison_the_window() -> None:
    out, inb = make_pair()
    esp = seal(out, ip_packet())
    far = esp[:4] + (SEQ_MAX).to_bytes(4, "big") + esp[8:]
    assert decapsulate(inb, far) is Drop.AUTH_FAILED
    assert isinstance(decapsulate(inb, esp), bytes)


def test_tampered_ciphertext_is_dropped() -> None:
    out, inb = make_pair(12, 128, 2)
    esp = bytearray(seal(out, ip_packet()))
    esp[30] ^= 0x80
    assert decapsulate(inb, bytes(esp)) is Drop.AUTH_FAILED


def test_wrong_spi() -> None:
    out, inb = make_pair()
    esp = seal(out, ip_packet())
    assert decapsulate(inb, b"\x00\x00\x01\x00" + esp[4:]) is Drop.BAD_SPI
    assert inb.counters.drops[Drop.BAD_SPI] == 1
    assert inb.counters.recv_errors == 1


def test_truncated() -> None:
    _, inb = make_pair(12, 128, 2)
    assert decapsulate(inb, SPI.to_bytes(4, "big") + bytes(40)) is Drop.TRUNCATED
    assert decapsulate(inb, b"") is Drop.TRUNCATED
    assert inb.counters.drops[Drop.TRUNCATED] == 2


def test_ciphertext_not_whole_blocks() -> None:
    out, inb = make_pair()
    esp = seal(out, ip_packet())
    odd = esp[:-12] + b"\x00" + esp[-12:]
    assert decapsulate(inb, odd) is Drop.BAD_LENGTH


@pytest.mark.parametrize("suite", [(3, None, 1), (12, 128, 2), (3, None, None), (11, None, 2)])
def test_bad_padding_content(suite: tuple[int, int | None, int | None]) -> None:
    out, inb = make_pair(*suite)
    inner = ip_packet(84)
    align = out.align
    pad = (-(len(inner) + 2)) % align or align
    plaintext = inner + bytes([7] * pad) + bytes([pad, 4])
    assert decapsulate(inb, forge(out, 1, plaintext)) is Drop.BAD_PADDING
    assert inb.counters.drops[Drop.BAD_PADDING] == 1
    assert inb.counters.recv_errors == 1


def test_pad_length_longer_than_the_payload() -> None:
    out, inb = make_pair(12, 128, 2)
    plaintext = bytes(14) + bytes([200, 4])
    assert decapsulate(inb, forge(out, 1, plaintext)) is Drop.BAD_PADDING


def test_bad_next_header() -> None:
    out, inb = make_pair(12, 128, 2)
    inner = ip_packet(94)  # 94 + 2 = 96, no padding
    assert decapsulate(inb, forge(out, 1, inner + bytes([0, 41]))) is Drop.BAD_NEXT_HEADER
    assert inb.counters.drops[Drop.BAD_NEXT_HEADER] == 1
    assert inb.counters.recv_errors == 1


def test_dummy_packet_is_discarded_silently() -> None:
    out, inb = make_pair(12, 128, 2)
    assert decapsulate(inb, forge(out, 1, bytes(14) + bytes([0, 59]))) is Drop.DUMMY
    assert inb.counters.recv_errors == 0
    assert inb.counters.drops[Drop.DUMMY] == 1


def test_inner_packet_not_ipv4() -> None:
    out, inb = make_pair(12, 128, 2)
    assert decapsulate(inb, forge(out, 1, bytes(30) + bytes([0, 4]))) is Drop.BAD_INNER


def test_tfc_padding_after_the_inner_packet_is_removed() -> None:
    out, inb = make_pair(12, 128, 2)
    inner = ip_packet(84)
    plaintext = inner + bytes(10) + bytes([0, 4])  # 96 bytes: 84 + 10 TFC + trailer
    assert decapsulate(inb, forge(out, 1, plaintext)) == inner


def test_inner_packet_outside_the_selectors() -> None:
    out, inb = make_pair(selector=Selector.of("10.10.10.0/24", "10.10.20.0/24"))
    intruder = ip_packet(src="192.168.1.1", dst="10.10.20.7")
    # the sender may encapsulate anything; the receiver checks the SA's selectors (RFC 4301 5.2)
    esp = seal(out, intruder)
    assert decapsulate(inb, esp) is Drop.SELECTOR_MISMATCH
    assert inb.counters.drops[Drop.SELECTOR_MISMATCH] == 1
    assert inb.counters.decaps == 0


def test_port_selectors_are_enforced_inbound() -> None:
    web = Selector.of("10.10.10.0/24", "10.10.20.0/24", protocol=6, dst_port=80)
    out, inb = make_pair(selector=web)
    tcp = bytearray(ip_packet(60, proto=6))
    tcp[20:24] = (40000).to_bytes(2, "big") + (80).to_bytes(2, "big")
    assert decapsulate(inb, seal(out, bytes(tcp))) == bytes(tcp)
    tcp[22:24] = (81).to_bytes(2, "big")
    assert decapsulate(inb, seal(out, bytes(tcp))) is Drop.SELECTOR_MISMATCH


def test_sequence_number_never_cycles() -> None:
    out, _ = make_pair()
    out.seq = SEQ_MAX - 1
    assert isinstance(encapsulate(out, ip_packet(), os.urandom), bytes)
    assert encapsulate(out, ip_packet(), os.urandom) is Drop.SEQ_OVERFLOW
    assert out.counters.send_errors == 1
    assert out.counters.drops[Drop.SEQ_OVERFLOW] == 1


def test_kilobyte_lifetime_hard_limit() -> None:
    out, inb = make_pair(lifetime=Lifetime(seconds=3600, kilobytes=2))
    sealed = [encapsulate(out, ip_packet(1000), os.urandom) for _ in range(3)]
    assert isinstance(sealed[0], bytes) and isinstance(sealed[1], bytes)
    assert sealed[2] is Drop.EXPIRED
    assert out.hard_expired
    assert isinstance(decapsulate(inb, sealed[0]), bytes)


def test_wrong_direction() -> None:
    out, inb = make_pair()
    assert encapsulate(inb, ip_packet(), os.urandom) is Drop.WRONG_DIRECTION
    assert decapsulate(out, b"x" * 100) is Drop.WRONG_DIRECTION


def test_no_integrity_means_no_replay_protection() -> None:
    out, inb = make_pair(3, None, None)
    esp = seal(out, ip_packet())
    assert inb.replay is None
    assert isinstance(decapsulate(inb, esp), bytes)
    assert isinstance(decapsulate(inb, esp), bytes)


def test_udp_encapsulation_overhead() -> None:
    out, _ = make_pair(12, 128, 2, encap=UdpEncap(4500, 4500))
    plain, _ = make_pair(12, 128, 2)
    assert out.overhead(100) == plain.overhead(100) + 8
    assert out.max_inner(1500) <= plain.max_inner(1500) - 8


# -- Hypothesis: no input makes the decoder raise -------------------------------------------

PAIRS = {suite[:3]: make_pair(*suite[:3]) for suite in SUITES}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(PAIRS, key=str)), st.binary(max_size=400), st.booleans())
def test_random_bytes_never_raise(
    suite: tuple[int, int | None, int | None], data: bytes, with_spi: bool
) -> None:
    _, inb = PAIRS[suite]
    packet = (SPI.to_bytes(4, "big") + data) if with_spi else data
    result = decapsulate(inb, packet)
    assert isinstance(result, (bytes, Drop))
    if inb.integrity is not None:
        assert isinstance(result, Drop)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(PAIRS, key=str)), st.binary(min_size=1, max_size=300), st.data())
def test_any_single_bit_flip_is_dropped(
    suite: tuple[int, int | None, int | None], payload: bytes, data: st.DataObject
) -> None:
    out, inb = make_pair(*suite)
    esp = seal(out, ip_packet(20 + len(payload)))
    bit = data.draw(st.integers(min_value=0, max_value=len(esp) * 8 - 1))
    flipped = bytearray(esp)
    flipped[bit // 8] ^= 1 << (bit % 8)
    result = decapsulate(inb, bytes(flipped))
    if inb.integrity is not None:
        assert isinstance(result, Drop)
    assert isinstance(result, (bytes, Drop))


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=1600))
def test_encapsulate_any_payload_round_trips(payload: bytes) -> None:
    out, inb = make_pair(12, 256, 7)
    inner = ip_packet(20 + len(payload))[:20] + payload
    assert decapsulate(inb, seal(out, inner)) == inner
