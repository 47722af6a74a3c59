"""strongSwan 5.9.8 charon as a real IKEv1 peer in a lab namespace.

Several charons run side by side, one per namespace. Debian's charon hard-codes its PID file
(/var/run/charon.pid), so each one runs as
``ip netns exec NS env STRONGSWAN_CONF=<its conf> sh -c "mount --bind <its rundir> /run &&
exec /usr/lib/ipsec/charon"``: the bind mount lives only in the private mount namespace that
``ip netns exec`` creates. Its vici socket sits in its own directory and ``swanctl`` talks to
it with ``--uri``. Its configuration comes from `vpnrouter.lab.strongswan_conf`.

The data plane is the userspace ``kernel-libipsec`` plugin (the kernel here has no ESP, no
DES/3DES); it must be loaded before ``kernel-netlink``. In 5.9.8 it always sends ESP in UDP
4500 (it fakes NAT detection), creates a TUN device ``ipsec0`` and installs its routes in
table 220.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from vpnrouter.lab.netns import LabError, LabProcess, Topology, run
from vpnrouter.lab.strongswan_conf import (
    CHARON,
    DEFAULT_LOG_LEVELS,
    PLUGIN_DIR,
    Conn,
    L2LConn,
    XauthClientConn,
    XauthServerConn,
    render_strongswan_conf,
    render_swanctl_conf,
    seed_l2l,
    seed_xauth_client,
    seed_xauth_server,
)

__all__ = [
    "CHARON",
    "PLUGIN_DIR",
    "Charon",
    "ChildSa",
    "Conn",
    "IkeSa",
    "L2LConn",
    "StrongSwanError",
    "XauthClientConn",
    "XauthServerConn",
    "parse_list_sas",
    "parse_pretty",
    "seed_l2l",
    "seed_xauth_client",
    "seed_xauth_server",
]

SWANCTL = "swanctl"
START_TIMEOUT = 10.0
# /run of charon's private mount namespace becomes its own directory (PID file, sockets)
_MOUNT_AND_EXEC = 'mount --bind "$1" /run && exec "$2"'


class StrongSwanError(LabError):
    """charon or swanctl failed; the message carries the relevant output."""


# -- list-sas --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildSa:
    name: str
    state: str  # INSTALLED, REKEYING, ...
    spi_in: int
    spi_out: int
    encap: bool
    encr_alg: str
    integ_alg: str
    local_ts: tuple[str, ...]
    remote_ts: tuple[str, ...]
    packets_in: int
    packets_out: int
    raw: Mapping[str, object]


@dataclass(frozen=True)
class IkeSa:
    name: str
    state: str  # CONNECTING, ESTABLISHED, ...
    local_host: str
    remote_host: str
    local_port: int
    remote_port: int
    initiator_spi: str
    responder_spi: str
    encr_alg: str
    integ_alg: str
    dh_group: str
    children: tuple[ChildSa, ...]
    raw: Mapping[str, object]


def parse_pretty(text: str) -> list[tuple[str, dict[str, object]]]:
    """Parse ``swanctl --pretty`` output into (event name, tree) pairs.

    The format is line based: ``name {`` opens a section, ``}`` closes it, ``key = value``
    is a value (the rest of the line), ``key = [`` opens a list closed by ``]``.
    """
    events: list[tuple[str, dict[str, object]]] = []
    stack: list[dict[str, object]] = []
    current_list: list[str] | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        if current_list is not None:
            if line == "]":
                current_list = None
            else:
                current_list.append(line)
            continue
        if line.endswith("{") and "=" not in line:
            section: dict[str, object] = {}
            name = line[:-1].strip()
            if stack:
                stack[-1][name] = section
            else:
                events.append((name, section))
            stack.append(section)
        elif line == "}":
            if stack:
                stack.pop()
        elif "=" in line and stack:
            key, _, value = line.partition("=")
            key, value = key.strip(), value.strip()
            if value == "[":
                current_list = []
                stack[-1][key] = current_list
            else:
                stack[-1][key] = value
    return events


def _str(tree: Mapping[str, object], key: str) -> str:
    value = tree.get(key, "")
    return value if isinstance(value, str) else ""


def _int(tree: Mapping[str, object], key: str, base: int = 10) -> int:
    try:
        return int(_str(tree, key) or "0", base)
    except ValueError:
        return 0


def _list(tree: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = tree.get(key, [])
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def parse_list_sas(text: str) -> list[IkeSa]:
    """IKE SAs (with their CHILD SAs) from ``swanctl --list-sas --pretty``."""
    sas: list[IkeSa] = []
    for event, tree in parse_pretty(text):
        if event != "list-sa event":
            continue
        for name, ike in tree.items():
            if not isinstance(ike, dict):
                continue
            children_tree = ike.get("child-sas", {})
            children = []
            if isinstance(children_tree, dict):
                for child in children_tree.values():
                    if isinstance(child, dict):
                        children.append(_child(child))
            sas.append(
                IkeSa(
                    name=name,
                    state=_str(ike, "state"),
                    local_host=_str(ike, "local-host"),
                    remote_host=_str(ike, "remote-host"),
                    local_port=_int(ike, "local-port"),
                    remote_port=_int(ike, "remote-port"),
                    initiator_spi=_str(ike, "initiator-spi"),
                    responder_spi=_str(ike, "responder-spi"),
                    encr_alg=_str(ike, "encr-alg"),
                    integ_alg=_str(ike, "integ-alg"),
                    dh_group=_str(ike, "dh-group"),
                    children=tuple(children),
                    raw=ike,
                )
            )
    return sas


def _child(child: Mapping[str, object]) -> ChildSa:
    return ChildSa(
        name=_str(child, "name"),
        state=_str(child, "state"),
        spi_in=_int(child, "spi-in", 16),
        spi_out=_int(child, "spi-out", 16),
        encap=_str(child, "encap") == "yes",
        encr_alg=_str(child, "encr-alg"),
        integ_alg=_str(child, "integ-alg"),
        local_ts=_list(child, "local-ts"),
        remote_ts=_list(child, "remote-ts"),
        packets_in=_int(child, "packets-in"),
        packets_out=_int(child, "packets-out"),
        raw=child,
    )


# -- the daemon ------------------------------------------------------------------------------


@dataclass
class Charon:
    """One charon in one namespace of a `Topology`; files under ``WORKDIR/charon-NAME``."""

    topology: Topology
    ns: str
    name: str
    log_levels: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_LOG_LEVELS))
    process: LabProcess | None = None

    def __post_init__(self) -> None:
        self.ns = self.topology.ns(self.ns)
        self.dir = self.topology.workdir / f"charon-{self.name}"
        self.rundir = self.dir / "run"
        self.conf_path = self.dir / "strongswan.conf"
        self.swanctl_conf = self.dir / "swanctl.conf"
        self.log_path = self.dir / "charon.log"
        self.vici_socket = self.rundir / "charon.vici"

    @property
    def uri(self) -> str:
        return f"unix://{self.vici_socket}"

    def start(self, timeout: float = START_TIMEOUT) -> Charon:
        """Start charon and wait (bounded) until its vici socket answers."""
        if self.process is not None and self.process.alive():
            raise StrongSwanError(f"charon {self.name} already running")
        if len(str(self.vici_socket)) > 100:
            raise StrongSwanError(f"vici socket path too long for AF_UNIX: {self.vici_socket}")
        self.rundir.mkdir(parents=True, exist_ok=True)
        for stale in self.rundir.iterdir():
            stale.unlink()
        self.conf_path.write_text(
            render_strongswan_conf(self.vici_socket, self.log_path, log_levels=self.log_levels)
        )
        self.process = self.topology.popen(
            self.ns,
            ["sh", "-c", _MOUNT_AND_EXEC, "sh", str(self.rundir), str(CHARON)],
            name=f"charon-{self.name}",
            log=self.dir / "charon.stdout",
            env={"STRONGSWAN_CONF": str(self.conf_path)},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.process.alive():
                raise StrongSwanError(f"charon {self.name} exited: {self.output_tail()}")
            if self.vici_socket.exists():
                probe = self.swanctl("--stats", check=False, timeout=5)
                if probe.returncode == 0:
                    return self
            time.sleep(0.05)
        raise StrongSwanError(f"charon {self.name} not ready after {timeout:g} s")

    def swanctl(
        self, *args: str, check: bool = True, timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        """Run ``swanctl ARGS --uri <this charon>`` (from the caller's namespace)."""
        proc = run(
            [SWANCTL, *args, "--uri", self.uri],
            check=False,
            timeout=timeout,
            env={"STRONGSWAN_CONF": str(self.conf_path)},
        )
        if check and proc.returncode != 0:
            raise StrongSwanError(
                f"swanctl {' '.join(args)} ({self.name}) failed with status "
                f"{proc.returncode}:\n{_tail(proc.stdout + proc.stderr)}\n"
                f"--- charon log:\n{self.log_tail()}"
            )
        return proc

    def load(self, conns: Sequence[Conn]) -> None:
        """Write swanctl.conf for `conns` and load it (replacing what was loaded)."""
        self.swanctl_conf.write_text(render_swanctl_conf(conns))
        self.swanctl("--load-all", "--clear", "--file", str(self.swanctl_conf))

    def initiate(self, child: str, *, ike: str | None = None, timeout: float = 30.0) -> str:
        """Bring up a CHILD SA (and its IKE SA); return swanctl's log of the exchange."""
        args = ["--initiate", "--child", child, "--timeout", str(max(1, int(timeout)))]
        if ike is not None:
            args += ["--ike", ike]
        return self.swanctl(*args, timeout=timeout + 10).stdout

    def terminate(
        self,
        *,
        ike: str | None = None,
        child: str | None = None,
        force: bool = False,
        timeout: float = 10.0,
    ) -> None:
        """Delete an IKE SA (with its children) or one CHILD SA by name."""
        args = ["--terminate", "--timeout", str(max(1, int(timeout)))]
        if ike is not None:
            args += ["--ike", ike]
        if child is not None:
            args += ["--child", child]
        if force:
            args.append("--force")
        self.swanctl(*args, timeout=timeout + 10)

    def list_sas(self) -> list[IkeSa]:
        return parse_list_sas(self.swanctl("--list-sas", "--pretty").stdout)

    def wait_for(
        self, predicate: str, *, ike: str | None = None, timeout: float = 10.0
    ) -> list[IkeSa]:
        """Poll (bounded) until the IKE SAs named `ike` satisfy `predicate`:
        ``"none"`` (no such SA left) or ``"established"`` (one ESTABLISHED with a child)."""
        deadline = time.monotonic() + timeout
        while True:
            sas = [sa for sa in self.list_sas() if ike is None or sa.name == ike]
            if predicate == "none" and not sas:
                return sas
            if predicate == "established" and any(
                sa.state == "ESTABLISHED" and sa.children for sa in sas
            ):
                return sas
            if time.monotonic() >= deadline:
                raise StrongSwanError(f"{self.name}: SAs not {predicate} after {timeout:g} s")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop charon by PID (SIGTERM, then SIGKILL)."""
        if self.process is not None:
            self.process.stop()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return _tail(self.log_path.read_text(errors="replace"), lines)
        except OSError:
            return ""

    def output_tail(self, lines: int = 20) -> str:
        return _tail(self.process.log() if self.process else "", lines)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])
