"""Our router (vpn2611) against strongSwan 5.9.8 playing vpn3640, both sides initiating.

1. The seed: our side runs ``examples/seed/vpn2611.cfg`` unmodified, strongSwan has the seed's
   parameters (main mode, PSK cisco123, IKE des-md5-modp768, ESP 3des-md5).
2. Modern suites: AES-256/SHA-256/group 14 for IKE, AES-128/SHA1 or AES-256/SHA-256 for ESP
   with PFS group 14; our side's configuration is IOS text written here.

strongSwan's userspace data plane (kernel-libipsec) fakes a NAT, so IKE moves to port 4500
and ESP is UDP-encapsulated (RFC 3947/3948). In every case pings and TCP pass both ways, the
SPIs ``swanctl --list-sas`` shows are the ones ``vpnrouter status`` shows, and the outside link
carries only ISAKMP and ESP in UDP.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
from _l2l_helpers import (
    VPN2611_CFG,
    RouterProc,
    spis_match,
    start_router,
    tcp_transfer,
    vpnrouter_status_text,
    wait_until,
)

from vpnrouter.lab.capture import IPSEC_KINDS
from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import OUTSIDE, VPN2611, VPN3640, SeedLab
from vpnrouter.lab.strongswan import Charon, IkeSa, seed_l2l
from vpnrouter.router.control import request

pytestmark = pytest.mark.netns

LANS = (VPN2611.lan, VPN3640.lan)

MODERN_CFG = """\
hostname vpn2611
!
crypto isakmp policy 5
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
crypto isakmp key cisco123 address 172.18.124.199 no-xauth
!
crypto ipsec transform-set a256 esp-aes 256 esp-sha256-hmac
crypto ipsec transform-set a128 esp-aes esp-sha-hmac
!
crypto map clientmap 1 ipsec-isakmp
 set peer 172.18.124.199
 set transform-set a256 a128
 set pfs group14
 match address 100
!
interface Ethernet0/0
 ip address 172.18.124.159 255.255.255.0
 crypto map clientmap
!
interface Ethernet0/1
 ip address 10.10.10.1 255.255.255.0
!
ip route 0.0.0.0 0.0.0.0 172.18.124.1
access-list 100 permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255
end
"""


def bring_up(lab: SeedLab, ours: RouterProc, peer: Charon, initiator: str) -> IkeSa:
    """Start the tunnel from one side; return strongSwan's (established) IKE SA."""
    if initiator == "strongswan":
        peer.initiate("l2l", timeout=20)
    else:
        # IOS: the first packet of interesting traffic starts the negotiation
        assert lab.ping("host1", VPN3640.host_addr, count=1, deadline=20)
    (sa,) = peer.wait_for("established", ike="l2l", timeout=20)
    return sa


def check_traffic(lab: SeedLab) -> None:
    assert lab.ping("host1", VPN3640.host_addr, count=5, deadline=15)
    assert lab.ping("host2", VPN2611.host_addr, count=5, deadline=15)
    tcp_transfer(lab, "host1", "host2", VPN3640.host_addr, seed=11)
    tcp_transfer(lab, "host2", "host1", VPN2611.host_addr, seed=12)


def check_same_sas(ours: RouterProc, peer: Charon) -> tuple[dict[str, Any], IkeSa]:
    (row,) = ours.ipsec()
    (ike,) = [sa for sa in peer.list_sas() if sa.name == "l2l"]
    assert ike.state == "ESTABLISHED"
    assert spis_match(row, ike), (row, ike.children)
    (child,) = ike.children
    assert child.state == "INSTALLED" and child.encap
    assert row["encapsulation"] is not None  # NAT-T, as strongSwan's libipsec insists
    assert row["encapsulation"]["remote_port"] == 4500
    text = vpnrouter_status_text(ours)
    assert f"spi: 0x{child.spi_in:X}({child.spi_in})" in text  # its inbound is our outbound
    assert f"spi: 0x{child.spi_out:X}({child.spi_out})" in text
    assert "in use settings ={Tunnel UDP-Encaps, }" in text
    (ike_row,) = ours.isakmp()
    assert ike_row["state"] == "QM_IDLE" and ike_row["nat_t"]
    assert child.packets_in >= 10 and row["inbound_counters"]["decaps"] >= 10
    assert row["inbound_counters"]["recv_errors"] == 0
    return row, ike


