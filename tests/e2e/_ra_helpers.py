"""Remote-access clients in the lab: vpnc (the Debian package, the open-source Cisco VPN
Client) against our vpn2611, and the checks the remote-access tests share.

Every client runs in its own namespace on the seed lab's client network 198.51.100.0/24
(documentation addresses; the seed document's own client address is never used), behind the
``inet`` namespace that routes to 172.18.124.0/24. `add_client` adds more client namespaces
beside the seed lab's ``pc`` (198.51.100.10) and ``natpc`` (192.168.1.10 behind the nftables
masquerade of ``nat`` 198.51.100.20).

`Vpnc` writes a vpnc configuration and the wrapper used as vpnc's ``Script``
(`vpnrouter.lab.vpnc`, which ``vpnrouter lab --client vpnc`` uses too). vpnc runs as ``ip netns
exec NS sh -c "mount --bind RUNDIR /run && exec vpnc ..."``: vpnc-script keeps its state under
/var/run/vpnc, and the bind mount (private to the mount namespace ``ip netns exec`` creates)
puts it in the test's directory instead of the host's /run. vpnc is stopped by PID: SIGTERM
(it sends its Delete notifications first) or SIGKILL (a client that vanishes: only DPD can
tell).

Every wait is bounded and polls; nothing asserts on durations.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _l2l_helpers import RouterProc, wait_until

from vpnrouter.lab.netns import LabError, LabProcess, Topology
from vpnrouter.lab.seed import (
    CLIENT_GROUP,
    CLIENT_GROUP_KEY,
    CLIENTS,
    HOST_IF,
    INET_CLIENTS,
    VPN2611,
    XAUTH_USER,
    SeedLab,
)
from vpnrouter.lab.vpnc import (
    VPNC,
    VPNC_SCRIPT,
    config_text,
    connect_vars,
    parse_script_log,
    write_wrapper,
)

CONNECT_TIMEOUT = 30.0
POOL_FIRST = "14.1.1.100"

# $1: the client's run directory (over /run), $2: vpnc's standard input, then vpnc's argv
_MOUNT_AND_EXEC = 'mount --bind "$1" /run && input="$2" && shift 2 && exec "$@" < "$input"'


def require_vpnc() -> None:
    """vpnc and vpnc-script are part of the lab: their absence fails the test (no skip)."""
    missing = [
        f"{path} not found (Debian package {package})"
        for path, package in ((VPNC, "vpnc"), (VPNC_SCRIPT, "vpnc-scripts"))
        if not path.exists()
    ]
    if missing:
        pytest.fail(
            "the remote-access tests need vpnc (run `sudo bash scripts/install.sh`):\n"
            + "\n".join(f"  - {m}" for m in missing),
            pytrace=False,
        )


def add_client(lab: SeedLab, role: str, address: str) -> str:
    """One more client namespace on the clients' network (198.51.100.0/24)."""
    topo = lab.topology
    ns = topo.add_namespace(role)
    topo.connect(ns, HOST_IF, CLIENTS, address=f"{address}/24")
    topo.add_route(ns, "default", via=INET_CLIENTS)
    lab.ns[role] = ns
    return ns


