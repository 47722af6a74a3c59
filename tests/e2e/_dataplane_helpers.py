"""Namespaces, processes and captures for the data-plane tests (kept local to them).

Topology (every namespace name carries the per-run prefix ``t{pid}-{n}-``)::

    h1 (10.10.10.10) -- r1 (lan0 10.10.10.1 | out0 172.18.124.159)
                           |  veth
    h2 (10.10.20.10) -- r2 (lan0 10.10.20.1 | out0 172.18.124.199)

r1 and r2 have no route to each other's LAN except through their TUN devices. Everything is
removed in :meth:`Lab.close`: processes by PID, then the namespaces.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

R1_OUT = "172.18.124.159"
R2_OUT = "172.18.124.199"
LAN1 = "10.10.10.0/24"
LAN2 = "10.10.20.0/24"
H1 = "10.10.10.10"
H2 = "10.10.20.10"

_counter = itertools.count(1)


def sh(
    argv: Sequence[str], timeout: float = 30.0, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {proc.returncode}: {proc.stderr.strip()}")
    return proc


@dataclass
class Lab:
    workdir: Path
    prefix: str = field(default_factory=lambda: f"t{os.getpid()}-{next(_counter)}-")
    namespaces: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def ns(self, role: str) -> str:
        return f"{self.prefix}{role}"

    # -- building ----------------------------------------------------------------------------
    def add_ns(self, role: str) -> str:
        name = self.ns(role)
        sh(["ip", "netns", "add", name])
        self.namespaces.append(name)
        self.exec(role, ["ip", "link", "set", "lo", "up"])
        self.exec(role, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        self.exec(role, ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
        return name

    def veth(self, a: str, a_if: str, b: str, b_if: str) -> None:
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
        self.exec(a, ["ip", "link", "set", a_if, "up"])
        self.exec(b, ["ip", "link", "set", b_if, "up"])

    def addr(self, role: str, ifname: str, cidr: str) -> None:
        self.exec(role, ["ip", "addr", "add", cidr, "dev", ifname])

    def build_l2l(self) -> None:
        for role in ("h1", "r1", "r2", "h2"):
            self.add_ns(role)
        self.veth("h1", "eth0", "r1", "lan0")
        self.veth("r1", "out0", "r2", "out0")
        self.veth("r2", "lan0", "h2", "eth0")
        self.addr("h1", "eth0", f"{H1}/24")
        self.addr("r1", "lan0", "10.10.10.1/24")
        self.addr("r1", "out0", f"{R1_OUT}/24")
        self.addr("r2", "out0", f"{R2_OUT}/24")
        self.addr("r2", "lan0", "10.10.20.1/24")
        self.addr("h2", "eth0", f"{H2}/24")
        self.exec("h1", ["ip", "route", "add", "default", "via", "10.10.10.1"])
        self.exec("h2", ["ip", "route", "add", "default", "via", "10.10.20.1"])
        for role in ("r1", "r2"):
            self.exec(role, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])

    # -- running -------------------------------------------------------------------------------
    def exec(
        self, role: str, argv: Sequence[str], timeout: float = 30.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return sh(["ip", "netns", "exec", self.ns(role), *argv], timeout=timeout, check=check)

    def spawn(self, role: str, argv: Sequence[str], log: str) -> subprocess.Popen[str]:
        out = (self.workdir / log).open("w")
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(role), *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.processes.append(proc)
        return proc

    def wait_for(
        self, log: str, text: str, proc: subprocess.Popen[str], timeout: float = 15.0
    ) -> None:
        path = self.workdir / log
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in path.read_text(errors="replace"):
                return
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{text!r} not seen in {log}:\n{path.read_text(errors='replace')}")

    def start_dataplane(self, role: str, config: dict[str, Any]) -> subprocess.Popen[str]:
        cfg = self.workdir / f"{role}.json"
        cfg.write_text(json.dumps(config))
        argv = [
            sys.executable,
            "-m",
            "vpnrouter.netio.manual",
            str(cfg),
            "--stats",
            str(self.workdir / f"{role}.stats.json"),
        ]
        proc = self.spawn(role, argv, f"{role}.log")
        self.wait_for(f"{role}.log", "READY", proc)
        return proc

    def stop(
        self, proc: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = 5.0
    ) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)

    def stats(self, role: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.workdir / f"{role}.stats.json").read_text())
        return data

    def close(self) -> None:
        for proc in reversed(self.processes):
            self.stop(proc)
        for name in reversed(self.namespaces):
            pids = sh(["ip", "netns", "pids", name], check=False).stdout.split()
            for pid in pids:  # anything still inside one of *our* namespaces
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            sh(["ip", "netns", "del", name], check=False)
        self.namespaces.clear()


SERVER = """
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001)); s.listen(1); s.settimeout(60)
print("LISTENING", flush=True)
c, _ = s.accept(); c.settimeout(30)
h = hashlib.sha256(); n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d); n += len(d)
print("RECEIVED", n, h.hexdigest(), flush=True)
"""

CLIENT = """
import random, socket, sys
data = random.Random(int(sys.argv[2])).randbytes(int(sys.argv[3]))
c = socket.create_connection((sys.argv[1], 5001), timeout=30)
c.sendall(data); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
print("SENT", len(data), flush=True)
"""


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
    server = lab.spawn("h2", [sys.executable, "-c", SERVER], "tcp-server.log")
    lab.wait_for("tcp-server.log", "LISTENING", server)
    lab.exec("h1", [sys.executable, "-c", CLIENT, H2, str(seed), str(size)], timeout=90)
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


def sa_json(
    spi: int,
    remote: str,
    src: str,
    dst: str,
    transform: int,
    key_bits: int | None,
    auth: int | None,
    enc_key: bytes,
    auth_key: bytes,
    encap: tuple[int, int] | None = None,
) -> dict[str, Any]:
    return {
        "spi": spi,
        "transform": transform,
        "key_bits": key_bits,
        "enc_key": enc_key.hex(),
        "auth": auth,
        "auth_key": auth_key.hex(),
        "remote": remote,
        "selector": {"src": src, "dst": dst},
        "encap": list(encap) if encap else None,
        "tag": "mymap 10",
    }


def l2l_configs(
    transform: int,
    key_bits: int | None,
    auth: int | None,
    *,
    encap: bool = False,
    seed: int = 7,
    sa: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mirror-image manual-keyed configurations for r1 and r2 (r1->r2 SPI 0x1001, back 0x2002)."""
    import random

    from vpnrouter.esp.sa import keymat_lengths

    rnd = random.Random(seed)
    enc_len, auth_len = keymat_lengths(transform, key_bits, auth)
    k12 = (rnd.randbytes(enc_len), rnd.randbytes(auth_len))
    k21 = (rnd.randbytes(enc_len), rnd.randbytes(auth_len))
    ports = (4500, 4500) if encap else None

    def side(
        local: str,
        remote: str,
        mine: str,
        theirs: str,
        out_spi: int,
        in_spi: int,
        kout: tuple[bytes, bytes],
        kin: tuple[bytes, bytes],
    ) -> dict[str, Any]:
        return {
            "local": local,
            "tun": {"name": "vpn0", "mtu": 1500},
            "ike_ports": [4500],
            "routes": [theirs],
            "policies": [{"src": mine, "dst": theirs, "action": "protect", "tag": "mymap 10"}],
            "sas": [
                {
                    "outbound": sa_json(
                        out_spi, remote, mine, theirs, transform, key_bits, auth, *kout, encap=ports
                    ),
                    "inbound": sa_json(
                        in_spi, remote, theirs, mine, transform, key_bits, auth, *kin, encap=ports
                    ),
                }
            ]
            if sa
            else [],
        }

    r1 = side(R1_OUT, R2_OUT, LAN1, LAN2, 0x1001, 0x2002, k12, k21)
    r2 = side(R2_OUT, R1_OUT, LAN2, LAN1, 0x2002, 0x1001, k21, k12)
    return r1, r2
