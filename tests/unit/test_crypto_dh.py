"""Known answers for the Diffie-Hellman groups.

- MODP 1, 2, 5, 14, 15, 16: the module's primes equal the published hex
  (vectors/modp_primes.txt: RFC 2409 section 6, RFC 3526 sections 2-5) and the RFCs' formula
  2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + c), recomputed here with an integer pi; a
  fixed-private-key known answer computed independently with ``pow``; a two-party round trip.
- ECP 19, 20: RFC 5903 section 8 (vectors/ecp_rfc5903.json).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from vpnrouter.crypto import dh
from vpnrouter.crypto.errors import InvalidPublicValue, UnsupportedAlgorithm

VECTORS = Path(__file__).parent / "vectors"
MODP_GROUPS = (1, 2, 5, 14, 15, 16)


def _published_primes() -> dict[int, tuple[str, int]]:
    text = (VECTORS / "modp_primes.txt").read_text()
    out: dict[int, tuple[str, int]] = {}
    for block in text.split("\n\n"):
        m = re.search(r"^group (\d+): .*\nformula: (.*)\n((?:    .*\n?)+)", block, re.M)
        if m:
            out[int(m.group(1))] = (m.group(2), int("".join(m.group(3).split()), 16))
    return out


PUBLISHED = _published_primes()


def _pi_floor(bits: int) -> int:
    """floor(pi * 2^bits) by Machin's formula in fixed point (64 guard bits)."""

    def arctan_inv(x: int, one: int) -> int:
        total = term = one // x
        n, sign = 1, -1
        while term:
            term //= x * x
            n += 2
            total += sign * (term // n)
            sign = -sign
        return total

    one = 1 << (bits + 64)
    return (4 * (4 * arctan_inv(5, one) - arctan_inv(239, one))) >> 64


@pytest.mark.parametrize("group_id", MODP_GROUPS)
def test_modp_prime_matches_published_hex_and_formula(group_id: int) -> None:
    group = dh.get_group(group_id)
    assert isinstance(group, dh.ModpGroup)
    formula, published = PUBLISHED[group_id]
    assert group.prime == published
    assert group.generator == 2
    m = re.fullmatch(r"2\^(\d+) - 2\^(\d+) - 1 \+ 2\^64 \* \{ \[2\^(\d+) pi\] \+ (\d+) \}", formula)
    assert m is not None
    n, n64, k, c = (int(x) for x in m.groups())
    assert (n64, k) == (n - 64, n - 130)
    assert 2**n - 2**n64 - 1 + 2**64 * (_pi_floor(k) + c) == published
    assert group.public_len == n // 8 == group.shared_len


@pytest.mark.parametrize("group_id", MODP_GROUPS)
def test_modp_fixed_private_key_known_answer(group_id: int) -> None:
    group = dh.get_group(group_id)
    assert isinstance(group, dh.ModpGroup)
    p = PUBLISHED[group_id][1]
    size = (p.bit_length() + 7) // 8
    x = bytes.fromhex("0123456789abcdef" * 8)
    y = bytes.fromhex("fedcba9876543210" * 8)
    a = group.keypair_from_private(x)
    b = group.keypair_from_private(y)
    # Independent computation: Python's three-argument pow on the published prime.
    gx = pow(2, int.from_bytes(x, "big"), p).to_bytes(size, "big")
    gy = pow(2, int.from_bytes(y, "big"), p).to_bytes(size, "big")
    gxy = pow(int.from_bytes(gy, "big"), int.from_bytes(x, "big"), p).to_bytes(size, "big")
    assert a.public == gx
    assert b.public == gy
    assert group.shared_secret(a, b.public) == gxy
    assert group.shared_secret(b, a.public) == gxy


def test_modp768_known_answer_from_strongswan_test_vectors() -> None:
    # strongSwan 5.9.8 src/libstrongswan/plugins/test_vectors/test_vectors/modp.c, modp768
    # (generated vectors; an independent implementation's output): priv_a -> pub_a.
    group = dh.get_group(1)
    priv_a = bytes.fromhex("6091ffc6de28c1ccc7c65da611abfae86a1074b22243e3706cb6de2fe29d1142")
    a = group.keypair_from_private(priv_a)
    assert a.public[:16].hex() == "d7a254629901c889532c3e44da3d0b7e"
    assert a.public[-16:].hex() == "3d748a3d6b96d000c52c99d10b65f2d1"


@pytest.mark.parametrize("group_id", [*MODP_GROUPS, 19, 20])
def test_two_parties_agree(group_id: int) -> None:
    group = dh.get_group(group_id)
    a = group.generate(os.urandom)
    b = group.generate(os.urandom)
    assert len(a.public) == len(b.public) == group.public_len
    s1 = group.shared_secret(a, b.public)
    s2 = group.shared_secret(b, a.public)
    assert s1 == s2
    assert len(s1) == group.shared_len
    assert a.private != b.private


@pytest.mark.parametrize("group_id", [*MODP_GROUPS, 19, 20])
def test_private_value_comes_only_from_the_injected_source(group_id: int) -> None:
    group = dh.get_group(group_id)
    calls: list[int] = []

    def fixed(n: int) -> bytes:
        calls.append(n)
        return bytes([0x5A]) * n

    a = group.generate(fixed)
    b = group.generate(fixed)
    assert a == b
    assert len(calls) == 2
    assert group.keypair_from_private(a.private) == a


def test_modp_private_exponent_is_512_bits_and_never_trivial() -> None:
    group = dh.get_group(14)
    zero = group.generate(lambda n: bytes(n))
    assert int.from_bytes(zero.private, "big") == 2
    ones = group.generate(lambda n: b"\xff" * n)
    assert 2 <= int.from_bytes(ones.private, "big") < 2**512
    assert len(ones.private) == dh.MODP_PRIVATE_LEN


def test_short_random_source_is_refused() -> None:
    for gid in (2, 19):
        with pytest.raises(ValueError):
            dh.get_group(gid).generate(lambda n: bytes(n - 1))


@pytest.mark.parametrize("group_id", MODP_GROUPS)
def test_modp_rejects_invalid_peer_values(group_id: int) -> None:
    group = dh.get_group(group_id)
    assert isinstance(group, dh.ModpGroup)
    ours = group.generate(os.urandom)
    size = group.public_len
    p = group.prime
    for bad in (0, 1, p - 1, p, p + 1):
        if bad.bit_length() > size * 8:
            continue
        with pytest.raises(InvalidPublicValue):
            group.shared_secret(ours, bad.to_bytes(size, "big"))
    with pytest.raises(InvalidPublicValue):  # RFC 2409 section 5: padded to the prime length
        group.shared_secret(ours, (2).to_bytes(size - 1, "big"))
    with pytest.raises(InvalidPublicValue):
        group.shared_secret(ours, (2).to_bytes(size + 1, "big"))


def _ecp_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((VECTORS / "ecp_rfc5903.json").read_text())["cases"]
    return cases


@pytest.mark.parametrize("case", _ecp_cases(), ids=lambda c: f"group{c['group']}")
def test_ecp_rfc5903_section8(case: dict[str, Any]) -> None:
    group = dh.get_group(case["group"])
    i = group.keypair_from_private(bytes.fromhex(case["i"]))
    r = group.keypair_from_private(bytes.fromhex(case["r"]))
    # RFC 5903 section 7: the KE data is x | y.
    assert i.public == bytes.fromhex(case["gix"] + case["giy"])
    assert r.public == bytes.fromhex(case["grx"] + case["gry"])
    # ... and the shared secret is the x coordinate only.
    girx = bytes.fromhex(case["girx"])
    assert group.shared_secret(i, r.public) == girx
    assert group.shared_secret(r, i.public) == girx
    assert group.public_len == len(i.public)
    assert group.shared_len == len(girx)


@pytest.mark.parametrize("group_id", [19, 20])
def test_ecp_rejects_off_curve_and_wrong_length(group_id: int) -> None:
    group = dh.get_group(group_id)
    ours = group.generate(os.urandom)
    peer = group.generate(os.urandom).public
    tampered = peer[:-1] + bytes([peer[-1] ^ 1])
    for bad in (tampered, bytes(group.public_len), b"\x04" + peer, peer[:-1]):
        with pytest.raises(InvalidPublicValue):
            group.shared_secret(ours, bad)


def test_ecp_scalar_range() -> None:
    group = dh.get_group(19)
    assert isinstance(group, dh.EcpGroup)
    with pytest.raises(ValueError):
        group.keypair_from_private(group.order.to_bytes(32, "big"))
    with pytest.raises(ValueError):
        group.keypair_from_private(bytes(32))
    top = group.keypair_from_private((group.order - 1).to_bytes(32, "big"))
    # (n-1) * G = -G: same x as the generator of P-256 (FIPS 186-4 D.1.2.3).
    assert top.public[:32].hex() == (
        "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    )
    # Drawn scalars stay in [1, n-1] even for the all-ones source.
    d = group.generate(lambda n: b"\xff" * n)
    assert 0 < int.from_bytes(d.private, "big") < group.order


def test_keypair_of_another_group_is_refused() -> None:
    a = dh.get_group(2).generate(os.urandom)
    with pytest.raises(ValueError):
        dh.get_group(14).shared_secret(a, bytes(256))


def test_private_value_stays_out_of_repr() -> None:
    a = dh.get_group(2).keypair_from_private(b"\x12\x34" * 16)
    assert "1234" not in repr(a)


@pytest.mark.parametrize("bad", [0, 3, 4, 17, 18, 21, 24, 31])
def test_unsupported_groups(bad: int) -> None:
    with pytest.raises(UnsupportedAlgorithm):
        dh.get_group(bad)
