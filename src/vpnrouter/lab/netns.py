"""Network namespaces for the lab: namespaces, shared segments, veth links, processes.

A `Topology` owns everything it creates and removes it in `close()`, also after failures:
the processes it started (stopped by PID: SIGTERM to the process group the process leads,
then SIGKILL), any process still inside one of its namespaces (by PID, from
``ip netns pids``), then the namespaces themselves (which takes their veth pairs and
bridges with them). Nothing is ever created in the caller's namespace: each veth pair is
created directly into its two namespaces, so parallel runs cannot collide on names.

Every name carries a per-run prefix ``vr{pid}-{n}-`` (the PID of the Python process and a
per-process counter), or one the caller chooses (``vpnrouter lab`` uses ``lab-``; a chosen
prefix must not look like the per-run one, which `reap_stale_namespaces` may remove;
`detach()` lets the lab outlive the process). The ``ip`` command (iproute2) does the work:
it is what the recipe that was seen working on this machine uses, it addresses namespaces
by name and its error messages go straight into `LabError`.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

IP = "ip"
NETNS_DIR = Path("/run/netns")
PREFIX_RE = re.compile(r"^vr(?P<pid>\d+)-(?P<n>\d+)-")
IFNAME_MAX = 15
DEFAULT_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0

_counter = itertools.count(1)


class LabError(RuntimeError):
    """A lab command failed or the lab could not be cleaned up."""


def run(
    argv: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion (bounded by `timeout`); raise `LabError` on failure."""
    full_env = None if env is None else {**os.environ, **env}
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            env=full_env,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"{shlex.join(argv)} did not finish within {timeout:g} s") from exc
    except FileNotFoundError as exc:
        raise LabError(f"{argv[0]}: command not found") from exc
    if check and proc.returncode != 0:
        raise LabError(
            f"{shlex.join(argv)} failed with status {proc.returncode}: "
            f"{(proc.stderr or proc.stdout).strip()}"
        )
    return proc