@dataclass
class Vpnc:
    """One vpnc in one client namespace of the lab."""

    lab: SeedLab
    role: str  # the client's namespace role (``pc``, ``natpc``, ...)
    name: str = ""
    gateway: str = VPN2611.outside_ip
    group: str = CLIENT_GROUP
    group_key: str = CLIENT_GROUP_KEY
    username: str = XAUTH_USER[0]
    password: str = XAUTH_USER[1]
    nat_mode: str = "natt"  # natt | force-natt | none | cisco-udp
    local_port: int = 0  # 0: a random port (vpnc then always believes it is behind a NAT)
    tun: str = "tun0"
    # What the user types when XAuth asks again (vpnc reads it from standard input when it
    # has no terminal); without answers vpnc runs "Noninteractive" and gives up instead.
    answers: tuple[str, ...] = ()
    debug: int = 1  # vpnc --debug: 3 shows every packet it parses (and its hash checks)
    process: LabProcess | None = None
    dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.name or f"vpnc-{self.role}"
        self.dir = self.lab.topology.workdir / self.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rundir = self.dir / "run"
        self.rundir.mkdir(exist_ok=True)
        self.conf = self.dir / "vpnc.conf"
        self.wrapper = self.dir / "vpnc-script-wrapper"
        self.env_log = self.dir / "script-env.log"
        self.log_path = self.lab.topology.workdir / f"{self.name}.log"

    @property
    def topology(self) -> Topology:
        return self.lab.topology

    @property
    def ns(self) -> str:
        return self.lab[self.role]

    def config_text(self) -> str:
        return config_text(
            gateway=self.gateway,
            group=self.group,
            group_key=self.group_key,
            username=self.username,
            password=self.password,
            wrapper=self.wrapper,
            pidfile=self.dir / "vpnc.pid",
            nat_mode=self.nat_mode,
            local_port=self.local_port,
            tun=self.tun,
            interactive=bool(self.answers),
        )

    def start(self) -> Vpnc:
        """Start vpnc (in the foreground); `wait_connected` or `wait_exit` waits for it."""
        if self.process is not None and self.process.alive():
            raise LabError(f"{self.name} already running")
        self.conf.write_text(self.config_text())
        self.conf.chmod(0o600)
        write_wrapper(self.wrapper, self.env_log)
        stdin = self.dir / "answers"
        stdin.write_text("".join(f"{answer}\n" for answer in self.answers))
        stdin.chmod(0o600)
        argv = ["sh", "-c", _MOUNT_AND_EXEC, "sh", str(self.rundir), str(stdin)]
        # line-buffered, so that the log shows what vpnc did up to now
        argv += ["stdbuf", "-oL", str(VPNC), "--no-detach", "--debug", str(self.debug)]
        argv.append(str(self.conf))
        self.process = self.topology.popen(self.ns, argv, name=self.name, log=self.log_path)
        return self

    def log(self) -> str:
        return self.process.log() if self.process is not None else ""

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process is not None and self.process.alive()

    def blocks(self) -> list[dict[str, str]]:
        return parse_script_log(self.env_log.read_text() if self.env_log.exists() else "")

    def connected(self) -> dict[str, str] | None:
        """What vpnc gave its script for ``connect``, once the script has finished."""
        return connect_vars(self.env_log.read_text() if self.env_log.exists() else "")

    def wait_connected(self, timeout: float = CONNECT_TIMEOUT) -> dict[str, str]:
        """Bounded wait for the tunnel; returns the Mode Config variables vpnc handed over."""

        def check() -> dict[str, str] | None:
            if not self.alive():
                code = self.process.returncode() if self.process else None
                raise LabError(f"{self.name} exited ({code}):\n{self.tail()}")
            return self.connected()

        try:
            env: dict[str, str] = wait_until(f"{self.name} connected", check, timeout)
        except LabError as exc:
            raise LabError(f"{exc}\n{self.tail()}") from None
        return env

    def wait_exit(self, timeout: float = CONNECT_TIMEOUT) -> int:
        """Bounded wait for vpnc to give up on its own; its exit status."""
        if self.process is None:
            raise LabError(f"{self.name} was not started")
        try:
            return self.process.wait(timeout=timeout)
        except LabError as exc:
            raise LabError(f"{exc}\n{self.tail()}") from None

    def disconnect(self) -> int | None:
        """SIGTERM by PID: vpnc sends its Delete notifications and runs the script."""
        if self.process is None:
            return None
        return self.process.stop(timeout=10, sig=signal.SIGTERM)

    def kill(self) -> int | None:
        """SIGKILL by PID: the client vanishes without a word (DPD has to notice)."""
        if self.process is None:
            return None
        return self.process.stop(timeout=5, sig=signal.SIGKILL)


# -- the router's view -----------------------------------------------------------------------


def clients(router: RouterProc) -> list[dict[str, Any]]:
    """The remote-access clients ``vpnrouter status`` lists."""
    rows: list[dict[str, Any]] = router.status().get("clients", [])
    return rows


def leases(router: RouterProc) -> dict[str, str]:
    """Pool address -> owner, as ``show ip local pool`` shows them."""
    found: dict[str, str] = {}
    for pool in router.status().get("pools", []):
        for lease in pool["in_use"]:
            found[lease["address"]] = lease["owner"]
    return found


def wait_leases(router: RouterProc, addresses: set[str], timeout: float = 20.0) -> dict[str, str]:
    """Bounded wait until exactly ``addresses`` are handed out; the leases (address -> owner)."""
    found: list[dict[str, str]] = []

    def check() -> bool:
        found[:] = [leases(router)]
        return set(found[0]) == addresses

    try:
        wait_until(f"{router.name}: pool leases {sorted(addresses)}", check, timeout)
    except LabError as exc:
        raise LabError(f"{exc} (leases: {found[-1] if found else '?'})") from None
    return found[-1]


def count_log(router: RouterProc, pattern: str) -> int:
    return len(re.findall(pattern, router.log()))
