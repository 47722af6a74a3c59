"""The model's helpers: what the router will call."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from vpnrouter.config import AddressMatch, PortMatch, parse, type7
from vpnrouter.config.lint.proxy import Proxy, compare, proxies

A = IPv4Address


def test_lookups_by_name_number_and_interface() -> None:
    config = parse(
        "access-list 101 permit ip any any\nip access-list extended NAMED\n"
        "crypto ipsec transform-set t esp-aes esp-sha-hmac\n"
        "crypto map m 10 ipsec-isakmp\n match address NAMED\n"
        "interface Ethernet0\n ip address 10.0.0.1 255.255.255.0\n crypto map m\n"
        "ip local pool p 10.5.0.1 10.5.0.9\nip local pool p 10.6.0.1\n"
    ).config
    assert config.acl(101) is config.acl("101")
    assert config.acl("NAMED") is not None and config.acl("nope") is None
    assert config.transform_set("t") is not None and config.transform_set("x") is None
    assert config.crypto_map_for_interface("ethernet0") is config.crypto_map("m")
    assert config.crypto_map_for_interface("Ethernet1") is None
    assert [i.name for i in config.crypto_interfaces()] == ["Ethernet0"]
    first, second = config.pool("p")
    assert A("10.5.0.5") in first and A("10.5.0.10") not in first
    assert (second.first, second.last, second.size) == (A("10.6.0.1"), A("10.6.0.1"), 1)
    assert config.pool("none") == ()


def test_line_numbers_are_not_part_of_equality() -> None:
    one = parse("crypto isakmp policy 5\n").config
    two = parse("!\n!\ncrypto isakmp policy 5\n").config
    assert one == two
    assert one.isakmp_policies[0].line == 1 and two.isakmp_policies[0].line == 3


def test_address_match() -> None:
    assert AddressMatch.any().network == IPv4Network("0.0.0.0/0")
    assert AddressMatch.host(A("10.1.1.1")).network == IPv4Network("10.1.1.1/32")
    net = AddressMatch.of_network(IPv4Network("10.2.0.0/16"))
    assert net.wildcard == A("0.0.255.255") and net.matches(A("10.2.3.4"))
    assert not net.matches(A("10.3.0.1"))


def test_port_match() -> None:
    assert PortMatch("eq", (80, 443)).matches(443)
    assert PortMatch("neq", (80,)).matches(81) and not PortMatch("neq", (80,)).matches(80)
    assert PortMatch("lt", (1024,)).bounds() == (0, 1023)
    assert PortMatch("gt", (1023,)).bounds() == (1024, 65535)
    assert PortMatch("range", (5, 9)).matches(9) and not PortMatch("range", (5, 9)).matches(10)
    assert PortMatch("neq", (80,)).bounds() is None


def test_proxies_and_mirror_comparison() -> None:
    config = parse(
        "access-list 101 permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255\n"
        "access-list 101 deny ip any any\n"
        "access-list 101 permit ip 10.0.0.0 0.255.0.255 any\n"
        "access-list 102 permit ip 10.2.0.0 0.0.255.255 10.1.0.0 0.0.255.255\n"
    ).config
    acl_a, acl_b = config.acl(101), config.acl(102)
    assert acl_a is not None and acl_b is not None
    (only,) = proxies(acl_a)  # deny lines and non-contiguous wildcards are not proxies
    assert only.describe() == "10.1.0.0/16 -> 10.2.0.0/16"
    assert only.mirror().acl_text() == "permit ip 10.2.0.0 0.0.255.255 10.1.0.0 0.0.255.255"
    assert compare(acl_a, acl_b) == []
    wide = Proxy(IPv4Network("10.0.0.0/8"), IPv4Network("10.2.0.0/16"))
    assert wide.contains(only) and not only.contains(wide)


@pytest.mark.parametrize(
    ("encoded", "plain"),
    [("02050D480809", "cisco"), ("094F471A1A0A", "cisco"), ("0822455D0A16", "cisco")],
)
def test_type7_known_answers(encoded: str, plain: str) -> None:
    assert type7.decode(encoded) == plain


def test_type7_round_trip_and_errors() -> None:
    for offset in range(16):
        assert type7.decode(type7.encode("s3cr3t pass", offset)) == "s3cr3t pass"
    for bad in ("0", "ZZ00", "99AB", "02XYZ1", "1"):
        with pytest.raises(ValueError):
            type7.decode(bad)
