"""Remote access on vpn2611, end to end: vpnc (Debian's vpnc 0.5.3, the open-source Cisco VPN
Client) connects to our router running ``examples/seed/vpn2611.cfg`` unmodified.

The clients sit on their own outside network, 198.51.100.0/24 (documentation addresses), behind
the lab's ``inet`` namespace, which routes to 172.18.124.0/24; one more sits behind an nftables
masquerade. Each client logs in as the seed's VPN Client does (group 3000client, key
cisco123, XAuth user cisco/cisco), gets its address from ``ip local pool ippool``, DNS, WINS and
domain from the group (checked in what vpnc hands its script), and reaches host1 on
10.10.10.0/24 with ping and TCP while the LAN-to-LAN tunnel to vpn3640 (ours, vpn3640.cfg)
carries traffic between the LANs. What goes over the wire is checked with tshark.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from _l2l_helpers import (
    VPN2611_CFG,
    VPN3640_CFG,
    RouterProc,
    start_router,
    tcp_transfer,
    vpnrouter_status_text,
)
from _ra_helpers import (
    POOL_FIRST,
    Vpnc,
    add_client,
    clients,
    leases,
    require_vpnc,
    wait_leases,
)

from vpnrouter.lab.capture import Capture
from vpnrouter.lab.netns import LabProcess, Topology
from vpnrouter.lab.seed import (
    CLIENT_DNS,
    CLIENT_DOMAIN,
    CLIENT_WINS,
    CLIENTS,
    HOST_IF,
    NAT_OUTSIDE,
    PC_ADDR,
    VPN2611,
    VPN3640,
    SeedLab,
)

pytestmark = pytest.mark.netns

PC2_ADDR = "198.51.100.11"
TCP_BYTES = 1024 * 1024
SECOND = "14.1.1.101"
THIRD = "14.1.1.102"


def connect(client: Vpnc, figures: list[float]) -> dict[str, str]:
    """Start vpnc and wait for its tunnel; the Mode Config variables it handed its script."""
    began = time.monotonic()
    env = client.start().wait_connected()
    figures.append(time.monotonic() - began)
    print(f"FIGURE {client.name}: connected in {figures[-1]:.2f} s")
    return env


def check_mode_config(env: dict[str, str], address: str) -> None:
    """The seed's group: pool address (host mask), DNS, WINS and domain, no split tunnel."""
    assert env["INTERNAL_IP4_ADDRESS"] == address, env
    assert env["INTERNAL_IP4_NETMASK"] == "255.255.255.255", env
    assert env["INTERNAL_IP4_DNS"] == CLIENT_DNS, env
    assert env["INTERNAL_IP4_NBNS"] == CLIENT_WINS, env
    assert env["CISCO_DEF_DOMAIN"] == CLIENT_DOMAIN, env
    assert env["VPNGATEWAY"] == VPN2611.outside_ip, env
    assert "CISCO_SPLIT_INC" not in env, env  # no split-tunnel ACL in the group: all traffic


def background_ping(lab: SeedLab, role: str, dst: str, count: int = 20) -> LabProcess:
    """A ping that must get all ``count`` replies (exit status 0) within a generous deadline."""
    argv = ["ping", "-n", "-q", "-c", str(count), "-i", "0.2", "-w", "60", dst]
    return lab.topology.popen(lab[role], argv, name=f"ping-{role}-{dst}")


def all_replies(proc: LabProcess) -> None:
    code = proc.wait(timeout=90)
    assert code == 0, proc.log()


def vpnrouter_exec(router: RouterProc, command: str) -> str:
    argv = [sys.executable, "-m", "vpnrouter", "exec", str(router.socket), command]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def client_row(router: RouterProc, address: str) -> dict[str, Any]:
    rows = [row for row in clients(router) if row["address"] == address]
    assert len(rows) == 1, clients(router)
    return rows[0]


def tunnel_addresses(topology: Topology, lab: SeedLab, role: str, tun: str = "tun0") -> list[str]:
    return topology.addresses(lab[role], tun)


