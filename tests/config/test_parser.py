"""What the parser understands, beyond the seed: the crypto configs of the IOS 12 era."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from vpnrouter.config import RunningConfig, names, parse, render
from vpnrouter.config.model import AclRemark, PortMatch

A = IPv4Address


def clean(text: str) -> RunningConfig:
    result = parse(text)
    assert result.errors == (), result.formatted_errors()
    return result.config


def test_indentation_is_optional() -> None:
    indented = "crypto isakmp policy 5\n encr aes 256\n hash sha\n group 14\nhostname r1\n"
    flat = "crypto isakmp policy 5\nencr aes 256\nhash sha\ngroup 14\nhostname r1\n"
    assert clean(indented) == clean(flat)
    assert clean(flat).hostname == "r1"


def test_keywords_may_be_abbreviated_like_on_a_router() -> None:
    config = clean(
        "cry isa pol 7\n encr aes 192\n authen pre\n gro 5\n life 3600\n"
        "int e0/0\n ip add 10.0.0.1 255.255.255.0\n cry map m\n"
        "cry ipsec trans t esp-aes esp-sha-\n"
        "crypto map m 10 ipsec-isakmp\n set pe 10.0.0.2\n set trans t\n mat addr 110\n"
        "access-list 110 per ip any any\n"
        "crypto isakmp key k addr 10.0.0.2\n"
    )
    (policy,) = config.isakmp_policies
    assert (policy.encryption, policy.key_length, policy.authentication) == (
        names.ENCR_AES,
        192,
        names.AUTH_PSK,
    )
    assert (policy.group, policy.lifetime) == (5, 3600)
    assert config.interfaces[0].name == "Ethernet0/0"
    assert config.crypto_map_for_interface("ethernet0/0") is not None


def test_policy_defaults_are_the_ios_defaults() -> None:
    (policy,) = clean("crypto isakmp policy 1\n").isakmp_policies
    assert (policy.encryption, policy.key_length, policy.hash) == (names.ENCR_DES, None, 2)
    assert (policy.authentication, policy.group, policy.lifetime) == (names.AUTH_RSA_SIG, 1, 86400)


def test_policy_algorithms() -> None:
    text = "crypto isakmp policy 1\n encr aes\n hash sha512\n group 20\n"
    (policy,) = clean(text).isakmp_policies
    assert (policy.key_length, policy.hash, policy.group) == (128, names.HASH_SHA512, 20)


def test_re_entering_a_policy_edits_it() -> None:
    config = clean("crypto isakmp policy 1\n hash md5\ncrypto isakmp policy 1\n group 2\n")
    (policy,) = config.isakmp_policies
    assert (policy.hash, policy.group) == (names.HASH_MD5, 2)


def test_policies_are_sorted_by_priority() -> None:
    config = clean("crypto isakmp policy 20\ncrypto isakmp policy 3\n")
    assert [p.priority for p in config.isakmp_policies] == [3, 20]


def test_isakmp_keys_with_masks_and_longest_prefix_lookup() -> None:
    config = clean(
        "crypto isakmp key wild address 0.0.0.0 0.0.0.0\n"
        "crypto isakmp key net address 10.1.0.0 255.255.0.0 no-xauth\n"
        "crypto isakmp key 0 host address 10.1.2.3\n"
    )
    assert [k.key for k in config.isakmp_keys] == ["wild", "net", "host"]
    assert config.isakmp_key_for(A("10.1.2.3")).key == "host"  # type: ignore[union-attr]
    assert config.isakmp_key_for(A("10.1.9.9")).key == "net"  # type: ignore[union-attr]
    assert config.isakmp_key_for(A("192.0.2.1")).key == "wild"  # type: ignore[union-attr]


def test_keepalives() -> None:
    config = clean("crypto isakmp keepalive 20 5 periodic\ncrypto isakmp nat keepalive 30\n")
    keepalive = config.isakmp_keepalive
    assert keepalive is not None
    assert (keepalive.seconds, keepalive.retry, keepalive.periodic) == (20, 5, True)
    assert config.isakmp_nat_keepalive == 30
    assert clean("crypto isakmp keepalive 10\n").isakmp_keepalive.retry == 2  # type: ignore[union-attr]


def test_client_group_with_every_attribute_and_a_multi_line_banner() -> None:
    config = clean(
        "ip local pool p 10.9.0.1 10.9.0.50\naccess-list 150 permit ip 10.0.0.0 0.0.0.255 any\n"
        "crypto isakmp client configuration group sales\n"
        " key s3cret\n dns 10.0.0.10 10.0.0.11\n wins 10.0.0.20\n domain example.com\n"
        " pool p\n acl 150\n save-password\n include-local-lan\n pfs\n max-users 25\n"
        " banner ^CWelcome\n!not a comment\nto sales^C\n"
    )
    group = config.client_group("sales")
    assert group is not None
    assert group.dns == (A("10.0.0.10"), A("10.0.0.11"))
    assert (group.domain, group.pool, group.acl, group.max_users) == ("example.com", "p", "150", 25)
    assert group.save_password and group.include_local_lan and group.pfs
    assert group.banner == "Welcome\n!not a comment\nto sales"


def test_transform_sets() -> None:
    config = clean(
        "crypto ipsec transform-set strong esp-aes 256 esp-sha256-hmac\n mode transport\n"
        "crypto ipsec transform-set auth-only ah-sha-hmac\n"
        "crypto ipsec transform-set plain esp-null esp-sha-hmac\n"
    )
    strong = config.transform_set("strong")
    assert strong is not None
    assert (strong.esp_encryption, strong.esp_key_length, strong.esp_auth) == (
        names.ESP_AES,
        256,
        names.HMAC_SHA256,
    )
    assert strong.mode == "transport"
    assert strong.transforms == ("esp-aes 256", "esp-sha256-hmac")
    assert config.transform_set("auth-only").ah_auth == names.HMAC_SHA  # type: ignore[union-attr]
    assert config.transform_set("plain").esp_encryption == names.ESP_NULL  # type: ignore[union-attr]


def test_crypto_map_entry_attributes() -> None:
    config = clean(
        "crypto ipsec security-association lifetime seconds 1800\n"
        "crypto ipsec transform-set a esp-aes esp-sha-hmac\n"
        "crypto ipsec transform-set b esp-3des esp-sha-hmac\n"
        "access-list 101 permit ip 10.0.1.0 0.0.0.255 10.0.2.0 0.0.0.255\n"
        "crypto map m local-address Loopback0\n"
        "crypto map m client configuration address initiate\n"
        "crypto map m 20 ipsec-isakmp\n description to the branch\n set peer 192.0.2.1\n"
        " set peer 192.0.2.2\n set transform-set a b\n set pfs\n"
        " set security-association lifetime kilobytes 10000\n match address 101\n"
        " reverse-route\n"
        "crypto map m 10 ipsec-isakmp\n set peer 192.0.2.9\n set pfs group14\n"
    )
    cmap = config.crypto_map("m")
    assert cmap is not None
    assert (cmap.local_address, cmap.address_initiate, cmap.address_respond) == (
        "Loopback0",
        True,
        False,
    )
    assert [e.seq for e in cmap.entries] == [10, 20]
    entry = cmap.entry(20)
    assert entry is not None
    assert entry.peers == (A("192.0.2.1"), A("192.0.2.2"))
    assert entry.transform_sets == ("a", "b")
    assert (entry.pfs_group, entry.reverse_route, entry.description) == (
        1,
        True,
        "to the branch",
    )
    assert config.sa_lifetime(entry) == (1800, 10000)
    assert cmap.entry(10).pfs_group == 14  # type: ignore[union-attr]


def test_dynamic_map_entries_sorted_and_no_peer_needed() -> None:
    config = clean(
        "crypto ipsec transform-set t esp-aes esp-sha-hmac\n"
        "crypto dynamic-map dyn 20\n set transform-set t\n"
        "crypto dynamic-map dyn 5\n set transform-set t\n reverse-route\n"
    )
    dyn = config.dynamic_map("dyn")
    assert dyn is not None
    assert [e.seq for e in dyn.entries] == [5, 20]
    assert dyn.entries[0].reverse_route


def test_interfaces() -> None:
    config = clean(
        "interface FastEthernet 0/1\n description uplink\n ip address 192.0.2.1 255.255.255.0\n"
        " ip address 198.51.100.1 255.255.255.128 secondary\n ip nat outside\n"
        " no shutdown\n exit\n"
        "int gi0/1\n ip address dhcp\n shutdown\n"
        "interface Serial0/0.1\n no ip address\n"
    )
    fast, giga, serial = config.interfaces
    assert (fast.name, fast.description) == ("FastEthernet0/1", "uplink")
    assert fast.address == IPv4Interface("192.0.2.1/24")
    assert fast.secondary == (IPv4Interface("198.51.100.1/25"),)
    assert fast.other == ("ip nat outside",)
    assert not fast.shutdown
    assert (giga.name, giga.dhcp, giga.shutdown) == ("GigabitEthernet0/1", True, True)
    assert serial.name == "Serial0/0.1"


def test_static_routes() -> None:
    (route,) = clean(
        "ip route 10.0.0.0 255.0.0.0 Dialer1 192.0.2.254 200 tag 7 permanent name backup\n"
    ).static_routes
    assert route.prefix == IPv4Network("10.0.0.0/8")
    assert (route.interface, route.next_hop, route.distance) == ("Dialer1", A("192.0.2.254"), 200)
    assert (route.tag, route.permanent, route.name) == (7, True, "backup")


def test_numbered_access_lists() -> None:
    config = clean(
        "access-list 10 permit 10.1.1.1\naccess-list 10 deny 10.2.0.0 0.0.255.255 log\n"
        "access-list 10 permit any\n"
        "access-list 120 remark crypto traffic\n"
        "access-list 120 permit tcp host 10.0.0.1 eq www 10.0.0.0 0.0.0.255 range 1000 2000 "
        "established log\n"
        "access-list 120 permit udp any eq isakmp any eq 4500\n"
        "access-list 120 permit icmp any any echo\n"
        "access-list 120 permit icmp any any 3 4\n"
        "access-list 120 deny 50 10.1.1.1 0.0.0.255 any\n"
        "access-list 120 permit ip 10.0.0.0 0.255.0.255 any\n"
    )
    standard = config.acl(10)
    assert standard is not None and standard.standard
    host, deny, anything = standard.rules
    assert host.source.is_host and host.source.address == A("10.1.1.1")
    assert (deny.action, deny.options) == ("deny", ("log",))
    assert anything.source.is_any
    extended = config.acl("120")
    assert extended is not None
    assert isinstance(extended.entries[0], AclRemark)
    tcp, udp, echo, too_big, esp, odd = extended.rules
    assert tcp.source_port == PortMatch("eq", (80,))
    assert tcp.destination_port == PortMatch("range", (1000, 2000))
    assert tcp.options == ("established", "log")
    assert udp.source_port == PortMatch("eq", (500,)) and udp.protocol == 17
    assert (echo.icmp_type, echo.icmp_code) == (8, None)
    assert (too_big.icmp_type, too_big.icmp_code) == (3, 4)
    # IOS clears the address bits the wildcard ignores and names protocol 50 "esp"
    assert esp.protocol == 50 and esp.source.address == A("10.1.1.0")
    assert esp.source.network == IPv4Network("10.1.1.0/24")
    assert odd.source.network is None and odd.source.wildcard == A("0.255.0.255")
    assert odd.source.matches(A("10.7.0.9")) and not odd.source.matches(A("10.7.1.9"))
    text = render(config)
    assert "access-list 120 deny esp 10.1.1.0 0.0.0.255 any" in text
    assert "access-list 120 permit icmp any any packet-too-big" in text


def test_named_access_lists_honour_sequence_numbers() -> None:
    config = clean(
        "ip access-list extended VPN\n 20 permit ip host 10.0.0.2 any\n"
        " 10 permit ip host 10.0.0.1 any\n deny ip any any\n remark end\n"
        "ip access-list standard MGMT\n permit 10.9.9.9\n"
    )
    vpn = config.acl("VPN")
    assert vpn is not None and vpn.named and not vpn.standard
    sources = [e.source.address for e in vpn.rules]
    assert sources == [A("10.0.0.1"), A("10.0.0.2"), A("0.0.0.0")]
    assert config.acl("MGMT").standard  # type: ignore[union-attr]


def test_numeric_named_access_list_is_the_numbered_one() -> None:
    config = clean("ip access-list extended 150\n permit ip any any\n")
    acl = config.acl(150)
    assert acl is not None and not acl.named and acl.number == 150


def test_usernames() -> None:
    config = clean(
        "username a password 7 02050D480809\n"
        "username b privilege 15 secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0\n"
        "username c nopassword\n"
        "username d password two words\n"
    )
    a, b, c, d = config.users
    assert (a.password, a.password_type, a.encrypted) == ("cisco", 7, "02050D480809")
    assert (b.password, b.password_type, b.privilege, b.secret) == (None, 5, 15, True)
    assert c.nopassword and c.password is None
    assert d.password == "two words"


def test_aaa_method_lists() -> None:
    config = clean(
        "aaa new-model\naaa authentication login default group radius local\n"
        "aaa authorization network default local\naaa accounting network default start-stop\n"
    )
    login = config.aaa_list("authentication login", "default")
    assert login is not None and login.methods == ("group radius", "local")
    assert [u.text for u in config.unmodeled] == ["aaa accounting network default start-stop"]


def test_commands_not_acted_on_with_their_sub_modes() -> None:
    result = parse(
        "banner motd ^C\nAuthorized access only\n!\n^C\n"
        "crypto pki trustpoint TP-self-signed\n enrollment selfsigned\n"
        "crypto pki certificate chain TP-self-signed\n certificate self-signed 01\n"
        "  30820241 308201AA A0030201\n  quit\n"
        "no ip http server\nno crypto isakmp ccm\n"
        "ip dhcp pool LAN\n network 10.0.0.0 255.255.255.0\n default-router 10.0.0.1\n"
        "router ospf 1\n network 10.0.0.0 0.0.0.255 area 0\n"
        "control-plane\n"
    )
    assert result.errors == ()
    texts = {u.text: u.children for u in result.config.unmodeled}
    assert texts["banner motd ^C\nAuthorized access only\n!\n^C"] == ()
    assert texts["crypto pki certificate chain TP-self-signed"] == (
        "certificate self-signed 01",
        "30820241 308201AA A0030201",
        "quit",
    )
    assert texts["ip dhcp pool LAN"] == (
        "network 10.0.0.0 255.255.255.0",
        "default-router 10.0.0.1",
    )
    assert texts["router ospf 1"] == ("network 10.0.0.0 0.0.0.255 area 0",)
    assert "no crypto isakmp ccm" in texts and "no ip http server" in texts
    assert (1, "banner motd") in result.not_acted_on


def test_unknown_words_in_sub_modes_of_commands_we_keep_are_their_children() -> None:
    config = clean("line vty 0 4\nexec-timeout 5 0\ntransport input ssh\nhostname r9\n")
    (vty,) = config.unmodeled
    assert vty.children == ("exec-timeout 5 0", "transport input ssh")
    assert config.hostname == "r9"


def test_exit_leaves_a_sub_mode() -> None:
    config = clean("crypto isakmp policy 1\n exit\nhostname r2\n")
    assert config.hostname == "r2"


def test_lines_after_end_are_ignored() -> None:
    assert clean("hostname r3\nend\nr3#show version\n").hostname == "r3"


def test_capture_header_and_crlf_line_endings() -> None:
    text = "Building configuration...\r\n\r\nCurrent configuration:\r\n!\r\nhostname r4\r\n"
    assert clean(text).hostname == "r4"


def test_service_password_encryption() -> None:
    assert clean("service password-encryption\n").service_password_encryption
    assert not clean("no service password-encryption\n").service_password_encryption
