"""The seed topology routes as the seed document's network does, and no further: LAN hosts
reach the Internet router through their VPN router only where the Internet routes back to
them, the LANs never reach each other in the clear, and the NAT client's traffic leaves with
the NAT's address."""

from __future__ import annotations

from collections.abc import Callable

from vpnrouter.lab.capture import Capture
from vpnrouter.lab.seed import (
    CLIENTS,
    INET_OUTSIDE,
    NAT_OUTSIDE,
    NATPC_ADDR,
    OUTSIDE,
    PC_ADDR,
    VPN2611,
    VPN3640,
    SeedLab,
)

CaptureFactory = Callable[..., Capture]
SeedFactory = Callable[..., SeedLab]


def test_routing_without_lan_routes_on_the_internet(
    seed_factory: SeedFactory, capture: CaptureFactory
) -> None:
    lab = seed_factory()
    # the LAN side and the outside of the own router answer
    assert lab.ping("host1", VPN2611.inside_ip)
    assert lab.ping("host1", VPN2611.outside_ip)
    assert lab.ping("host2", VPN3640.outside_ip)
    # routers reach each other and the Internet router on the outside segment
    assert lab.ping("vpn2611", VPN3640.outside_ip)
    assert lab.ping("vpn3640", INET_OUTSIDE)
    # the client PC reaches the routers' public addresses through the Internet router
    assert lab.ping("pc", VPN2611.outside_ip)
    assert lab.ping("pc", VPN3640.outside_ip)

    tap = capture(lab, OUTSIDE, name="outside")
    # vpn2611 forwards host1's echo request to 172.18.124.1, which cannot route its reply
    assert not lab.ping("host1", INET_OUTSIDE, deadline=2)
    # and there is no clear path between the LANs
    assert not lab.ping("host1", VPN3640.host_addr, deadline=2)
    tap.stop()
    icmp = tap.packets("icmp")
    requests = {(p.src, p.dst) for p in icmp if p.icmp_type == 8}
    replies = [p for p in icmp if p.icmp_type == 0]
    assert (VPN2611.host_addr, INET_OUTSIDE) in requests  # forwarded by vpn2611
    assert not replies


def test_host1_reaches_the_internet_router_through_vpn2611_when_routed(
    seed_factory: SeedFactory, capture: CaptureFactory
) -> None:
    lab = seed_factory(internet_routes_lans=True)
    tap = capture(lab, OUTSIDE, name="outside")
    assert lab.ping("host1", INET_OUTSIDE, count=3)
    assert lab.ping("host2", INET_OUTSIDE, count=3)
    tap.stop()
    icmp = tap.packets("icmp")
    # unchanged source addresses on the outside segment: routed, not NATed, by the router
    assert sum(1 for p in icmp if (p.src, p.dst, p.icmp_type) == ("10.10.10.10", INET_OUTSIDE, 8))
    assert sum(1 for p in icmp if (p.src, p.dst, p.icmp_type) == (INET_OUTSIDE, "10.10.10.10", 0))
    assert sum(1 for p in icmp if (p.src, p.dst, p.icmp_type) == ("10.10.20.10", INET_OUTSIDE, 8))


def test_nat_client_is_masqueraded(seed_factory: SeedFactory) -> None:
    lab = seed_factory()
    tap = lab.capture(CLIENTS, name="clients")
    assert lab.ping("natpc", INET_OUTSIDE, count=3)
    assert lab.ping("natpc", VPN2611.outside_ip, count=2)
    assert lab.ping("pc", INET_OUTSIDE, count=2)
    tap.stop()
    icmp = tap.packets("icmp")
    sources = {p.src for p in icmp if p.icmp_type == 8}
    assert sources == {NAT_OUTSIDE, PC_ADDR}
    assert not [p for p in icmp if NATPC_ADDR in (p.src, p.dst)]
    assert sum(1 for p in icmp if p.src == NAT_OUTSIDE and p.dst == INET_OUTSIDE) >= 3
    assert sum(1 for p in icmp if p.dst == NAT_OUTSIDE and p.icmp_type == 0) >= 5
