"""router.policy_builder: the seed configurations and the edge cases of the translation."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from vpnrouter.config import load, parse, parse_strict
from vpnrouter.esp.ipv4 import OPAQUE_PORT, FlowKey
from vpnrouter.esp.spd import Action, PortRange, Selector, Spd, Verdict
from vpnrouter.ike import policy as ike
from vpnrouter.router.policy_builder import PolicyBuildError, build, build_aaa

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"


def test_vpn2611_seed() -> None:
    plan = build(load(SEED / "vpn2611.cfg").config)
    assert plan.hostname == "vpn2611"
    assert plan.crypto_interface == "Ethernet0/0"
    assert plan.local_address == IPv4Address("172.18.124.159")
    assert plan.map_name == "clientmap"
    policy = plan.ike_policy
    assert policy.isakmp_policies == (
        ike.IsakmpPolicy(3, ike.ENCR_3DES, None, ike.HASH_SHA, ike.AUTH_PRE_SHARE, 2, 86400),
        ike.IsakmpPolicy(10, ike.ENCR_DES, None, ike.HASH_MD5, ike.AUTH_PRE_SHARE, 1, 86400),
    )
    (psk,) = policy.preshared_keys
    assert (psk.key, psk.address, psk.no_xauth) == (
        "cisco123",
        IPv4Network("172.18.124.199/32"),
        True,
    )
    static, dynamic = policy.crypto_maps
    myset = ike.TransformSet(
        "myset", ike.ESP_3DES, None, ike.ESP_AUTH_MD5, "tunnel", "esp-3des esp-md5-hmac"
    )
    assert static == ike.CryptoMapEntry(
        map_name="clientmap",
        seq=1,
        peers=(IPv4Address("172.18.124.199"),),
        transform_sets=(myset,),
        acl=(ike.TrafficSelector(IPv4Network("10.10.10.0/24"), IPv4Network("10.10.20.0/24")),),
        acl_name="100",
        local_address=IPv4Address("172.18.124.159"),
    )
    assert dynamic.dynamic and dynamic.dynamic_map == "dynmap" and dynamic.seq == 10
    assert dynamic.dynamic_seq == 10 and dynamic.transform_sets == (myset,) and not dynamic.acl
    (group,) = policy.client_groups
    assert (group.name, group.key, group.pool, group.domain) == (
        "3000client",
        "cisco123",
        "ippool",
        "cisco.com",
    )
    assert plan.spd == (
        ike_policy_line("10.10.10.0/24", "10.10.20.0/24", "clientmap 1", "172.18.124.199"),
    )
    assert plan.tun_routes == (IPv4Network("10.10.20.0/24"),)
    assert policy.ipsec_lifetime_seconds == 3600 and policy.nat_keepalive is None
    assert policy.client_maps == (
        ike.ClientMapConfig("clientmap", "userauthen", "groupauthor", "respond"),
    )
    assert policy.dpd is None
    assert plan.warnings == ()


def test_vpn2611_seed_aaa() -> None:
    config = load(SEED / "vpn2611.cfg").config
    aaa = build_aaa(config)
    assert aaa.authenticate("userauthen", "cisco", "cisco").ok
    assert not aaa.authenticate("userauthen", "cisco", "wrong").ok
    assert aaa.authorizes_locally("groupauthor")
    pool = aaa.pools.get("ippool")
    assert pool is not None and pool.size == 101


def test_dpd_and_group_acl() -> None:
    text = (
        "hostname r\ncrypto isakmp keepalive 10 3 periodic\n"
        "crypto isakmp client configuration group g\n key k\n acl 150\n pfs\n"
        "crypto map m 10 ipsec-isakmp dynamic d\ncrypto dynamic-map d 10\n set transform-set t\n"
        "crypto ipsec transform-set t esp-aes esp-sha-hmac\n"
        "interface Ethernet0/0\n ip address 1.1.1.1 255.0.0.0\n crypto map m\n"
        "access-list 150 permit ip 10.10.10.0 0.0.0.255 any\n"
    )
    policy = build(parse_strict(text)).ike_policy
    assert policy.dpd == ike.DpdPolicy(interval=10, retry=3, periodic=True)
    (group,) = policy.client_groups
    assert group.pfs and group.acl_name == "150"
    assert group.acl == (
        ike.TrafficSelector(IPv4Network("10.10.10.0/24"), IPv4Network("0.0.0.0/0")),
    )
    assert policy.client_maps == ()


def ike_policy_line(src: str, dst: str, tag: str, peer: str) -> object:
    from vpnrouter.esp.spd import Policy

    return Policy(Selector.of(src, dst), Action.PROTECT, tag, IPv4Address(peer))


def test_vpn3640_seed_mirrors_vpn2611() -> None:
    plan = build(load(SEED / "vpn3640.cfg").config)
    (entry,) = plan.ike_policy.crypto_maps
    assert entry.peers == (IPv4Address("172.18.124.159"),)
    assert (
        entry.acl[0].mirror()
        == build(load(SEED / "vpn2611.cfg").config).ike_policy.crypto_maps[0].acl[0]
    )
    assert plan.tun_routes == (IPv4Network("10.10.10.0/24"),)


MODERN = """
hostname modern
crypto isakmp policy 5
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
 lifetime 3600
