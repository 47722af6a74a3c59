"""``crypto isakmp key KEY hostname NAME`` against strongSwan 5.9.8: an IKEv1 aggressive-mode
initiator that identifies itself with ID_FQDN vpn.example.net (``id = vpn.example.net``, as
IOS does with ``crypto isakmp identity hostname``) brings up the LAN-to-LAN tunnel.

The only key that matches strongSwan's is our hostname key: the address key that also covers
strongSwan's address holds another secret, so the tunnel coming up proves the FQDN lookup.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from _l2l_helpers import spis_match, start_router

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import VPN2611, VPN3640, SeedLab
from vpnrouter.lab.strongswan import Charon
from vpnrouter.lab.strongswan_conf import seed_l2l

pytestmark = pytest.mark.netns

FQDN = "vpn.example.net"
FQDN_KEY = "fqdn-Only-Key-93"

HOSTNAME_KEY_CFG = f"""\
hostname vpn2611
!
crypto isakmp policy 5
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
crypto isakmp key decoy-Address-Key address 0.0.0.0 0.0.0.0 no-xauth
crypto isakmp key {FQDN_KEY} hostname {FQDN} no-xauth
!
crypto ipsec transform-set a256 esp-aes 256 esp-sha256-hmac
!
crypto map clientmap 1 ipsec-isakmp
 set peer {VPN3640.outside_ip}
 set transform-set a256
 match address 100
!
interface Ethernet0/0
 ip address {VPN2611.outside_ip} 255.255.255.0
 crypto map clientmap
!
interface Ethernet0/1
 ip address 10.10.10.1 255.255.255.0
!
ip route 0.0.0.0 0.0.0.0 172.18.124.1
access-list 100 permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255
end
"""


def test_aggressive_mode_fqdn_peer_uses_the_hostname_key(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    config = topology.workdir / "vpn2611-hostname-key.cfg"
    config.write_text(HOSTNAME_KEY_CFG)
    ours = start_router(topology, seed_lab.vpn2611, config, name="vpn2611")
    peer: Charon = strongswan(seed_lab.vpn3640, "vpn3640")
    base = seed_l2l(
        VPN3640,
        VPN2611,
        ike_proposals=("aes256-sha256-modp2048",),
        esp_proposals=("aes256-sha256",),
        psk=FQDN_KEY,
    )
    peer.load([replace(base, aggressive=True, local_id=FQDN)])

    peer.initiate("l2l", timeout=20)
    (sa,) = peer.wait_for("established", ike="l2l", timeout=20)
    assert sa.state == "ESTABLISHED"
    (row,) = ours.wait_ipsec()
    assert spis_match(row, sa), (row, sa.children)
    (ike_row,) = ours.isakmp()
    assert (ike_row["aggressive"], ike_row["peer_id"]) == (True, FQDN)
    assert not ike_row["initiator"]
    ours.wait_log(rf"found peer pre-shared key matching hostname {FQDN}")
    assert FQDN_KEY not in ours.log() and "decoy-Address-Key" not in ours.log()

    assert seed_lab.ping("host2", VPN2611.host_addr, count=3, deadline=15)
    assert seed_lab.ping("host1", VPN3640.host_addr, count=3, deadline=15)
    (row,) = ours.ipsec()
    assert row["inbound_counters"]["decaps"] >= 6 and row["inbound_counters"]["recv_errors"] == 0
    assert ours.stop() == 0
