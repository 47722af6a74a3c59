"""Crypto ACL deny lines, ours against ours on the seed topology.

Both routers run the seed configurations with one line added in front of ``access-list
100``'s permit: ``deny ip host 10.10.10.10 host 10.10.20.10`` on vpn2611 and its mirror on
vpn3640. As on IOS, the denied pair (host1 and host2) is routed in the clear while the rest
of the networks (host1's second address 10.10.10.11) goes through the tunnel: tshark on the
outside segment sees ICMP in the clear for the pair and ESP for the rest. A clear packet that
should have arrived protected (10.10.20.10 -> 10.10.10.11, sent in the clear from vpn3640's
outside interface) is dropped by vpn2611, while one for the denied pair is let through.
"""

from __future__ import annotations

import sys
import time

import pytest
from _l2l_helpers import VPN2611_CFG, VPN3640_CFG, start_router, wait_until

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import OUTSIDE, VPN2611, VPN3640, SeedLab

pytestmark = pytest.mark.netns

DENY_2611 = "access-list 100 deny ip host 10.10.10.10 host 10.10.20.10\n"
DENY_3640 = "access-list 100 deny ip host 10.10.20.10 host 10.10.10.10\n"
SECOND = "10.10.10.11"  # host1's second address: protected traffic
MAX_PINGS = 20

# host1: count the echo requests carrying our markers until the last "denied" one (bounded)
RECEIVER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(1)
print("READY", flush=True)
seen, end = [], time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    try:
        data, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    ihl = (data[0] & 15) * 4
    if data[ihl] == 8 and b"MARK-" in data:
        marker = data[data.index(b"MARK-"):].split(b"\\0")[0].decode()
        seen.append(f"{socket.inet_ntoa(data[12:16])}>{socket.inet_ntoa(data[16:20])} {marker}")
        print("SEEN", seen[-1], flush=True)
        if marker == "MARK-denied-3":
            break
print("DONE", flush=True)
"""

# vpn3640: echo requests in the clear out of the outside interface, past the TUN route
INJECTOR = """
import socket, struct, sys
def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF); total += total >> 16
    return ~total & 0xFFFF
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
for n in (1, 2, 3):
    for src, dst, what in (("10.10.20.10", sys.argv[2], "protected"),
                           ("10.10.20.10", "10.10.10.10", "denied")):
        payload = f"MARK-{what}-{n}".encode().ljust(32, b"\\0")
        icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, n) + payload
        icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), n, 0, 64, 1, 0,
                             socket.inet_aton(src), socket.inet_aton(dst))
        s.sendto(header + icmp, (dst, 0))
print("SENT", flush=True)
"""


def ping_from(lab: SeedLab, source: str, dst: str, count: int = 3) -> bool:
    """``ping -I source``: True once ``count`` replies came back in one run (bounded)."""
    for _attempt in range(MAX_PINGS):
        argv = ["ping", "-n", "-q", "-I", source, "-c", str(count), "-i", "0.2", "-w", "5", dst]
        if lab.topology.exec(lab.host1, argv, check=False, timeout=15).returncode == 0:
            return True
        time.sleep(0.2)
    return False


def configs(topology: Topology) -> tuple[object, object]:
    permit = "access-list 100 permit ip"
    paths = []
    for source, deny, name in ((VPN2611_CFG, DENY_2611, "vpn2611"),
                               (VPN3640_CFG, DENY_3640, "vpn3640")):  # fmt: skip
        text = source.read_text()
        assert text.count(permit) == 1
        path = topology.workdir / f"{name}-deny.cfg"
        path.write_text(text.replace(permit, deny + permit))
        paths.append(path)
    return paths[0], paths[1]


def test_denied_pair_goes_in_the_clear_the_rest_through_the_tunnel(
    topology: Topology, seed_factory: object, capture: object
) -> None:
    lab = seed_factory(with_clients=False, internet_routes_lans=True)  # type: ignore[operator]
    topology.add_address(lab.host1, "eth0", f"{SECOND}/24")
    cfg_2611, cfg_3640 = configs(topology)
    r2611 = start_router(topology, lab.vpn2611, cfg_2611, name="vpn2611")  # type: ignore[arg-type]
    r3640 = start_router(topology, lab.vpn3640, cfg_3640, name="vpn3640")  # type: ignore[arg-type]

    tap = capture(lab, OUTSIDE, name="acl-deny")  # type: ignore[operator]
    assert lab.ping("host1", VPN3640.host_addr, count=3, deadline=10)  # the denied pair
    assert r2611.isakmp() == []  # a denied pair is no interesting traffic: no IKE
    assert ping_from(lab, SECOND, VPN3640.host_addr)  # protected: IKE, then ESP
    assert lab.ping("host2", VPN2611.host_addr, count=3, deadline=10)
    tap.stop()

    packets = tap.packets()
    pair = {VPN2611.host_addr, VPN3640.host_addr}
    clear_pair = [p for p in packets if p.kind == "icmp" and {p.src, p.dst} == pair]
    assert len(clear_pair) >= 12, [str(p) for p in packets]  # 2 x 3 echoes, requests + replies
    assert not [p for p in packets if SECOND in (p.src, p.dst)]  # never seen in the clear
    (sa,) = r2611.wait_ipsec()
    esp = [p for p in packets if p.kind == "esp"]
    assert len(esp) >= 6 and {p.esp_spi for p in esp} == {sa["inbound_spi"], sa["outbound_spi"]}
    assert sa["outbound_counters"]["encaps"] >= 3
    s2611, s3640 = r2611.status(), r3640.status()
    assert s2611["dataplane"]["clear_out"] >= 6  # host1's requests and replies, in the clear
    assert s3640["dataplane"]["clear_out"] >= 6
    assert s2611["dataplane"]["drops"].get("POLICY_BYPASS", 0) == 0

    # inbound: clear traffic that should have come protected is dropped, the denied pair's not
    log = topology.workdir / "receiver.log"
    receiver = topology.popen(lab.host1, [sys.executable, "-c", RECEIVER, "20"], log=log,
                              name="icmp-receiver")  # fmt: skip
    try:
        wait_until("receiver ready", lambda: "READY" in log.read_text())
        injector = [sys.executable, "-c", INJECTOR, VPN3640.outside_if, SECOND]
        assert "SENT" in topology.exec(lab.vpn3640, injector, timeout=30).stdout
        wait_until("denied pair's third echo", lambda: "DONE" in log.read_text(), 25)
    finally:
        receiver.stop()
    seen = [
        line.split(" ", 1)[1] for line in log.read_text().splitlines() if line.startswith("SEEN")
    ]
    assert [s for s in seen if "denied" in s] == [
        f"10.10.20.10>10.10.10.10 MARK-denied-{n}" for n in (1, 2, 3)
    ], seen
    assert not [s for s in seen if "protected" in s], seen
    assert r2611.stop() == 0 and r3640.stop() == 0
