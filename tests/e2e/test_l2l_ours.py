"""Our router against our router, both running the seed configurations unmodified.

vpn2611 finds its addresses already on the host (the lab assigned them); vpn3640 is started
with ``--interface Ethernet0/0=eth0_0 --interface Ethernet0/1=eth0_1`` on bare interfaces and
configures its addresses and its ``ip route 0.0.0.0 0.0.0.0 172.18.124.1`` itself. As on IOS
the first packet of interesting traffic starts the negotiation (and is dropped); the tunnel
then carries pings and a few MB of TCP both ways, and the outside link shows nothing but
ISAKMP and ESP. Stopping the daemons removes what they created.
"""

from __future__ import annotations

import pytest
from _l2l_helpers import (
    VPN2611_CFG,
    VPN3640_CFG,
    start_router,
    tcp_transfer,
    vpnrouter_status_text,
    wait_until,
)

from vpnrouter.lab.capture import IPSEC_KINDS
from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import INET_OUTSIDE, OUTSIDE, VPN2611, VPN3640

pytestmark = pytest.mark.netns

LANS = (VPN2611.lan, VPN3640.lan)


def test_l2l_ours_vs_ours_seed_configs(
    topology: Topology, seed_factory: object, capture: object
) -> None:
    lab = seed_factory(assign_router_addresses=False, with_clients=False)  # type: ignore[operator]
    lab.assign_router_addresses("vpn2611")
    assert topology.addresses(lab.vpn3640, "eth0_0") == []  # bare: the daemon configures it

    r2611 = start_router(topology, lab.vpn2611, VPN2611_CFG, name="vpn2611")
    r3640 = start_router(
        topology,
        lab.vpn3640,
        VPN3640_CFG,
        name="vpn3640",
        args=lab.interface_args("vpn3640"),
        debug="all",
    )
    assert topology.addresses(lab.vpn3640, "eth0_0") == [VPN3640.outside]
    assert topology.addresses(lab.vpn3640, "eth0_1") == [VPN3640.inside]
    routes = topology.routes(lab.vpn3640)
    assert any(r["dst"] == "default" and r.get("gateway") == INET_OUTSIDE for r in routes)
    assert any(r["dst"] == VPN2611.lan and r.get("dev") == "vpn0" for r in routes)
    r3640.wait_log(r"%LINK-5-BIND: Ethernet0/0 bound to eth0_0: 172\.18\.124\.199/24")
    r2611.wait_log(r"%LINK-5-BIND: Ethernet0/0 is eth0_0 \(172\.18\.124\.159/24\)")
    assert r2611.isakmp() == [] and r3640.isakmp() == []  # nothing until interesting traffic

    tap = capture(lab, OUTSIDE, name="ours")  # type: ignore[operator]
    assert lab.ping("host1", VPN3640.host_addr, count=5, deadline=20)
    assert lab.ping("host2", VPN2611.host_addr, count=5, deadline=10)
    tcp_transfer(lab, "host1", "host2", VPN3640.host_addr, seed=1)
    tcp_transfer(lab, "host2", "host1", VPN2611.host_addr, seed=2)
    tap.stop()

    # IOS: the first packet found no SA, started main mode and was dropped; vpn3640 answered
    s2611, s3640 = r2611.status(), r3640.status()
    assert s2611["dataplane"]["acquire_drops"].get("clientmap 1", 0) >= 1
    assert s3640["dataplane"]["acquire_drops"] == {}
    (ike_2611,) = r2611.isakmp()
    (ike_3640,) = r3640.isakmp()
    assert ike_2611["state"] == ike_3640["state"] == "QM_IDLE"
    assert ike_2611["initiator"] and not ike_3640["initiator"]
    assert (ike_2611["src"], ike_2611["dst"]) == (VPN2611.outside_ip, VPN3640.outside_ip)
    assert (ike_2611["encryption"], ike_2611["hash"], ike_2611["group"]) == (1, 1, 1)
    (sa_2611,) = r2611.ipsec()
    (sa_3640,) = r3640.ipsec()
    assert (sa_2611["inbound_spi"], sa_2611["outbound_spi"]) == (
        sa_3640["outbound_spi"],
        sa_3640["inbound_spi"],
    )
    assert sa_2611["transform_names"] == "esp-3des esp-md5-hmac"
    assert sa_2611["encapsulation"] is None  # no NAT between two of ours: plain ESP
    assert sa_2611["outbound_counters"]["encaps"] >= 1000
    assert sa_2611["inbound_counters"]["recv_errors"] == 0
    assert sa_3640["inbound_counters"]["decaps"] == sa_2611["outbound_counters"]["encaps"]

    summary = tap.summary(between=LANS)
    assert summary.only(IPSEC_KINDS), str(summary)
    assert summary.clear_icmp == 0 and summary.clear_between == 0, str(summary)
    assert summary.isakmp >= 9, str(summary)  # main mode 6 + quick mode 3
    assert summary.esp >= 1000, str(summary)
    assert summary.esp_spis == {sa_2611["inbound_spi"], sa_2611["outbound_spi"]}

    text = vpnrouter_status_text(r2611)
    assert f"{VPN3640.outside_ip}  {VPN2611.outside_ip}  QM_IDLE" in text
    assert f"spi: 0x{sa_2611['inbound_spi']:X}({sa_2611['inbound_spi']})" in text
    assert "remote ident (addr/mask/prot/port): (10.10.20.0/255.255.255.0/0/0)" in text

    # debugging shows no key material below the explicit "secrets" level, nor the PSK
    for log in (r2611.log(), r3640.log()):
        assert "SKEYID_" not in log and "cisco123" not in log
    assert "ISAKMP (0:1): SA has been authenticated with" in r3640.log()

    assert r2611.stop() == 0  # it tells vpn3640 (Delete notifications) on its way out
    r3640.wait_log(r"ISAKMP \(0:1\): deleting SA reason \"Receive delete from peer\"")
    assert r3640.ipsec() == []
    assert r3640.stop() == 0
    # vpn3640 removed the addresses and the route it had added; both TUN devices are gone
    assert topology.addresses(lab.vpn3640, "eth0_0") == []
    assert not any(r["dst"] == "default" for r in topology.routes(lab.vpn3640))
    for ns in (lab.vpn2611, lab.vpn3640):
        assert "vpn0" not in {link["ifname"] for link in topology.links(ns)}
    assert topology.addresses(lab.vpn2611, "eth0_0") == [VPN2611.outside]  # not ours: kept
    assert not r2611.socket.exists() and not r3640.socket.exists()
    wait_until("no tunnel left", lambda: not lab.ping("host1", VPN3640.host_addr, deadline=1))


