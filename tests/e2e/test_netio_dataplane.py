"""The userspace data plane between two routers in network namespaces (root only).

h1 -- r1 ==ESP== r2 -- h2, each router running ``python -m vpnrouter.netio.manual`` with a
manually keyed SA pair. Checked: pings both ways (also 1400 bytes), a few MB of TCP intact,
that the outside link carries only ESP (or UDP 4500 with NAT-T) and never the clear traffic,
that Wireshark's own ESP implementation decrypts and authenticates every packet we sent, and
the counters ``show crypto ipsec sa`` will print.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _dataplane_helpers import Capture, ping, tcp_transfer, wireshark_esp_options

from vpnrouter.lab.dataplane import H1, H2, Lab, l2l_configs, l2l_lab

pytestmark = [
    pytest.mark.netns,
]

TRANSFER_BYTES = 4 * 1024 * 1024


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with l2l_lab(tmp_path) as lab:
        yield lab


def sa_stats(stats: dict[str, Any], direction: str) -> dict[str, Any]:
    return next(sa for sa in stats["sas"] if sa["direction"] == direction)


@pytest.mark.parametrize(
    ("transform", "bits", "auth"), [(3, None, 1), (12, 128, 2)], ids=["3des-md5", "aes128-sha1"]
)
def test_l2l_over_raw_esp(lab: Lab, transform: int, bits: int | None, auth: int) -> None:
    c1, c2 = l2l_configs(transform, bits, auth)
    assert ping(lab, "h1", H2, count=1) == 0  # no tunnel, no route: nothing gets through
    r1 = lab.start_dataplane("r1", c1)
    r2 = lab.start_dataplane("r2", c2)
    capture = Capture(lab, "r1", "out0", "outside")
    assert ping(lab, "h1", H2) == 3
    assert ping(lab, "h2", H1) == 3
    assert ping(lab, "h1", H2, size=1400) == 3
    assert ping(lab, "h2", H1, size=1400) == 3
    tcp_transfer(lab, TRANSFER_BYTES)
    capture.stop()
    lab.stop(r1)
    lab.stop(r2)

    frames = capture.fields("frame.number", "ip.proto", "ip.src", "ip.dst", display_filter="ip")
    assert len(frames) > 1000
    assert {f[1] for f in frames} == {"50"}, "only ESP may cross the outside link"
    assert not capture.fields(
        "frame.number", display_filter="icmp or tcp or udp or ip.addr == 10.10.0.0/16"
    )

    # Wireshark decrypts every one of them with the SA keys and finds the ICV good
    checked = capture.fields(
        "esp.icv_good",
        "esp.protocol",
        "ip.dst",
        display_filter="esp",
        extra=wireshark_esp_options(c1),
    )
    assert len(checked) == len(frames)
    assert all(row[0] == "1" and row[1] == "0x04" for row in checked)
    assert sum("10.10.20.10" in row[2] for row in checked) > 100

    s1, s2 = lab.stats("r1"), lab.stats("r2")
    out1, in1 = sa_stats(s1, "outbound"), sa_stats(s1, "inbound")
    out2, in2 = sa_stats(s2, "outbound"), sa_stats(s2, "inbound")
    assert out1["encaps"] == out1["encrypt"] == out1["digest"] == in2["decaps"] == in2["verify"] > 0
    assert out2["encaps"] == in1["decaps"] == in1["decrypt"] > 0
    assert in1["recv_errors"] == in2["recv_errors"] == 0
    assert s1["driver"]["acquire_drops"] == {}


def test_l2l_nat_t_udp_encapsulation(lab: Lab) -> None:
    c1, c2 = l2l_configs(12, 128, 2, encap=True)
    c1["nat_keepalive_interval"] = 1
    r1 = lab.start_dataplane("r1", c1)
    r2 = lab.start_dataplane("r2", c2)
    capture = Capture(lab, "r1", "out0", "natt")
    assert ping(lab, "h1", H2) == 3
    # 1428-byte packets with DF do not fit ESP-in-UDP in 1500 bytes: the first one draws
    # ICMP fragmentation-needed (mtu 1422) from r1, then h1 fragments and they get through
    assert ping(lab, "h1", H2, count=4, size=1400) >= 3
    assert ping(lab, "h2", H1, count=4, size=1400) >= 3
    tcp_transfer(lab, size=1024 * 1024)
    capture.stop()
    lab.stop(r1)
    lab.stop(r2)

    frames = capture.fields(
        "ip.proto", "udp.srcport", "udp.dstport", "udp.length", display_filter="ip"
    )
    assert frames and all(f[0] == "17" and f[1] == f[2] == "4500" for f in frames)
    assert any(f[3] == "9" for f in frames), "a NAT keepalive (one 0xFF byte) was sent"
    assert not capture.fields(
        "frame.number", display_filter="icmp or tcp or ip.addr == 10.10.0.0/16"
    )
    checked = capture.fields("esp.icv_good", display_filter="esp", extra=wireshark_esp_options(c1))
    assert checked and all(row[0] == "1" for row in checked)

    s1, s2 = lab.stats("r1"), lab.stats("r2")
    assert s2["driver"]["keepalives_in"] >= 1
    assert s1["driver"]["icmp_sent"] >= 1
    assert sa_stats(s1, "outbound")["drops"].get("FRAG_NEEDED", 0) >= 1
    assert sa_stats(s2, "inbound")["recv_errors"] == 0


def test_acquire_without_sa_drops_and_never_sends_clear(lab: Lab) -> None:
    c1, c2 = l2l_configs(3, None, 1, sa=False)
    lab.start_dataplane("r1", c1)
    lab.start_dataplane("r2", c2)
    capture = Capture(lab, "r1", "out0", "acquire")
    assert ping(lab, "h1", H2, count=3) == 0
    capture.stop()
    for proc in list(lab.processes):
        lab.stop(proc)
    assert not capture.fields("frame.number", display_filter="ip")
    s1 = lab.stats("r1")
    assert s1["driver"]["acquire_drops"] == {"mymap 10": 3}
    assert s1["driver"]["drops"] == {"NO_SA": 3}
    assert s1["events"] == ["Acquire"]  # one per flow per hold-down interval


def test_wrong_integrity_key_is_rejected(lab: Lab) -> None:
    c1, c2 = l2l_configs(3, None, 1)
    c2["sas"][0]["inbound"]["auth_key"] = "00" * 16
    lab.start_dataplane("r1", c1)
    lab.start_dataplane("r2", c2)
    assert ping(lab, "h1", H2, count=3) == 0
    for proc in list(lab.processes):
        lab.stop(proc)
    inbound = sa_stats(lab.stats("r2"), "inbound")
    assert inbound["decaps"] == 0
    assert inbound["recv_errors"] == 3
    assert inbound["drops"] == {"AUTH_FAILED": 3}


LIFECYCLE = """
import asyncio, json, subprocess, sys
from ipaddress import IPv4Address
from vpnrouter.netio.loop import Dataplane, DataplaneConfig

