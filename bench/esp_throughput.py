"""ESP throughput: vpnrouter's userspace data plane against strongSwan's, in the same run.

    sudo .venv/bin/python bench/esp_throughput.py [--seconds 5] [--suites 3des-md5,aes128-sha1]
                                                  [--no-strongswan]

Three measurements per suite (3DES/MD5 and AES-128/SHA1 by default):
  1. codec only: encapsulate + decapsulate of 1400-byte packets in this process (packets/s);
  2. through the tunnel h1 -> r1 ==ESP== r2 -> h2 in network namespaces (prefix ``b{pid}-``),
     with ``python -m vpnrouter.netio.manual`` on r1 and r2, over raw ESP and over NAT-T
     (ESP in UDP 4500): iperf3 TCP (Mbit/s) and iperf3 UDP 1300-byte datagrams at full rate
     (packets/s delivered);
  3. the same with two strongSwan 5.9.8 charons (IKEv1 main mode PSK, kernel-libipsec, which
     always UDP-encapsulates) and the same ESP suite.
The ratio printed is ours / strongSwan's, NAT-T against NAT-T (like for like) and raw ESP
against strongSwan's NAT-T. Every iperf3 run is bounded (-t N under a timeout); everything is
created in namespaces this script removes, processes are stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from vpnrouter.esp.codec import decapsulate, encapsulate
from vpnrouter.esp.ipv4 import build_header
from vpnrouter.esp.sa import Direction, EspSa, keymat_lengths
from vpnrouter.esp.spd import Selector
from vpnrouter.lab.dataplane import (
    H1,
    H2,
    LAN1,
    LAN2,
    R1_OUT,
    R2_OUT,
    SUITES,
    Lab,
    l2l_configs,
    l2l_lab,
    sh,
    start_libipsec_charon,
)

# iperf3 sets DF on UDP: 1300 bytes fit every path here, ESP-in-UDP with AES included
UDP_PAYLOAD = 1300


# -- 1. codec only ----------------------------------------------------------------------------
def codec_pps(suite: str, seconds: float) -> float:
    transform, bits, auth = SUITES[suite]
    enc_len, auth_len = keymat_lengths(transform, bits, auth)
    keys = {"enc_key": os.urandom(enc_len), "auth_key": os.urandom(auth_len)}
    common: dict[str, Any] = {
        "spi": 0x1001,
        "transform_id": transform,
        "key_len_bits": bits,
        "auth_alg": auth,
        "local": IPv4Address(R1_OUT),
        "remote": IPv4Address(R2_OUT),
        "selector": Selector.of(LAN1, LAN2),
        **keys,
    }
    out = EspSa(direction=Direction.OUTBOUND, **common)
    inb = EspSa(direction=Direction.INBOUND, **common)
    inner = build_header(
        src=IPv4Address(H1).packed, dst=IPv4Address(H2).packed, protocol=17, payload_len=1380
    ) + bytes(1380)
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while n < 10_000_000 and time.perf_counter() < deadline:
        for _ in range(100):
            esp = encapsulate(out, inner, os.urandom)
            assert isinstance(esp, bytes)
            assert isinstance(decapsulate(inb, esp), bytes)
        n += 100
    return n / (time.perf_counter() - start)


# -- 2./3. through a tunnel ---------------------------------------------------------------------
def iperf(the_lab: Lab, seconds: int, udp: bool) -> dict[str, float]:
    server = the_lab.spawn(
        "h2",
        ["timeout", str(seconds + 25), "iperf3", "-s", "-1", "-p", "5201", "--forceflush"],
        "iperf-server.log",
    )
    the_lab.wait_for("iperf-server.log", "listening", server, 10)
    argv = [
        "timeout",
        str(seconds + 20),
        "iperf3",
        "-c",
        H2,
        "-p",
        "5201",
        "-t",
        str(seconds),
        "-J",
    ]
    if udp:
        argv += ["-u", "-b", "0", "-l", str(UDP_PAYLOAD)]
    raw = the_lab.exec("h1", argv, timeout=seconds + 30, check=False).stdout
    the_lab.stop(server)
    try:
        end = json.loads(raw)["end"]
        if udp:
            summary = end["sum"]
            delivered = summary["packets"] - summary["lost_packets"]
            seconds_run = summary["seconds"]
            return {
                "mbps": delivered * UDP_PAYLOAD * 8 / seconds_run / 1e6,
                "pps": delivered / seconds_run,
            }
        return {"mbps": end["sum_received"]["bits_per_second"] / 1e6, "pps": 0.0}
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        print(f"  iperf3 {'UDP' if udp else 'TCP'} run failed: {raw[-300:]!r}", file=sys.stderr)
        return {"mbps": 0.0, "pps": 0.0}


def ours(workdir: Path, suite: str, encap: bool, seconds: int) -> dict[str, float]:
    configs = dict(zip(("r1", "r2"), l2l_configs(*SUITES[suite], encap=encap, seed=1), strict=True))
    with l2l_lab(workdir, "b") as the_lab:
        for role, cfg in configs.items():
            the_lab.start_dataplane(role, cfg)
        the_lab.exec("h1", ["ping", "-c", "1", "-W", "2", H2])
        tcp = iperf(the_lab, seconds, udp=False)
        udp = iperf(the_lab, seconds, udp=True)
    return {"tcp_mbps": tcp["mbps"], "udp_pps": udp["pps"], "udp_mbps": udp["mbps"]}


def strongswan(workdir: Path, suite: str, seconds: int) -> dict[str, float]:
    with l2l_lab(workdir, "b") as the_lab:
        uris = {}
        for role, local, remote, lts, rts in [
            ("r1", R1_OUT, R2_OUT, LAN1, LAN2),
            ("r2", R2_OUT, R1_OUT, LAN2, LAN1),
        ]:
            _, uris[role], _ = start_libipsec_charon(
                the_lab, role, local, remote, lts, rts, suite,
                name="bench", version=1, proposals="3des-sha1-modp1024",
            )  # fmt: skip
        sh(["swanctl", "--initiate", "--child", "bench", "--uri", uris["r1"]], timeout=30)
        the_lab.exec("h1", ["ping", "-c", "1", "-W", "2", H2])
        tcp = iperf(the_lab, seconds, udp=False)
        udp = iperf(the_lab, seconds, udp=True)
    return {"tcp_mbps": tcp["mbps"], "udp_pps": udp["pps"], "udp_mbps": udp["mbps"]}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--suites", default="3des-md5,aes128-sha1")
    parser.add_argument("--no-strongswan", action="store_true")
    args = parser.parse_args(argv)
    seconds = max(1, min(args.seconds, 60))
    if os.geteuid() != 0 or shutil.which("iperf3") is None:
        print("needs root and iperf3", file=sys.stderr)
        return 2
    with_strongswan = not args.no_strongswan and Path("/usr/lib/ipsec/charon").exists()
    print(f"{'suite':14} {'path':26} {'TCP Mbit/s':>11} {'UDP pkt/s':>10} {'UDP Mbit/s':>11}")
    for suite in args.suites.split(","):
        print(
            f"{suite:14} {'codec only (1400 B, enc+dec)':26} {'':>11} {codec_pps(suite, 2.0):10.0f}"
        )
        with tempfile.TemporaryDirectory(prefix="esp-bench-") as tmp:
            rows: dict[str, dict[str, float]] = {}
            rows["vpnrouter raw ESP"] = ours(Path(tmp), suite, False, seconds)
            rows["vpnrouter NAT-T"] = ours(Path(tmp), suite, True, seconds)
            if with_strongswan:
                rows["strongSwan libipsec NAT-T"] = strongswan(Path(tmp), suite, seconds)
        for name, row in rows.items():
            tcp, pps, udp = row["tcp_mbps"], row["udp_pps"], row["udp_mbps"]
            print(f"{suite:14} {name:26} {tcp:11.1f} {pps:10.0f} {udp:11.1f}")
        base = rows.get("strongSwan libipsec NAT-T")
        if base is None:
            print(f"{suite:14} (no strongSwan run: no ratio)")
            continue
        for name in ("vpnrouter NAT-T", "vpnrouter raw ESP"):
            row = rows[name]
            tcp_ratio = ratio(row["tcp_mbps"], base["tcp_mbps"])
            pps_ratio = ratio(row["udp_pps"], base["udp_pps"])
            print(f"{suite:14} ratio {name} / strongSwan: TCP {tcp_ratio}, UDP pkt/s {pps_ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
