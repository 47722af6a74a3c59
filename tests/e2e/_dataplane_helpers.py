"""Traffic, captures and Wireshark's ESP check for the data-plane tests.

The namespaces (h1 -- r1 -- r2 -- h2), the manual-keyed configurations and the
strongSwan/libipsec charons are `vpnrouter.lab.dataplane`, which the ESP bench shares.
"""

from __future__ import annotations

import hashlib
import random
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from _l2l_helpers import CLIENT, SERVER, TCP_PORT

from vpnrouter.lab.dataplane import H2, Lab, sh


def ping(lab: Lab, role: str, dst: str, count: int = 3, size: int = 56) -> int:
    """How many of ``count`` echo requests were answered."""
    out = lab.exec(
        role,
        ["ping", "-n", "-c", str(count), "-i", "0.2", "-W", "2", "-s", str(size), dst],
        timeout=30,
        check=False,
    )
    for line in out.stdout.splitlines():
        if "received" in line:
            return int(line.split(",")[1].split()[0])
    return 0


def tcp_transfer(lab: Lab, size: int, seed: int = 1234) -> None:
    """Send ``size`` seeded-random bytes h1 -> h2 over TCP and check they arrive intact."""
    server = lab.spawn("h2", [sys.executable, "-c", SERVER, str(TCP_PORT)], "tcp-server.log")
    lab.wait_for("tcp-server.log", "LISTENING", server)
    client = [sys.executable, "-c", CLIENT, H2, str(TCP_PORT), str(seed), str(size)]
    lab.exec("h1", client, timeout=90)
    server.wait(timeout=60)
    log = (lab.workdir / "tcp-server.log").read_text().splitlines()
    line = next(entry for entry in log if entry.startswith("RECEIVED"))
    _, n, digest = line.split()
    assert int(n) == size
    assert digest == hashlib.sha256(random.Random(seed).randbytes(size)).hexdigest()


class Capture:
    """tshark on one interface of a namespace, bounded in time; read back after stop()."""

    def __init__(self, lab: Lab, role: str, ifname: str, name: str, max_seconds: int = 120) -> None:
        self.lab = lab
        self.pcap = lab.workdir / f"{name}.pcapng"
        self.log = f"{name}.tshark.log"
        self.proc = lab.spawn(
            role,
            ["tshark", "-n", "-i", ifname, "-a", f"duration:{max_seconds}", "-w", str(self.pcap)],
            self.log,
        )
        lab.wait_for(self.log, "Capturing on", self.proc)
        time.sleep(0.3)

    def stop(self) -> None:
        time.sleep(0.5)
        self.lab.stop(self.proc, signal.SIGINT, timeout=10.0)

    def fields(
        self, *names: str, display_filter: str = "", extra: Sequence[str] = ()
    ) -> list[list[str]]:
        argv = ["tshark", "-n", "-r", str(self.pcap), *extra, "-T", "fields"]
        for name in names:
            argv += ["-e", name]
        if display_filter:
            argv += ["-Y", display_filter]
        out = sh(argv, timeout=60).stdout
        return [line.split("\t") for line in out.splitlines() if line.strip()]


WIRESHARK_ENCRYPTION = {
    2: "DES-CBC [RFC2405]",
    3: "TripleDES-CBC [RFC2451]",
    12: "AES-CBC [RFC3602]",
    11: "NULL",
}
WIRESHARK_AUTH = {
    None: "NULL",
    1: "HMAC-MD5-96 [RFC2403]",
    2: "HMAC-SHA-1-96 [RFC2404]",
    5: "HMAC-SHA-256-128 [RFC4868]",
    6: "HMAC-SHA-384-192 [RFC4868]",
    7: "HMAC-SHA-512-256 [RFC4868]",
}


def wireshark_esp_options(config: dict[str, Any]) -> list[str]:
    """tshark options that let Wireshark's own ESP code decrypt and check one router's SAs."""
    options = [
        "-o",
        "esp.enable_encryption_decode:TRUE",
        "-o",
        "esp.enable_authentication_check:TRUE",
    ]
    local = config["local"]
    for pair in config["sas"]:
        for direction in ("outbound", "inbound"):
            sa = pair[direction]
            src, dst = (local, sa["remote"]) if direction == "outbound" else (sa["remote"], local)
            record = ",".join(
                f'"{field}"'
                for field in (
                    "IPv4",
                    src,
                    dst,
                    f"0x{sa['spi']:08x}",
                    WIRESHARK_ENCRYPTION[sa["transform"]],
                    "0x" + sa["enc_key"] if sa["enc_key"] else "",
                    WIRESHARK_AUTH[sa["auth"]],
                    "0x" + sa["auth_key"] if sa["auth_key"] else "",
                )
            )
            options += ["-o", f"uat:esp_sa:{record}"]
    return options
