"""strongSwan against strongSwan in the seed topology: the harness the integrator then uses
with our router on one side.

vpn2611 and vpn3640 are played by two charons with the seed's parameters (main mode, PSK
cisco123, IKE des-md5-modp768, ESP 3des-md5, 10.10.10.0/24 <-> 10.10.20.0/24); a tshark on
the outside segment must see only ISAKMP and UDP-encapsulated ESP, and no clear ICMP.
"""

from __future__ import annotations

from collections.abc import Callable

from vpnrouter.lab.capture import IPSEC_KINDS, Capture
from vpnrouter.lab.seed import CLIENTS, NAT_OUTSIDE, OUTSIDE, VPN2611, VPN3640, SeedLab
from vpnrouter.lab.strongswan import (
    Charon,
    seed_l2l,
    seed_xauth_client,
    seed_xauth_server,
)

CharonFactory = Callable[..., Charon]
CaptureFactory = Callable[..., Capture]
LANS = (VPN2611.lan, VPN3640.lan)


def test_l2l_strongswan_to_strongswan_with_seed_parameters(
    seed_lab: SeedLab, strongswan: CharonFactory, capture: CaptureFactory
) -> None:
    r2611 = strongswan(seed_lab.vpn2611, "vpn2611")
    r3640 = strongswan(seed_lab.vpn3640, "vpn3640")
    r2611.load([seed_l2l(VPN2611, VPN3640)])
    r3640.load([seed_l2l(VPN3640, VPN2611)])

    # no tunnel yet: no way from LAN to LAN (the Internet does not route private networks),
    # and the capture does see the echo requests vpn2611 forwards in the clear
    leak = capture(seed_lab, OUTSIDE, name="before")
    assert not seed_lab.ping("host1", VPN3640.host_addr, deadline=2)
    leak.stop()
    assert leak.summary(between=LANS).clear_between >= 5

    tap = capture(seed_lab, OUTSIDE, name="l2l")
    log = r3640.initiate("l2l", timeout=30)
    assert "IKE:DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_768" in log
    assert "ESP:3DES_CBC/HMAC_MD5_96" in log
    inner = capture(seed_lab.vpn2611, "ipsec0", name="inner")  # libipsec's TUN device
    assert seed_lab.ping("host1", VPN3640.host_addr, count=5)
    assert seed_lab.ping("host2", VPN2611.host_addr, count=5)
    inner.stop()
    assert inner.summary(between=LANS).clear_icmp_between >= 10  # in the clear inside

    (sa_2611,) = r2611.list_sas()
    (sa_3640,) = r3640.list_sas()
    for sa in (sa_2611, sa_3640):
        assert sa.state == "ESTABLISHED"
        assert (sa.encr_alg, sa.integ_alg, sa.dh_group) == ("DES_CBC", "HMAC_MD5_96", "MODP_768")
        assert sa.local_port == sa.remote_port == 4500  # kernel-libipsec: always NAT-T
        (child,) = sa.children
        assert child.state == "INSTALLED"
        assert child.encap
        assert (child.encr_alg, child.integ_alg) == ("3DES_CBC", "HMAC_MD5_96")
    (c2611,) = sa_2611.children
    (c3640,) = sa_3640.children
    assert (c2611.spi_in, c2611.spi_out) == (c3640.spi_out, c3640.spi_in)
    assert c2611.local_ts == c3640.remote_ts == (VPN2611.lan,)
    assert c2611.packets_in >= 10 and c3640.packets_in >= 10
    # libipsec routes the peer's LAN into its TUN device from table 220
    routes = seed_lab.topology.routes(seed_lab.vpn2611, "220")
    assert any(r["dst"] == VPN3640.lan and r.get("dev") == "ipsec0" for r in routes)

    tap.stop()
    summary = tap.summary(between=LANS)
    assert summary.only(IPSEC_KINDS), str(summary)
    assert summary.isakmp >= 9, str(summary)  # 6 main mode + 3 quick mode
    assert summary.esp_udp >= 20, str(summary)  # 10 echo requests + 10 replies
    assert summary.esp == 0
    assert summary.clear_icmp == 0
    assert summary.clear_between == 0
    assert summary.esp_spis == {c2611.spi_in, c2611.spi_out}

    # tearing the tunnel down removes the SAs on both sides and the path with them
    r3640.terminate(ike="l2l")
    r3640.wait_for("none", ike="l2l")
    r2611.wait_for("none", ike="l2l")
    assert not seed_lab.ping("host1", VPN3640.host_addr, deadline=2)


def test_mismatched_proposals_fail_to_negotiate(
    seed_lab: SeedLab, strongswan: CharonFactory
) -> None:
    r2611 = strongswan(seed_lab.vpn2611, "vpn2611")
    r3640 = strongswan(seed_lab.vpn3640, "vpn3640")
    r2611.load([seed_l2l(VPN2611, VPN3640)])
    r3640.load([seed_l2l(VPN3640, VPN2611, esp_proposals=("aes256-sha256",))])
    try:
        r3640.initiate("l2l", timeout=15)
    except Exception as exc:  # StrongSwanError, with swanctl's output and charon's log
        assert "NO_PROPOSAL_CHOSEN" in str(exc) or "no acceptable proposal" in str(exc)
    else:
        raise AssertionError("quick mode with disjoint ESP proposals must not succeed")
    assert not any(sa.children for sa in r3640.list_sas())


def test_xauth_client_behind_nat_gets_a_pool_address(
    seed_lab: SeedLab, strongswan: CharonFactory, capture: CaptureFactory
) -> None:
    server = strongswan(seed_lab.vpn2611, "vpn2611")
    server.load([seed_xauth_server(VPN2611)])
    client = strongswan(seed_lab["natpc"], "natpc")
    client.load([seed_xauth_client(VPN2611)])
    tap = capture(seed_lab, CLIENTS, name="clients")

    log = client.initiate("ra", timeout=30)
    assert "installing new virtual IP 14.1.1.100" in log
    assert seed_lab.ping("natpc", VPN2611.host_addr, count=3)
    assert seed_lab.ping("host1", "14.1.1.100", count=3)

    (sa,) = server.list_sas()
    assert sa.state == "ESTABLISHED"
    assert sa.remote_host == NAT_OUTSIDE  # the client's traffic came through the NAT
    assert sa.raw.get("remote-xauth-id") == "cisco"
    assert sa.raw.get("remote-vips") == ["14.1.1.100"]
    tap.stop()
    summary = tap.summary(between=("14.1.1.0/24", VPN2611.lan))
    assert summary.only(IPSEC_KINDS), str(summary)
    assert summary.esp_udp >= 12, str(summary)
    assert summary.clear_between == 0
