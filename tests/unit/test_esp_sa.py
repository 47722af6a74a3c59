"""EspSa: algorithm set-up, sizes, lifetimes and error counters (RFC 4303, RFC 2407 4.5)."""

from __future__ import annotations

import os
from ipaddress import IPv4Address

import pytest

from vpnrouter.crypto.errors import UnsupportedAlgorithm
from vpnrouter.esp.codec import encapsulate
from vpnrouter.esp.ipv4 import build_header
from vpnrouter.esp.replay import SEQ_MAX
from vpnrouter.esp.sa import (
    Direction,
    Drop,
    EspSa,
    Lifetime,
    LifetimeState,
    UdpEncap,
    keymat_lengths,
)
from vpnrouter.esp.spd import Selector

SEL = Selector.of("10.10.10.0/24", "10.10.20.0/24")


def sa(
    transform_id: int = 3,
    key_len_bits: int | None = None,
    auth_alg: int | None = 1,
    direction: Direction = Direction.OUTBOUND,
    **kw: object,
) -> EspSa:
    enc, auth = keymat_lengths(transform_id, key_len_bits, auth_alg)
    kw.setdefault("spi", 0x1000)
    return EspSa(
        direction=direction,
        transform_id=transform_id,
        key_len_bits=key_len_bits,
        enc_key=bytes(range(1, enc + 1)),
        auth_alg=auth_alg,
        auth_key=bytes(auth),
        local=IPv4Address("172.18.124.199"),
        remote=IPv4Address("172.18.124.159"),
        selector=SEL,
        **kw,  # type: ignore[arg-type]
    )


def inner(size: int) -> bytes:
    return build_header(src=bytes(4), dst=bytes(4), protocol=17, payload_len=size - 20) + bytes(
        size - 20
    )


@pytest.mark.parametrize(
    ("suite", "lengths"),
    [
        ((2, None, 1), (8, 16)),
        ((3, None, 1), (24, 16)),
        ((3, None, 2), (24, 20)),
        ((12, 128, 2), (16, 20)),
        ((12, 192, 5), (24, 32)),
        ((12, 256, 6), (32, 48)),
        ((12, 256, 7), (32, 64)),
        ((11, None, 2), (0, 20)),
        ((3, None, None), (24, 0)),
    ],
)
def test_keymat_lengths(
    suite: tuple[int, int | None, int | None], lengths: tuple[int, int]
) -> None:
    assert keymat_lengths(*suite) == lengths


def test_unsupported_algorithms_and_bad_parameters() -> None:
    with pytest.raises(UnsupportedAlgorithm):
        sa(12, 100, 2)
    with pytest.raises(UnsupportedAlgorithm):
        sa(3, None, 9)
    with pytest.raises(ValueError):
        sa(11, None, None)  # ESP_NULL without integrity
    with pytest.raises(ValueError):
        sa(spi=255)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "suite", [(3, None, 1), (12, 128, 2), (12, 256, 7), (11, None, 1), (2, None, None)]
)
@pytest.mark.parametrize("encap", [None, UdpEncap(4500, 4500)])
@pytest.mark.parametrize("mtu", [576, 1400, 1500])
def test_max_inner_is_exactly_what_fits(
    suite: tuple[int, int | None, int | None], encap: UdpEncap | None, mtu: int
) -> None:
    s = sa(*suite, encap=encap)
    limit = s.max_inner(mtu)
    udp = 8 if encap else 0
    for size in (limit, limit + 1):
        out = encapsulate(s, inner(size), os.urandom)
        assert isinstance(out, bytes)
        assert 20 + udp + len(out) == 20 + size + s.overhead(size)
        fits = 20 + udp + len(out) <= mtu
        assert fits is (size == limit)


def test_seed_figures_for_3des_md5() -> None:
    s = sa(3, None, 1)
    assert s.iv_size == 8 and s.icv_size == 12  # "IV size: 8 bytes"
    assert s.max_inner(1500) == 1446


def test_time_lifetime_soft_then_hard() -> None:
    s = sa(lifetime=Lifetime(seconds=100, kilobytes=0), created=1000.0)
    assert s.lifetime_state(1000.0) is LifetimeState.OK
    assert s.remaining_seconds(1030.0) == 70
    assert s.lifetime_state(1089.0) is LifetimeState.OK
    assert s.lifetime_state(1090.0) is LifetimeState.SOFT
    assert s.lifetime_state(1100.0) is LifetimeState.HARD
    assert s.hard_expired
    assert encapsulate(s, inner(60), os.urandom) is Drop.EXPIRED
    assert s.lifetime_state(0.0) is LifetimeState.HARD  # hard is final


def test_kilobyte_lifetime_soft() -> None:
    s = sa(lifetime=Lifetime(seconds=0, kilobytes=10))
    for _ in range(9):
        assert isinstance(encapsulate(s, inner(1024), os.urandom), bytes)
    assert s.remaining_kilobytes() == 1
    assert s.lifetime_state(1e9) is LifetimeState.SOFT
    assert s.remaining_seconds(1e9) == 0  # no time limit configured


def test_kilobyte_lifetime_is_used_up_to_the_limit() -> None:
    """The packet that would go past the limit is refused and the SA's count stands at the
    limit (the engine, told the count, sees the lifetime reached); one that ends exactly on
    it is carried."""
    s = sa(lifetime=Lifetime(seconds=0, kilobytes=2))
    assert s.account(1024) and s.account(1000)
    assert s.lifetime_signal is LifetimeState.SOFT  # 90 % crossed by this packet
    s.lifetime_signal = None
    assert s.account(24)  # exactly 2048
    assert s.lifetime_signal is None and not s.hard_expired
    assert not s.account(1)
    assert s.hard_expired and s.lifetime_signal is LifetimeState.HARD
    assert s.counters.octets == 2048 and s.remaining_kilobytes() == 0
    unlimited = sa(lifetime=Lifetime(seconds=0, kilobytes=0))
    assert unlimited.account(1 << 40) and unlimited.lifetime_signal is None


def test_sequence_space_nearly_used_asks_for_rekey() -> None:
    s = sa(lifetime=Lifetime(seconds=0, kilobytes=0))
    s.seq = SEQ_MAX - 10
    assert s.lifetime_state(0.0) is LifetimeState.SOFT


def test_drop_counts_the_ios_error_counter() -> None:
    out = sa()
    out.drop(Drop.SEND_FAILED)
    assert out.counters.send_errors == 1 and out.counters.recv_errors == 0
    inb = sa(direction=Direction.INBOUND)
    inb.drop(Drop.REPLAY)
    inb.drop(Drop.AUTH_FAILED)
    inb.drop(Drop.DUMMY)
    c = inb.counters
    assert (c.recv_errors, c.replay_failures, sum(c.drops.values())) == (2, 1, 3)


def test_repr_hides_keys() -> None:
    text = repr(sa())
    assert "0x00001000" in text and "0102030405" not in text
