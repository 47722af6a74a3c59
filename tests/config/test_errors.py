"""Every error the parser reports, shown exactly the IOS way."""

from __future__ import annotations

import pytest
from config_samples import variant

from vpnrouter.config import (
    ConfigError,
    ErrorKind,
    InvalidConfig,
    format_error,
    parse,
    parse_strict,
)


def only_error(text: str) -> ConfigError:
    result = parse(text, "test.cfg")
    assert len(result.errors) == 1, result.formatted_errors()
    return result.errors[0]


def test_typo_in_a_command_shows_the_caret_under_the_word() -> None:
    text = variant("vpn2611.cfg", ("crypto isakmp policy 10\n", "crypto isakmp polcy 10\n"))
    result = parse(text, "vpn2611.cfg")
    first = result.errors[0]
    assert (first.line, first.column, first.kind) == (61, 14, ErrorKind.INVALID)
    assert format_error(first, "vpn2611.cfg") == (
        "vpn2611.cfg:61:\n"
        "crypto isakmp polcy 10\n"
        "              ^\n"
        "% Invalid input detected at '^' marker."
    )


def test_sub_mode_lines_of_a_failed_command_are_not_applied_elsewhere() -> None:
    text = variant("vpn2611.cfg", ("crypto isakmp policy 10\n", "crypto isakmp polcy 10\n"))
    result = parse(text, "vpn2611.cfg")
    # `hash md5` and `authentication pre-share` are errors in global mode, as on a router,
    # and policy 3 (the mode before the typo) is left untouched.
    assert [(e.line, e.column) for e in result.errors] == [(61, 14), (62, 0), (63, 0)]
    assert [p.priority for p in result.config.isakmp_policies] == [3]
    assert result.config.isakmp_policies[0].hash == 2


def test_config_with_errors_still_loads_everything_valid() -> None:
    text = variant(
        "vpn3640.cfg",
        ("hostname vpn3640\n", "hostnme vpn3640\n"),
        ("ip cef\n", "ip cef\nfrobnicate now\n"),
    )
    result = parse(text)
    assert [(e.line, e.column) for e in result.errors] == [(12, 0), (17, 0)]
    assert result.config.hostname == "Router"
    assert result.config.crypto_map("mymap") is not None
    assert result.config.acl(100) is not None


def test_incomplete_command() -> None:
    error = only_error("crypto isakmp key cisco123\n")
    assert error.kind is ErrorKind.INCOMPLETE
    assert format_error(error, "t.cfg") == (
        "t.cfg:1:\ncrypto isakmp key cisco123\n% Incomplete command."
    )


def test_ambiguous_abbreviation() -> None:
    error = only_error("crypto isakmp k cisco address 1.1.1.1\n")
    assert error.kind is ErrorKind.AMBIGUOUS
    assert error.message == '% Ambiguous command:  "crypto isakmp k"'


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("crypto isakmp policy 10001", 21),  # priority out of range
        ("crypto isakmp key k address 1.2.3.256", 28),  # not an address
        ("crypto isakmp key k address 1.2.3.0 255.0.255.0", 36),  # not a mask
        ("crypto ipsec transform-set t esp-des esp-3des", 37),  # two ciphers
        ("crypto ipsec transform-set t esp-blowfish", 29),
        ("crypto map m 70000 ipsec-isakmp", 13),
        ("crypto map m 10 ipsec-manual", 16),
        ("access-list 300 permit ip any any", 12),
        ("access-list 100 permit ip any", 29),  # destination missing -> end of line
        ("access-list 100 permit tcp any any eq nosuchport", 38),
        ("access-list 100 permit udp any any established", 35),
        ("interface Ethrnet0/0", 10),
        ("ip local pool p 10.0.0.9 10.0.0.1", 25),
        ("username bob password 7 XYZ", 24),
        ("hostname -bad", 9),
        ("version", 7),
        ("end now", 4),
    ],
)
def test_malformed_commands(line: str, column: int) -> None:
    error = only_error(line + "\n")
    assert error.column == column, format_error(error, "t")
    assert error.kind in (ErrorKind.INVALID, ErrorKind.INCOMPLETE)


def test_bad_value_in_a_sub_mode_points_into_the_sub_mode_line() -> None:
    result = parse("crypto isakmp policy 10\n hash md6\n group 2\n", "t")
    assert [(e.line, e.column) for e in result.errors] == [(2, 6)]
    # the CLI stayed in the policy sub-mode: group 2 applied to policy 10
    assert result.config.isakmp_policies[0].group == 2


