"""A vpnclient connection outlives its IPsec SAs: vpn2611 (ours) with the shortest IPsec
lifetime IOS accepts (120 s) and the client's pair is replaced before it ends while a ping
runs through the tunnel; the link stays secure and the statistics keep counting."""

from __future__ import annotations

import re
from collections.abc import Callable

from _l2l_helpers import VPN2611_CFG, wait_until
from _vpnclient_helpers import (
    client_status,
    resolv_confs,
    start_seed_client,
    start_vpn2611,
)

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import VPN2611, SeedLab

SeedFactory = Callable[..., SeedLab]
PINGS = 130


def test_the_ipsec_pair_is_rekeyed_while_connected(
    topology: Topology, seed_factory: SeedFactory
) -> None:
    lab = seed_factory(assign_router_addresses=False)
    config = topology.workdir / "vpn2611-120s.cfg"
    text = VPN2611_CFG.read_text()
    assert "\nip classless\n" in text
    config.write_text(
        text.replace(
            "\nip classless\n",
            "\ncrypto ipsec security-association lifetime seconds 120\nip classless\n",
        )
    )
    router = start_vpn2611(topology, lab, config)
    with resolv_confs() as confs:
        confs.prepare(lab["pc"])
        client, socket = start_seed_client(topology, "pc")
        try:
            client.expect(r"to disconnect\.")
            (first,) = client_status(topology, "pc", socket)["ipsec"]
            assert first["lifetime_seconds"] == 120
            pinger = topology.popen(
                lab["pc"],
                ["ping", "-n", "-q", "-c", str(PINGS), "-i", "1", "-W", "2", VPN2611.host_addr],
                name="ping-across-rekey",
            )
            assert pinger.wait(timeout=PINGS + 40) == 0
            counted = re.search(r"(\d+) received", pinger.log())
            assert counted is not None, pinger.log()
            assert int(counted.group(1)) >= PINGS - 2, pinger.log()

            def rekeyed() -> bool:
                pairs = client_status(topology, "pc", socket)["ipsec"]
                return bool(pairs) and first["inbound_spi"] not in {p["inbound_spi"] for p in pairs}

            wait_until("the first pair replaced", rekeyed, timeout=30)
            status = client_status(topology, "pc", socket)
            assert status["state"] == "connected" and len(status["ipsec"]) == 1
            (second,) = status["ipsec"]
            (row,) = router.ipsec()
            assert (row["inbound_spi"], row["outbound_spi"]) == (
                second["outbound_spi"],
                second["inbound_spi"],
            )
            # the statistics count over both pairs
            assert status["counters"]["packets_decrypted"] >= int(counted.group(1))
            assert "terminated" not in client.transcript
            client.interrupt()
            assert client.wait() == 0
        finally:
            client.close()