def ip(*args):
    return subprocess.run(["ip", *args], capture_output=True, text=True)

def routes():
    return ip("-4", "route", "show", "dev", "vpn9").stdout

async def main():
    events = []
    config = DataplaneConfig(local=IPv4Address("172.18.124.159"), tun_name="vpn9", tun_mtu=1400)
    plane = Dataplane(config, events.append)
    async with plane:
        link = ip("-j", "link", "show", "vpn9").stdout
        await plane.add_route("10.10.20.0/24")
        await plane.add_route("14.1.1.100/32")
        added = routes()
        await plane.remove_route("14.1.1.100/32")
        await plane.remove_route("14.1.1.100/32")  # idempotent
        left = routes()
    gone = ip("link", "show", "vpn9").returncode
    print(json.dumps({"link": json.loads(link)[0], "added": added, "left": left, "gone": gone}))

asyncio.run(main())
"""


def test_tun_device_routes_and_cleanup(lab: Lab) -> None:
    import json
    import sys

    out = lab.exec("r1", [sys.executable, "-c", LIFECYCLE], timeout=60).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["link"]["mtu"] == 1400 and "UP" in result["link"]["flags"]
    assert "10.10.20.0/24" in result["added"] and "14.1.1.100" in result["added"]
    assert "10.10.20.0/24" in result["left"] and "14.1.1.100" not in result["left"]
    assert result["gone"] != 0  # closing the descriptor removed the device and its routes