crypto isakmp key s3cret address 172.18.124.199
crypto isakmp nat keepalive 20
crypto ipsec transform-set a128 esp-aes esp-sha-hmac
crypto ipsec transform-set a256 esp-aes 256 esp-sha256-hmac
crypto ipsec transform-set ahset ah-sha-hmac esp-aes
crypto map m 10 ipsec-isakmp
 set peer 172.18.124.199
 set transform-set ahset a256 a128
 set pfs group14
 set security-association lifetime seconds 1800
 match address l2l
interface Ethernet0/0
 ip address 172.18.124.159 255.255.255.0
 crypto map m
interface Ethernet0/1
 ip address 10.10.10.1 255.255.255.0
ip access-list extended l2l
 deny tcp 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255 eq 22
 permit udp host 10.10.10.5 10.10.20.0 0.0.0.255 eq 53
 permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255
 permit ip 10.10.10.0 0.0.0.255 10.0.0.0 0.255.0.255
 permit tcp 10.10.10.0 0.0.0.255 10.10.30.0 0.0.0.255 range 1000 2000
 permit ip 10.10.10.0 0.0.0.255 any
"""


def test_modern_suites_pfs_lifetimes_and_acl_lines() -> None:
    plan = build(parse_strict(MODERN, "modern.cfg"))
    (p,) = plan.ike_policy.isakmp_policies
    assert (p.encryption, p.key_length, p.hash, p.group, p.lifetime) == (
        ike.ENCR_AES,
        256,
        ike.HASH_SHA256,
        14,
        3600,
    )
    assert plan.ike_policy.nat_keepalive == 20
    (entry,) = plan.ike_policy.crypto_maps
    assert [ts.name for ts in entry.transform_sets] == ["a256", "a128"]  # AH left out
    a256 = entry.transform_sets[0]
    assert (a256.esp_transform, a256.esp_key_length, a256.esp_auth) == (
        ike.ESP_AES,
        256,
        ike.ESP_AUTH_SHA256,
    )
    assert entry.pfs_group == 14 and entry.lifetime_seconds == 1800
    # the deny line is no IKE selector; the udp/53 line keeps its protocol and port
    assert entry.acl[0] == ike.TrafficSelector(
        IPv4Network("10.10.10.5/32"), IPv4Network("10.10.20.0/24"), 17, 0, 53
    )
    assert entry.acl[1] == ike.TrafficSelector(
        IPv4Network("10.10.10.0/24"), IPv4Network("10.10.20.0/24")
    )
    assert len(entry.acl) == 3  # + "any": the wildcard and the port range are left out
    actions = [(str(pol.selector.dst_net), pol.action) for pol in plan.spd]
    assert actions == [
        ("10.10.20.0/24", Action.BYPASS),
        ("10.10.20.0/24", Action.PROTECT),
        ("10.10.20.0/24", Action.PROTECT),
        ("10.0.0.0/8", Action.DISCARD),  # 10.0.0.0 0.255.0.255, widened: dropped, not clear
        ("10.10.30.0/24", Action.DISCARD),
        ("0.0.0.0/0", Action.PROTECT),
    ]
    assert plan.spd[0].selector.dst_port.lo == 22
    assert (plan.spd[4].selector.protocol, plan.spd[4].selector.dst_port) == (
        6,
        PortRange(1000, 2000),
    )
    # "any" would swallow the peer and the connected networks: not routed into the tunnel
    assert plan.tun_routes == (IPv4Network("10.10.20.0/24"),)
    warnings = "\n".join(plan.warnings)
    assert "ahset uses AH" in warnings
    assert "non-contiguous" in warnings
    assert "only 'eq PORT'" in warnings
    assert "not routing 0.0.0.0/0" in warnings


def test_no_crypto_interface_is_an_error() -> None:
    config = parse_strict("hostname r\ninterface Ethernet0/0\n ip address 1.1.1.1 255.0.0.0\n")
    with pytest.raises(PolicyBuildError, match="no interface"):
        build(config)


def test_undefined_map_and_acl() -> None:
    text = (
        "hostname r\ncrypto map m 10 ipsec-isakmp\n set peer 2.2.2.2\n match address 150\n"
        "interface Ethernet0/0\n ip address 1.1.1.1 255.0.0.0\n crypto map m\n"
    )
    plan = build(parse(text).config)  # IOS accepts the line and warns; so do we
    assert plan.spd == ()
    assert "access-list 150 is not defined" in "\n".join(plan.warnings)
    config = parse(text.replace("crypto map m\n", "crypto map other\n")).config
    with pytest.raises(PolicyBuildError, match="not defined"):
        build(config)


def test_hostname_keys_reach_the_engine() -> None:
    text = (
        (SEED / "vpn2611.cfg")
        .read_text()
        .replace(
            "crypto isakmp key cisco123 address 172.18.124.199 no-xauth",
            "crypto isakmp key cisco123 address 172.18.124.199 no-xauth\n"
            "crypto isakmp key fqdn-Key hostname vpn.example.net no-xauth",
        )
    )
    policy = build(parse_strict(text)).ike_policy
    assert policy.hostname_keys == (ike.HostnameKey("fqdn-Key", "vpn.example.net", True),)
    assert policy.find_hostname_key("VPN.example.net.") == policy.hostname_keys[0]
    assert policy.find_hostname_key("example.net") is None
    assert "fqdn-Key" not in repr(policy.hostname_keys)


CASCADE = """\
hostname r
crypto isakmp policy 10
 authentication pre-share
