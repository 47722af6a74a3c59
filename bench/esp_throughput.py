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
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from vpnrouter.esp.codec import decapsulate, encapsulate
from vpnrouter.esp.ipv4 import build_header
from vpnrouter.esp.sa import Direction, EspSa, keymat_lengths
from vpnrouter.esp.spd import Selector

SUITES = {"3des-md5": (3, None, 1), "aes128-sha1": (12, 128, 2), "aes256-sha256": (12, 256, 5)}
R1, R2, H1, H2 = "172.18.124.159", "172.18.124.199", "10.10.10.10", "10.10.20.10"
LAN1, LAN2 = "10.10.10.0/24", "10.10.20.0/24"
# iperf3 sets DF on UDP: 1300 bytes fit every path here, ESP-in-UDP with AES included
UDP_PAYLOAD = 1300


def sh(argv: Sequence[str], timeout: float = 60.0, check: bool = True) -> str:
    proc = subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if check and proc.returncode:
        raise RuntimeError(f"{' '.join(argv)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


class Lab:
    """h1 -- r1 -- r2 -- h2 in namespaces; close() stops our processes and deletes them."""

    count = 0

    def __init__(self, workdir: Path) -> None:
        Lab.count += 1
        self.prefix = f"b{os.getpid()}-{Lab.count}-"
        self.workdir = workdir
        self.names: list[str] = []
        self.procs: list[subprocess.Popen[bytes]] = []

    def ns(self, role: str) -> str:
        return self.prefix + role

    def run(self, role: str, argv: Sequence[str], timeout: float = 60.0, check: bool = True) -> str:
        return sh(["ip", "netns", "exec", self.ns(role), *argv], timeout, check)

    def spawn(self, role: str, argv: Sequence[str], log: str) -> subprocess.Popen[bytes]:
        out = (self.workdir / log).open("wb")
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(role), *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        return proc

    def wait_text(self, log: str, text: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in (self.workdir / log).read_text(errors="replace"):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{text!r} not in {log}: {(self.workdir / log).read_text()[-2000:]}")

    def build(self) -> None:
        for role in ("h1", "r1", "r2", "h2"):
            sh(["ip", "netns", "add", self.ns(role)])
            self.names.append(self.ns(role))
            self.run(role, ["ip", "link", "set", "lo", "up"])
            self.run(role, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        links = [
            ("h1", "eth0", "r1", "lan0"),
            ("r1", "out0", "r2", "out0"),
            ("r2", "lan0", "h2", "eth0"),
        ]
        for a, a_if, b, b_if in links:
            sh(
                [
                    "ip",
                    "link",
                    "add",
                    a_if,
                    "netns",
                    self.ns(a),
                    "type",
                    "veth",
                    "peer",
                    "name",
                    b_if,
                    "netns",
                    self.ns(b),
                ]
            )
            self.run(a, ["ip", "link", "set", a_if, "up"])
            self.run(b, ["ip", "link", "set", b_if, "up"])
        for role, ifname, cidr in [
            ("h1", "eth0", f"{H1}/24"),
            ("r1", "lan0", "10.10.10.1/24"),
            ("r1", "out0", f"{R1}/24"),
            ("r2", "out0", f"{R2}/24"),
            ("r2", "lan0", "10.10.20.1/24"),
            ("h2", "eth0", f"{H2}/24"),
        ]:
            self.run(role, ["ip", "addr", "add", cidr, "dev", ifname])
        self.run("h1", ["ip", "route", "add", "default", "via", "10.10.10.1"])
        self.run("h2", ["ip", "route", "add", "default", "via", "10.10.20.1"])
        for role in ("r1", "r2"):
            self.run(role, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def close(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)
        for name in reversed(self.names):
            for pid in sh(["ip", "netns", "pids", name], check=False).split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            sh(["ip", "netns", "del", name], check=False)


@contextlib.contextmanager
def lab(workdir: Path) -> Iterator[Lab]:
    the_lab = Lab(workdir)
    try:
        the_lab.build()
        yield the_lab
    finally:
        the_lab.close()


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
        "local": IPv4Address(R1),
        "remote": IPv4Address(R2),
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
    the_lab.wait_text("iperf-server.log", "listening", 10)
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
    raw = the_lab.run("h1", argv, timeout=seconds + 30, check=False)
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
    transform, bits, auth = SUITES[suite]
    enc_len, auth_len = keymat_lengths(transform, bits, auth)
    rnd = random.Random(1)
    k12 = (rnd.randbytes(enc_len).hex(), rnd.randbytes(auth_len).hex())
    k21 = (rnd.randbytes(enc_len).hex(), rnd.randbytes(auth_len).hex())

    def sa(spi: int, remote: str, src: str, dst: str, keys: tuple[str, str]) -> dict[str, Any]:
        return {
            "spi": spi, "transform": transform, "key_bits": bits, "auth": auth,
            "enc_key": keys[0], "auth_key": keys[1], "remote": remote,
            "selector": {"src": src, "dst": dst}, "encap": [4500, 4500] if encap else None,
        }  # fmt: skip

    def config(
        local: str,
        remote: str,
        mine: str,
        theirs: str,
        o: int,
        i: int,
        ko: tuple[str, str],
        ki: tuple[str, str],
    ) -> dict[str, Any]:
        return {
            "local": local, "ike_ports": [4500], "routes": [theirs],
            "policies": [{"src": mine, "dst": theirs, "action": "protect"}],
            "sas": [{"outbound": sa(o, remote, mine, theirs, ko),
                     "inbound": sa(i, remote, theirs, mine, ki)}],
        }  # fmt: skip

    configs = {
        "r1": config(R1, R2, LAN1, LAN2, 0x1001, 0x2002, k12, k21),
        "r2": config(R2, R1, LAN2, LAN1, 0x2002, 0x1001, k21, k12),
    }
    with lab(workdir) as the_lab:
        for role, cfg in configs.items():
            path = workdir / f"{role}.json"
            path.write_text(json.dumps(cfg))
            the_lab.spawn(
                role, [sys.executable, "-m", "vpnrouter.netio.manual", str(path)], f"{role}.log"
            )
            the_lab.wait_text(f"{role}.log", "READY")
        the_lab.run("h1", ["ping", "-c", "1", "-W", "2", H2])
        tcp = iperf(the_lab, seconds, udp=False)
        udp = iperf(the_lab, seconds, udp=True)
    return {"tcp_mbps": tcp["mbps"], "udp_pps": udp["pps"], "udp_mbps": udp["mbps"]}


# kernel-libipsec must come before kernel-netlink (the first kernel-ipsec interface wins)
PLUGINS = (
    "random nonce openssl gmp aes sha1 sha2 md5 hmac pem pkcs1 x509 pubkey"
    " kernel-libipsec kernel-netlink socket-default vici updown"
)
STRONGSWAN_CONF = """charon {{
    load_modular = no
    load = {plugins}
    plugins {{
        vici {{
            socket = unix://{run}/charon.vici
        }}
        kernel-libipsec {{
            load = yes
        }}
    }}
    filelog {{
        bench {{
            path = {dir}/charon.log
            default = 1
        }}
    }}
    syslog {{
        daemon {{
            default = -1
        }}
    }}
}}
"""

SWANCTL_CONF = """connections {{
    bench {{
        version = 1
        local_addrs = {local}
        remote_addrs = {remote}
        proposals = 3des-sha1-modp1024
        local {{
            auth = psk
            id = {local}
        }}
        remote {{
            auth = psk
            id = {remote}
        }}
        children {{
            bench {{
                local_ts = {lts}
                remote_ts = {rts}
                esp_proposals = {esp}
                mode = tunnel
            }}
        }}
    }}
}}
secrets {{
    ike-bench {{
        id-1 = {local}
        id-2 = {remote}
        secret = cisco123
    }}
}}
"""


def strongswan(workdir: Path, suite: str, seconds: int) -> dict[str, float]:
    with lab(workdir) as the_lab:
        sockets = {}
        for role, local, remote, lts, rts in [
            ("r1", R1, R2, LAN1, LAN2),
            ("r2", R2, R1, LAN2, LAN1),
        ]:
            directory = workdir / f"ss-{role}"
            run = directory / "run"
            run.mkdir(parents=True, exist_ok=True)
            (directory / "strongswan.conf").write_text(
                STRONGSWAN_CONF.format(run=run, dir=directory, plugins=PLUGINS)
            )
            (directory / "swanctl.conf").write_text(
                SWANCTL_CONF.format(local=local, remote=remote, lts=lts, rts=rts, esp=suite)
            )
            the_lab.spawn(
                role,
                ["env", f"STRONGSWAN_CONF={directory}/strongswan.conf", "sh", "-c",
                 f"mount --bind {run} /run && exec /usr/lib/ipsec/charon"],
                f"charon-{role}.log",
            )  # fmt: skip
            sockets[role] = run / "charon.vici"
            deadline = time.monotonic() + 10
            while not sockets[role].exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            uri = f"unix://{sockets[role]}"
            sh(["swanctl", "--load-all", "--file", str(directory / "swanctl.conf"), "--uri", uri])
        uri = f"unix://{sockets['r1']}"
        sh(["swanctl", "--initiate", "--child", "bench", "--uri", uri], timeout=30)
        the_lab.run("h1", ["ping", "-c", "1", "-W", "2", H2])
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
