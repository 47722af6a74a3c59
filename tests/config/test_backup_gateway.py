"""``backup-gateway`` in ``crypto isakmp client configuration group``: parsed, rendered back
line for line, and linted (more than 10, or an address of this router)."""

from __future__ import annotations

import pytest
from config_samples import variant

from vpnrouter.config import ErrorKind, parse, render
from vpnrouter.config.lint import Severity, lint
from vpnrouter.config.lint.single import backup_gateways

GROUP = "crypto isakmp client configuration group 3000client\nkey cisco123\n"


def seed_with(*servers: str) -> str:
    lines = "".join(f"backup-gateway {s}\n" for s in servers)
    return variant("vpn2611.cfg", (GROUP, GROUP + lines))


def test_addresses_and_host_names_are_kept_in_the_order_typed() -> None:
    result = parse(seed_with("172.18.124.200", "vpn2.cisco.com", "172.18.124.201"))
    assert result.errors == (), result.formatted_errors()
    group = result.config.client_group("3000client")
    assert group is not None
    assert group.backup_gateways == ("172.18.124.200", "vpn2.cisco.com", "172.18.124.201")


def test_abbreviated_and_repeated_lines() -> None:
    text = (
        "crypto isakmp client configuration group g\n backup 10.0.0.1\n"
        " backup-gateway 10.0.0.1\n backup-g gw.example.com.\n"
    )
    result = parse(text)
    assert result.errors == ()
    group = result.config.client_group("g")
    assert group is not None and group.backup_gateways == ("10.0.0.1", "gw.example.com.")


def test_rendered_back_line_for_line() -> None:
    text = seed_with("172.18.124.200", "vpn2.cisco.com")
    rendered = render(parse(text).config)
    assert (
        "crypto isakmp client configuration group 3000client\n key cisco123\n"
        " dns 10.10.10.10\n wins 10.10.10.20\n domain cisco.com\n pool ippool\n"
        " backup-gateway 172.18.124.200\n backup-gateway vpn2.cisco.com\n!"
    ) in rendered
    again = parse(rendered)
    assert again.errors == () and again.config == parse(text).config
    assert render(again.config) == rendered


@pytest.mark.parametrize(
    ("argument", "kind"),
    [
        ("", ErrorKind.INCOMPLETE),
        ("172.18.124.300", ErrorKind.INVALID),  # digits and dots: an address or nothing
        ("bad_name-", ErrorKind.INVALID),
        ("-bad", ErrorKind.INVALID),
        ("gw..example.com", ErrorKind.INVALID),
        ("10.0.0.1 10.0.0.2", ErrorKind.INVALID),  # one server a line
    ],
)
def test_what_is_not_a_server_is_refused(argument: str, kind: ErrorKind) -> None:
    text = f"crypto isakmp client configuration group g\n backup-gateway {argument}\n"
    result = parse(text)
    (error,) = result.errors
    assert (error.line, error.kind) == (2, kind)
    group = result.config.client_group("g")
    assert group is not None and group.backup_gateways == ()


def _findings(text: str) -> list[tuple[Severity, str, int, str]]:
    report = lint([parse(text, "vpn2611.cfg")])
    return [
        (f.severity, f.code, f.line, f.message)
        for f in report.findings
        if f.code.startswith("backup-gateway")
    ]


def test_seed_with_one_backup_gateway_has_no_finding() -> None:
    assert _findings(seed_with("172.18.124.200")) == []


def test_more_than_ten_backup_gateways() -> None:
    servers = [f"172.18.124.{n}" for n in range(200, 212)]
    assert _findings(seed_with(*servers)) == [
        (
            Severity.WARNING,
            "backup-gateway-limit",
            79,
            "Client group 3000client lists 12 backup gateways: at most 10 are sent to the "
            "clients, so 172.18.124.210, 172.18.124.211 never reach them.",
        )
    ]
    assert _findings(seed_with(*servers[:10])) == []


def test_a_backup_gateway_that_is_this_router() -> None:
    assert _findings(seed_with("172.18.124.200", "172.18.124.159")) == [
        (
            Severity.WARNING,
            "backup-gateway-self",
            79,
            "Client group 3000client names 172.18.124.159 (Ethernet0/0, this router) as a "
            "backup gateway: a client that cannot reach this router would try it again "
            "instead of another gateway.",
        )
    ]
    # the inside address too: any address of ours
    (row,) = backup_gateways(parse(seed_with("10.10.10.1")).config, "vpn2611.cfg")
    assert row.code == "backup-gateway-self"
    assert "names 10.10.10.1 (Ethernet0/1, this router)" in row.message
