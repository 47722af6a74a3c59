"""vpnc (Debian's vpnc 0.5.3) renews its ISAKMP SA with our vpn2611 and stays connected.

What vpnc 0.5.3 does about the phase-1 lifetime (its source, vpnc.c and tunip.c of
0.5.3+git20220927, the Debian package; e.g. github.com/streambinder/vpnc at fdd0de7):

- It offers 2147483 s and takes the gateway's RESPONDER-LIFETIME (``lifetime_ike_process``).
- Only when its main loop wakes up on a timer, that is with DPD on (the gateway sent the DPD
  vendor ID) or NAT keepalives, it checks the lifetime: at 80 % it runs ``rekey_phase1``, a
  new aggressive mode with the same group and key (new cookies, no INITIAL-CONTACT), XAuth
  again with the stored password, no Mode Config; then it reads one more message, a lifetime
  notice, and deletes the old ISAKMP SA. It keeps its IPsec SA. Everything runs in its one
  thread: no packet is forwarded meanwhile, and 15 s of silence make it exit ("no response
  from target").

(The 0.5.3 release of 2008 had no phase-1 rekey at all; it came in 2019, commit 074e1ce,
which the Debian snapshot carries.) The snapshot then names the wrong SA in that Delete:
``send_delete_isakmp_cookie`` ignores the old cookies it is given (its arguments are marked
unused) and sends the new SA's cookies, over the new SA; fixed upstream after the Debian
snapshot (commit ef04936, 2023-11-07, "fix: ike phase1 rekeying"). The router deletes the
SA the Delete names, as RFC 2408 3.15 has it: the renewed one. The old one ends at its
lifetime (Delete sent, which vpnc drops as "wrong cookies"), and from then on the client
has no ISAKMP SA at the gateway (until its next renewal, which deletes itself again). IKEv1
IPsec SAs outlive their ISAKMP SA, so the traffic keeps flowing on the pair; but nothing can
rekey it (a dynamic-map pair is only rekeyed over a live ISAKMP SA, as on IOS) and vpnc's
own Deletes reach nobody, so a reconnect is what brings everything back in order: its
INITIAL-CONTACT clears the stale pair at the router.

The seed's vpn2611.cfg with ``lifetime 60`` (the least IOS takes) in the clients' policy:
vpnc renews at 48 s, a ping across the renewal and the old SA's end keeps getting answers,
the router's SA table shows both SAs deleted as described, pair and pool address stay;
vpnc reconnects and gets traffic going again with one address leased.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from _l2l_helpers import VPN2611_CFG, RouterProc, start_router, wait_until
from _ra_helpers import POOL_FIRST, Vpnc, clients, leases, require_vpnc, wait_leases

from vpnrouter.lab.netns import LabProcess, Topology
from vpnrouter.lab.seed import PC_ADDR, VPN2611, SeedLab

pytestmark = pytest.mark.netns

LIFETIME = 60  # seconds: vpnc renews at 80 %
PING_INTERVAL = 0.5
PINGS = 150  # 75 s of pings from connecting: across the renewal at 48 s


def short_phase1_config(topology: Topology) -> Any:
    """The seed's vpn2611.cfg with ``lifetime 60`` in policy 3 (the clients' policy)."""
    text = VPN2611_CFG.read_text()
    policy = "crypto isakmp policy 3\nencr 3des\nauthentication pre-share\ngroup 2\n"
    assert policy in text
    path = topology.workdir / "vpn2611-isakmp-60s.cfg"
    path.write_text(text.replace(policy, policy + f"lifetime {LIFETIME}\n"))
    return path


def long_ping(lab: SeedLab, count: int) -> LabProcess:
    argv = ["ping", "-n", "-q", "-c", str(count), "-i", str(PING_INTERVAL), "-W", "2"]
    return lab.topology.popen(lab["pc"], [*argv, VPN2611.host_addr], name="ping-across-renewal")


def received(pinger: LabProcess) -> int:
    found = re.search(r"(\d+) received", pinger.log())
    assert found is not None, pinger.log()
    return int(found.group(1))


def isakmp_rows(router: RouterProc) -> dict[int, dict[str, Any]]:
    return {row["conn_id"]: row for row in router.status()["isakmp"]}


def test_vpnc_renews_its_isakmp_sa(topology: Topology, seed_lab: SeedLab) -> None:
    require_vpnc()
    lab = seed_lab
    router: RouterProc = start_router(
        topology, lab.vpn2611, short_phase1_config(topology), name="vpn2611"
    )
    vpnc = Vpnc(lab, "pc", local_port=500, debug=3)
    env = vpnc.start().wait_connected()
    assert env["INTERNAL_IP4_ADDRESS"] == POOL_FIRST
    (first,) = router.isakmp()
    (pair,) = router.ipsec()
    assert first["lifetime"] == LIFETIME
    assert re.search(rf"got ike lifetime attributes: {LIFETIME} seconds", vpnc.log())

    pinger = long_ping(lab, PINGS)
    assert pinger.wait(timeout=PINGS * PING_INTERVAL + 60) == 0, pinger.log()
    got = received(pinger)
    log = vpnc.log()
    renewals = log.count("starting phase1 rekey")
    print(f"FIGURE vpnc phase-1 renewals: {renewals}, {PINGS - got} of {PINGS} pings lost")
    assert renewals == 1 and vpnc.alive(), vpnc.tail()
    # vpnc got the lifetime notice it waits for after XAuth, then sent its Delete
    assert "notice_checks done" in log and "delete old cookie" in log, vpnc.tail()
    assert "no response from target" not in log
    assert got >= PINGS - 2, pinger.log()

    # the router: the renewed SA deleted by vpnc's Delete, the first one at its lifetime
    def both_gone() -> dict[int, dict[str, Any]] | None:
        rows = isakmp_rows(router)
        return rows if len(rows) == 2 and not router.isakmp() else None

    rows = wait_until("both ISAKMP SAs deleted", both_gone, timeout=20)
    renewed = rows[max(rows)]
    assert (renewed["peer"], renewed["username"], renewed["xauth"]) == (PC_ADDR, "cisco", "done")
    assert renewed["assigned_address"] == POOL_FIRST  # the renewal kept the address
    assert renewed["failure"] == "Receive delete from peer", renewed
    assert rows[first["conn_id"]]["failure"] == "lifetime expired", rows[first["conn_id"]]
    # the pair and the address stay: IKEv1 IPsec SAs outlive their ISAKMP SA
    assert [row["inbound_spi"] for row in router.ipsec()] == [pair["inbound_spi"]]
    assert set(leases(router)) == {POOL_FIRST}

    # the user reconnects: INITIAL-CONTACT clears the stale pair, one address is leased
    assert vpnc.disconnect() is not None
    again = Vpnc(lab, "pc", name="vpnc-pc-again", local_port=500)
    address = again.start().wait_connected()["INTERNAL_IP4_ADDRESS"]
    assert lab.ping("pc", VPN2611.host_addr, count=3, deadline=10)
    assert [row["inbound_spi"] for row in router.ipsec()] != [pair["inbound_spi"]]
    wait_leases(router, {address})
    assert [row["address"] for row in clients(router)] == [address]
    assert again.disconnect() is not None
    wait_leases(router, set())
    assert router.stop() == 0