def test_two_vpnc_clients_and_the_l2l_tunnel_at_once(
    topology: Topology, seed_lab: SeedLab, capture: Any
) -> None:
    require_vpnc()
    lab = seed_lab
    add_client(lab, "pc2", PC2_ADDR)
    r2611 = start_router(topology, lab.vpn2611, VPN2611_CFG, name="vpn2611")
    r3640 = start_router(topology, lab.vpn3640, VPN3640_CFG, name="vpn3640")
    assert lab.ping("host1", VPN3640.host_addr, count=3, deadline=20)  # the L2L tunnel is up
    tap: Capture = capture(lab, CLIENTS, name="clients")
    figures: list[float] = []

    # 1. the first client: its own port 500, no NAT on the way, so plain ESP (IP protocol 50)
    first = Vpnc(lab, "pc", local_port=500)
    check_mode_config(connect(first, figures), POOL_FIRST)
    assert tunnel_addresses(topology, lab, "pc") == [f"{POOL_FIRST}/32"]
    row = client_row(r2611, POOL_FIRST)
    assert (row["peer"], row["group"], row["username"], row["xauth"]) == (
        PC_ADDR,
        "3000client",
        "cisco",
        "done",
    )
    r2611.wait_log(
        r"%CRYPTO-6-VPN_TUNNEL_STATUS: Group: 3000client  User: cisco  Client_public_addr: "
        rf"{PC_ADDR}  Server_public_addr: {VPN2611.outside_ip}  Assigned_client_addr: "
        rf"{POOL_FIRST}"
    )
    l2l = background_ping(lab, "host1", VPN3640.host_addr, count=40)
    assert lab.ping("pc", VPN2611.host_addr, count=3, deadline=10)
    tcp_transfer(lab, "pc", "host1", VPN2611.host_addr, size=TCP_BYTES, seed=11)
    tcp_transfer(lab, "host1", "pc", POOL_FIRST, size=TCP_BYTES, seed=12)
    all_replies(l2l)  # the LAN-to-LAN tunnel carried every ping meanwhile

    # the router's view: the seed document's "show crypto ipsec sa" for a client, the pool
    (client_sa,) = [s for s in r2611.ipsec() if s["peer"] == PC_ADDR]
    assert client_sa["selector"]["local"] == "0.0.0.0/0"
    assert client_sa["selector"]["remote"] == f"{POOL_FIRST}/32"
    assert client_sa["client_address"] == POOL_FIRST
    assert (client_sa["map_name"], client_sa["map_seq"]) == ("clientmap", 10)
    assert client_sa["encapsulation"] is None  # plain ESP
    assert client_sa["inbound_counters"]["decaps"] >= 700  # 1 MB of TCP came in through it
    assert any(s["peer"] == VPN3640.outside_ip for s in r2611.ipsec())  # and the L2L pair
    ipsec_text = vpnrouter_exec(r2611, "show crypto ipsec sa")
    assert "remote ident (addr/mask/prot/port): (14.1.1.100/255.255.255.255/0/0)" in ipsec_text
    assert "local  ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)" in ipsec_text
    pool_text = vpnrouter_exec(r2611, "show ip local pool ippool")
    assert f"{POOL_FIRST:<24}cisco@{PC_ADDR}:500" in pool_text, pool_text
    status_text = vpnrouter_status_text(r2611)
    assert "remote-access clients:" in status_text
    assert any(
        line.split()[:4] == [f"{PC_ADDR}:500", "3000client", "cisco", POOL_FIRST]
        for line in status_text.splitlines()
    ), status_text

    # 2. a second client gets the next address; both work at once
    second = Vpnc(lab, "pc2", nat_mode="force-natt")
    check_mode_config(connect(second, figures), SECOND)
    assert set(leases(r2611)) == {POOL_FIRST, SECOND}
    pings = [
        background_ping(lab, "pc", VPN2611.host_addr),
        background_ping(lab, "pc2", VPN2611.host_addr),
        background_ping(lab, "host1", VPN3640.host_addr),
    ]
    for ping in pings:
        all_replies(ping)
    assert client_row(r2611, SECOND)["nat_t"] is True  # force-natt: ESP in UDP 4500

    # one disconnects (vpnc sends its Deletes): its address goes back, the other stays up
    assert first.disconnect() is not None
    r2611.wait_log(
        rf"Client_public_addr: {PC_ADDR}  Assigned_client_addr: {POOL_FIRST}  "
        r"Disconnected: Receive delete from peer"
    )
    wait_leases(r2611, {SECOND})
    assert [row["address"] for row in clients(r2611)] == [SECOND]
    assert not [s for s in r2611.ipsec() if s["peer"] == PC_ADDR]
    routes = {r["dst"] for r in topology.routes(lab.vpn2611)}
    assert POOL_FIRST not in routes and SECOND in routes  # the client routes into the TUN
    assert lab.ping("pc2", VPN2611.host_addr, count=3, deadline=10)
    assert not lab.ping("host1", POOL_FIRST, deadline=2)

    # the freed address is handed out again: the lowest free one
    again = Vpnc(lab, "pc", name="vpnc-pc-again", local_port=500)
    check_mode_config(connect(again, figures), POOL_FIRST)
    assert lab.ping("pc", VPN2611.host_addr, count=3, deadline=10)
    tap.stop()

    # on the wire: pc's ESP is plain IP protocol 50, pc2's is ESP in UDP 4500; nothing clear
    packets = tap.packets()
    from_pc = {p.kind for p in packets if p.src == PC_ADDR}
    from_pc2 = {p.kind for p in packets if p.src == PC2_ADDR}
    assert "esp" in from_pc and "esp_udp" not in from_pc, from_pc
    assert "esp_udp" in from_pc2 and "esp" not in from_pc2, from_pc2
    assert {p.dport for p in packets if p.src == PC2_ADDR and p.kind == "esp_udp"} == {4500}
    clear = [p for p in packets if p.kind in ("icmp", "tcp") and p.between("14.1.1.0/24",
             "10.10.10.0/24")]  # fmt: skip
    assert clear == []

    # leaving: vpnc's Deletes free every address; the router stops cleanly
    assert second.disconnect() is not None and again.disconnect() is not None
    wait_leases(r2611, set())
    assert clients(r2611) == []
    assert "cisco123" not in r2611.log() and "password 0 cisco" not in r2611.log()
    assert r2611.stop() == 0 and r3640.stop() == 0
    print(f"FIGURE vpnc connects: {', '.join(f'{f:.2f}' for f in figures)} s")


