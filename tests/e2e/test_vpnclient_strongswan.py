"""vpnclient against strongSwan 5.9.8 as the IKEv1 XAuth + Mode Config responder (the lab's
``seed_xauth_server``: vpn2611's group 3000client, user cisco, pool 14.1.1.100-200): the
script way (``--username``, ``--password-stdin``), traffic both ways through the tunnel, the
SPIs as strongSwan lists them, split tunnelling from its Unity split-include, and
``vpnclient disconnect`` taking everything down."""

from __future__ import annotations

from collections.abc import Callable

from _l2l_helpers import wait_until
from _vpnclient_helpers import (
    ORIGINAL_RESOLV,
    client_status,
    resolv_confs,
    run_vpnclient,
    start_seed_client,
)

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import VPN2611, SeedLab
from vpnrouter.lab.strongswan import Charon, seed_xauth_server

CharonFactory = Callable[..., Charon]


def test_script_login_traffic_and_disconnect(
    topology: Topology, seed_lab: SeedLab, strongswan: CharonFactory
) -> None:
    server = strongswan(seed_lab.vpn2611, "vpn2611")
    server.load([seed_xauth_server(VPN2611)])
    with resolv_confs() as confs:
        resolv = confs.prepare(seed_lab["pc"])
        client, socket = start_seed_client(topology, "pc", "seed")
        try:
            client.expect(r"Your link is now secure\.")
            client.expect(r"to disconnect\.")
            out = client.transcript
            assert "Password: <from standard input>" in out
            assert "Username" not in out  # --username: not asked
            assert "Client address: 14.1.1.100" in out
            # strongSwan's kernel-libipsec always claims a NAT: ESP goes in UDP 4500
            assert "NAT passthrough is active on port UDP 4500" in out
            # strongSwan sends its local_ts as Unity split-include: split tunnelling
            assert "Secured routes: 10.10.10.0/24 via cipsec0" in out
            routes = {r["dst"]: r.get("dev") for r in topology.routes(seed_lab["pc"])}
            assert routes["10.10.10.0/24"] == "cipsec0" and routes["default"] == "eth0"
            assert seed_lab.ping("pc", VPN2611.host_addr, count=3, deadline=15)
            assert seed_lab.ping("host1", "14.1.1.100", count=3, deadline=15)

            ours = client_status(topology, "pc", socket)
            assert ours["client_address"] == "14.1.1.100" and ours["nat_t"] is True
            assert ours["all_traffic"] is False and ours["split_include"] == ["10.10.10.0/24"]
            assert ours["dns"] == ["10.10.10.10"] and ours["domain"] == "cisco.com"
            (sa,) = server.list_sas()
            assert sa.state == "ESTABLISHED" and sa.raw.get("remote-xauth-id") == "cisco"
            assert sa.raw.get("remote-vips") == ["14.1.1.100"]
            spis = {(c.spi_in, c.spi_out) for c in sa.children}
            assert {(p["outbound_spi"], p["inbound_spi"]) for p in ours["ipsec"]} <= spis
            assert "nameserver 10.10.10.10" in resolv.read_text()

            done = run_vpnclient(topology, "pc", "disconnect", "--socket", str(socket))
            assert done.returncode == 0, done.stderr
            assert done.stdout == "Disconnected 'seed'.\n"
            assert client.wait() == 0
            client.expect(r"Not connected\.")
        finally:
            client.close()
        server.wait_for("none", timeout=15)
        wait_until("the tunnel is gone", lambda: not seed_lab.ping("pc", VPN2611.host_addr))
        assert resolv.read_text() == ORIGINAL_RESOLV
