"""vpnclient re-authenticates before its phase 1 expires, as the Cisco VPN Client does: a new
aggressive mode and XAuth (the password asked again on the terminal it was typed on, or
the one from --password-stdin kept in memory), no Mode Config; the tunnel, the address and
the IPsec SAs stay up and a ping keeps getting through.

Against our vpn2611 with the seed's configuration and ``lifetime 60`` (the shortest IOS
accepts) in its client policy, and against strongSwan as XAuth/Mode Config responder with
the client proposing a 60 s phase 1."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _l2l_helpers import VPN2611_CFG, shell, wait_until
from _vpnclient_helpers import (
    SCRIPT_LOGIN,
    ClientProc,
    client_status,
    resolv_confs,
    run_vpnclient,
    seed_pcf,
    start_client,
    start_seed_client,
    start_vpn2611,
    write_profile,
)

from vpnrouter.lab.netns import LabProcess, Topology
from vpnrouter.lab.seed import PC_ADDR, VPN2611, SeedLab
from vpnrouter.lab.strongswan import Charon, seed_xauth_server

SeedFactory = Callable[..., SeedLab]
CharonFactory = Callable[..., Charon]
LIFETIME = 60  # seconds: the client re-authenticates at 90 %, 54 s after phase 1 came up
PINGS = 66  # one a second from the link being secure until past the renewal
SECURE = r"Your link is now secure\."


def short_phase1_config(topology: Topology) -> Any:
    """The seed's vpn2611.cfg with ``lifetime 60`` in policy 3 (the clients' policy)."""
    text = VPN2611_CFG.read_text()
    policy = "crypto isakmp policy 3\nencr 3des\nauthentication pre-share\ngroup 2\n"
    assert policy in text
    path = topology.workdir / "vpn2611-isakmp-60s.cfg"
    path.write_text(text.replace(policy, policy + f"lifetime {LIFETIME}\n"))
    return path


def connect(topology: Topology, *extra: str) -> tuple[ClientProc, Any]:
    profiles = topology.workdir / "profiles"
    write_profile(profiles, "office", seed_pcf(group_pwd="cisco123"))
    socket = topology.workdir / "office.sock"
    args = [*SCRIPT_LOGIN, *extra]
    client = start_client(
        topology, "pc", "office", profiles, socket=socket, args=args, stdin="cisco\n"
    )
    return client, socket


def ping(topology: Topology, lab: SeedLab) -> LabProcess:
    argv = ["ping", "-n", "-q", "-c", str(PINGS), "-i", "1", "-W", "2", VPN2611.host_addr]
    return topology.popen(lab["pc"], argv, name="ping-across-reauth")


def received(pinger: LabProcess) -> int:
    assert pinger.wait(timeout=PINGS + 30) == 0, pinger.log()
    counted = re.search(r"(\d+) received", pinger.log())
    assert counted is not None, pinger.log()
    return int(counted.group(1))


def renewed(
    topology: Topology, client: ClientProc, socket: Path, before: dict[str, Any]
) -> dict[str, Any]:
    """What the client shows once the renewal is through (its status, returned)."""
    after = client_status(topology, "pc", socket)
    assert after["state"] == "connected"
    assert after["phase1"]["reauthentications"] == 1
    assert after["phase1"]["conn_id"] != before["phase1"]["conn_id"]
    assert after["phase1"]["cookies"] != before["phase1"]["cookies"]
    assert after["client_address"] == before["client_address"] == "14.1.1.100"
    assert after["secured_networks"] == before["secured_networks"]
    text = run_vpnclient(topology, "pc", "status", "--socket", str(socket)).stdout
    assert f"ISAKMP SA: conn-id {after['phase1']['conn_id']}," in text
    assert "re-authenticated 1 time(s)" in text
    transcript = client.transcript
    assert transcript.count("Re-authenticating user...") == 1
    assert len(re.findall(SECURE, transcript)) == 2
    assert "Password:" in transcript and "terminated" not in transcript
    assert transcript.count("cisco\n") == 0  # the password is never shown
    return after


def test_reauthentication_with_vpn2611(topology: Topology, seed_factory: SeedFactory) -> None:
    lab = seed_factory(assign_router_addresses=False)
    router = start_vpn2611(topology, lab, short_phase1_config(topology))
    with resolv_confs() as confs:
        confs.prepare(lab["pc"])
        client, socket = start_seed_client(topology, "pc", script_login=False)
        try:
            client.expect(r"Username \[cisco\]: ")
            client.type("\n")
            client.expect(r"Password: ")
            client.type("cisco\n")
            client.expect(r"to disconnect\.")
            before = client_status(topology, "pc", socket)
            assert before["phase1"]["lifetime"] == LIFETIME  # vpn2611's RESPONDER-LIFETIME
            (first_pair,) = before["ipsec"]
            pinger = ping(topology, lab)
            start = len(client.transcript)
            found = client.expect(
                r"Re-authenticating user\.\.\.", timeout=LIFETIME + 10, start=start
            )
            # typed on the terminal: asked again there (the user name is kept)
            found = client.expect(r"Password: ", start=found.end())
            client.type("cisco\n")
            client.expect(SECURE, timeout=30, start=found.end())
            renewal = client.transcript[start:]
            assert "Username" not in renewal and "Password: \nAuthenticating" in renewal
            assert received(pinger) >= PINGS - 2
            after = renewed(topology, client, socket, before)
            # the same IPsec pair carried the traffic throughout
            assert [p["inbound_spi"] for p in after["ipsec"]] == [first_pair["inbound_spi"]]

            def one_sa() -> list[dict[str, Any]]:
                rows = [r for r in router.isakmp() if r["peer"] == PC_ADDR]
                return rows if len(rows) == 1 else []

            (row,) = wait_until("one ISAKMP SA for the client", one_sa, timeout=10)
            assert row["state"] == "QM_IDLE" and row["assigned_address"] == "14.1.1.100"
            assert row["username"] == "cisco" and row["xauth"] == "done"
            assert row["conn_id"] != min(
                r["conn_id"] for r in router.status()["isakmp"] if r["peer"] == row["peer"]
            )
            shown = shell(router, "show crypto isakmp sa", as_json=True)
            states = re.findall(r'"status": "(\w+)"', shown)
            assert sorted(states) == ["ACTIVE", "DELETED"], shown
            # IOS 12.2's table: one QM_IDLE SA for the client, the old one MM_NO_STATE
            table = shell(router, "show crypto isakmp sa")
            rows = [line.split() for line in table.splitlines() if PC_ADDR in line]
            assert sorted(r[2] for r in rows) == ["MM_NO_STATE", "QM_IDLE"], table
            assert [int(r[3]) for r in rows if r[2] == "QM_IDLE"] == [row["conn_id"]], table
            leases = router.status()["pools"]
            assert "14.1.1.101" not in str(leases) and "14.1.1.100" in str(leases)
            assert "returning address" not in router.log()
            client.interrupt()
            assert client.wait() == 0
        finally:
            client.close()


def test_reauthentication_with_strongswan(
    topology: Topology, seed_lab: SeedLab, strongswan: CharonFactory
) -> None:
    server = strongswan(seed_lab.vpn2611, "vpn2611")
    server.load([seed_xauth_server(VPN2611)])
    with resolv_confs() as confs:
        confs.prepare(seed_lab["pc"])
        client, socket = connect(topology, "--ike-lifetime", str(LIFETIME))
        try:
            client.expect(r"to disconnect\.")
            before = client_status(topology, "pc", socket)
            assert before["phase1"]["lifetime"] == LIFETIME
            (old,) = server.list_sas()
            pinger = ping(topology, seed_lab)
            start = len(client.transcript)
            client.expect(r"Re-authenticating user\.\.\.", timeout=LIFETIME + 10, start=start)
            client.expect(SECURE, timeout=30, start=start)
            assert received(pinger) >= PINGS - 2
            renewed(topology, client, socket, before)
            # --password-stdin: the password kept in memory, nothing asked or read again
            assert client.transcript.count("Password: <from standard input>") == 1

            def one_sa() -> Any:
                sas = server.list_sas()
                renewed = len(sas) == 1 and sas[0].initiator_spi != old.initiator_spi
                return sas if renewed else None

            (sa,) = wait_until("strongSwan has the new ISAKMP SA only", one_sa, timeout=15)
            assert sa.state == "ESTABLISHED" and sa.raw.get("remote-xauth-id") == "cisco"
            assert sa.raw.get("remote-vips") == ["14.1.1.100"]
            # strongSwan moved the IPsec SAs to the new ISAKMP SA: the same ones as ours
            ours = client_status(topology, "pc", socket)["ipsec"]
            spis = {(c.spi_in, c.spi_out) for c in sa.children}
            assert {(p["outbound_spi"], p["inbound_spi"]) for p in ours} <= spis
            assert seed_lab.ping("pc", VPN2611.host_addr, count=3, deadline=15)
            client.interrupt()
            assert client.wait() == 0
        finally:
            client.close()
