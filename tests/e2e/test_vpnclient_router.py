"""vpnclient against our vpn2611 (the seed configuration, unmodified, ``python -m vpnrouter
run``): the user types the seed's credentials at the prompts of a real terminal, gets a pool
address, reaches host1 through the tunnel, and ``vpnclient status`` and ``vpnrouter status``
agree on the address and the SPIs. Ctrl-C sends the Deletes and puts routes and DNS back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _l2l_helpers import RouterProc, wait_until
from _vpnclient_helpers import (
    ORIGINAL_RESOLV,
    client_status,
    resolv_confs,
    run_vpnclient,
    start_seed_client,
    start_vpn2611,
)

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import SeedLab

POOL_FIRST = "14.1.1.100"
HOST1 = "10.10.10.10"


def router_json(router: RouterProc) -> dict[str, object]:
    """``vpnrouter status --socket S --json`` as the operator runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "vpnrouter", "status", "--socket", str(router.socket), "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_connect_with_typed_credentials_ping_status_and_ctrl_c(
    topology: Topology, seed_factory: object
) -> None:
    lab: SeedLab = seed_factory(assign_router_addresses=False)  # type: ignore[operator]
    router = start_vpn2611(topology, lab)
    with resolv_confs() as confs:
        resolv = confs.prepare(lab["pc"])
        client, socket = start_seed_client(topology, "pc", script_login=False)
        try:
            client.expect(r"Contacting the security gateway at 172\.18\.124\.159\.\.\.")
            client.expect(r"Username \[cisco\]: ")
            client.type("cisco\n")
            client.expect(r"Password: ")
            client.type("cisco\n")
            client.expect(r"Your link is now secure\.")
            client.expect(r"to disconnect\.")
            out = client.transcript
            assert "Username [cisco]: cisco\n" in out  # the user name is echoed
            assert out.split("Password: ", 1)[1].startswith("\nAuthenticating")  # not this
            for line in (
                "Initializing the connection...",
                "Authenticating user...",
                "Negotiating security profiles...",
                f"Client address: {POOL_FIRST}",
                "Server address: 172.18.124.159",
                "Encryption: 168-bit 3-DES",
                "Authentication: HMAC-MD5",
                "NAT passthrough is inactive",
                "DNS servers: 10.10.10.10",
                "Default domain: cisco.com",
                "WINS servers: 10.10.10.20",
                "Secured routes: all traffic (0.0.0.0/1 and 128.0.0.0/1 via cipsec0)",
            ):
                assert line in out, line
            assert lab.ping("pc", HOST1, count=3, deadline=15)

            # DNS applied in the namespace's own resolv.conf, the original kept after ours
            text = resolv.read_text()
            assert text.splitlines()[1:4] == [
                "search cisco.com lab.example",
                "nameserver 10.10.10.10",
                "nameserver 192.0.2.53",
            ]

            ours = client_status(topology, "pc", socket)
            assert ours["state"] == "connected" and ours["client_address"] == POOL_FIRST
            assert ours["gateway"] == "172.18.124.159" and ours["all_traffic"] is True
            assert ours["counters"]["packets_decrypted"] >= 3
            (pair,) = ours["ipsec"]
            theirs = router_json(router)
            (row,) = [r for r in theirs["ipsec"] if r["state"] == "ACTIVE"]  # type: ignore[attr-defined]
            assert (row["inbound_spi"], row["outbound_spi"]) == (
                pair["outbound_spi"],
                pair["inbound_spi"],
            )
            (isakmp,) = [r for r in theirs["isakmp"] if r["status"] == "ACTIVE"]  # type: ignore[attr-defined]
            assert isakmp["assigned_address"] == POOL_FIRST and isakmp["username"] == "cisco"
            text_status = run_vpnclient(topology, "pc", "status", "--socket", str(socket))
            assert text_status.returncode == 0
            assert f"Client address: {POOL_FIRST}" in text_status.stdout
            assert f"0x{pair['inbound_spi']:08X}" in text_status.stdout

            client.interrupt()
            assert client.wait() == 0
            client.expect(r"Disconnecting the VPN connection\.")
            client.expect(r"Not connected\.")
        finally:
            client.close()
        # the gateway was told: no SA of the client is left there
        wait_until("router forgets the client", lambda: not router.ipsec() and not router.isakmp())
        assert resolv.read_text() == ORIGINAL_RESOLV
        routes = topology.routes(lab["pc"])
        assert [r["dst"] for r in routes if r["dst"] != "198.51.100.0/24"] == ["default"]
        assert not Path(socket).exists()
