"""One crypto map on two outside interfaces: each interface's peers use its own address.

The seed's vpn2611 (ours) gets a second outside interface, Ethernet1/0 192.0.2.1/24 on a
second segment, with the same crypto map ``clientmap`` applied and no ``local-address``: IOS
then uses "the IP address of the local interface [...] as the local address for IPSec traffic
originating from or destined to that interface" (Cisco IOS 11.3 IPSec Network Security
feature guide, "Apply Crypto Map Sets to Interfaces"). Entry 1 is the seed's tunnel to
vpn3640 (ours, seed configuration, raw ESP) on the seed's outside segment; entry 2 a tunnel to
a strongSwan peer at 192.0.2.2 (UDP-encapsulated ESP, as its libipsec insists) whose LAN is
10.10.30.0/24. Both come up from host1's first packets; pings pass on both; tshark on each
segment sees only ISAKMP and ESP, between that segment's two crypto endpoints; ``show crypto
ipsec sa`` puts each flow under the interface whose address it uses.
"""

from __future__ import annotations

from typing import Any

import pytest
from _l2l_helpers import VPN2611_CFG, VPN3640_CFG, shell, start_router

from vpnrouter.lab.capture import IPSEC_KINDS, Capture
from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import OUTSIDE, VPN2611, VPN3640, SeedLab
from vpnrouter.lab.strongswan import Charon
from vpnrouter.lab.strongswan_conf import L2LConn

pytestmark = pytest.mark.netns

SECOND = "second"
OURS_2 = "192.0.2.1"
PEER_2 = "192.0.2.2"
LAN_3 = "10.10.30.0/24"
HOST_3 = "10.10.30.10"
PSK_2 = "cisco456"


def two_interface_config() -> str:
    """The seed's vpn2611 with Ethernet1/0 on 192.0.2.0/24 under the same crypto map and a
    second static entry for the peer there."""
    text = VPN2611_CFG.read_text()
    for old, new in (
        (
            "crypto isakmp key cisco123 address 172.18.124.199 no-xauth",
            "crypto isakmp key cisco123 address 172.18.124.199 no-xauth\n"
            f"crypto isakmp key {PSK_2} address {PEER_2} no-xauth",
        ),
        (
            "crypto map clientmap 10 ipsec-isakmp dynamic dynmap",
            f"crypto map clientmap 2 ipsec-isakmp\n set peer {PEER_2}\n set transform-set myset\n"
            " match address 101\ncrypto map clientmap 10 ipsec-isakmp dynamic dynmap",
        ),
        (
            "interface Serial0/0\n",
            f"interface Ethernet1/0\n ip address {OURS_2} 255.255.255.0\n crypto map clientmap\n"
            "interface Serial0/0\n",
        ),
        (
            "access-list 100 ",
            "access-list 101 permit ip 10.10.10.0 0.0.0.255 10.10.30.0 0.0.0.255\naccess-list 100 ",
        ),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def add_second_segment(topology: Topology, lab: SeedLab) -> tuple[str, str]:
    """192.0.2.0/24 between vpn2611 (eth1_0) and the strongSwan peer, whose LAN host is
    host3 (10.10.30.10); returns (peer namespace, host3 namespace)."""
    topology.add_segment(SECOND)
    topology.connect(lab.vpn2611, "eth1_0", SECOND, address=f"{OURS_2}/24")
    peer = topology.add_namespace("peer2", ip_forward=True)
    host3 = topology.add_namespace("host3")
    topology.connect(peer, "eth0_0", SECOND, address=f"{PEER_2}/24")
    topology.add_veth(peer, "eth0_1", host3, "eth0")
    topology.add_address(peer, "eth0_1", "10.10.30.1/24")
    topology.add_address(host3, "eth0", f"{HOST_3}/24")
    topology.add_route(host3, "default", via="10.10.30.1")
    return peer, host3


def endpoints(tap: Capture) -> set[tuple[str, str]]:
    """Every (lower, higher) address pair the capture's packets went between."""
    return {(min(p.src, p.dst), max(p.src, p.dst)) for p in tap.packets()}


def test_one_crypto_map_on_two_interfaces(
    topology: Topology, seed_factory: Any, strongswan: Any, capture: Any
) -> None:
    lab: SeedLab = seed_factory(with_clients=False)
    peer_ns, host3 = add_second_segment(topology, lab)
    lab.ns["host3"] = host3
    config = topology.workdir / "vpn2611-two.cfg"
    config.write_text(two_interface_config())
    taps = (capture(lab, OUTSIDE, name="outside"), capture(lab, SECOND, name="second"))
    ours = start_router(topology, lab.vpn2611, config, name="vpn2611")
    vpn3640 = start_router(topology, lab.vpn3640, VPN3640_CFG, name="vpn3640")
    peer: Charon = strongswan(peer_ns, "peer2")
    peer.load(
        [
            L2LConn(
                name="l2l", local_addr=PEER_2, remote_addr=OURS_2, psk=PSK_2,
                local_ts=(LAN_3,), remote_ts=(VPN2611.lan,),
            )
        ]
    )  # fmt: skip
    ours.wait_log(r"ISAKMP on Ethernet1/0 \(192\.0\.2\.1\)")

    # host1's first packets bring both tunnels up, each from its own interface (IOS acquire)
    assert lab.ping("host1", VPN3640.host_addr, count=1, deadline=20)
    assert lab.ping("host1", HOST_3, count=1, deadline=20)
    rows = ours.wait_ipsec(2, timeout=20)
    assert {(r["local"], r["peer"]) for r in rows} == {
        (VPN2611.outside_ip, VPN3640.outside_ip),
        (OURS_2, PEER_2),
    }
    peer.wait_for("established", ike="l2l", timeout=20)
    vpn3640.wait_ipsec(1)
    for src, dst in (("host1", VPN3640.host_addr), ("host1", HOST_3), ("host2", "10.10.10.10"),
                     ("host3", "10.10.10.10")):  # fmt: skip
        assert lab.ping(src, dst, count=5, deadline=15), (src, dst)

    text = shell(ours, "show crypto ipsec sa")
    blocks = dict((block.split("\n", 1)[0], block) for block in text.split("interface: ")[1:])
    assert set(blocks) == {"Ethernet0/0", "Ethernet1/0"}, text
    assert f"remote crypto endpt.: {VPN3640.outside_ip}" in blocks["Ethernet0/0"]
    assert f"remote crypto endpt.: {PEER_2}" not in blocks["Ethernet0/0"]
    assert (
        f"local crypto endpt.: {OURS_2}, remote crypto endpt.: {PEER_2}" in (blocks["Ethernet1/0"])
    )
    assert f"remote crypto endpt.: {VPN3640.outside_ip}" not in blocks["Ethernet1/0"]
    status = ours.status()
    assert [(c["interface"], c["local_address"]) for c in status["crypto_interfaces"]] == [
        ("Ethernet0/0", VPN2611.outside_ip),
        ("Ethernet1/0", OURS_2),
    ]

    for tap in taps:
        tap.stop()
    outside, second = (tap.summary() for tap in taps)
    assert outside.only(IPSEC_KINDS) and outside.esp >= 10, str(outside)
    assert second.only(IPSEC_KINDS) and second.esp_udp >= 10, str(second)
    assert endpoints(taps[0]) == {(VPN2611.outside_ip, VPN3640.outside_ip)}
    assert endpoints(taps[1]) == {(OURS_2, PEER_2)}
    assert ours.stop() == 0