def pid_alive(pid: int) -> bool:
    """True while a process with this PID exists (zombies count as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # the state letter follows the parenthesised command name
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def list_namespaces() -> list[str]:
    """Names of all named network namespaces (``ip netns list``)."""
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir())
    except FileNotFoundError:
        return []


def namespace_pids(ns: str) -> list[int]:
    """PIDs of the processes whose network namespace is `ns`."""
    proc = run([IP, "netns", "pids", ns], check=False)
    return [int(tok) for tok in proc.stdout.split() if tok.isdigit()]


def stale_namespaces(min_age: float = 600.0) -> list[str]:
    """Lab namespaces left by runs whose process no longer exists, created at least
    `min_age` seconds ago (a guard for runs whose PIDs this process cannot see)."""
    stale = []
    now = time.time()
    for name in list_namespaces():
        m = PREFIX_RE.match(name)
        if not m or pid_alive(int(m.group("pid"))):
            continue
        try:
            age = now - (NETNS_DIR / name).lstat().st_mtime
        except OSError:
            continue
        if age >= min_age:
            stale.append(name)
    return stale


def reap_stale_namespaces(min_age: float = 600.0) -> list[str]:
    """Delete lab namespaces of dead runs (see `stale_namespaces`) that no process uses.

    Namespaces that still hold processes are left alone (and returned with a ``!`` mark):
    those processes were not started by this run, so this run does not end them.
    """
    done = []
    for name in stale_namespaces(min_age):
        if namespace_pids(name):
            done.append(f"!{name}")
            continue
        run([IP, "netns", "del", name], check=False)
        done.append(name)
    return done


@dataclass
class LabProcess:
    """A process started in a namespace; it leads its own process group."""

    name: str
    ns: str
    argv: list[str]
    popen: subprocess.Popen[bytes]
    log_path: Path | None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        """True while the process runs. It is not reaped here, so that its PID (and the
        process group it leads) stays ours until `stop()` or `wait()`."""
        return not self._exited()

    def _exited(self) -> bool:
        if self.popen.returncode is not None:
            return True
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    def _wait_exited(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._exited():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def returncode(self) -> int | None:
        """The exit status once the process has exited (this reaps it), else None."""
        return self.popen.poll() if self._exited() else None

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit (and reap it); raise `LabError` after `timeout` s."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            msg = f"{self.name} (pid {self.pid}) still running after {timeout:g} s"
            raise LabError(msg) from exc

    def signal_group(self, sig: int) -> None:
        """Send `sig` to the process group this process leads (by PID, never by name).
        Only while the leader is not reaped: then its PID cannot belong to anyone else."""
        if self.popen.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def stop(self, timeout: float = STOP_TIMEOUT, sig: int = signal.SIGTERM) -> int | None:
        """Stop the process and its group: `sig`, then SIGKILL after `timeout` seconds;
        then SIGKILL to what is left of the group (children that outlived the leader,
        e.g. tshark's dumpcap) before the leader is reaped."""
        if self.popen.returncode is None:
            if not self._exited():
                self.signal_group(sig)
                if not self._wait_exited(timeout):
                    self.signal_group(signal.SIGKILL)
                    self._wait_exited(STOP_TIMEOUT)
            self.signal_group(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=STOP_TIMEOUT)
        return self.popen.returncode

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")


@dataclass
class Segment:
    """A shared L2 segment: a bridge in the topology's switch namespace."""

    name: str
    ns: str
    bridge: str
    ports: dict[str, str] = field(default_factory=dict)  # namespace -> port name on the bridge


class Topology:
    """Namespaces, segments and veth links with a per-run prefix; a context manager."""

    def __init__(
        self,
        *,
        workdir: Path | None = None,
        keep_workdir: bool = False,
        prefix: str | None = None,
    ) -> None:
        self.prefix = prefix if prefix is not None else f"vr{os.getpid()}-{next(_counter)}-"
        self._own_workdir = workdir is None
        self.keep_workdir = keep_workdir
        if workdir is None:
            # short on purpose: unix socket paths (vici) must stay under 108 bytes
            workdir = Path(tempfile.mkdtemp(prefix=self.prefix, dir="/tmp"))
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.namespaces: list[str] = []
        self.segments: dict[str, Segment] = {}
        self.processes: list[LabProcess] = []
        self._switch_ns: str | None = None
        self._port_counter = itertools.count(1)
        self._closed = False
        _OPEN.add(self)

    # -- names -------------------------------------------------------------------------------

    def ns(self, role: str) -> str:
        """The full namespace name of a role (``vpn2611`` -> ``vr123-1-vpn2611``)."""
        return role if role.startswith(self.prefix) else self.prefix + role

    # -- building ----------------------------------------------------------------------------

    def add_namespace(
        self, role: str, *, ip_forward: bool = False, disable_ipv6: bool = True
    ) -> str:
        """Create a namespace with loopback up; return its full name."""
        self._check_open()
        name = self.ns(role)
        if name in self.namespaces:
            raise LabError(f"namespace {name} already exists in this topology")
        run([IP, "netns", "add", name])
        self.namespaces.append(name)
        run([IP, "-n", name, "link", "set", "lo", "up"])
        settings: dict[str, str] = {}
        if disable_ipv6:
            # no router solicitations / MLD noise in the captures and through the tunnels
            settings["net.ipv6.conf.all.disable_ipv6"] = "1"
            settings["net.ipv6.conf.default.disable_ipv6"] = "1"
        if ip_forward:
            settings["net.ipv4.ip_forward"] = "1"
            settings["net.ipv4.conf.all.rp_filter"] = "0"
            settings["net.ipv4.conf.default.rp_filter"] = "0"
        if settings:
            self.set_sysctls(name, settings)
        return name

    def set_sysctls(self, ns: str, settings: Mapping[str, str]) -> None:
        args = [f"{key}={value}" for key, value in settings.items()]
        self.exec(ns, ["sysctl", "-q", "-w", *args])

    def sysctl(self, ns: str, key: str) -> str:
        return self.exec(ns, ["sysctl", "-n", key]).stdout.strip()

    def _switch(self) -> str:
        if self._switch_ns is None:
            self._switch_ns = self.add_namespace("sw")
        return self._switch_ns

    def add_segment(self, name: str) -> Segment:
        """A bridge ``br-NAME`` in the switch namespace (created on first use)."""
        self._check_open()
        if name in self.segments:
            raise LabError(f"segment {name} already exists")
        sw = self._switch()
        bridge = _ifname(f"br-{name}")
        # No STP, and no multicast snooping: a snooping bridge keeps its own IGMP state and
        # may put IGMP from 0.0.0.0 on the wire, which a capture would count as clear traffic.
        argv = [IP, "-n", sw, "link", "add", bridge, "type", "bridge", "stp_state", "0"]
        run([*argv, "mcast_snooping", "0"])
        run([IP, "-n", sw, "link", "set", bridge, "up"])
        seg = Segment(name=name, ns=sw, bridge=bridge)
        self.segments[name] = seg
        return seg

    def add_veth(
        self, ns_a: str, if_a: str, ns_b: str, if_b: str, *, mtu: int | None = None
    ) -> None:
        """A veth pair created straight into its two namespaces, both ends up."""
        self._check_open()
        ns_a, ns_b = self.ns(ns_a), self.ns(ns_b)
        for ifname in (if_a, if_b):
            if len(ifname) > IFNAME_MAX:
                raise LabError(f"interface name {ifname!r} longer than {IFNAME_MAX}")
        argv = [IP, "-n", ns_a, "link", "add", if_a]
        if mtu is not None:
            argv += ["mtu", str(mtu)]
        argv += ["type", "veth", "peer", "name", if_b, "netns", ns_b]
        run(argv)
        run([IP, "-n", ns_a, "link", "set", if_a, "up"])
        run([IP, "-n", ns_b, "link", "set", if_b, "up"])

    def connect(self, ns: str, ifname: str, segment: str, *, address: str | None = None) -> str:
        """Attach interface `ifname` of `ns` to a segment; return the bridge port name."""
        seg = self.segments.get(segment) or self.add_segment(segment)
        ns = self.ns(ns)
        port = _ifname(f"p{next(self._port_counter)}-{ns.removeprefix(self.prefix)}")
        self.add_veth(ns, ifname, seg.ns, port)
        run([IP, "-n", seg.ns, "link", "set", port, "master", seg.bridge])
        seg.ports[ns] = port
        if address is not None:
            self.add_address(ns, ifname, address)
        return port

    def add_address(self, ns: str, ifname: str, cidr: str) -> None:
        run([IP, "-n", self.ns(ns), "addr", "add", cidr, "dev", ifname])

    def add_route(
        self,
        ns: str,
        dest: str,
        *,
        via: str | None = None,
        dev: str | None = None,
        table: str | int | None = None,
    ) -> None:
        argv = [IP, "-n", self.ns(ns), "route", "add", dest]
        if via is not None:
            argv += ["via", via]
        if dev is not None:
            argv += ["dev", dev]
        if table is not None:
            argv += ["table", str(table)]
        run(argv)

    def set_link(self, ns: str, ifname: str, *, up: bool) -> None:
        run([IP, "-n", self.ns(ns), "link", "set", ifname, "up" if up else "down"])

    # -- inspecting --------------------------------------------------------------------------

    def links(self, ns: str) -> list[dict[str, Any]]:
        """``ip -j link`` of a namespace."""
        out = run([IP, "-n", self.ns(ns), "-j", "link", "show"]).stdout
        links: list[dict[str, Any]] = json.loads(out or "[]")
        return links

    def addresses(self, ns: str, ifname: str | None = None) -> list[str]:
        """IPv4 addresses (CIDR) of a namespace, or of one interface in it."""
        argv = [IP, "-n", self.ns(ns), "-j", "-4", "addr", "show"]
        if ifname is not None:
            argv += ["dev", ifname]
        data: list[dict[str, Any]] = json.loads(run(argv).stdout or "[]")
        return [
            f"{info['local']}/{info['prefixlen']}"
            for link in data
            for info in link.get("addr_info", [])
        ]

    def routes(self, ns: str, table: str = "main") -> list[dict[str, Any]]:
        out = run([IP, "-n", self.ns(ns), "-j", "-4", "route", "show", "table", table]).stdout
        routes: list[dict[str, Any]] = json.loads(out or "[]")
        return routes

    # -- running things ----------------------------------------------------------------------

    def exec(
        self,
        ns: str,
        argv: Sequence[str],
        *,
        check: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command to completion inside a namespace (bounded by `timeout`)."""
        self._check_open()
        return run(
            [IP, "netns", "exec", self.ns(ns), *argv],
            check=check,
            timeout=timeout,
            input=input,
            env=env,
        )

    def popen(
        self,
        ns: str,
        argv: Sequence[str],
        *,
        name: str | None = None,
        log: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdout: int | IO[bytes] | None = None,
    ) -> LabProcess:
        """Start a long-running command in a namespace, in its own process group.

        Its output goes to `log` (default: ``WORKDIR/NAME.log``) unless `stdout` is given
        (e.g. ``subprocess.PIPE``). The topology stops it in `close()` at the latest.
        """
        self._check_open()
        ns = self.ns(ns)
        label = name or f"{Path(argv[0]).name}@{ns.removeprefix(self.prefix)}"
        full_env = None if env is None else {**os.environ, **env}
        log_file: IO[bytes] | None = None
        log_path: Path | None = None
        if stdout is None:
            log_path = log or self.workdir / f"{_safe(label)}.log"
            log_file = log_path.open("ab")
        try:
            popen = subprocess.Popen(
                [IP, "netns", "exec", ns, *argv],
                stdin=subprocess.DEVNULL,
                stdout=log_file if stdout is None else stdout,
                stderr=subprocess.STDOUT,
                env=full_env,
                start_new_session=True,
            )
        finally:
            if log_file is not None:
                log_file.close()
        proc = LabProcess(label, ns, list(argv), popen, log_path)
        self.processes.append(proc)
        return proc

    # -- teardown ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def detach(self) -> None:
        """Let what this topology made outlive this process: it is no longer closed at exit
        (``vpnrouter lab up`` hands its namespaces and processes to a state file, and
        ``lab down`` removes them). The topology can still be used and closed explicitly."""
        _OPEN.discard(self)

    def _check_open(self) -> None:
        if self._closed:
            raise LabError("topology already closed")

    def close(self) -> None:
        """Remove everything this topology made; idempotent.

        Every step is attempted even when an earlier one fails; `LabError` lists what could
        not be removed.
        """
        if self._closed:
            return
        self._closed = True
        problems: list[str] = []
        for proc in reversed(self.processes):
            try:
                proc.stop()
            except OSError as exc:
                problems.append(f"stopping {proc.name} (pid {proc.pid}): {exc}")
        for ns in reversed(self.namespaces):
            problems += _kill_namespace_processes(ns)
        for ns in reversed(self.namespaces):
            try:
                run([IP, "netns", "del", ns], check=False)
            except LabError as exc:
                problems.append(str(exc))
        left = [ns for ns in self.namespaces if (NETNS_DIR / ns).exists()]
        if left:
            problems.append(f"namespaces not removed: {', '.join(left)}")
        if self._own_workdir and not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        _OPEN.discard(self)
        if problems:
            raise LabError("lab cleanup incomplete: " + "; ".join(problems))

    def __enter__(self) -> Topology:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.close()
        except LabError:
            # a failure inside the block is the interesting one: don't replace it
            if exc is None:
                raise


def _kill_namespace_processes(ns: str, timeout: float = STOP_TIMEOUT) -> list[str]:
    """SIGKILL, by PID, whatever still runs in one of our own namespaces."""
    if not (NETNS_DIR / ns).exists():
        return []
    pids = [pid for pid in namespace_pids(ns) if pid != os.getpid()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if pid_alive(pid)]
        if pids:
            time.sleep(0.05)
    return [f"pid {pid} in {ns} survived SIGKILL" for pid in pids]


_OPEN: set[Topology] = set()


@atexit.register
def _close_at_exit() -> None:
    """Last resort when a caller forgot `close()`: the interpreter exits normally."""
    for topo in list(_OPEN):
        with contextlib.suppress(LabError):
            topo.close()


def _ifname(name: str) -> str:
    return name[:IFNAME_MAX]


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", label)
