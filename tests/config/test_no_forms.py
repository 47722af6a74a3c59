"""``no`` commands as IOS runs them when a configuration is pasted: in order, silently for
objects that do not exist, and never printed back by ``show running-config``."""

from __future__ import annotations

from vpnrouter.config import ErrorKind, IsakmpPolicy, RunningConfig, names, parse, render

BASE = """\
hostname r1
username alice password 0 a
username bob password 0 b
crypto isakmp policy 10
 encr aes 256
 hash md5
 authentication pre-share
 group 14
 lifetime 3600
crypto isakmp policy 20
 authentication pre-share
crypto isakmp key k1 address 198.51.100.2
crypto isakmp key k2 address 198.51.100.0 255.255.255.0 no-xauth
crypto isakmp key k3 hostname vpn.example.net
crypto isakmp keepalive 20 5
crypto isakmp nat keepalive 30
crypto isakmp client configuration group g
 key gk
 pool P
crypto ipsec security-association lifetime seconds 1800
crypto ipsec transform-set ts esp-aes esp-sha-hmac
crypto ipsec transform-set old esp-des esp-md5-hmac
crypto dynamic-map dyn 10
 set transform-set ts
crypto dynamic-map dyn 20
 set transform-set ts
crypto map m client authentication list L
crypto map m 10 ipsec-isakmp
 set peer 198.51.100.2
 set transform-set old
 match address 150
crypto map m 20 ipsec-isakmp
 set peer 198.51.100.3
 set transform-set ts
 match address 101
crypto map m 65535 ipsec-isakmp dynamic dyn
interface Ethernet0/0
 ip address 198.51.100.1 255.255.255.0
 crypto map m
ip local pool P 10.10.30.1 10.10.30.9
ip local pool P 10.10.31.1 10.10.31.9
ip local pool Q 10.10.32.1 10.10.32.9
access-list 101 permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255
access-list 150 permit ip 10.10.10.0 0.0.0.255 10.10.40.0 0.0.0.255
ip access-list extended NAMED
 permit ip any any
aaa new-model
aaa authentication login L local
"""


def pasted(*lines: str) -> RunningConfig:
    result = parse(BASE + "".join(f"{line}\n" for line in lines))
    assert result.errors == (), result.formatted_errors()
    return result.config


def test_the_base_configuration_loads() -> None:
    config = pasted()
    assert [p.priority for p in config.isakmp_policies] == [10, 20]
    assert config.crypto_map("m") is not None


def test_no_isakmp_policy_key_keepalive_group() -> None:
    result = parse(
        BASE
        + "no crypto isakmp policy 20\n"
        + "no crypto isakmp key whatever address 198.51.100.0 255.255.255.0\n"
        + "no crypto isakmp key k3 hostname VPN.example.net\n"
        + "no crypto isakmp keepalive\n"
        + "no crypto isakmp nat keepalive\n"
        + "no crypto isakmp client configuration group g\n"
    )
    # the key text does not matter, the address and mask do; peer .3 is left without a key
    assert [(e.line, e.kind) for e in result.errors] == [(33, ErrorKind.REFERENCE)]
    config = result.config
    assert [p.priority for p in config.isakmp_policies] == [10]
    assert [k.key for k in config.isakmp_keys] == ["k1"]
    assert config.isakmp_hostname_keys == ()
    assert config.isakmp_keepalive is None
    assert config.isakmp_nat_keepalive is None
    assert config.client_groups == ()


def test_no_in_a_policy_sub_mode_restores_the_ios_default() -> None:
    config = pasted(
        "crypto isakmp policy 10",
        " no encryption",
        " no hash",
        " no group",
        " no lifetime",
    )
    policy = config.isakmp_policies[0]
    assert policy == IsakmpPolicy(10, authentication=names.AUTH_PSK)
    assert (policy.encryption, policy.key_length, policy.hash) == (names.ENCR_DES, None, 2)
    assert (policy.group, policy.lifetime) == (1, 86400)
    assert pasted("crypto isakmp policy 10", " no encr aes 256").isakmp_policies[0].hash == 1
    reset = pasted("crypto isakmp policy 10", " no authentication")
    assert reset.isakmp_policies[0].authentication == names.AUTH_RSA_SIG


def test_no_crypto_map_entry_and_whole_map() -> None:
    config = pasted("no crypto map m 10")
    cmap = config.crypto_map("m")
    assert cmap is not None and [e.seq for e in cmap.entries] == [20, 65535]
    assert cmap.client_authentication_list == "L"
    # the interface still names the map: that line now names an undefined map
    result = parse(BASE + "no crypto map m\n")
    assert result.config.crypto_maps == ()
    assert [(e.line, e.message) for e in result.errors] == [
        (39, '% Crypto map "m" is not defined.')
    ]
    assert pasted("interface Ethernet0/0", " no crypto map", "no crypto map m").crypto_maps == ()


def test_removing_the_last_entry_keeps_a_map_only_for_its_map_wide_commands() -> None:
    config = pasted(
        "no crypto map m 10",
        "no crypto map m 20",
        "no crypto map m 65535",
    )
    assert [(m.name, m.entries) for m in config.crypto_maps] == [("m", ())]
    gone = pasted(
        "interface Ethernet0/0",
        " no crypto map m",
        "no crypto map m client authentication list L",
        "no crypto map m 10",
        "no crypto map m 20",
        "no crypto map m 65535",
    )
    assert gone.crypto_maps == ()


