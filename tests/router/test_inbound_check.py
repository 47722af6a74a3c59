"""router.inbound_check: the FIB rules that drop clear packets a crypto ACL says should have
come protected. The rules are built from real configurations through policy_builder, then
installed in a throw-away namespace and asked (``ip route get ... iif``) what the kernel does
with a clear packet from the outside. Needs root (network namespaces): fails, never skips,
without it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vpnrouter.config import parse_strict
from vpnrouter.esp.spd import Selector
from vpnrouter.lab.netns import Topology, list_namespaces
from vpnrouter.router.inbound_check import RULE_BASE, CheckRule, inbound_rules
from vpnrouter.router.policy_builder import build

BASE = """\
hostname r
crypto isakmp policy 10
 authentication pre-share
crypto isakmp key k address 172.18.124.199
crypto isakmp key k address 172.18.124.200
crypto ipsec transform-set ts esp-3des esp-md5-hmac
interface Ethernet0/0
 ip address 172.18.124.159 255.255.255.0
 crypto map m
interface Ethernet0/1
 ip address 10.10.10.1 255.255.255.0
crypto map m 10 ipsec-isakmp
 set peer 172.18.124.199
 set transform-set ts
 match address 100
access-list 100 deny ip host 10.10.10.10 host 10.10.20.10
access-list 100 permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255
"""
# a second entry, to another peer, protects the pair the first one denies, but not its ssh
CASCADE = (
    BASE
    + """\
crypto map m 20 ipsec-isakmp
 set peer 172.18.124.200
 set transform-set ts
 match address 101
access-list 101 deny tcp host 10.10.10.10 host 10.10.20.10 eq 22
access-list 101 permit ip host 10.10.10.10 host 10.10.20.10
"""
)


def test_rules_follow_the_entries_in_order() -> None:
    plan = build(parse_strict(CASCADE, "cascade.cfg"))
    rules = inbound_rules(plan.spd, "e0")
    pair_in = Selector.of("10.10.20.10/32", "10.10.10.10/32")
    assert [(r.priority, r.action, r.goto, r.selector) for r in rules] == [
        (RULE_BASE, "goto", RULE_BASE + 2, pair_in),  # map 10 denies: on to map 20
        (RULE_BASE + 1, "blackhole", None, Selector.of("10.10.20.0/24", "10.10.10.0/24")),
        (RULE_BASE + 2, "goto", RULE_BASE + 4, Selector.of("10.10.20.10/32", "10.10.10.10/32",
                                                           6, 22, 0)),
        (RULE_BASE + 3, "blackhole", None, pair_in),
        (RULE_BASE + 4, "nop", None, None),
    ]  # fmt: skip
    assert rules[2].netlink() == {
        "priority": RULE_BASE + 2,
        "action": "goto",
        "goto": RULE_BASE + 4,
        "iifname": "e0",
        "src": "10.10.20.10",
        "src_len": 32,
        "dst": "10.10.10.10",
        "dst_len": 32,
        "ip_proto": 6,
        "sport_range": "22:22",  # the ACL's destination port is the inbound source port
    }
    assert rules[4].netlink() == {"priority": RULE_BASE + 4, "action": "nop"}
    assert inbound_rules((), "e0") == ()
    assert CheckRule(1, "nop", "e0").netlink() == {"priority": 1, "action": "nop"}


SNIPPET = """
import asyncio, json, subprocess, sys
from pathlib import Path
from vpnrouter.config import parse_strict
from vpnrouter.router.inbound_check import InboundCheck, inbound_rules
from vpnrouter.router.policy_builder import build
plan = build(parse_strict(Path(sys.argv[1]).read_text()))
log = []
check = InboundCheck(inbound_rules(plan.spd, "e0"), log.append)

def route_get(src, dst, *extra):
    argv = ["ip", "-j", "route", "get", dst, "from", src, "iif", "e0", *extra]
    proc = subprocess.run(argv, capture_output=True, text=True)
    return "forwarded" if proc.returncode == 0 else "dropped"

async def main():
    installed = await check.install()
    asked = {
        "pair": route_get("10.10.20.10", "10.10.10.10"),
        "pair ssh": route_get("10.10.20.10", "10.10.10.10", "ipproto", "tcp", "sport", "22"),
        "pair web": route_get("10.10.20.10", "10.10.10.10", "ipproto", "tcp", "sport", "80"),
        "net": route_get("10.10.20.11", "10.10.10.10"),
        "other": route_get("10.10.30.1", "10.10.10.10"),
    }
    rules = subprocess.run(["ip", "-j", "rule"], capture_output=True, text=True).stdout
    await check.remove()
    after = subprocess.run(["ip", "-j", "rule"], capture_output=True, text=True).stdout
    print(json.dumps({"installed": installed, "asked": asked, "log": log,
                      "rules": json.loads(rules), "after": json.loads(after)}))

asyncio.run(main())
"""


@pytest.fixture
def topo() -> Iterator[Topology]:
    if os.geteuid() != 0:
        pytest.fail("test_inbound_check needs root (network namespaces)", pytrace=False)
    topology = Topology()
    try:
        topology.add_namespace("r", ip_forward=True)
        topology.add_namespace("out")
        topology.add_namespace("lan")
        topology.add_veth("r", "e0", "out", "p0")
        topology.add_veth("r", "e1", "lan", "p1")
        topology.add_address("r", "e0", "172.18.124.159/24")
        topology.add_address("r", "e1", "10.10.10.1/24")
        yield topology
    finally:
        prefix = topology.prefix
        topology.close()
        assert not [ns for ns in list_namespaces() if ns.startswith(prefix)]


def ask(topo: Topology, tmp: Path, config: str) -> dict[str, object]:
    path = tmp / "r.cfg"
    path.write_text(config)
    out = topo.exec("r", [sys.executable, "-c", SNIPPET, str(path)], timeout=60).stdout
    result: dict[str, object] = json.loads(out.splitlines()[-1])
    return result


def test_kernel_drops_what_should_have_come_protected(topo: Topology, tmp_path: Path) -> None:
    result = ask(topo, tmp_path, CASCADE)
    assert result["installed"] is True and result["log"] == []
    assert result["asked"] == {
        "pair": "dropped",  # map 10 denies it, map 20 permits it: it must come protected
        "pair ssh": "forwarded",  # denied by both entries: clear is expected
        "pair web": "dropped",
        "net": "dropped",  # map 10 permits it
        "other": "forwarded",  # no ACL mentions it
    }
    priorities = {rule["priority"] for rule in result["rules"]}  # type: ignore[union-attr]
    assert set(range(RULE_BASE, RULE_BASE + 5)) <= priorities
    assert result["after"] == [r for r in result["rules"]  # type: ignore[union-attr]
                               if not RULE_BASE <= r["priority"] <= RULE_BASE + 4]  # fmt: skip


def test_kernel_lets_a_pair_every_entry_denies_through(topo: Topology, tmp_path: Path) -> None:
    result = ask(topo, tmp_path, BASE)
    asked = result["asked"]
    assert isinstance(asked, dict)
    assert (asked["pair"], asked["net"], asked["other"]) == ("forwarded", "dropped", "forwarded")