@pytest.mark.parametrize("initiator", ["vpnrouter", "strongswan"])
def test_l2l_seed_against_strongswan(
    topology: Topology,
    seed_lab: SeedLab,
    strongswan: Any,
    capture: Any,
    initiator: str,
) -> None:
    ours = start_router(topology, seed_lab.vpn2611, VPN2611_CFG, name="vpn2611")
    peer: Charon = strongswan(seed_lab.vpn3640, "vpn3640")
    peer.load([seed_l2l(VPN3640, VPN2611)])
    tap = capture(seed_lab, OUTSIDE, name=f"seed-{initiator}")

    ike = bring_up(seed_lab, ours, peer, initiator)
    assert (ike.encr_alg, ike.integ_alg, ike.dh_group) == ("DES_CBC", "HMAC_MD5_96", "MODP_768")
    check_traffic(seed_lab)
    tap.stop()
    row, ike = check_same_sas(ours, peer)
    (child,) = ike.children
    assert (child.encr_alg, child.integ_alg) == ("3DES_CBC", "HMAC_MD5_96")
    assert row["transform_names"] == "esp-3des esp-md5-hmac"
    (ike_row,) = ours.isakmp()
    assert ike_row["initiator"] == (initiator == "vpnrouter")
    assert (ike_row["encryption"], ike_row["hash"], ike_row["group"]) == (1, 1, 1)

    summary = tap.summary(between=LANS)
    assert summary.only(IPSEC_KINDS), str(summary)
    assert summary.clear_icmp == 0 and summary.clear_between == 0, str(summary)
    assert summary.esp == 0 and summary.esp_udp >= 100, str(summary)
    assert summary.esp_spis == {child.spi_in, child.spi_out}, str(summary)

    # strongSwan takes the tunnel down: we follow, and traffic starts a new one (IOS)
    peer.terminate(ike="l2l")
    wait_until("our SAs deleted", lambda: not ours.ipsec() and not ours.isakmp())
    assert ours.stop() == 0


@pytest.mark.parametrize("esp", ["aes128-sha1", "aes256-sha256"])
@pytest.mark.parametrize("initiator", ["vpnrouter", "strongswan"])
def test_l2l_modern_suites_with_pfs_against_strongswan(
    topology: Topology, seed_lab: SeedLab, strongswan: Any, initiator: str, esp: str
) -> None:
    config = topology.workdir / "vpn2611-modern.cfg"
    config.write_text(MODERN_CFG)
    ours = start_router(topology, seed_lab.vpn2611, config, name="vpn2611")
    peer: Charon = strongswan(seed_lab.vpn3640, "vpn3640")
    conn = seed_l2l(
        VPN3640,
        VPN2611,
        ike_proposals=("aes256-sha256-modp2048",),
        esp_proposals=(f"{esp}-modp2048",),
    )
    peer.load([conn])

    ike = bring_up(seed_lab, ours, peer, initiator)
    assert (ike.encr_alg, ike.integ_alg, ike.dh_group) == (
        "AES_CBC",
        "HMAC_SHA2_256_128",
        "MODP_2048",
    )
    assert ike.raw.get("encr-keysize") == "256"
    check_traffic(seed_lab)
    row, ike = check_same_sas(ours, peer)
    (child,) = ike.children
    expected = {
        "aes128-sha1": ("AES_CBC", "128", "HMAC_SHA1_96", "esp-aes esp-sha-hmac"),
        "aes256-sha256": ("AES_CBC", "256", "HMAC_SHA2_256_128", "esp-aes 256 esp-sha256-hmac"),
    }[esp]
    assert (child.encr_alg, child.raw.get("encr-keysize"), child.integ_alg) == expected[:3]
    assert child.raw.get("dh-group") == "MODP_2048"  # PFS
    assert row["transform_names"] == expected[3]
    assert row["pfs_group"] == 14
    (ike_row,) = ours.isakmp()
    assert (ike_row["encryption"], ike_row["key_length"], ike_row["hash"], ike_row["group"]) == (
        7,
        256,
        4,
        14,
    )
    assert ours.stop() == 0
    peer.wait_for("none", ike="l2l", timeout=15)  # our Delete notifications reached it