def test_aaa_commands_need_aaa_new_model() -> None:
    error = only_error("aaa authentication login userauthen local\n")
    assert (error.column, error.kind) == (4, ErrorKind.INVALID)


def test_inconsistent_route() -> None:
    error = only_error("ip route 10.0.0.1 255.255.255.0 1.1.1.1\n")
    assert error.message == "%Inconsistent address and mask"
    assert error.column == 9


def test_unterminated_banner() -> None:
    result = parse("banner motd ^C\nwelcome\n", "t")
    (error,) = result.errors
    assert (error.line, error.kind) == (1, ErrorKind.INCOMPLETE)


REFERENCES = [
    (
        (
            "set transform-set myset \nmatch address 100\ncrypto map",
            "set transform-set other \nmatch address 100\ncrypto map",
        ),
        116,
        18,
        'ERROR: transform set with tag "other" does not exist.',
    ),
    (
        ("match address 100\n", "match address 101\n"),
        117,
        14,
        "% Access list 101 is not defined.",
    ),
    (
        ("pool ippool\n", "pool ipool\n"),
        84,
        5,
        '% Address pool "ipool" (ip local pool) is not defined.',
    ),
    (
        ("ipsec-isakmp dynamic dynmap", "ipsec-isakmp dynamic dynmapp"),
        118,
        45,
        '% Dynamic crypto map "dynmapp" is not defined.',
    ),
    (
        ("client authentication list userauthen", "client authentication list userauth"),
        111,
        48,
        '% AAA authentication login list "userauth" is not defined.',
    ),
    (
        ("isakmp authorization list groupauthor", "isakmp authorization list groupauth"),
        112,
        47,
        '% AAA authorization network list "groupauth" is not defined.',
    ),
    (
        (
            "interface Ethernet0/0\nip address 172.18.124.159 255.255.255.0\nhalf-duplex\n"
            "crypto map clientmap",
            "interface Ethernet0/0\nip address 172.18.124.159 "
            "255.255.255.0\nhalf-duplex\ncrypto map clientmapp",
        ),
        132,
        11,
        '% Crypto map "clientmapp" is not defined.',
    ),
    (
        (
            "crypto isakmp key cisco123 address 172.18.124.199 no-xauth",
            "crypto isakmp key cisco123 address 172.18.124.198 no-xauth",
        ),
        115,
        9,
        "% No ISAKMP pre-shared key for peer 172.18.124.199 "
        "(crypto isakmp key ... address 172.18.124.199).",
    ),
]


@pytest.mark.parametrize(("edit", "line", "column", "message"), REFERENCES)
def test_undefined_references_point_at_the_line_that_makes_them(
    edit: tuple[str, str], line: int, column: int, message: str
) -> None:
    result = parse(variant("vpn2611.cfg", edit), "vpn2611.cfg")
    (error,) = result.errors
    assert (error.line, error.column, error.message) == (line, column, message)
    assert error.kind is ErrorKind.REFERENCE
    shown = format_error(error, "vpn2611.cfg").splitlines()
    assert shown[0] == f"vpn2611.cfg:{line}:"
    assert shown[2] == " " * column + "^"
    assert shown[3] == message


def test_peer_needs_no_key_when_no_policy_uses_pre_shared_keys() -> None:
    text = (
        "crypto isakmp policy 1\n authentication rsa-sig\n"
        "crypto ipsec transform-set t esp-aes esp-sha-hmac\n"
        "access-list 101 permit ip any any\n"
        "crypto map m 10 ipsec-isakmp\n set peer 1.2.3.4\n set transform-set t\n"
        " match address 101\n"
    )
    assert parse(text).errors == ()


def test_errors_are_sorted_by_line() -> None:
    text = "crypto map m 10\n set transform-set nope\nhostnme x\n"
    result = parse(text)
    assert [e.line for e in result.errors] == [2, 3]


def test_parse_strict_raises_with_the_formatted_errors() -> None:
    with pytest.raises(InvalidConfig) as caught:
        parse_strict("crypto isakmp polcy 10\n", "r.cfg")
    assert str(caught.value).startswith("r.cfg:1:\ncrypto isakmp polcy 10\n")
    assert len(caught.value.errors) == 1


def test_parse_strict_returns_the_config() -> None:
    assert parse_strict("hostname r1\n").hostname == "r1"