crypto isakmp key k address 172.18.124.199
crypto isakmp key k address 172.18.124.200
crypto ipsec transform-set ts esp-3des esp-md5-hmac
crypto dynamic-map dyn 10
 set transform-set ts
interface Ethernet0/0
 ip address 172.18.124.159 255.255.255.0
 crypto map m
crypto map m 5 ipsec-isakmp dynamic dyn
crypto map m 20 ipsec-isakmp
 set peer 172.18.124.200
 set transform-set ts
 match address 101
crypto map m 10 ipsec-isakmp
 set peer 172.18.124.199
 set transform-set ts
 match address 100
access-list 100 deny ip host 10.10.10.10 host 10.10.20.10
access-list 100 permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255
access-list 101 permit ip host 10.10.10.10 host 10.10.20.10
"""


def test_a_deny_in_an_earlier_entry_leaves_the_pair_to_a_later_one() -> None:
    """IOS crypto map sets: entry 10's deny line does not send its host pair in the clear,
    it hands it to entry 20 (another peer), whose permit protects it; the rest of the
    networks stay with entry 10. A dynamic entry, whatever its number, comes after them."""
    plan = build(parse_strict(CASCADE, "cascade.cfg"))
    assert [(p.tag, p.action, str(p.peer)) for p in plan.spd] == [
        ("m 10", Action.BYPASS, "172.18.124.199"),
        ("m 10", Action.PROTECT, "172.18.124.199"),
        ("m 20", Action.PROTECT, "172.18.124.200"),
    ]
    spd: Spd[str] = Spd(list(plan.spd))
    pair = spd.lookup(flow("10.10.10.10", "10.10.20.10"))
    assert pair.verdict is Verdict.ACQUIRE and pair.policy is not None
    assert (pair.policy.tag, str(pair.policy.peer)) == ("m 20", "172.18.124.200")
    rest = spd.lookup(flow("10.10.10.11", "10.10.20.10"))
    assert rest.policy is not None and rest.policy.tag == "m 10"
    # the engine initiates the pair with entry 20's own ACL line
    entries = {f"{e.map_name} {e.seq}": e for e in plan.ike_policy.crypto_maps}
    assert entries["m 20"].acl == (
        ike.TrafficSelector(IPv4Network("10.10.10.10/32"), IPv4Network("10.10.20.10/32")),
    )
    assert entries["m 5"].dynamic  # flattened; in the SPD only through its SAs, after all
    spd.bind(Selector.of("10.10.10.0/24", "10.10.20.0/24"), "sa-dyn", "m 5")
    assert spd.lookup(flow("10.10.10.10", "10.10.20.10")).verdict is Verdict.ACQUIRE


def test_a_pair_every_entry_denies_is_bypassed() -> None:
    text = CASCADE.replace("access-list 101 permit ip host", "access-list 101 deny ip host")
    plan = build(parse_strict(text, "cascade.cfg"))
    spd: Spd[str] = Spd(list(plan.spd))
    spd.bind(Selector.of("10.10.10.0/24", "10.10.20.0/24"), "sa-10", "m 10")
    pair = spd.lookup(flow("10.10.10.10", "10.10.20.10"))
    assert pair.verdict is Verdict.BYPASS and pair.sa is None  # routed in the clear
    assert spd.lookup(flow("10.10.10.11", "10.10.20.10")).sa == "sa-10"
    assert plan.tun_routes == (IPv4Network("10.10.20.0/24"),)


def flow(src: str, dst: str) -> FlowKey:
    return FlowKey(int(IPv4Address(src)), int(IPv4Address(dst)), 1, OPAQUE_PORT, OPAQUE_PORT)


TWO_OUTSIDE = (
    (SEED / "vpn2611.cfg")
    .read_text()
    .replace(
        "crypto map clientmap 10 ipsec-isakmp dynamic dynmap",
        "crypto map clientmap 2 ipsec-isakmp\n set peer 192.0.2.2\n set transform-set myset\n"
        " match address 101\ncrypto map clientmap 10 ipsec-isakmp dynamic dynmap",
    )
    .replace(
        "interface Serial0/0\n",
        "interface Ethernet1/0\n ip address 192.0.2.1 255.255.255.0\n crypto map clientmap\n"
        "interface Serial0/0\n",
    )
    .replace(
        "access-list 100 ",
        "access-list 101 permit ip 10.10.10.0 0.0.0.255 10.10.30.0 0.0.0.255\naccess-list 100 ",
        1,
    )
    .replace(
        "crypto isakmp key cisco123 address 172.18.124.199 no-xauth",
        "crypto isakmp key cisco123 address 172.18.124.199 no-xauth\n"
        "crypto isakmp key cisco456 address 192.0.2.2 no-xauth",
    )
)


def test_the_same_map_on_two_interfaces_uses_each_interfaces_address() -> None:
    """IOS: without ``local-address`` each interface's own address is the local address of
    its traffic; the static entry initiates from the interface that reaches its peer, the
    dynamic entries answer on both addresses."""
    plan = build(parse_strict(TWO_OUTSIDE, "two.cfg"))
    assert [(c.name, c.map_name, str(c.local_address)) for c in plan.crypto_interfaces] == [
        ("Ethernet0/0", "clientmap", "172.18.124.159"),
        ("Ethernet1/0", "clientmap", "192.0.2.1"),
    ]
    assert plan.local_addresses == (IPv4Address("172.18.124.159"), IPv4Address("192.0.2.1"))
    assert plan.interface_of("192.0.2.1") == "Ethernet1/0"
    assert not [w for w in plan.warnings if "Ethernet1/0" in w]
    entries = [(e.seq, e.dynamic, str(e.local_address)) for e in plan.ike_policy.crypto_maps]
    assert entries == [
        (1, False, "172.18.124.159"),
        (2, False, "192.0.2.1"),
        (10, True, "172.18.124.159"),
        (10, True, "192.0.2.1"),
    ]
    assert [p.tag for p in plan.spd] == ["clientmap 1", "clientmap 2"]  # the map's lines once
    assert plan.tun_routes == (IPv4Network("10.10.20.0/24"), IPv4Network("10.10.30.0/24"))


def test_local_address_makes_every_interface_of_the_map_use_one_address() -> None:
    text = TWO_OUTSIDE.replace(
        "interface Ethernet0/0\n",
        "crypto map clientmap local-address Ethernet0/0\ninterface Ethernet0/0\n",
    )
    plan = build(parse_strict(text, "two.cfg"))
    assert {str(c.local_address) for c in plan.crypto_interfaces} == {"172.18.124.159"}
    assert plan.local_addresses == (IPv4Address("172.18.124.159"),)
    assert {str(e.local_address) for e in plan.ike_policy.crypto_maps} == {"172.18.124.159"}


def test_two_maps_on_two_interfaces_and_a_bad_local_address() -> None:
    text = TWO_OUTSIDE.replace(
        "interface Ethernet1/0\n ip address 192.0.2.1 255.255.255.0\n crypto map clientmap",
        "interface Ethernet1/0\n ip address 192.0.2.1 255.255.255.0\n crypto map other",
    ).replace(
        "interface Ethernet0/0\n",
        "crypto map other 5 ipsec-isakmp\n set peer 192.0.2.2\n set transform-set myset\n"
        " match address 101\ncrypto map other local-address Loopback9\ninterface Ethernet0/0\n",
    )
    result = parse(text, "two.cfg")
    assert result.errors == ()  # IOS takes the line; the interface may be created later
    plan = build(result.config)
    assert [(c.name, c.map_name, str(c.local_address)) for c in plan.crypto_interfaces] == [
        ("Ethernet0/0", "clientmap", "172.18.124.159"),
        ("Ethernet1/0", "other", "192.0.2.1"),
    ]
    assert any("local-address Loopback9" in w for w in plan.warnings)
    other = [e for e in plan.ike_policy.crypto_maps if e.map_name == "other"]
    assert [(e.seq, str(e.local_address)) for e in other] == [(5, "192.0.2.1")]
    assert [p.tag for p in plan.spd] == ["clientmap 1", "clientmap 2", "other 5"]
