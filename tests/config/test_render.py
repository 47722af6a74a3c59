"""render() prints show running-config, and what it prints parses back to the same model."""

from __future__ import annotations

import pytest

from vpnrouter.config import RunningConfig, parse, render

CONFIGS = {
    "empty": "",
    "policies": "crypto isakmp policy 30\n encr aes 256\n hash sha384\n authentication pre-share\n"
    " group 19\n lifetime 28800\ncrypto isakmp policy 1\n",
    "keys": "crypto isakmp key a address 10.0.0.1\ncrypto isakmp key b address 10.1.0.0 "
    "255.255.0.0 no-xauth\ncrypto isakmp keepalive 10 3 periodic\ncrypto isakmp nat keepalive 20\n",
    "group": "ip local pool p 10.9.0.1 10.9.0.9\naccess-list 150 permit ip any any\n"
    "crypto isakmp client configuration group g\n key k\n dns 1.1.1.1 1.0.0.1\n wins 10.0.0.9\n"
    " domain d.example\n pool p\n acl 150\n save-password\n include-local-lan\n pfs\n"
    " max-users 9\n banner ^CHello\nthere^C\n",
    "maps": "aaa new-model\naaa authentication login L local\naaa authorization network N local\n"
    "crypto ipsec security-association lifetime seconds 900\n"
    "crypto ipsec security-association lifetime kilobytes 90000\n"
    "crypto ipsec transform-set t esp-aes 192 esp-sha512-hmac\n mode transport\n"
    "crypto ipsec transform-set u ah-md5-hmac esp-3des\n"
    "crypto dynamic-map d 5\n set transform-set t u\n set pfs group15\n reverse-route\n"
    "crypto map m local-address Loopback0\ncrypto map m client authentication list L\n"
    "crypto map m isakmp authorization list N\ncrypto map m client configuration address initiate\n"
    "crypto map m client configuration address respond\n"
    "crypto map m 1 ipsec-isakmp\n description x y\n set peer 192.0.2.1\n set peer 192.0.2.2\n"
    " set security-association lifetime seconds 600\n set transform-set t\n match address 199\n"
    "crypto map m 65535 ipsec-isakmp dynamic d\naccess-list 199 permit gre host 1.1.1.1 any\n"
    "crypto isakmp key z address 0.0.0.0 0.0.0.0\ninterface Loopback0\n ip address 1.1.1.1 "
    "255.255.255.255\n",
    "interfaces": "interface FastEthernet0/0\n description outside world\n ip address dhcp\n"
    " ip nat outside\n shutdown\ninterface Vlan1\n ip address 10.0.0.1 255.255.255.0\n"
    " ip address 10.0.1.1 255.255.255.0 secondary\n",
    "routes": "ip route 0.0.0.0 0.0.0.0 Dialer0\nip route 10.0.0.0 255.0.0.0 10.1.1.1 250 tag 3 "
    "permanent name backup\n",
    "acls": "access-list 5 permit 10.0.0.1\naccess-list 5 deny any log\n"
    "access-list 110 remark keep this\naccess-list 110 permit tcp any host 10.0.0.1 eq 22 443\n"
    "access-list 110 permit udp any range 1 100 any neq 53 log-input\n"
    "access-list 110 permit icmp any any 42 7\naccess-list 110 permit 99 any any precedence 5\n"
    "ip access-list extended E\n remark r\n permit esp any any\n"
    "ip access-list standard S\n permit 10.1.0.0 0.0.255.255\n",
    "users": "username a privilege 15 password 7 02050D480809\nusername b secret 5 "
    "$1$abcd$efgh\nusername c nopassword\nservice password-encryption\n",
    "unmodeled": "banner login ^C\nline 1\n\nline 3\n^C\nline vty 0 4\n password 7 02050D480809\n"
    " transport input ssh\nntp server 10.0.0.1\nip http server\nno ip domain lookup\n"
    "crypto pki trustpoint T\n enrollment selfsigned\nrouter rip\n network 10.0.0.0\n"
    "snmp-server community public RO\nservice timestamps log datetime\nip cef\n",
}


def round_trip(text: str) -> tuple[RunningConfig, str]:
    result = parse(text)
    assert result.errors == (), result.formatted_errors()
    rendered = render(result.config)
    again = parse(rendered)
    assert again.errors == (), again.formatted_errors()
    assert again.config == result.config
    return result.config, rendered


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_test_config_round_trips(name: str) -> None:
    _, rendered = round_trip(CONFIGS[name])
    assert render(parse(rendered).config) == rendered  # rendering is a fixed point


def test_defaults_are_not_printed() -> None:
    _, text = round_trip(
        "crypto isakmp policy 1\ncrypto ipsec transform-set t esp-aes esp-sha-hmac\n"
    )
    assert "crypto isakmp policy 1\n!\n" in text
    assert "crypto ipsec transform-set t esp-aes esp-sha-hmac\n!" in text
    assert "lifetime" not in text and " mode" not in text


def test_header_counts_the_bytes_that_follow() -> None:
    text = render(parse("hostname r\n").config)
    lines = text.split("\n", 3)
    assert lines[:2] == ["Building configuration...", ""]
    assert lines[2] == f"Current configuration : {len(lines[3].encode())} bytes"
    assert render(parse("hostname r\n").config, header=False) == lines[3]


def test_sections_come_in_ios_order() -> None:
    _, text = round_trip(
        "ip route 0.0.0.0 0.0.0.0 10.0.0.254\ninterface Ethernet0\n ip address 10.0.0.1 "
        "255.255.255.0\naccess-list 1 permit any\nline con 0\ncrypto isakmp policy 1\n"
        "hostname r\nversion 12.3\nusername u password 0 p\naaa new-model\n"
    )
    order = [
        "version 12.3",
        "no service password-encryption",
        "hostname r",
        "aaa new-model",
        "username u password 0 p",
        "crypto isakmp policy 1",
        "interface Ethernet0",
        "ip route 0.0.0.0 0.0.0.0 10.0.0.254",
        "access-list 1 permit any",
        "line con 0",
        "end",
    ]
    lines = text.splitlines()
    assert [lines.index(line) for line in order] == sorted(lines.index(line) for line in order)


def test_sub_mode_lines_are_indented_by_one_space() -> None:
    _, text = round_trip(
        "crypto map m 10\n set peer 10.0.0.1\ncrypto isakmp key k address 10.0.0.1\n"
    )
    assert "crypto map m 10 ipsec-isakmp\n set peer 10.0.0.1\n" in text


def test_a_banner_holding_a_literal_caret_c_reads_back_the_same() -> None:
    # delimiter "c" (the first character of "crypto"), text "rypto ^C\ndial-peer "
    text = "banner crypto ^C\ndial-peer cor custom\n"
    config = parse(text).config
    rendered = render(config)
    assert "banner motd #rypto ^C\ndial-peer #" in rendered
    assert parse(rendered).config == config
    group = parse("crypto isakmp client configuration group g\n banner x ^C y x\n").config
    assert " banner # ^C y #" in render(group)
    assert parse(render(group)).config == group
