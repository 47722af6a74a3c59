"""ID payload values (RFC 2407 4.6.2)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import pytest

from vpnrouter.wire import DecodeError, IdPayload
from vpnrouter.wire.constants import IdType
from vpnrouter.wire.identity import (
    id_fqdn,
    id_ipv4_addr,
    id_ipv4_range,
    id_ipv4_subnet,
    id_ipv6_addr,
    id_ipv6_subnet,
    id_key_id,
    id_user_fqdn,
    id_value,
)


def test_builders_and_values_round_trip() -> None:
    cases = [
        (id_ipv4_addr("172.18.124.159", 17, 500), IPv4Address("172.18.124.159")),
        (id_ipv4_subnet("10.10.20.0/24"), IPv4Network("10.10.20.0/24")),
        (
            id_ipv4_range("14.1.1.100", "14.1.1.200"),
            (IPv4Address("14.1.1.100"), IPv4Address("14.1.1.200")),
        ),
        (id_ipv6_addr("2001:db8::1"), IPv6Address("2001:db8::1")),
        (id_ipv6_subnet("2001:db8::/32"), IPv6Network("2001:db8::/32")),
        (id_fqdn("vpn2611.example"), "vpn2611.example"),
        (id_user_fqdn("cisco@example"), "cisco@example"),
        (id_key_id("3000client"), b"3000client"),
    ]
    for payload, value in cases:
        assert id_value(payload) == value


def test_subnet_wire_form() -> None:
    payload = id_ipv4_subnet("10.10.10.0/24")
    assert payload == IdPayload(IdType.IPV4_ADDR_SUBNET, bytes.fromhex("0a0a0a00ffffff00"))


@pytest.mark.parametrize(
    ("id_type", "data"),
    [
        (IdType.IPV4_ADDR, b"\x01\x02\x03"),
        (IdType.IPV6_ADDR, bytes(15)),
        (IdType.IPV4_ADDR_SUBNET, bytes.fromhex("0a0a0a05ffffff00")),  # host bits set
        (IdType.IPV4_ADDR_SUBNET, bytes.fromhex("0a0a0a00ff00ff00")),  # mask not contiguous
        (IdType.IPV4_ADDR_SUBNET, bytes(7)),
        (IdType.IPV6_ADDR_SUBNET, bytes(16) + bytes.fromhex("ff" * 8 + "00ff" + "00" * 6)),
        (
            IdType.IPV6_ADDR_SUBNET,
            bytes.fromhex("20010db8" + "00" * 11 + "01") + b"\xff" * 16 + b"\x00",
        ),
        (IdType.IPV4_ADDR_RANGE, bytes(9)),
        (IdType.IPV6_ADDR_RANGE, bytes(31)),
        (IdType.FQDN, b"\xff\xfe"),
    ],
)
def test_malformed_values_are_decode_errors(id_type: int, data: bytes) -> None:
    with pytest.raises(DecodeError):
        id_value(IdPayload(id_type, data))


def test_opaque_types_come_back_as_bytes() -> None:
    assert id_value(IdPayload(IdType.DER_ASN1_DN, b"\x30\x00")) == b"\x30\x00"
    assert id_value(IdPayload(99, b"x")) == b"x"
