"""The seed configurations load unmodified, model what the document says, and round-trip."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

import pytest
from config_samples import VPN2611, VPN3640, seed_text

from vpnrouter.config import load, parse, render
from vpnrouter.config import names as n
from vpnrouter.config.lint import Severity, lint

A = IPv4Address


def test_vpn2611_loads_without_error() -> None:
    result = load(VPN2611)
    assert result.errors == ()
    assert result.ok


def test_vpn3640_loads_without_error() -> None:
    assert load(VPN3640).errors == ()


def test_vpn2611_global_settings() -> None:
    config = load(VPN2611).config
    assert config.hostname == "vpn2611"
    assert config.version == "12.2"
    assert config.service_password_encryption is False
    assert config.aaa_new_model is True
    login = config.aaa_list("authentication login", "userauthen")
    network = config.aaa_list("authorization network", "groupauthor")
    assert login is not None and login.methods == ("local",) and login.line == 23
    assert network is not None and network.methods == ("local",) and network.line == 29
    user = config.user("cisco")
    assert user is not None
    assert (user.password, user.password_type, user.line) == ("cisco", 0, 37)


def test_vpn2611_isakmp_policies_with_ios_defaults_resolved() -> None:
    policies = load(VPN2611).config.isakmp_policies
    assert [p.priority for p in policies] == [3, 10]
    vpn_clients, lan_to_lan = policies
    # policy 3: encr 3des, authentication pre-share, group 2; hash and lifetime default.
    assert vpn_clients.encryption == n.ENCR_3DES
    assert vpn_clients.key_length is None
    assert vpn_clients.hash == n.HASH_SHA
    assert vpn_clients.authentication == n.AUTH_PSK
    assert vpn_clients.group == 2
    assert vpn_clients.lifetime == 86400
    # policy 10: hash md5, authentication pre-share; DES and group 1 are the IOS defaults.
    assert lan_to_lan.encryption == n.ENCR_DES
    assert lan_to_lan.hash == n.HASH_MD5
    assert lan_to_lan.authentication == n.AUTH_PSK
    assert lan_to_lan.group == 1
    assert lan_to_lan.lifetime == 86400
    assert (vpn_clients.line, lan_to_lan.line) == (51, 61)


def test_vpn2611_isakmp_key_is_no_xauth_for_the_lan_to_lan_peer() -> None:
    config = load(VPN2611).config
    key = config.isakmp_key_for(A("172.18.124.199"))
    assert key is not None
    assert (key.key, key.no_xauth, key.line) == ("cisco123", True, 70)
    assert key.network == IPv4Network("172.18.124.199/32")
    assert config.isakmp_key_for(A("172.18.124.200")) is None


def test_vpn2611_client_group_for_vpn_clients() -> None:
    group = load(VPN2611).config.client_group("3000client")
    assert group is not None
    assert group.key == "cisco123"
    assert group.dns == (A("10.10.10.10"),)
    assert group.wins == (A("10.10.10.20"),)
    assert group.domain == "cisco.com"
    assert group.pool == "ippool"
    assert (group.acl, group.pfs, group.save_password, group.include_local_lan) == (
        None,
        False,
        False,
        False,
    )


def test_vpn2611_transform_set_and_dynamic_map() -> None:
    config = load(VPN2611).config
    myset = config.transform_set("myset")
    assert myset is not None
    assert (myset.esp_encryption, myset.esp_auth, myset.ah_auth) == (n.ESP_3DES, n.HMAC_MD5, None)
    assert myset.mode == "tunnel"
    assert myset.transforms == ("esp-3des", "esp-md5-hmac")
    dynmap = config.dynamic_map("dynmap")
    assert dynmap is not None
    assert [(e.seq, e.transform_sets, e.peers) for e in dynmap.entries] == [(10, ("myset",), ())]


def test_vpn2611_crypto_map_has_static_entry_before_dynamic_entry() -> None:
    config = load(VPN2611).config
    clientmap = config.crypto_map_for_interface("Ethernet0/0")
    assert clientmap is not None and clientmap.name == "clientmap"
    assert clientmap.client_authentication_list == "userauthen"
    assert clientmap.isakmp_authorization_list == "groupauthor"
    assert clientmap.address_respond is True and clientmap.address_initiate is False
    static, dynamic = clientmap.entries
    assert static.seq == 1 and not static.is_dynamic
    assert static.peers == (A("172.18.124.199"),)
    assert static.transform_sets == ("myset",)
    assert static.match_address == "100"
    assert dynamic.seq == 10 and dynamic.dynamic_map == "dynmap"
    assert config.sa_lifetime(static) == (3600, 4608000)


def test_vpn2611_interfaces_pool_route_and_acl() -> None:
    config = load(VPN2611).config
    assert [i.name for i in config.interfaces] == ["Ethernet0/0", "Serial0/0", "Ethernet0/1"]
    outside, serial, inside = config.interfaces
    assert outside.address == IPv4Interface("172.18.124.159/24")
    assert outside.crypto_map == "clientmap"
    assert outside.other == ("half-duplex",)
    assert serial.address is None and serial.shutdown is True
    assert inside.address == IPv4Interface("10.10.10.1/24")
    assert inside.other == ("no keepalive", "half-duplex")
    (pool,) = config.pool("ippool")
    assert (pool.first, pool.last, pool.size) == (A("14.1.1.100"), A("14.1.1.200"), 101)
    (route,) = config.static_routes
    assert route.prefix == IPv4Network("0.0.0.0/0") and route.next_hop == A("172.18.124.1")
    acl = config.acl(100)
    assert acl is not None and not acl.standard
    (entry,) = acl.rules
    assert entry.permits and entry.protocol == 0
    assert entry.source.network == IPv4Network("10.10.10.0/24")
    assert entry.source.wildcard == A("0.0.0.255")
    assert entry.destination is not None
    assert entry.destination.network == IPv4Network("10.10.20.0/24")


def test_vpn3640_mirrors_vpn2611() -> None:
    config = load(VPN3640).config
    assert config.hostname == "vpn3640"
    assert config.aaa_new_model is False and config.users == ()
    (policy,) = config.isakmp_policies
    assert (policy.priority, policy.encryption, policy.hash, policy.authentication) == (
        10,
        n.ENCR_DES,
        n.HASH_MD5,
        n.AUTH_PSK,
    )
    key = config.isakmp_key_for(A("172.18.124.159"))
    assert key is not None and key.key == "cisco123" and key.no_xauth is False
    mymap = config.crypto_map_for_interface("Ethernet0/0")
    assert mymap is not None
    (entry,) = mymap.entries
    assert (entry.seq, entry.peers, entry.transform_sets, entry.match_address) == (
        10,
        (A("172.18.124.159"),),
        ("myset",),
        "100",
    )
    acl = config.acl("100")
    assert acl is not None
    (rule,) = acl.rules
    assert rule.source.network == IPv4Network("10.10.20.0/24")
    assert rule.destination is not None
    assert rule.destination.network == IPv4Network("10.10.10.0/24")


NOT_ACTED_ON_2611 = [
    (6, "service timestamps debug uptime"),
    (7, "service timestamps log uptime"),
    (30, "aaa session-id common"),
    (38, "ip subnet-zero"),
    (42, "ip audit notify log"),
    (43, "ip audit po max-events 100"),
    (121, "fax interface-type fax-mail"),
    (122, "mta receive maximum-recipients 0"),
    (131, "half-duplex"),
    (140, "no keepalive"),
    (141, "half-duplex"),
    (149, "ip classless"),
    (151, "ip http server"),
    (152, "ip pim bidir-enable"),
    (165, "snmp-server community foobar RO"),
    (166, "call rsvp-sync"),
    (169, "mgcp profile default"),
    (171, "dial-peer cor custom"),
    (174, "line con 0"),
    (175, "exec-timeout 0 0"),
    (176, "line aux 0"),
    (177, "line vty 0 4"),
]


def test_vpn2611_lines_not_acted_on_are_listed() -> None:
    assert list(load(VPN2611).not_acted_on) == NOT_ACTED_ON_2611


def test_vpn3640_line_submode_keeps_login() -> None:
    config = load(VPN3640).config
    vty = [u for u in config.unmodeled if u.text == "line vty 0 4"]
    assert [u.children for u in vty] == [("login",)]
    assert (92, "login") in load(VPN3640).not_acted_on


@pytest.mark.parametrize("path", [VPN2611, VPN3640], ids=["vpn2611", "vpn3640"])
def test_seed_round_trips(path: object) -> None:
    result = load(str(path))
    text = render(result.config)
    again = parse(text)
    assert again.errors == ()
    assert again.config == result.config
    assert render(again.config) == text


def test_rendered_seed_keeps_unmodeled_lines_in_ios_sections() -> None:
    text = render(load(VPN2611).config)
    lines = text.splitlines()
    for line in ("fax interface-type fax-mail", "snmp-server community foobar RO", "line vty 0 4"):
        assert line in lines
    assert lines.index("ip classless") < lines.index("ip route 0.0.0.0 0.0.0.0 172.18.124.1")
    assert lines.index("line con 0") + 1 == lines.index(" exec-timeout 0 0")
    assert lines[-1] == "end"


def test_seed_files_are_untouched_copies() -> None:
    assert "Current configuration : 2265 bytes" in seed_text("vpn2611.cfg")
    assert "Current configuration : 1287 bytes" in seed_text("vpn3640.cfg")


def test_seed_lint_findings() -> None:
    report = lint([load(VPN2611), load(VPN3640)])
    assert report.exit_status == 0
    assert report.errors == ()
    got = [(f.file, f.line, f.code) for f in report.findings]
    assert got == [
        ("vpn2611.cfg", 37, "plaintext-passwords"),
        ("vpn2611.cfg", 51, "weak-3des"),
        ("vpn2611.cfg", 51, "weak-dh-group"),
        ("vpn2611.cfg", 61, "weak-des"),
        ("vpn2611.cfg", 61, "weak-md5"),
        ("vpn2611.cfg", 61, "weak-dh-group"),
        ("vpn2611.cfg", 79, "aggressive-mode-psk"),
        ("vpn2611.cfg", 91, "weak-3des"),
        ("vpn2611.cfg", 91, "weak-md5"),
        ("vpn3640.cfg", 22, "weak-des"),
        ("vpn3640.cfg", 22, "weak-md5"),
        ("vpn3640.cfg", 22, "weak-dh-group"),
        ("vpn3640.cfg", 40, "weak-3des"),
        ("vpn3640.cfg", 40, "weak-md5"),
    ]
    assert {f.severity for f in report.findings} == {Severity.ADVISORY}


def test_seed_pair_predicts_the_tunnel_comes_up() -> None:
    report = lint([load(VPN2611), load(VPN3640)])
    (tunnel,) = report.tunnels
    assert tunnel.comes_up
    assert tunnel.left.startswith("vpn2611 (Ethernet0/0 172.18.124.159, crypto map clientmap 1)")
    assert tunnel.right.startswith("vpn3640 (Ethernet0/0 172.18.124.199, crypto map mymap 10)")
    assert tunnel.summary == (
        "comes up; phase 1 policy 10 (DES, MD5, pre-share, group 1); "
        "phase 2 myset (esp-3des esp-md5-hmac); traffic 10.10.10.0/24 <-> 10.10.20.0/24"
    )
