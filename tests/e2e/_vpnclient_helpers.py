"""``vpnclient connect`` as a lab process, driven through a pseudo-terminal like a user.

`start_client` runs ``python -m vpnrouter.client connect ENTRY`` in a namespace of the test's
`Topology` with a pty as its controlling terminal (stdin, stdout and stderr), so that the
prompts, the echo-less password and Ctrl-C are the real thing. The process is registered
with the topology, which stops it by PID at the latest when the test ends.

Every client namespace gets ``/etc/netns/NS/resolv.conf`` before the client starts:
``ip netns exec`` bind-mounts it over ``/etc/resolv.conf``, so the client rewrites that file
and never the host's. `ResolvConfs` removes the files again.

Every wait is bounded and polls; nothing asserts on durations.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _l2l_helpers import VPN2611_CFG, RouterProc, start_router

from vpnrouter.lab.netns import IP, LabError, LabProcess, Topology
from vpnrouter.lab.seed import SeedLab

NETNS_ETC = Path("/etc/netns")
ORIGINAL_RESOLV = "# the namespace's own resolv.conf\nnameserver 192.0.2.53\nsearch lab.example\n"
EXPECT_TIMEOUT = 30.0
# the script way of logging in: the user name given, the password on standard input
SCRIPT_LOGIN = ("--username", "cisco", "--password-stdin")


def seed_pcf(host: str = "172.18.124.159", *, extra: str = "", group_pwd: str = "") -> str:
    """A Cisco-style profile of the seed's VPN client (group 3000client)."""
    lines = [
        "[main]",
        "Description=seed remote access",
        f"Host={host}",
        "AuthType=1",
        "GroupName=3000client",
        f"GroupPwd={group_pwd}",
        "Username=cisco",
        "EnableNat=1",
        "DHGroup=2",
    ]
    return "\r\n".join(lines) + "\r\n" + extra


def vpnclient(*args: str) -> list[str]:
    return [sys.executable, "-m", "vpnrouter.client", *args]


@dataclass
class ResolvConfs:
    """``/etc/netns/NS/resolv.conf`` files made for a test, removed by `close`."""

    made: list[Path] = field(default_factory=list)

    def prepare(self, ns: str, text: str = ORIGINAL_RESOLV) -> Path:
        directory = NETNS_ETC / ns
        if directory.exists():
            raise LabError(f"{directory} exists already: not ours to overwrite")
        directory.mkdir(parents=True)
        self.made.append(directory)
        path = directory / "resolv.conf"
        path.write_text(text)
        return path

    def close(self) -> None:
        for directory in self.made:
            shutil.rmtree(directory, ignore_errors=True)
        self.made.clear()


@contextlib.contextmanager
def resolv_confs() -> Iterator[ResolvConfs]:
    made = ResolvConfs()
    try:
        yield made
    finally:
        made.close()


def _controlling_tty() -> None:
    """In the child, after setsid: make the pty (its stdout) the controlling terminal."""
    fcntl.ioctl(1, termios.TIOCSCTTY, 0)


