"""The lab `Topology`: it builds, it runs things in namespaces, and it removes everything it
made (namespaces, veth pairs, bridges, processes, files) also when the test fails."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from vpnrouter.lab.netns import (
    LabError,
    Topology,
    list_namespaces,
    pid_alive,
    stale_namespaces,
)
from vpnrouter.lab.seed import SeedOptions, build_seed


def _root_links() -> set[str]:
    out = subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True, check=True)
    return {link["ifname"] for link in json.loads(out.stdout)}


def _all_ifnames(topo: Topology) -> set[str]:
    return {link["ifname"] for ns in topo.namespaces for link in topo.links(ns)}


def test_seed_topology_builds_and_close_leaves_nothing() -> None:
    root_before = _root_links()
    topo = Topology()
    try:
        lab = build_seed(topo)
        names = _all_ifnames(topo)
        roles = {ns.removeprefix(topo.prefix) for ns in topo.namespaces}
        assert roles == {"sw", "inet", "vpn2611", "vpn3640", "host1", "host2", "pc", "nat", "natpc"}
        assert all(ns.startswith(f"vr{os.getpid()}-") for ns in topo.namespaces)
        assert set(list_namespaces()) >= set(topo.namespaces)
        assert {"eth0_0", "eth0_1", "br-outside", "br-clients"} <= names
        # a well-behaved process, one that ignores SIGTERM, and a grandchild in the namespace
        plain = topo.popen(lab.host1, ["sleep", "600"])
        stubborn = topo.popen(lab.vpn2611, ["sh", "-c", "trap '' TERM; sleep 600 & wait"])
        escaped = topo.popen(lab.host2, ["setsid", "-f", "sleep", "600"])
        escaped.wait(timeout=5)
        grandchild = _pids(topo, lab.host2)  # the detached sleep, in no group of ours
        assert grandchild, "the detached sleep should be running in host2"
        pids = [plain.pid, stubborn.pid, *grandchild]
        assert all(pid_alive(pid) for pid in pids)
        workdir = topo.workdir
    finally:
        topo.close()
    assert not [ns for ns in list_namespaces() if ns.startswith(topo.prefix)]
    assert not [pid for pid in pids if pid_alive(pid)]
    assert not workdir.exists()
    # nothing was ever created in (or moved to) the caller's namespace
    assert not (_root_links() - root_before) & names
    topo.close()  # idempotent


def _pids(topo: Topology, ns: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, check=True)
    return [int(p) for p in out.stdout.split()]


def test_context_manager_cleans_up_after_an_exception() -> None:
    with pytest.raises(RuntimeError, match="boom"), Topology() as topo:
        ns = topo.add_namespace("a")
        topo.connect(ns, "eth0", "seg", address="198.51.100.1/24")
        proc = topo.popen(ns, ["sleep", "600"])
        raise RuntimeError("boom")
    assert topo.closed
    assert ns not in list_namespaces()
    assert not pid_alive(proc.pid)


def test_exec_popen_sysctl_and_errors(topology: Topology) -> None:
    a = topology.add_namespace("a", ip_forward=True)
    b = topology.add_namespace("b")
    topology.add_veth(a, "to-b", b, "to-a")
    topology.add_address(a, "to-b", "198.51.100.1/30")
    topology.add_address(b, "to-a", "198.51.100.2/30")
    assert topology.sysctl(a, "net.ipv4.ip_forward") == "1"
    assert topology.sysctl(b, "net.ipv4.ip_forward") == "0"
    assert topology.sysctl(b, "net.ipv6.conf.all.disable_ipv6") == "1"
    assert topology.addresses(b, "to-a") == ["198.51.100.2/30"]
    out = topology.exec(b, ["ping", "-n", "-c", "1", "-W", "2", "198.51.100.1"])
    assert "1 received" in out.stdout
    # a failing command raises with its stderr; check=False hands back the status
    with pytest.raises(LabError, match="Cannot find device"):
        topology.add_address(a, "nonexistent0", "198.51.100.5/30")
    assert topology.exec(a, ["false"], check=False).returncode == 1
    with pytest.raises(LabError, match="did not finish"):
        topology.exec(a, ["sleep", "5"], timeout=0.5)
    with pytest.raises(LabError, match="already exists"):
        topology.add_namespace("a")
    proc = topology.popen(a, ["sh", "-c", "echo hello from $(ip -br link show to-b)"])
    assert proc.wait(timeout=10) == 0
    assert "hello from to-b" in proc.log()


def test_seed_without_router_addresses_leaves_interfaces_bare(topology: Topology) -> None:
    lab = build_seed(topology, SeedOptions(assign_router_addresses=False, with_clients=False))
    for router in ("vpn2611", "vpn3640"):
        links = {link["ifname"]: link for link in topology.links(lab[router])}
        assert {"eth0_0", "eth0_1"} <= set(links)
        assert all("UP" in links[name]["flags"] for name in ("eth0_0", "eth0_1"))
        assert topology.addresses(lab[router]) == ["127.0.0.1/8"]
        assert topology.sysctl(lab[router], "net.ipv4.ip_forward") == "1"
    assert lab.interface_args("vpn2611") == [
        "--interface",
        "Ethernet0/0=eth0_0",
        "--interface",
        "Ethernet0/1=eth0_1",
    ]
    assert not lab.ping("host1", "10.10.10.1")
    # what the daemon does in the other mode
    lab.assign_router_addresses("vpn2611")
    assert lab.ping("host1", "10.10.10.1")
    assert lab.ping("host1", "172.18.124.159")


def test_stale_namespaces_are_those_of_dead_runs_only(topology: Topology) -> None:
    live = topology.add_namespace("live")
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    dead_pid = next(p for p in range(pid_max - 1, 1, -1) if not pid_alive(p))
    fake = f"vr{dead_pid}-1-stale"
    subprocess.run(["ip", "netns", "add", fake], check=True)
    try:
        assert fake in stale_namespaces(min_age=0)
        assert fake not in stale_namespaces()  # too young to be taken for a crashed run
        assert live not in stale_namespaces(min_age=0)  # this process is alive
    finally:
        subprocess.run(["ip", "netns", "del", fake], check=True)