def add_nat_client(lab: SeedLab, role: str, inside: str, address: str) -> str:
    """One more client behind the lab's ``nat`` namespace, on its own inside link."""
    topo = lab.topology
    ns = topo.add_namespace(role)
    topo.add_veth(lab["nat"], inside, ns, HOST_IF)
    gateway = address.rsplit(".", 1)[0] + ".1"
    topo.add_address(lab["nat"], inside, f"{gateway}/24")
    topo.add_address(ns, HOST_IF, f"{address}/24")
    topo.add_route(ns, "default", via=gateway)
    lab.ns[role] = ns
    return ns


def test_vpnc_clients_behind_nat_use_esp_in_udp(
    topology: Topology, seed_lab: SeedLab, capture: Any
) -> None:
    require_vpnc()
    lab = seed_lab
    add_nat_client(lab, "natpc2", "inside2", "192.168.2.10")
    r2611 = start_router(topology, lab.vpn2611, VPN2611_CFG, name="vpn2611")
    tap: Capture = capture(lab, CLIENTS, name="clients")
    figures: list[float] = []

    # two clients behind one masquerading NAT, both from their own port 500
    one = Vpnc(lab, "natpc", local_port=500)
    check_mode_config(connect(one, figures), POOL_FIRST)
    two = Vpnc(lab, "natpc2", local_port=500)
    check_mode_config(connect(two, figures), SECOND)
    rows = {row["address"]: row for row in clients(r2611)}
    assert {rows[a]["peer"] for a in (POOL_FIRST, SECOND)} == {NAT_OUTSIDE}
    assert rows[POOL_FIRST]["peer_port"] != rows[SECOND]["peer_port"]  # told apart by port
    assert rows[POOL_FIRST]["nat_t"] and rows[SECOND]["nat_t"]
    (ike,) = [r for r in r2611.isakmp() if r["conn_id"] == rows[POOL_FIRST]["conn_id"]]
    assert ike["nat_peer_behind"] and not ike["nat_local_behind"] and ike["local_port"] == 4500

    pings = [
        background_ping(lab, "natpc", VPN2611.host_addr),
        background_ping(lab, "natpc2", VPN2611.host_addr),
    ]
    for ping in pings:
        all_replies(ping)
    tcp_transfer(lab, "natpc", "host1", VPN2611.host_addr, size=TCP_BYTES, seed=21)
    for sa in (s for s in r2611.ipsec() if s["peer"] == NAT_OUTSIDE):
        assert sa["encapsulation"] is not None and sa["encapsulation"]["local_port"] == 4500
    tap.stop()

    # on the wire between the NAT and the Internet: ISAKMP, then ESP in UDP 4500 only
    packets = [p for p in tap.packets() if NAT_OUTSIDE in (p.src, p.dst)]
    kinds = {p.kind for p in packets}
    assert kinds <= {"isakmp", "esp_udp", "natt_keepalive"}, kinds
    esp_udp = [p for p in packets if p.kind == "esp_udp"]
    assert len(esp_udp) >= 700, len(esp_udp)
    assert {p.dport for p in esp_udp if p.src == NAT_OUTSIDE} == {4500}
    assert {p.sport for p in esp_udp if p.dst == NAT_OUTSIDE} == {4500}
    assert not [p for p in packets if p.kind == "esp"]

    assert one.disconnect() is not None
    wait_leases(r2611, {SECOND})
    assert lab.ping("natpc2", VPN2611.host_addr, count=3, deadline=10)

    # the router shuts down: its Delete of the ISAKMP SA makes vpnc hang up by itself
    assert r2611.stop() == 0
    assert two.wait_exit() == 0
    assert "connection terminated by peer" in two.log(), two.tail()
    assert two.blocks()[-1]["reason"] == "disconnect"  # vpnc-script took the tunnel down
    print(f"FIGURE vpnc connects behind NAT: {', '.join(f'{f:.2f}' for f in figures)} s")