class ClientProc:
    """A running ``vpnclient connect`` on a pty: read what it prints, type answers."""

    def __init__(
        self, topology: Topology, ns: str, argv: list[str], name: str, stdin: str | None = None
    ) -> None:
        master, slave = os.openpty()
        self.master = master
        self.transcript = ""
        self.name = name
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TERM": "dumb"}
        try:
            popen = subprocess.Popen(
                [IP, "netns", "exec", topology.ns(ns), *argv],
                stdin=slave if stdin is None else subprocess.PIPE,
                stdout=slave,
                stderr=slave,
                env=env,
                start_new_session=True,
                preexec_fn=_controlling_tty,
                close_fds=True,
            )
        finally:
            os.close(slave)
        self.process = LabProcess(name, topology.ns(ns), argv, popen, None)
        topology.processes.append(self.process)
        if stdin is not None and popen.stdin is not None:
            popen.stdin.write(stdin.encode())
            popen.stdin.close()

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the client closed the terminal (exited)
            return False
        if not data:
            return False
        self.transcript += data.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return True

    def expect(
        self, pattern: str, timeout: float = EXPECT_TIMEOUT, start: int = 0
    ) -> re.Match[str]:
        """The first match of ``pattern`` in the transcript from ``start`` (bounded wait)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.transcript, start)
            if found:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise LabError(
                    f"{self.name}: no {pattern!r} after {timeout:g} s:\n{self.transcript}"
                )
            if not self._read(min(left, 0.5)) and not self.process.alive():
                while self._read(0.1):
                    pass
                found = regex.search(self.transcript, start)
                if found:
                    return found
                raise LabError(f"{self.name} exited before {pattern!r}:\n{self.transcript}")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def interrupt(self) -> None:
        """Ctrl-C typed on the terminal (the line discipline sends SIGINT)."""
        self.type("\x03")

    def wait(self, timeout: float = EXPECT_TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while self.process.alive():
            if time.monotonic() >= deadline:
                raise LabError(f"{self.name} still running after {timeout:g} s:\n{self.transcript}")
            self._read(0.2)
        while self._read(0.1):
            pass
        return self.process.wait(timeout=5)

    def stop(self) -> int | None:
        return self.process.stop(timeout=10, sig=signal.SIGTERM)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.master)


def start_client(
    topology: Topology,
    ns: str,
    entry: str,
    profile_dir: Path,
    *,
    socket: Path,
    args: list[str] | None = None,
    name: str = "vpnclient",
    stdin: str | None = None,
) -> ClientProc:
    """``vpnclient connect ENTRY`` on a terminal; ``stdin`` given: standard input is a pipe
    carrying that text (``--password-stdin``), the terminal still gets the output."""
    argv = vpnclient(
        "connect", entry, "--profile-dir", str(profile_dir), "--socket", str(socket), *(args or [])
    )
    return ClientProc(topology, ns, argv, name, stdin)


def start_seed_client(
    topology: Topology,
    ns: str,
    entry: str = "office",
    *,
    extra: str = "",
    script_login: bool = True,
) -> tuple[ClientProc, Path]:
    """The seed's profile (group key saved, ``extra`` lines appended) written as ``entry`` and
    ``vpnclient connect`` started on it: the script way (`SCRIPT_LOGIN`, password ``cisco``)
    or, without ``script_login``, asking on the terminal. Returns the client and its socket."""
    profiles = topology.workdir / "profiles"
    write_profile(profiles, entry, seed_pcf(group_pwd="cisco123") + extra)
    socket = topology.workdir / f"{entry}.sock"
    if not script_login:
        return start_client(topology, ns, entry, profiles, socket=socket), socket
    client = start_client(
        topology, ns, entry, profiles, socket=socket, args=[*SCRIPT_LOGIN], stdin="cisco\n"
    )
    return client, socket


def start_vpn2611(topology: Topology, lab: SeedLab, config: Path = VPN2611_CFG) -> RouterProc:
    """Our vpn2611 in the seed lab (the seed's configuration unless told)."""
    return start_router(
        topology, lab.vpn2611, config, name="vpn2611", args=lab.interface_args("vpn2611")
    )


def write_profile(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{name}.pcf"
    path.write_text(text)
    path.chmod(0o600)
    return path


def run_vpnclient(
    topology: Topology, ns: str, *args: str, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """A vpnclient command run to completion in a namespace (no terminal)."""
    return topology.exec(ns, vpnclient(*args), check=False, timeout=timeout, input=input)


def client_status(topology: Topology, ns: str, socket: Path) -> dict[str, Any]:
    proc = run_vpnclient(topology, ns, "status", "--socket", str(socket), "--json")
    if proc.returncode != 0:
        raise LabError(f"vpnclient status failed: {proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result
