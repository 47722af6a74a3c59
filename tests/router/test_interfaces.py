"""router.interfaces in a throw-away namespace: implicit binding by address, explicit
``--interface`` assignment with ``ip route`` lines, errors, and cleanup of exactly what was
added. Needs root (network namespaces): fails, never skips, without it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vpnrouter.lab.netns import Topology, list_namespaces
from vpnrouter.router.interfaces import parse_interface_args

CONFIG = """\
hostname r1
interface Ethernet0/0
 ip address 192.0.2.1 255.255.255.0
 ip address 192.0.2.100 255.255.255.0 secondary
 crypto map m
interface Ethernet0/1
 ip address 10.1.1.1 255.255.255.0
interface Serial0/0
 no ip address
 shutdown
ip route 0.0.0.0 0.0.0.0 192.0.2.254
ip route 10.50.0.0 255.255.0.0 10.1.1.7
ip route 10.60.0.0 255.255.0.0 Ethernet0/1
ip route 10.70.0.0 255.255.0.0 Serial0/0
crypto map m 10 ipsec-isakmp
 set peer 192.0.2.2
"""


@pytest.fixture
def topo() -> Iterator[Topology]:
    if os.geteuid() != 0:
        pytest.fail("test_interfaces needs root (network namespaces)", pytrace=False)
    topology = Topology()
    try:
        topology.add_namespace("r1")
        topology.add_namespace("peer")
        topology.add_veth("r1", "e0", "peer", "p0")
        topology.add_veth("r1", "e1", "peer", "p1")
        topology.set_link("r1", "e1", up=False)
        yield topology
    finally:
        prefix = topology.prefix
        topology.close()
        assert not [ns for ns in list_namespaces() if ns.startswith(prefix)]


SNIPPET = """
import json, sys
from pathlib import Path
from vpnrouter.config import parse_strict
from vpnrouter.router.interfaces import InterfaceError, InterfaceManager
config = parse_strict(Path(sys.argv[1]).read_text())
log = []
manager = InterfaceManager(config, json.loads(sys.argv[2]), log.append)
try:
    bindings = manager.setup()
except InterfaceError as exc:
    print(json.dumps({"error": str(exc), "log": log})); raise SystemExit(0)
import subprocess
state = subprocess.run(["ip", "-j", "-4", "addr"], capture_output=True, text=True).stdout
routes = subprocess.run(["ip", "-j", "-4", "route"], capture_output=True, text=True).stdout
manager.cleanup()
print(json.dumps({"bindings": [[b.ios, b.linux, b.explicit] for b in bindings], "log": log,
                  "addr": json.loads(state), "routes": json.loads(routes)}))
"""


def run_manager(topo: Topology, tmp: Path, explicit: dict[str, str]) -> dict[str, Any]:
    cfg = tmp / "r1.cfg"
    cfg.write_text(CONFIG)
    argv = [sys.executable, "-c", SNIPPET, str(cfg), json.dumps(explicit)]
    out = topo.exec("r1", argv, timeout=60).stdout
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    return result


def addresses(data: list[dict[str, Any]]) -> dict[str, set[str]]:
    return {
        link["ifname"]: {f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info", [])}
        for link in data
    }


def test_parse_interface_args() -> None:
    assert parse_interface_args(["Ethernet0/0=eth1", " E0/1 = eth2 "]) == {
        "Ethernet0/0": "eth1",
        "E0/1": "eth2",
    }
    for bad in ("Ethernet0/0", "=eth1", "Ethernet0/0="):
        with pytest.raises(ValueError, match="IOSNAME=LINUXNAME"):
            parse_interface_args([bad])


def test_explicit_binding_assigns_addresses_and_routes_then_cleans_up(
    topo: Topology, tmp_path: Path
) -> None:
    before = (topo.addresses("r1"), topo.routes("r1"))
    result = run_manager(topo, tmp_path, {"Ethernet0/0": "e0", "ethernet0/1": "e1"})
    assert "error" not in result, result
    assert result["bindings"] == [["Ethernet0/0", "e0", True], ["Ethernet0/1", "e1", True]]
    addr = addresses(result["addr"])
    assert addr["e0"] == {"192.0.2.1/24", "192.0.2.100/24"}
    assert addr["e1"] == {"10.1.1.1/24"}  # and e1 was brought up
    routes = {(r["dst"], r.get("gateway"), r.get("dev")) for r in result["routes"]}
    assert ("default", "192.0.2.254", "e0") in routes
    assert ("10.50.0.0/16", "10.1.1.7", "e1") in routes
    assert ("10.60.0.0/16", None, "e1") in routes
    log = "\n".join(result["log"])
    assert "ip route 10.70.0.0/16: interface Serial0/0 not bound: skipped" in log
    assert "Serial0/0" not in {b[0] for b in result["bindings"]}
    # everything added is gone again, e1 is down again
    assert (topo.addresses("r1"), topo.routes("r1")) == before
    (e1,) = [link for link in topo.links("r1") if link["ifname"] == "e1"]
    assert "UP" not in e1["flags"]


def test_implicit_binding_finds_the_addresses_and_touches_nothing(
    topo: Topology, tmp_path: Path
) -> None:
    topo.add_address("r1", "e0", "192.0.2.1/24")
    topo.add_address("r1", "e1", "10.1.1.1/24")
    before = (topo.addresses("r1"), topo.routes("r1"))
    result = run_manager(topo, tmp_path, {})
    assert result["bindings"] == [["Ethernet0/0", "e0", False], ["Ethernet0/1", "e1", False]]
    assert not any(r["dst"] == "default" for r in result["routes"])  # routes not applied
    assert (topo.addresses("r1"), topo.routes("r1")) == before


def test_errors(topo: Topology, tmp_path: Path) -> None:
    result = run_manager(topo, tmp_path, {})
    assert "no Linux interface holds 192.0.2.1" in result["error"]
    assert "--interface Ethernet0/0=LINUXNAME" in result["error"]
    result = run_manager(topo, tmp_path, {"Ethernet0/0": "nope0"})
    assert "no Linux interface nope0" in result["error"]
    result = run_manager(topo, tmp_path, {"Ethernet9/9": "e0"})
    assert "no such interface in the configuration" in result["error"]
    # a failed setup leaves nothing behind
    topo.add_address("r1", "e1", "192.0.2.1/24")
    result = run_manager(topo, tmp_path, {"Ethernet0/1": "e0", "Ethernet0/0": "e0"})
    assert "already on another interface" in result["error"]
    assert topo.addresses("r1", "e0") == []
