"""Our data plane against strongSwan's (kernel-libipsec), live (root only).

strongSwan has no manual keying, so two charons negotiate a tunnel (IKEv2: charon then logs
the child SA keys at ``chd = 4``; ESP does not depend on the IKE version), r2's charon is killed
(SIGKILL: no DELETE is sent) and our data plane takes over r2 with the same SPIs and keys. From
then on h1 <-> h2 traffic runs between strongSwan's libipsec on r1 and our code on r2, in ESP
in UDP 4500 (libipsec always encapsulates).
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from _dataplane_helpers import Capture, ping, tcp_transfer

from vpnrouter.lab.dataplane import (
    H1,
    H2,
    LAN1,
    LAN2,
    R1_OUT,
    R2_OUT,
    SUITES,
    Lab,
    l2l_lab,
    sa_json,
    sh,
    start_libipsec_charon,
)

pytestmark = [
    pytest.mark.netns,
]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with l2l_lab(tmp_path) as lab:
        yield lab


def logged_key(log: str, name: str) -> bytes:
    """A hex dump charon logs as ``<name> => N bytes @ 0x...`` followed by dump lines."""
    match = re.search(
        re.escape(name) + r" => (\d+) bytes[^\n]*\n((?:\d+\[CHD\]\s+\d+: [^\n]*\n)+)", log
    )
    assert match, f"{name} not in charon log"
    size = int(match.group(1))
    hexdump = "".join(line.split(": ", 1)[1][:48] for line in match.group(2).splitlines())
    return bytes.fromhex(hexdump.replace(" ", ""))[:size]


def packets_in(uri: str) -> int:
    listing = sh(["swanctl", "--list-sas", "--uri", uri]).stdout
    match = re.search(r"\bin\s+[0-9a-f]{8},\s+\d+ bytes,\s+(\d+) packets", listing)
    assert match, listing
    return int(match.group(1))


@pytest.mark.parametrize("esp", ["3des-md5", "aes128-sha1"])
def test_our_dataplane_interoperates_with_strongswan_libipsec(lab: Lab, esp: str) -> None:
    _, uri1, _ = start_libipsec_charon(lab, "r1", R1_OUT, R2_OUT, LAN1, LAN2, esp)
    charon2, _, dir2 = start_libipsec_charon(lab, "r2", R2_OUT, R1_OUT, LAN2, LAN1, esp)
    sh(["swanctl", "--initiate", "--child", "t", "--uri", uri1], timeout=30)
    # no traffic before the takeover: our outbound sequence numbers start at 1 like charon's
    assert packets_in(uri1) == 0

    log = (dir2 / "charon.log").read_text()
    spis = re.search(
        r"CHILD_SA t\{\d+\} established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o", log
    )
    assert spis, log[-2000:]
    spi_in, spi_out = int(spis.group(1), 16), int(spis.group(2), 16)
    keys_i = (
        logged_key(log, "encryption initiator key"),
        logged_key(log, "integrity initiator key"),
    )
    keys_r = (
        logged_key(log, "encryption responder key"),
        logged_key(log, "integrity responder key"),
    )
    os.kill(charon2.pid, signal.SIGKILL)  # r2 (responder) goes silent: no DELETE
    charon2.wait(timeout=10)

    transform, bits, auth = SUITES[esp]
    encap = (4500, 4500)
    config = {
        "local": R2_OUT,
        "ike_ports": [4500],
        "routes": [LAN1],
        "policies": [{"src": LAN2, "dst": LAN1, "action": "protect", "tag": "mymap 10"}],
        "sas": [
            {  # responder -> initiator traffic uses the responder keys, and the reverse
                "outbound": sa_json(
                    spi_out, R1_OUT, LAN2, LAN1, transform, bits, auth, *keys_r, encap=encap
                ),
                "inbound": sa_json(
                    spi_in, R1_OUT, LAN1, LAN2, transform, bits, auth, *keys_i, encap=encap
                ),
            }
        ],
    }
    ours = lab.start_dataplane("r2", config)
    capture = Capture(lab, "r1", "out0", "interop")
    assert ping(lab, "h1", H2) == 3
    assert ping(lab, "h2", H1) == 3
    assert ping(lab, "h1", H2, size=1400, count=4) >= 3
    tcp_transfer(lab, 1024 * 1024)
    capture.stop()
    lab.stop(ours)

    frames = capture.fields("ip.proto", "udp.port", display_filter="ip")
    assert frames and all(f[0] == "17" and "4500" in f[1] for f in frames)
    stats = lab.stats("r2")
    inbound = next(sa for sa in stats["sas"] if sa["direction"] == "inbound")
    outbound = next(sa for sa in stats["sas"] if sa["direction"] == "outbound")
    assert inbound["decaps"] >= 9 and inbound["recv_errors"] == 0
    assert outbound["encaps"] >= 9
    # strongSwan decrypted what we sent: its inbound packet counter kept growing
    assert packets_in(uri1) >= 9
