"""Two routers and two hosts for the manually keyed data plane (the e2e tests and the bench).

Topology (every namespace name carries the per-run prefix ``{tag}{pid}-{n}-``)::

    h1 (10.10.10.10) -- r1 (lan0 10.10.10.1 | out0 172.18.124.159)
                           |  veth
    h2 (10.10.20.10) -- r2 (lan0 10.10.20.1 | out0 172.18.124.199)

r1 and r2 have no route to each other's LAN except through their TUN devices. Each router runs
``python -m vpnrouter.netio.manual`` (:meth:`Lab.start_dataplane`, configurations from
:func:`l2l_configs`) or a strongSwan charon with the kernel-libipsec data plane
(:func:`start_libipsec_charon`). Everything is removed in :meth:`Lab.close`: processes by PID,
then the namespaces.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vpnrouter.esp.sa import keymat_lengths

R1_OUT = "172.18.124.159"
R2_OUT = "172.18.124.199"
LAN1 = "10.10.10.0/24"
LAN2 = "10.10.20.0/24"
H1 = "10.10.10.10"
H2 = "10.10.20.10"

# esp_proposals -> (ESP transform, key bits, auth algorithm) in RFC 2407 numbers
SUITES = {"3des-md5": (3, None, 1), "aes128-sha1": (12, 128, 2), "aes256-sha256": (12, 256, 5)}

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
    """h1 -- r1 -- r2 -- h2 once :meth:`build_l2l` ran; ``tag`` starts the namespace names."""

    workdir: Path
    tag: str = "t"
    prefix: str = ""
    namespaces: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.prefix:
            self.prefix = f"{self.tag}{os.getpid()}-{next(_counter)}-"

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
        sh(["ip", "link", "add", a_if, "netns", self.ns(a), "type", "veth",
            "peer", "name", b_if, "netns", self.ns(b)])  # fmt: skip
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


@contextlib.contextmanager
def l2l_lab(workdir: Path, tag: str = "t") -> Iterator[Lab]:
    """A built h1 -- r1 -- r2 -- h2 :class:`Lab`, closed on the way out (also after failures)."""
    lab = Lab(workdir, tag)
    try:
        lab.build_l2l()
        yield lab
    finally:
        lab.close()


# -- manually keyed configurations for vpnrouter.netio.manual -----------------------------------
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


# -- strongSwan with its userspace data plane ----------------------------------------------------
# kernel-libipsec must come before kernel-netlink (the first kernel-ipsec interface wins)
PLUGINS = (
    "random nonce openssl gmp kdf aes sha1 sha2 md5 hmac pem pkcs1 x509 pubkey"
    " kernel-libipsec kernel-netlink socket-default vici updown"
)

# chd = 4: charon logs the child SA keys (a test takes them over)
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
        lab {{
            path = {dir}/charon.log
            append = no
            flush_line = yes
            default = 1
            chd = 4
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
    {name} {{
        version = {version}
        local_addrs = {local}
        remote_addrs = {remote}
        proposals = {proposals}
        local {{
            auth = psk
            id = {local}
        }}
        remote {{
            auth = psk
            id = {remote}
        }}
        children {{
            {name} {{
                local_ts = {lts}
                remote_ts = {rts}
                esp_proposals = {esp}
                mode = tunnel
            }}
        }}
    }}
}}
secrets {{
    ike-{name} {{
        id-1 = {local}
        id-2 = {remote}
        secret = cisco123
    }}
}}
"""


def start_libipsec_charon(
    lab: Lab,
    role: str,
    local: str,
    remote: str,
    lts: str,
    rts: str,
    esp: str,
    *,
    name: str = "t",
    version: int = 2,
    proposals: str = "aes128-sha256-modp2048",
) -> tuple[subprocess.Popen[str], str, Path]:
    """A charon in ``role`` with one PSK connection and child ``name`` loaded, not initiated.

    Returns the process, its vici URI (for ``swanctl --uri``) and its directory (charon.log).
    """
    directory = lab.workdir / f"ss-{role}"
    run = directory / "run"
    run.mkdir(parents=True, exist_ok=True)
    (directory / "strongswan.conf").write_text(
        STRONGSWAN_CONF.format(plugins=PLUGINS, run=run, dir=directory)
    )
    (directory / "swanctl.conf").write_text(
        SWANCTL_CONF.format(
            name=name,
            version=version,
            proposals=proposals,
            local=local,
            remote=remote,
            lts=lts,
            rts=rts,
            esp=esp,
        )
    )
    proc = lab.spawn(
        role,
        ["env", f"STRONGSWAN_CONF={directory}/strongswan.conf", "sh", "-c",
         f"mount --bind {run} /run && exec /usr/lib/ipsec/charon"],
        f"charon-{role}.out",
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not (run / "charon.vici").exists():
        if time.monotonic() >= deadline:
            raise RuntimeError("charon did not come up")
        if proc.poll() is not None:
            raise RuntimeError((lab.workdir / f"charon-{role}.out").read_text())
        time.sleep(0.1)
    uri = f"unix://{run}/charon.vici"
    sh(["swanctl", "--load-all", "--file", str(directory / "swanctl.conf"), "--uri", uri])
    return proc, uri, directory
