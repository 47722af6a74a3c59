"""vpnclient answers ESP on an SPI it has no SA for the way the router does: an ESP packet
with an SPI nobody gave out, sent from the gateway's namespace (a raw socket, so it carries
vpn2611's outside address) to the connected client, is logged by the client (``--debug
ipsec``) and answered with a protected INVALID-SPI notify, which our vpn2611 decrypts and
logs (it names no pair of its own, so it changes nothing there); tshark sees the ESP go in
and the ISAKMP message come back. The connection stays up.

Every wait is bounded and polls; nothing asserts on durations.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from _l2l_helpers import wait_until
from _vpnclient_helpers import (
    SCRIPT_LOGIN,
    client_status,
    resolv_confs,
    seed_pcf,
    start_client,
    start_vpn2611,
    write_profile,
)

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import CLIENTS, PC_ADDR, VPN2611, SeedLab

SeedFactory = Callable[..., SeedLab]
STRAY_SPI = 0x5EED0001
INJECT = (
    "import socket, sys\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)\n"  # IPPROTO_ESP
    "s.sendto(bytes.fromhex(sys.argv[1]), (sys.argv[2], 0))\n"
)


def test_esp_on_an_unknown_spi_is_answered_with_invalid_spi(
    topology: Topology, seed_factory: SeedFactory, capture: Any
) -> None:
    lab = seed_factory(assign_router_addresses=False)
    router = start_vpn2611(topology, lab)
    with resolv_confs() as confs:
        confs.prepare(lab["pc"])
        profiles = topology.workdir / "profiles"
        write_profile(profiles, "office", seed_pcf(group_pwd="cisco123"))
        socket = topology.workdir / "office.sock"
        client = start_client(
            topology, "pc", "office", profiles, socket=socket,
            args=[*SCRIPT_LOGIN, "--debug", "ipsec"], stdin="cisco\n",
        )  # fmt: skip
        try:
            client.expect(r"to disconnect\.")
            (pair,) = client_status(topology, "pc", socket)["ipsec"]
            assert STRAY_SPI not in (pair["inbound_spi"], pair["outbound_spi"])
            tap = capture(lab, CLIENTS, name="stray-esp")
            esp = STRAY_SPI.to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes(48)
            topology.exec(lab["vpn2611"], [sys.executable, "-c", INJECT, esp.hex(), PC_ADDR])
            logged = f"invalid SPI 0x{STRAY_SPI:08X}({STRAY_SPI}) from {VPN2611.outside_ip}"
            client.expect(re.escape(logged))
            spi_hex = f"{STRAY_SPI:08x}"
            router.wait_log(rf"INVALID_SPI for spi {spi_hex}: no such SA, ignored")
            tap.stop()
            packets = tap.packets()
            (stray,) = [p for p in packets if p.kind == "esp" and p.esp_spi == STRAY_SPI]
            assert (stray.src, stray.dst) == (VPN2611.outside_ip, PC_ADDR)
            answers = [
                p for p in packets
                if p.kind == "isakmp" and p.src == PC_ADDR and p.number > stray.number
            ]  # fmt: skip
            assert answers and answers[0].dport == 500
            # nothing else changed: same pair, still connected, traffic still flows
            status = client_status(topology, "pc", socket)
            spis = [(p["inbound_spi"], p["outbound_spi"]) for p in status["ipsec"]]
            assert status["state"] == "connected"
            assert spis == [(pair["inbound_spi"], pair["outbound_spi"])]
            assert lab.ping("pc", VPN2611.host_addr, count=2, deadline=10)
            client.interrupt()
            assert client.wait() == 0
        finally:
            client.close()
    wait_until("router forgets the client", lambda: not router.ipsec() and not router.isakmp())