def test_l2l_rekeys_on_volume_lifetime_and_stays_up(
    topology: Topology, seed_factory: object
) -> None:
    """IOS: an SA is replaced before its kilobyte lifetime runs out and the tunnel stays up.
    vpn2611's entry gets the smallest lifetime IOS accepts (2560 KB); 8 MB of TCP then needs
    several generations of SAs and must arrive intact."""
    lab = seed_factory(with_clients=False)  # type: ignore[operator]
    config = topology.workdir / "vpn2611-2560kb.cfg"
    text = VPN2611_CFG.read_text()
    entry = "set peer 172.18.124.199\n"
    assert entry in text
    config.write_text(
        text.replace(entry, entry + "set security-association lifetime kilobytes 2560\n")
    )
    r2611 = start_router(topology, lab.vpn2611, config, name="vpn2611")
    r3640 = start_router(topology, lab.vpn3640, VPN3640_CFG, name="vpn3640", debug="secrets")
    assert lab.ping("host1", VPN3640.host_addr, count=3, deadline=20)
    (first,) = r2611.wait_ipsec()
    assert first["lifetime_kilobytes"] == 2560
    tcp_transfer(lab, "host1", "host2", VPN3640.host_addr, size=8 * 1024 * 1024, seed=5)
    assert lab.ping("host2", VPN2611.host_addr, count=3, deadline=20)
    created = r2611.log().count("IPSEC(create_sa)")
    assert created >= 3, r2611.tail()
    # both sides count the same bytes and may rekey at once: whatever crossed, each side has
    # one ACTIVE pair (the one it sends on, rekeyed next), and the first one is gone
    assert len(r2611.ipsec()) == len(r3640.ipsec()) == 1
    assert first["inbound_spi"] not in {row["inbound_spi"] for row in r2611.status()["ipsec"]}
    assert r2611.log().count("IPSEC(delete_sa)") >= 4  # used-up pairs are deleted (2 lines each)
    assert len(r2611.isakmp()) == 1  # one phase 1 all along: quick modes only
    assert r2611.log().count("beginning Main Mode") == 1
    assert "SKEYID_e" in r3640.log()  # asked for explicitly: key material is shown
    assert "SKEYID_" not in r2611.log()
    assert r2611.stop() == 0 and r3640.stop() == 0
