"""strongSwan rekeys the IPsec SA pair with our router (vpn2611) while traffic flows.

strongSwan (vpn3640) is the quick-mode initiator of every rekey: its CHILD SA is rekeyed every
few seconds, long before our own soft lifetime, so our router only ever answers. strongSwan
sends on the new pair as soon as it has our QM2 (RFC 2409 5.5 lets the responder accept on
its new inbound SPI from then on), so its first packets on the new SPI can overtake QM3; our
data plane must have the inbound SA by then and count no ESP on an unknown SPI.

In the lab QM3 wins that race almost always, so our namespace holds back the first QM3 of
every quick mode (nftables, every other short quick mode message to UDP 4500): strongSwan
sends on the new pair for the ~2 s until our QM2 retransmission brings QM3 again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from _l2l_helpers import VPN2611_CFG, RouterProc, spis_match, start_router, wait_until

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import VPN2611, VPN3640, SeedLab
from vpnrouter.lab.strongswan import Charon
from vpnrouter.lab.strongswan_conf import L2LConn, Sections, seed_l2l

pytestmark = pytest.mark.netns

CHILD_REKEY = 5  # seconds between strongSwan's rekeys of the CHILD SA
CHILD_LIFE = 40  # the lifetime it proposes: our soft limit (95 %) is far behind its rekeys
REKEYS = 3
PINGS = 2000  # every 10 ms: 20 s, three or four rekeys

# QM3 (RFC 2409 5.5) is the only quick mode message (ISAKMP exchange type 32 at byte 18 of
# the header, after the 4-byte non-ESP marker of port 4500) shorter than 100 bytes.
HOLD_QM3 = """
table inet hold_qm3 {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 4500 udp length < 100 @th,64,32 0 @th,240,8 32 numgen inc mod 2 == 0 \\
      counter drop
  }
}
"""


@dataclass(frozen=True)
class RekeyingConn(L2LConn):
    """The seed's L2L connection with a CHILD SA rekeyed every `child_rekey` s, exactly
    (no random jitter), and the ISAKMP SA never rekeyed."""

    child_rekey: int = CHILD_REKEY
    child_life: int = CHILD_LIFE

    def sections(self) -> Sections:
        conn, secrets, pools = super().sections()
        conn["rekey_time"] = 0
        children = conn["children"]
        assert isinstance(children, dict)
        child = children[self.child_name]
        child.update(rekey_time=self.child_rekey, life_time=self.child_life, rand_time=0)
        return conn, secrets, pools


def drops(ours: RouterProc) -> dict[str, int]:
    counted: dict[str, int] = ours.status()["dataplane"]["drops"]
    return counted


def inbound_spis(ours: RouterProc, seen: set[int]) -> set[int]:
    seen |= {row["inbound_spi"] for row in ours.ipsec()}
    return seen


def ping_summary(log: str) -> tuple[int, int]:
    found = re.search(r"(\d+) packets transmitted, (\d+) received", log)
    assert found is not None, log
    return int(found.group(1)), int(found.group(2))


def test_peer_initiated_rekeys_lose_no_packet(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    ours = start_router(topology, seed_lab.vpn2611, VPN2611_CFG, name="vpn2611")
    peer: Charon = strongswan(seed_lab.vpn3640, "vpn3640")
    base = seed_l2l(VPN3640, VPN2611)
    peer.load([RekeyingConn(**{f: getattr(base, f) for f in base.__dataclass_fields__})])
    peer.initiate("l2l", timeout=20)
    (first,) = ours.wait_ipsec()
    assert first["lifetime_seconds"] == CHILD_LIFE and not first["initiator"]
    before = drops(ours)
    topology.exec(seed_lab.vpn2611, ["nft", "-f", "-"], input=HOLD_QM3)

    # host2 (behind strongSwan) pings host1 (behind us) every 8 ms across the rekeys
    pinger = topology.popen(
        seed_lab.host2,
        ["ping", "-n", "-q", "-c", str(PINGS), "-i", "0.01", "-W", "2", VPN2611.host_addr],
        name="ping-across-peer-rekeys",
    )
    seen: set[int] = set()
    wait_until(
        f"{REKEYS} rekeys by strongSwan",
        lambda: len(inbound_spis(ours, seen)) > REKEYS,
        timeout=REKEYS * CHILD_REKEY + 15,
    )
    assert pinger.wait(timeout=40) == 0, pinger.log()
    sent, received = ping_summary(pinger.log())
    after = drops(ours)
    held = topology.exec(seed_lab.vpn2611, ["nft", "list", "table", "inet", "hold_qm3"])
    counted = re.search(r"counter packets (\d+)", held.stdout)
    assert counted is not None and int(counted.group(1)) >= REKEYS, held.stdout

    # every rekey was strongSwan's; we answered and never rekeyed ourselves
    assert "IPSEC(sa_request): rekeying SA" not in ours.log()
    assert ours.log().count("beginning Quick Mode exchange") == 0
    for reason in ("UNKNOWN_SPI", "NO_SA"):
        assert after.get(reason, 0) == before.get(reason, 0), (before, after)
    assert (sent, received) == (PINGS, PINGS), pinger.log()

    # our ACTIVE pair is one of strongSwan's CHILD SAs (a rekey may be under way)
    def current_pair_matches() -> bool:
        (row,) = ours.ipsec()
        (sa,) = peer.list_sas()
        return row["inbound_counters"]["recv_errors"] == 0 and spis_match(row, sa)

    wait_until("our ACTIVE pair is strongSwan's", current_pair_matches)
    assert seed_lab.ping("host1", VPN3640.host_addr, count=3, deadline=10)