def test_a_removed_entry_takes_its_references_with_it() -> None:
    # transform set "old" and ACL 150 are only used by entry 10; both can go with it.
    config = pasted(
        "no crypto map m 10",
        "no crypto ipsec transform-set old",
        "no access-list 150",
    )
    assert config.transform_set("old") is None and config.acl("150") is None
    # ...but a transform set still in use leaves the entry naming something undefined.
    result = parse(BASE + "no crypto ipsec transform-set old\n")
    assert [(e.line, e.kind) for e in result.errors] == [(30, ErrorKind.REFERENCE)]


def test_a_removed_then_recreated_entry_is_checked_again() -> None:
    result = parse(
        BASE + "no crypto map m 20\ncrypto map m 20 ipsec-isakmp\n set transform-set nope\n"
    )
    assert [(e.line, e.column) for e in result.errors] == [(len(BASE.splitlines()) + 3, 19)]


def test_no_dynamic_map_entry_and_whole_map() -> None:
    config = pasted("no crypto dynamic-map dyn 10")
    assert [e.seq for e in config.dynamic_map("dyn").entries] == [20]  # type: ignore[union-attr]
    result = parse(BASE + "no crypto dynamic-map dyn\n")
    assert result.config.dynamic_maps == ()
    assert [e.message for e in result.errors] == ['% Dynamic crypto map "dyn" is not defined.']


def test_no_crypto_map_in_interface_mode_unapplies_it() -> None:
    config = pasted("interface Ethernet0/0", " no crypto map m")
    assert config.interface("Ethernet0/0").crypto_map is None  # type: ignore[union-attr]
    assert config.crypto_map("m") is not None


def test_no_access_list_removes_the_whole_numbered_list() -> None:
    # IOS cannot remove one line of a numbered list: "no access-list 101 permit ..." takes
    # the whole list, whatever follows the number.
    config = pasted(
        "no access-list 150",
        "no access-list 101 permit ip host 1.1.1.1 any",
        "no ip access-list extended NAMED",
        "no crypto map m 10",
        "no crypto map m 20",
    )
    assert config.access_lists == ()


def test_no_username_and_pool() -> None:
    config = pasted(
        "no username bob",
        "no ip local pool P 10.10.31.1 10.10.31.9",
        "no ip local pool Q",
    )
    assert [u.name for u in config.users] == ["alice"]
    assert [(p.name, str(p.first)) for p in config.local_pools] == [("P", "10.10.30.1")]


def test_ipsec_lifetime_back_to_default() -> None:
    config = pasted("no crypto ipsec security-association lifetime seconds")
    assert config.ipsec_lifetime_seconds == 3600


def test_removing_what_does_not_exist_is_silent() -> None:
    config = pasted(
        "no access-list 199",
        "no crypto isakmp policy 99",
        "no crypto map nomap 10",
        "no crypto map nomap",
        "no crypto map m 30",
        "no username nobody",
        "no ip local pool NOPOOL",
        "no crypto isakmp key x address 203.0.113.9",
        "no crypto isakmp key x hostname nowhere.example",
        "no crypto ipsec transform-set none",
        "no crypto dynamic-map nodyn 5",
        "no crypto isakmp client configuration group nogroup",
    )
    assert config == pasted()


def test_commands_are_applied_in_order() -> None:
    config = pasted(
        "no crypto isakmp policy 20",
        "crypto isakmp policy 20",
        " hash md5",
        "no username alice",
        "username alice password 0 again",
    )
    assert [(p.priority, p.hash) for p in config.isakmp_policies] == [(10, 1), (20, 1)]
    assert [(u.name, u.password) for u in config.users] == [("bob", "b"), ("alice", "again")]


def test_show_running_config_has_no_no_lines_for_removed_objects() -> None:
    config = pasted(
        "no crypto isakmp policy 20",
        "no crypto map m 10",
        "no crypto ipsec transform-set old",
        "no access-list 150",
        "no username bob",
        "no crypto isakmp key k3 hostname vpn.example.net",
    )
    text = render(config)
    assert [line for line in text.splitlines() if line.startswith("no ")] == [
        "no service password-encryption"
    ]
    assert parse(text).config == config


def test_kept_no_commands_are_still_kept() -> None:
    result = parse("no crypto isakmp ccm\nno crypto ipsec nat-transparency udp-encaps\n")
    assert result.errors == ()
    assert [c.text for c in result.config.unmodeled] == [
        "no crypto isakmp ccm",
        "no crypto ipsec nat-transparency udp-encaps",
    ]


def test_malformed_no_commands_are_errors() -> None:
    result = parse(
        "no crypto isakmp policy 0\nno access-list 5000\nno crypto map\nno crypto isakmp key k\n"
    )
    assert [(e.line, e.kind) for e in result.errors] == [
        (1, ErrorKind.INVALID),
        (2, ErrorKind.INVALID),
        (3, ErrorKind.INCOMPLETE),
        (4, ErrorKind.INCOMPLETE),
    ]


def test_one_line_of_a_list_goes_in_its_named_sub_mode() -> None:
    config = pasted(
        "access-list 101 permit ip host 10.10.10.5 any",
        "access-list 101 remark temporary",
        "ip access-list extended 101",
        " no permit ip host 10.10.10.5 any",
        " no remark temporary",
        " no deny ip any any",
        "ip access-list extended NAMED",
        " 20 deny ip host 10.0.0.1 any",
        " no 10",
        " no 99",
    )
    acl = config.acl("101")
    assert acl is not None and [e.line for e in acl.entries] == [43]
    named = config.acl("NAMED")
    assert named is not None and [(e.action, e.line) for e in named.entries] == [("deny", 56)]