def test_l2l_time_lifetime_rekey_keeps_traffic_flowing(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    """IOS: the tunnel stays up. vpn2611 (ours) gets the shortest IPsec lifetime IOS accepts
    (120 s) and replaces the SA pair before it ends, while a ping runs through the tunnel;
    strongSwan takes the new pair and the old one is deleted on both sides."""
    config = topology.workdir / "vpn2611-120s.cfg"
    text = VPN2611_CFG.read_text()
    assert "\nip classless\n" in text
    config.write_text(
        text.replace(
            "\nip classless\n",
            "\ncrypto ipsec security-association lifetime seconds 120\nip classless\n",
        )
    )
    ours = start_router(topology, seed_lab.vpn2611, config, name="vpn2611")
    peer: Charon = strongswan(seed_lab.vpn3640, "vpn3640")
    peer.load([seed_l2l(VPN3640, VPN2611)])
    ike = bring_up(seed_lab, ours, peer, "vpnrouter")
    (first,) = ours.wait_ipsec()
    assert first["lifetime_seconds"] == 120 and spis_match(first, ike)

    # 130 pings, one a second, across the rekey (at 90 % of 120 s)
    pinger = topology.popen(
        seed_lab.host1,
        ["ping", "-n", "-q", "-c", "130", "-i", "1", "-W", "2", VPN3640.host_addr],
        name="ping-across-rekey",
    )
    ours.wait_log(r"IPSEC\(sa_request\): rekeying SA", timeout=150)
    assert pinger.wait(timeout=170) == 0
    summary = pinger.log()
    counted = re.search(r"(\d+) received", summary)
    assert counted is not None, summary
    assert int(counted.group(1)) >= 128, summary  # make-before-break: nothing lost to the rekey

    wait_until("old pair deleted", lambda: first["inbound_spi"] not in {
        row["inbound_spi"] for row in ours.ipsec()
    }, timeout=30)  # fmt: skip
    (second,) = ours.ipsec()
    (sa,) = peer.wait_for("established", ike="l2l")
    assert spis_match(second, sa)
    assert [child.spi_in for child in sa.children] == [second["outbound_spi"]]
    assert ours.log().count("beginning Main Mode") == 1  # phase 1 kept
    assert seed_lab.ping("host2", VPN2611.host_addr, count=3, deadline=10)


def vpnrouter_exec(ours: RouterProc, *commands: str, json_out: bool = False) -> str:
    argv = [sys.executable, "-m", "vpnrouter", "exec", str(ours.socket), *commands]
    if json_out:
        argv.append("--json")
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_exec_shell_show_debug_and_clear_on_our_router(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    """The operator's view through the control socket: ``show`` matches strongSwan's SAs,
    ``debug``/``terminal monitor`` lines follow, ``clear`` deletes at the peer too."""
    ours = start_router(topology, seed_lab.vpn2611, VPN2611_CFG, name="vpn2611", debug="")
    peer: Charon = strongswan(seed_lab.vpn3640, "vpn3640")
    peer.load([seed_l2l(VPN3640, VPN2611)])
    sa = bring_up(seed_lab, ours, peer, "vpnrouter")
    (child,) = sa.children

    text = vpnrouter_exec(ours, "show crypto isakmp sa", "show crypto ipsec sa")
    assert f"{VPN3640.outside_ip}  {VPN2611.outside_ip}  QM_IDLE" in text
    assert f"current_peer: {VPN3640.outside_ip}:4500" in text
    assert f"spi: 0x{child.spi_in:X}({child.spi_in})" in text  # strongSwan's in = our out
    assert f"spi: 0x{child.spi_out:X}({child.spi_out})" in text
    assert "PERMIT, flags={origin_is_acl,}" in text
    data = json.loads(vpnrouter_exec(ours, "show crypto ipsec sa", json_out=True))
    (flow,) = data["ipsec_sa"]
    assert [esp["spi"] for esp in flow["outbound"]] == [child.spi_in]

    # debugging switched on through the socket reaches the log and terminal monitor
    since = request(ours.socket, "log", since=None)["next"]
    assert "Crypto ISAKMP debugging is on" in vpnrouter_exec(ours, "debug crypto isakmp")
    assert "ISAKMP" not in "".join(request(ours.socket, "log", since=since)["lines"])

    # clear crypto sa: the pair is deleted here and at strongSwan; traffic renegotiates
    vpnrouter_exec(ours, "clear crypto sa")
    wait_until("strongSwan's CHILD SA deleted", lambda: not peer.list_sas()[0].children)
    assert ours.ipsec() == []
    assert seed_lab.ping("host1", VPN3640.host_addr, count=3, deadline=15)
    lines = request(ours.socket, "log", since=since)["lines"]
    assert any("ISAKMP (0:1): beginning Quick Mode exchange" in line for line in lines)
    assert not any("IPSEC(create_sa)" in line for line in lines)  # ipsec debug is off
    # clear crypto isakmp: strongSwan's IKE SA goes too
    vpnrouter_exec(ours, "undebug all", "clear crypto isakmp")
    peer.wait_for("none", ike="l2l", timeout=15)
    assert ours.isakmp() == []
    assert request(ours.socket, "snapshot")["router"]["debug"] == []
