"""The seed document's show outputs, reproduced by our renderers from snapshots with its values.

Source: Cisco document 'Configuring IPSec Router-to-Router (LAN-to-LAN) and Cisco VPN Client'
(seed), IOS 12.2 (tests/cli/data/seed-ios12.2). The document collapsed runs of spaces, wrapped
long lines and wrote the same words in two cases, so the comparison is whitespace-normalized
and case-folded; the layout itself is checked against the reference's 12.2 table below.
"""

from __future__ import annotations

import pytest
from shellfakes import DATA, FakeBackend, vpn2611, vpn3640

from vpnrouter.cli.shell.grammar import ENABLE
from vpnrouter.cli.shell.session import Session
from vpnrouter.cli.shell.snapshot import Snapshot

SEED = DATA / "seed-ios12.2"


def normalized(text: str) -> str:
    """Words only: no annotations (``!--- ...``), no spacing, one case."""
    lines = [line for line in text.splitlines() if not line.strip().startswith("!---")]
    return " ".join(" ".join(lines).split()).casefold()


def seed_output(name: str) -> tuple[str, str]:
    """(the command typed, what the router printed) from a seed capture."""
    lines = (SEED / f"{name}.txt").read_text().splitlines()
    echo = next(i for i, line in enumerate(lines) if line.strip())
    command = lines[echo].split("#", 1)[1].strip()
    return command, "\n".join(lines[echo + 1 :])


CASES = [
    ("vpn2611", vpn2611, "show-crypto-isakmp-sa"),
    ("vpn2611", vpn2611, "show-crypto-ipsec-sa"),
    ("vpn2611", vpn2611, "show-crypto-engine-connection-active"),
    ("vpn3640", vpn3640, "show-crypto-isakmp-sa"),
    ("vpn3640", vpn3640, "show-crypto-ipsec-sa"),
    ("vpn3640", vpn3640, "show-crypto-engine-connection-active"),
]


@pytest.mark.parametrize(("router", "make", "name"), CASES)
def test_seed_output_reproduced(router: str, make: type[Snapshot], name: str) -> None:
    command, expected = seed_output(f"{router}-{name}")
    session = Session(FakeBackend(make()), privilege=ENABLE)
    result = session.execute(command)
    assert result.ok
    assert normalized(result.text) == normalized(expected)


@pytest.mark.parametrize(("router", "make", "name"), CASES)
def test_seed_output_abbreviated(router: str, make: type[Snapshot], name: str) -> None:
    """The same output for the abbreviations an operator types."""
    command, _ = seed_output(f"{router}-{name}")
    short = {
        "show crypto isakmp sa": "sh cry isa sa",
        "show crypto ipsec sa": "sh cry ips sa",
        "show crypto engine connection active": "sh cry eng conn act",
    }[command]
    session = Session(FakeBackend(make()), privilege=ENABLE)
    assert session.run_command(short) == session.run_command(command)


def test_seed_values_are_all_there() -> None:
    """Spot checks that a normalization bug cannot hide: live figures, hex and decimal SPIs."""
    text = Session(FakeBackend(vpn2611())).run_command("show crypto ipsec sa")
    assert "spi: 0xDE6C99C0(3731659200)" in text
    assert "current outbound spi: B7F84138" in text
    assert "(4607998/3493)" in text
    assert "slot: 0, conn id: 2006, flow_id: 7, crypto map: clientmap" in text
    assert text.count("interface: Ethernet0/0") == 1
    assert text.count("protected vrf:") == 3


def test_seed_isakmp_table_layout() -> None:
    """The 12.2 table with its real spacing (the reference's copy of the seed's row)."""
    expected = (DATA / "reference-ios15" / "ios12.2-show-crypto-isakmp-sa.txt").read_text()
    text = Session(FakeBackend(vpn2611())).run_command("show crypto isakmp sa")
    assert text.splitlines()[:2] == expected.splitlines()


def test_seed_engine_layout_columns() -> None:
    text = Session(FakeBackend(vpn3640())).run_command("show crypto engine connections active")
    assert text.splitlines() == [
        "  ID Interface            IP-Address      State  Algorithm           Encrypt  Decrypt",
        "   4 <none>               <none>          set    HMAC_MD5+DES_56_CB        0        0",
        " 940 Ethernet0/0          172.18.124.199  set    HMAC_MD5+3DES_56_C        0        4",
        " 941 Ethernet0/0          172.18.124.199  set    HMAC_MD5+3DES_56_C        4        0",
    ]
