"""lint on hostname keys, type 6 keys and pasted ``no`` commands (``vpnrouter lint``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vpnrouter.cli.main import main
from vpnrouter.config import parse
from vpnrouter.config.lint import Severity, lint

GATEWAY = """\
hostname gw
crypto isakmp policy 10
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
crypto isakmp key {key} hostname vpn.example.net no-xauth
crypto ipsec transform-set ts esp-aes 256 esp-sha256-hmac
crypto map m 10 ipsec-isakmp
 set peer 198.51.100.2
 set transform-set ts
 match address 101
interface Ethernet0/0
 ip address 198.51.100.1 255.255.255.0
 crypto map m
access-list 101 permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255
"""


def test_hostname_key_advisory_and_the_peer_that_only_it_could_serve() -> None:
    report = lint([parse(GATEWAY.format(key="Xk3-long-random"), "gw.cfg")])
    assert [(f.severity, f.code, f.line, f.message) for f in report.findings] == [
        (
            Severity.ADVISORY,
            "hostname-key",
            7,
            "The key for host name vpn.example.net is used only when a peer identifies itself "
            "as vpn.example.net (ID_FQDN) in aggressive mode: a main-mode peer's key is looked "
            "up by its address, so it never gets this one, and aggressive mode exposes a hash "
            "of the key to offline guessing. Use a long random key.",
        ),
        (
            Severity.WARNING,
            "peer-hostname-key-only",
            9,
            "crypto map m 10 peer 198.51.100.2 has no key by address (crypto isakmp key KEY "
            "address 198.51.100.2): gw cannot start main mode with it; only the peer can bring "
            "the tunnel up, in aggressive mode, identifying itself with a host name that has a "
            "key here.",
        ),
    ]
    assert report.exit_status == 0


def test_an_address_key_for_the_peer_silences_the_warning() -> None:
    text = GATEWAY.format(key="k") + "crypto isakmp key other address 198.51.100.2\n"
    codes = [f.code for f in lint([parse(text)]).findings]
    assert codes == ["hostname-key"]


def test_lint_command_on_pasted_no_commands_and_a_type_6_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gw.cfg"
    path.write_text(
        GATEWAY.format(key="k")
        + "crypto isakmp key 6 FLgBaJHXdYY_AcHZZMgQ_RhTDJXHUBAAB address 198.51.100.9\n"
        + "crypto isakmp policy 20\n"
        + " encr 3des\n"
        + " no encr\n"
        + "no crypto isakmp policy 20\n"
        + "no access-list 199\n"
        + "interface Ethernet0/0\n"
        + " no crypto map m\n"
    )
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        "gw.cfg:17:\n"
        "crypto isakmp key 6 FLgBaJHXdYY_AcHZZMgQ_RhTDJXHUBAAB address 198.51.100.9\n"
        "                  ^\n"
        "% Cannot decrypt the type 6 pre-shared key"
    ) in out
    # policy 20 (3DES, then DES) is gone, and so are its advisories; the map is unapplied
    assert "ISAKMP policy 20" not in out
    assert "gw.cfg:9: warning [map-not-applied] crypto map m is not applied" in out
    assert out.splitlines()[-1] == "summary: 1 error, 2 warning, 1 advisory; 0 tunnel(s) predicted"
