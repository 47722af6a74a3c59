"""How a vpnclient connection to our vpn2611 ends, other than by Ctrl-C once connected: the
user gives up at the password prompt (the terminal gets its echo back), the router's
operator clears the client's ISAKMP SA (the client hears the Delete), and the gateway
vanishes without a word (dead peer detection, bounded by the entry's PeerTimeout)."""

from __future__ import annotations

import signal
import termios
from collections.abc import Callable

from _vpnclient_helpers import (
    ORIGINAL_RESOLV,
    ClientProc,
    resolv_confs,
    start_seed_client,
    start_vpn2611,
)

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import VPN2611, SeedLab
from vpnrouter.router.control import request

SeedFactory = Callable[..., SeedLab]


def connect(topology: Topology, lab: SeedLab, *, extra: str = "") -> ClientProc:
    client, _ = start_seed_client(topology, "pc", extra=extra)
    client.expect(r"Your link is now secure\.")
    client.expect(r"to disconnect\.")
    return client


def test_ctrl_c_at_the_password_prompt(topology: Topology, seed_factory: SeedFactory) -> None:
    lab = seed_factory(assign_router_addresses=False)
    router = start_vpn2611(topology, lab)
    with resolv_confs() as confs:
        resolv = confs.prepare(lab["pc"])
        client, _ = start_seed_client(topology, "pc", script_login=False)
        try:
            client.expect(r"Username \[cisco\]: ")
            client.type("\n")
            client.expect(r"Password: ")
            assert not termios.tcgetattr(client.master)[3] & termios.ECHO  # typing unseen
            client.interrupt()
            assert client.wait() == 1
            assert termios.tcgetattr(client.master)[3] & termios.ECHO  # and echoed again
        finally:
            client.close()
        assert resolv.read_text() == ORIGINAL_RESOLV
    out = client.transcript
    assert out.endswith(
        "Disconnecting the VPN connection.\n"
        "Connection cancelled by the user before the link was secure.\n"
        "Not connected.\n"
    ), out
    assert not router.ipsec()


def test_the_router_clears_the_client(topology: Topology, seed_factory: SeedFactory) -> None:
    lab = seed_factory(assign_router_addresses=False)
    router = start_vpn2611(topology, lab)
    with resolv_confs() as confs:
        resolv = confs.prepare(lab["pc"])
        client = connect(topology, lab)
        try:
            assert lab.ping("pc", VPN2611.host_addr, count=2, deadline=15)
            (row,) = router.isakmp()
            request(router.socket, "clear_isakmp", conn_id=row["conn_id"])
            assert client.wait() == 1
        finally:
            client.close()
        assert resolv.read_text() == ORIGINAL_RESOLV
    assert (
        "Secure VPN Connection terminated by Peer.\n"
        "Reason 433: Reason Not Specified by Peer.\n"
        "The gateway ended the connection (Receive delete from peer).\n"
        "Not connected.\n"
    ) in client.transcript
    assert "cipsec0" not in [link["ifname"] for link in topology.links(lab["pc"])]


def test_a_vanished_gateway_is_found_dead(topology: Topology, seed_factory: SeedFactory) -> None:
    lab = seed_factory(assign_router_addresses=False)
    router = start_vpn2611(topology, lab)
    with resolv_confs() as confs:
        resolv = confs.prepare(lab["pc"])
        # PeerTimeout=15: R-U-THERE after 5 s of silence, the gateway dead some 15 s later
        client = connect(topology, lab, extra="PeerTimeout=15\r\n")
        try:
            assert lab.ping("pc", VPN2611.host_addr, count=2, deadline=15)
            router.process.stop(sig=signal.SIGKILL)  # gone without a Delete
            client.expect(r"Reason 412: The remote peer is no longer responding\.", timeout=60)
            assert client.wait() == 1
        finally:
            client.close()
        assert resolv.read_text() == ORIGINAL_RESOLV
    assert "172.18.124.159 stopped answering dead peer detection." in client.transcript
    routes = [r["dst"] for r in topology.routes(lab["pc"])]
    assert sorted(routes) == ["198.51.100.0/24", "default"]
