"""``crypto isakmp key``: address keys with masks, hostname keys, key types 0 and 6."""

from __future__ import annotations

from ipaddress import IPv4Address

from vpnrouter.config import ErrorKind, IsakmpHostnameKey, IsakmpKey, parse, render

A = IPv4Address
KEYS = (
    "crypto isakmp policy 10\n"
    " authentication pre-share\n"
    "crypto isakmp key 0 clear1 address 10.1.0.0 255.255.0.0 no-xauth\n"
    "crypto isakmp key s3cret hostname vpn.example.net\n"
    "crypto isakmp key 0 other hostname Branch-7.Example.COM no-xauth\n"
)


def test_hostname_keys_are_parsed_with_their_lines() -> None:
    result = parse(KEYS)
    assert result.errors == ()
    config = result.config
    assert config.isakmp_hostname_keys == (
        IsakmpHostnameKey("s3cret", "vpn.example.net"),
        IsakmpHostnameKey("other", "Branch-7.Example.COM", no_xauth=True),
    )
    assert [k.line for k in config.isakmp_hostname_keys] == [4, 5]
    assert config.isakmp_keys == (IsakmpKey("clear1", A("10.1.0.0"), A("255.255.0.0"), True),)
    assert config.isakmp_keys[0].line == 3


def test_hostname_lookup_ignores_case_and_a_trailing_dot() -> None:
    config = parse(KEYS).config
    assert config.isakmp_key_for_hostname("VPN.example.net.").key == "s3cret"  # type: ignore[union-attr]
    assert config.isakmp_key_for_hostname("branch-7.example.com").key == "other"  # type: ignore[union-attr]
    assert config.isakmp_key_for_hostname("example.net") is None


def test_keys_render_back_as_written_type_0_without_its_digit() -> None:
    lines = render(parse(KEYS).config).splitlines()
    assert lines[lines.index("crypto isakmp key clear1 address 10.1.0.0 255.255.0.0 no-xauth") :][
        :3
    ] == [
        "crypto isakmp key clear1 address 10.1.0.0 255.255.0.0 no-xauth",
        "crypto isakmp key s3cret hostname vpn.example.net",
        "crypto isakmp key other hostname Branch-7.Example.COM no-xauth",
    ]
    assert parse(render(parse(KEYS).config)).config == parse(KEYS).config


def test_a_later_key_for_the_same_host_name_replaces_the_first() -> None:
    config = parse(KEYS + "crypto isakmp key newer hostname VPN.EXAMPLE.NET\n").config
    assert [(k.key, k.hostname, k.line) for k in config.isakmp_hostname_keys] == [
        ("newer", "VPN.EXAMPLE.NET", 6),
        ("other", "Branch-7.Example.COM", 5),
    ]


def test_a_key_that_is_literally_0_or_6() -> None:
    config = parse("crypto isakmp key 6 address 10.0.0.1\ncrypto isakmp key 0 hostname h\n").config
    assert [k.key for k in config.isakmp_keys] == ["6"]
    assert [k.key for k in config.isakmp_hostname_keys] == ["0"]


def test_bad_host_names_and_masks_are_invalid_input() -> None:
    result = parse(
        "crypto isakmp key k hostname bad..name\n"
        "crypto isakmp key k address 10.0.0.0 255.0.255.0\n"
        "crypto isakmp key k hostname\n"
    )
    assert [(e.line, e.column, e.kind) for e in result.errors] == [
        (1, 29, ErrorKind.INVALID),
        (2, 37, ErrorKind.INVALID),
        (3, 28, ErrorKind.INCOMPLETE),
    ]
    assert result.config.isakmp_keys == () and result.config.isakmp_hostname_keys == ()


def test_type_6_key_is_reported_on_its_line_and_the_rest_loads() -> None:
    text = (
        "hostname r1\n"
        "crypto isakmp key 6 FLgBaJHXdYY_AcHZZMgQ_RhTDJXHUBAAB address 192.0.2.7\n"
        "crypto isakmp key 6 UdcVQ^XdKbOfTRRTNhgMHgSdTgZUGAAB hostname vpn.example.net\n"
        "crypto isakmp key good address 192.0.2.8\n"
    )
    result = parse(text, "r1.cfg")
    assert [(e.line, e.column, e.kind, e.code) for e in result.errors] == [
        (2, 18, ErrorKind.ENCRYPTED, "undecryptable-key"),
        (3, 18, ErrorKind.ENCRYPTED, "undecryptable-key"),
    ]
    assert result.formatted_errors()[0] == (
        "r1.cfg:2:\n"
        "crypto isakmp key 6 FLgBaJHXdYY_AcHZZMgQ_RhTDJXHUBAAB address 192.0.2.7\n"
        "                  ^\n"
        "% Cannot decrypt the type 6 pre-shared key: the master key (key config-key "
        "password-encrypt) is not part of a configuration. The key is not loaded; enter it "
        "as type 0 (clear text)."
    )
    config = result.config
    assert config.hostname == "r1"
    assert [k.key for k in config.isakmp_keys] == ["good"]
    assert config.isakmp_hostname_keys == ()


def test_password_encryption_aes_is_kept_but_not_acted_on() -> None:
    result = parse("password encryption aes\n")
    assert result.errors == ()
    assert result.not_acted_on == ((1, "password encryption aes"),)


def test_a_map_peer_without_an_address_key_is_no_error_when_hostname_keys_exist() -> None:
    entry = (
        "crypto ipsec transform-set ts esp-aes esp-sha-hmac\n"
        "access-list 101 permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255\n"
        "crypto map m 10 ipsec-isakmp\n set peer 198.51.100.2\n set transform-set ts\n"
        " match address 101\n"
    )
    policy = "crypto isakmp policy 10\n authentication pre-share\n"
    missing = parse(policy + entry).errors
    assert [(e.line, e.kind) for e in missing] == [(6, ErrorKind.REFERENCE)]
    assert parse(policy + "crypto isakmp key k hostname vpn.example.net\n" + entry).errors == ()
