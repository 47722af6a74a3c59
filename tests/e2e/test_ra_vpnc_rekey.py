"""vpnc (Debian's vpnc 0.5.3) stays connected to our vpn2611 across an IPsec SA lifetime.

What vpnc 0.5.3 does about IPsec lifetimes (read in its source, vpnc.c and tunip.c of
0.5.3+git20220927, the Debian package; e.g. github.com/streambinder/vpnc at fdd0de7):

- It proposes 2147483 s in quick mode and takes the gateway's RESPONDER-LIFETIME
  (``lifetime_ipsec_process``), but only prints the figure (``lifetime status`` at
  ``--debug 2``): it never starts a quick mode because time or volume ran out.
- It answers a quick mode the gateway starts over the ISAKMP SA (``process_late_ike`` ->
  ``do_rekey``), if it carries one proposal with one transform, the algorithms already in use
  and the PFS group (or none) of the first quick mode. It keeps one pair only: it changes
  both SPIs and keys before QM2 goes out, so the old pair is gone on its side at once.
- A Delete of the ESP SA it sends on makes it start a new quick mode itself
  (``do_phase2_qm``).

IOS, as the dynamic-map responder, rekeys a client's pair itself at its soft lifetime over the
client's ISAKMP SA; so does our router. The seed's vpn2611.cfg with the shortest lifetime IOS
takes (``crypto ipsec security-association lifetime seconds 120``): a ping through the tunnel
keeps getting answers while the pair is replaced, vpnc sends on the router's new inbound SPI
(tshark), and the router keeps one ACTIVE pair for the client, the same pool address.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from _l2l_helpers import VPN2611_CFG, RouterProc, start_router, wait_until
from _ra_helpers import POOL_FIRST, Vpnc, clients, leases, require_vpnc

from vpnrouter.lab.capture import Capture
from vpnrouter.lab.netns import LabProcess, Topology
from vpnrouter.lab.seed import CLIENTS, PC_ADDR, VPN2611, SeedLab

pytestmark = pytest.mark.netns

IPSEC_LIFETIME = 120  # seconds, the least `crypto ipsec security-association lifetime` takes
PING_INTERVAL = 0.5
PINGS = 280  # 140 s of pings: across the rekey at 90 % of 120 s


def short_ipsec_config(topology: Topology) -> Any:
    """The seed's vpn2611.cfg with a global IPsec SA lifetime of 120 s."""
    text = VPN2611_CFG.read_text()
    anchor = "\nip classless\n"
    assert anchor in text
    path = topology.workdir / "vpn2611-ipsec-120s.cfg"
    line = f"crypto ipsec security-association lifetime seconds {IPSEC_LIFETIME}"
    path.write_text(text.replace(anchor, f"\n{line}{anchor}"))
    return path


def long_ping(lab: SeedLab, count: int) -> LabProcess:
    argv = ["ping", "-n", "-q", "-c", str(count), "-i", str(PING_INTERVAL), "-W", "2"]
    return lab.topology.popen(lab["pc"], [*argv, VPN2611.host_addr], name="ping-across-rekey")


def received(pinger: LabProcess) -> int:
    found = re.search(r"(\d+) received", pinger.log())
    assert found is not None, pinger.log()
    return int(found.group(1))


def client_pairs(router: RouterProc) -> list[dict[str, Any]]:
    return [row for row in router.ipsec() if row["peer"] == PC_ADDR]


def test_vpnc_answers_the_routers_ipsec_rekey(
    topology: Topology, seed_lab: SeedLab, capture: Any
) -> None:
    require_vpnc()
    lab = seed_lab
    router = start_router(topology, lab.vpn2611, short_ipsec_config(topology), name="vpn2611")
    tap: Capture = capture(lab, CLIENTS, name="clients")
    vpnc = Vpnc(lab, "pc", local_port=500, debug=2)
    env = vpnc.start().wait_connected()
    assert env["INTERNAL_IP4_ADDRESS"] == POOL_FIRST
    (first,) = client_pairs(router)
    assert first["lifetime_seconds"] == IPSEC_LIFETIME
    # vpnc took the router's RESPONDER-LIFETIME (it proposed 2147483 s)
    assert re.search(rf"got ipsec lifetime attributes: {IPSEC_LIFETIME} seconds", vpnc.log())

    pinger = long_ping(lab, PINGS)
    assert pinger.wait(timeout=PINGS * PING_INTERVAL + 60) == 0, pinger.log()
    got = received(pinger)

    def replaced() -> list[dict[str, Any]] | None:
        pairs = client_pairs(router)
        return pairs if pairs and pairs[0]["inbound_spi"] != first["inbound_spi"] else None

    (second,) = wait_until("the client's pair replaced", replaced, timeout=30)
    tap.stop()
    print(f"FIGURE vpnc IPsec rekey: {PINGS - got} of {PINGS} pings lost")
    assert got >= PINGS - 2, pinger.log()
    assert second["client_address"] == POOL_FIRST
    assert second["initiator"] is True  # the router started the rekey, vpnc answered
    # both sides derived the same keys: nothing vpnc sent on the new pair failed its ICV
    assert second["inbound_counters"]["recv_errors"] == 0, second["inbound_counters"]
    assert set(leases(router)) == {POOL_FIRST}
    assert [row["address"] for row in clients(router)] == [POOL_FIRST]
    assert vpnc.alive()

    # on the wire: vpnc moved from the first pair to the second (its outbound SPI is the
    # router's inbound one), and nothing went in the clear
    packets = tap.packets()
    from_vpnc = {p.esp_spi for p in packets if p.src == PC_ADDR and p.kind == "esp"}
    assert {first["inbound_spi"], second["inbound_spi"]} <= from_vpnc, from_vpnc
    assert not [
        p for p in packets if p.kind == "icmp" and p.between("14.1.1.0/24", "10.10.10.0/24")
    ]
    print(f"FIGURE vpnc IPsec rekeys: {len(from_vpnc) - 1}")

    assert vpnc.disconnect() is not None
    wait_until("the address back in the pool", lambda: not leases(router), timeout=20)
    assert router.stop() == 0
