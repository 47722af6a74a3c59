"""``vpnclient connect --background`` against our vpn2611 (the seed configuration): the
command negotiates in the foreground (script login: ``--username`` and
``--password-stdin``), prints "Your link is now secure." and the tunnel information, and
returns 0 while the connection goes on in a detached process (PID file next to its control
socket); a wrong group password fails in the foreground as it does without the option.
host1 answers pings through the tunnel, ``vpnclient status`` shows the pool address, a
second ``connect`` is refused, and ``vpnclient disconnect`` ends it: the process is gone,
the TUN device too, the router has released the pool address and DNS is back. Whatever
fails, the test kills the background process by its PID."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _l2l_helpers import wait_until
from _vpnclient_helpers import (
    ORIGINAL_RESOLV,
    SCRIPT_LOGIN,
    client_status,
    resolv_confs,
    run_vpnclient,
    seed_pcf,
    start_vpn2611,
    write_profile,
)

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import SeedLab

POOL_FIRST = "14.1.1.100"
HOST1 = "10.10.10.10"
SeedFactory = Callable[..., SeedLab]


def alive(pid: int) -> bool:
    """Running (a zombie left for a parent that does not reap counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@contextlib.contextmanager
def killed_at_the_end(pid_file: Path) -> Iterator[None]:
    """Whatever happens, the background client (found by its PID file) does not outlive us."""
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            pid = int(pid_file.read_text())
            if alive(pid) and "vpnrouter.client" in Path(f"/proc/{pid}/cmdline").read_text():
                os.kill(pid, signal.SIGKILL)


def leased(router: Any) -> list[str]:
    return [lease["address"] for pool in router.status()["pools"] for lease in pool["in_use"]]


def refused_with_a_wrong_group_password(topology: Topology, profiles: Path) -> None:
    """A failure before the link is up: in the foreground, today's words, exit status 1."""
    write_profile(profiles, "badkey", seed_pcf(group_pwd="wrong-key"))
    socket = topology.workdir / "badkey.sock"
    pid_file = topology.workdir / "badkey.pid"
    with killed_at_the_end(pid_file):
        proc = run_vpnclient(
            topology,
            "pc",
            *("connect", "badkey", "--profile-dir", str(profiles), "--socket", str(socket)),
            *SCRIPT_LOGIN,
            "--background",
            input="cisco\n",
        )
        assert proc.returncode == 1
        assert proc.stdout.splitlines()[-1] == "Not connected."
        assert proc.stderr.splitlines() == [
            "Secure VPN Connection terminated locally by the Client.",
            "The group password of group '3000client' is wrong: the gateway's answer does not"
            " verify with it (or the group name is not the gateway's).",
        ]
        assert not pid_file.exists() and not socket.exists()


def test_connect_in_the_background_ping_status_disconnect(
    topology: Topology, seed_factory: SeedFactory
) -> None:
    lab = seed_factory(assign_router_addresses=False)
    router = start_vpn2611(topology, lab)
    profiles = topology.workdir / "profiles"
    write_profile(profiles, "office", seed_pcf(group_pwd="cisco123"))
    socket = topology.workdir / "office.sock"
    pid_file = topology.workdir / "office.pid"
    connect = ("connect", "office", "--profile-dir", str(profiles), "--socket", str(socket))
    with resolv_confs() as confs, killed_at_the_end(pid_file):
        resolv = confs.prepare(lab["pc"])
        refused_with_a_wrong_group_password(topology, profiles)
        proc = run_vpnclient(
            topology, "pc", *connect, *SCRIPT_LOGIN, "--background", input="cisco\n"
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        for line in (
            "Contacting the security gateway at 172.18.124.159...",
            "Authenticating user...",
            "Your link is now secure.",
            f"Client address: {POOL_FIRST}",
            "Secured routes: all traffic (0.0.0.0/1 and 128.0.0.0/1 via cipsec0)",
        ):
            assert line in proc.stdout, proc.stdout
        pid = int(pid_file.read_text())
        assert proc.stdout.endswith(
            f"The connection continues in the background (PID {pid});"
            " run 'vpnclient disconnect office' to disconnect.\n"
        ), proc.stdout
        assert proc.stderr == ""
        assert alive(pid) and os.getsid(pid) == pid
        assert os.readlink(f"/proc/{pid}/cwd") == "/"

        assert lab.ping("pc", HOST1, count=3, deadline=15)
        status = client_status(topology, "pc", socket)
        assert status["state"] == "connected" and status["client_address"] == POOL_FIRST
        assert status["pid"] == pid and status["counters"]["packets_decrypted"] >= 3
        text = run_vpnclient(topology, "pc", "status", "--socket", str(socket))
        assert text.returncode == 0 and f"Client address: {POOL_FIRST}" in text.stdout
        assert leased(router) == [POOL_FIRST]

        again = run_vpnclient(topology, "pc", *connect, *SCRIPT_LOGIN, "--background", input="x\n")
        assert again.returncode == 1
        assert "connection entry 'office' is already connected" in again.stderr

        done = run_vpnclient(topology, "pc", "disconnect", "--socket", str(socket))
        assert (done.returncode, done.stdout) == (0, "Disconnected 'office'.\n")
        wait_until("the background client exits", lambda: not alive(pid), timeout=10)
        assert not pid_file.exists() and not socket.exists()
        assert "cipsec0" not in [link["ifname"] for link in topology.links(lab["pc"])]
        wait_until("the router releases the address", lambda: not leased(router))
        assert not router.ipsec()
        assert resolv.read_text() == ORIGINAL_RESOLV
