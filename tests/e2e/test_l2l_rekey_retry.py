"""Our router's rekey refused once by strongSwan is tried again and the tunnel carries on.

vpn2611 (ours) initiates the tunnel and rekeys the pair at 90 % of the shortest volume
lifetime IOS accepts (2560 KB), reached by one TCP transfer. Just before that, strongSwan's
CHILD configuration is reloaded with an ESP proposal our transform set does not have, so it
answers our rekey with NO-PROPOSAL-CHOSEN; it is then reloaded with the seed's proposal
again. Our router starts a new quick mode after its back-off, while the old pair still has
lifetime left, and strongSwan takes the new pair: traffic never stops.
"""

from __future__ import annotations

from typing import Any

import pytest
from _l2l_helpers import VPN2611_CFG, spis_match, start_router, tcp_transfer, wait_until

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import VPN2611, VPN3640, SeedLab
from vpnrouter.lab.strongswan import Charon
from vpnrouter.lab.strongswan_conf import seed_l2l

pytestmark = pytest.mark.netns

LIFETIME_KB = 2560
TRANSFER = 2_450_000  # bytes: past 90 % of 2560 KB with the headers, short of 100 %


def test_refused_rekey_is_retried_and_taken(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    config = topology.workdir / "vpn2611-2560kb.cfg"
    text = VPN2611_CFG.read_text()
    assert "\nip classless\n" in text
    config.write_text(
        text.replace(
            "\nip classless\n",
            f"\ncrypto ipsec security-association lifetime kilobytes {LIFETIME_KB}\nip classless\n",
        )
    )
    ours = start_router(topology, seed_lab.vpn2611, config, name="vpn2611")
    peer: Charon = strongswan(seed_lab.vpn3640, "vpn3640")
    peer.load([seed_l2l(VPN3640, VPN2611)])
    assert seed_lab.ping("host1", VPN3640.host_addr, count=1, deadline=20)
    (first,) = ours.wait_ipsec()
    assert first["lifetime_kilobytes"] == LIFETIME_KB and first["initiator"]
    before = ours.status()["dataplane"]["drops"]  # the first packet's acquire (IOS drops it)

    # strongSwan's CHILD config now wants AES: our 3DES/MD5 rekey will be refused
    peer.load([seed_l2l(VPN3640, VPN2611, esp_proposals=("aes128-sha1",))])
    tcp_transfer(seed_lab, "host1", "host2", VPN3640.host_addr, size=TRANSFER, seed=21)
    ours.wait_log(r"IPSEC\(sa_request\): rekeying SA", timeout=15)
    ours.wait_log(r"failed \(peer sent NO_PROPOSAL_CHOSEN\); retrying in 2 s", timeout=15)
    peer.load([seed_l2l(VPN3640, VPN2611)])  # and accepts the seed's proposal again

    def replaced() -> bool:
        rows = ours.ipsec()
        return bool(rows) and rows[0]["inbound_spi"] != first["inbound_spi"]

    wait_until("the retried rekey's pair", replaced, timeout=40)
    (second,) = ours.ipsec()
    assert second["initiator"] and second["transform_names"] == "esp-3des esp-md5-hmac"
    wait_until(
        "strongSwan has the new pair",
        lambda: spis_match(second, peer.wait_for("established", ike="l2l")[0]),
    )
    log = ours.log()
    assert log.count("IPSEC(sa_request): rekeying SA") >= 2  # the refused one, the retry
    assert log.count("beginning Main Mode") == 1  # phase 1 kept throughout
    # the old pair was never left to run out: no acquire, no traffic without an SA
    after = ours.status()["dataplane"]["drops"]
    for reason in ("NO_SA", "UNKNOWN_SPI"):
        assert after.get(reason, 0) == before.get(reason, 0), (before, after)
    assert seed_lab.ping("host1", VPN3640.host_addr, count=3, deadline=10)
    assert seed_lab.ping("host2", VPN2611.host_addr, count=3, deadline=10)
