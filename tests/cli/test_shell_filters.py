"""Output modifiers: include, exclude, begin, section, count, and | json through the session."""

from __future__ import annotations

import json

import pytest
from shellfakes import FakeBackend, vpn2611

from vpnrouter.cli.shell.filters import FilterError, OutputFilter, apply
from vpnrouter.cli.shell.grammar import ENABLE
from vpnrouter.cli.shell.session import Session

TEXT = """\
hostname vpn2611
!
crypto isakmp policy 3
 encr 3des
 group 2
crypto isakmp policy 10
 hash md5
!
interface Ethernet0/0
 ip address 172.18.124.159 255.255.255.0
 crypto map clientmap
!
end
"""


def test_include_exclude() -> None:
    assert apply(TEXT, OutputFilter("include", "policy")) == (
        "crypto isakmp policy 3\ncrypto isakmp policy 10\n"
    )
    assert apply(TEXT, OutputFilter("include", "^ ")).count("\n") == 5
    kept = apply(TEXT, OutputFilter("exclude", "^!|^ "))
    assert kept.splitlines() == [
        "hostname vpn2611",
        "crypto isakmp policy 3",
        "crypto isakmp policy 10",
        "interface Ethernet0/0",
        "end",
    ]


def test_include_nothing() -> None:
    assert apply(TEXT, OutputFilter("include", "no such thing")) == ""


def test_begin() -> None:
    assert apply(TEXT, OutputFilter("begin", "^interface")).splitlines()[0] == (
        "interface Ethernet0/0"
    )
    assert apply(TEXT, OutputFilter("begin", "nowhere")) == ""


def test_section() -> None:
    assert apply(TEXT, OutputFilter("section", "policy 10")) == (
        "crypto isakmp policy 10\n hash md5\n"
    )
    assert apply(TEXT, OutputFilter("section", "crypto isakmp")).splitlines() == [
        "crypto isakmp policy 3",
        " encr 3des",
        " group 2",
        "crypto isakmp policy 10",
        " hash md5",
    ]
    # a matching sub-mode line comes alone (it has nothing under it)
    assert apply(TEXT, OutputFilter("section", "crypto map")) == " crypto map clientmap\n"


def test_count() -> None:
    assert (
        apply(TEXT, OutputFilter("count", "crypto")) == "Number of lines which match regexp = 3\n"
    )
    assert apply(TEXT, OutputFilter("count", "")) == "Number of lines which match regexp = 13\n"


def test_bad_regex() -> None:
    with pytest.raises(FilterError, match="Invalid regular expression"):
        apply(TEXT, OutputFilter("include", "(unclosed"))
    with pytest.raises(ValueError):
        apply(TEXT, OutputFilter("json"))


def session() -> Session:
    return Session(FakeBackend(vpn2611()), privilege=ENABLE)


def test_filters_through_the_shell() -> None:
    s = session()
    assert s.run_command("sh cry ips sa | i ^ +spi:").splitlines() == [
        "      spi: 0x7B7B2015(2071666709)",
        "      spi: 0x892741BC(2301051324)",
        "      spi: 0xC4483102(3293065474)",
        "      spi: 0x81F39EFA(2180226810)",
        "      spi: 0x5209917C(1376358780)",
        "      spi: 0xDE6C99C0(3731659200)",
        "      spi: 0x58886878(1485334648)",
        "      spi: 0xB7F84138(3086500152)",
    ]
    assert s.run_command("sh cry ips sa | count current_peer") == (
        "Number of lines which match regexp = 3\n"
    )
    assert s.run_command("sh run | sec ^crypto isakmp client").splitlines() == [
        "crypto isakmp client configuration group 3000client",
        " key cisco123",
        " dns 10.10.10.10",
        " wins 10.10.10.20",
        " domain cisco.com",
        " pool ippool",
    ]
    bad = s.execute("sh run | inc [")
    assert not bad.ok and bad.text.startswith("% Invalid regular expression")


@pytest.mark.parametrize(
    "command",
    [
        "show version",
        "show running-config",
        "show crypto isakmp sa",
        "show crypto isakmp sa detail",
        "show crypto isakmp policy",
        "show crypto ipsec sa",
        "show crypto ipsec sa peer 172.18.124.199",
        "show crypto ipsec sa map clientmap",
        "show crypto ipsec sa address",
        "show crypto engine connections active",
        "show crypto session",
        "show crypto session detail",
        "show crypto map",
        "show ip local pool",
        "show ip local pool ippool",
        "show debugging",
        "show history",
        "show clock",
    ],
)
def test_every_show_has_json(command: str) -> None:
    data = json.loads(session().run_command(f"{command} | json"))
    assert isinstance(data, dict | list) and data is not None


def test_json_content() -> None:
    s = session()
    isakmp = json.loads(s.run_command("sh cry isa sa | json"))["isakmp_sa"]
    assert [(sa["conn_id"], sa["src"], sa["state"]) for sa in isakmp] == [
        (5, "172.18.124.199", "QM_IDLE"),
        (6, "64.102.55.142", "QM_IDLE"),
    ]
    flows = json.loads(s.run_command("sh cry ips sa peer 172.18.124.199 | json"))["ipsec_sa"]
    assert len(flows) == 1 and flows[0]["inbound"][0]["spi"] == 0x7B7B2015
    assert flows[0]["counters"]["encaps"] == 4
    engine = json.loads(s.run_command("sh cry eng conn act | json"))["connections"]
    assert [(c["id"], c["type"], c["decrypt"]) for c in engine][:3] == [
        (5, "IKE", 0),
        (6, "IKE", 0),
        (2000, "IPsec", 4),
    ]
    pools = json.loads(s.run_command("sh ip local pool | json"))["pools"]
    assert pools[0]["free"] == 100 and pools[0]["used"] == 1
    maps = json.loads(s.run_command("sh cry map | json"))["crypto_maps"]
    assert [(m["seq"], m["current_peer"], m["dynamic_map"]) for m in maps] == [
        (1, "172.18.124.199", None),
        (10, "64.102.55.142", "dynmap"),
    ]
    sessions = json.loads(s.run_command("sh cry session | json"))["sessions"]
    assert [(x["peer"], x["status"], x["username"]) for x in sessions] == [
        ("64.102.55.142", "UP-ACTIVE", "cisco"),
        ("172.18.124.199", "UP-ACTIVE", None),
    ]
