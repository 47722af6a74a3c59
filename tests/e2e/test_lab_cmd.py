"""``vpnrouter lab`` as an operator runs it: ``up`` builds the seed's network, brings both
tunnels up and prints the seed's verification section; ``status``, ``exec`` and ``cli`` find
the lab through its state file; ``down`` leaves no namespace, process, TUN device or file.

Every run uses its own namespace prefix and state file; whatever a failed test leaves is
removed from the state file in ``finally``. Waits are bounded; nothing asserts on durations.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from vpnrouter.lab import cli_state
from vpnrouter.lab.cli_run import teardown
from vpnrouter.lab.netns import list_namespaces

pytestmark = pytest.mark.netns

UP_TIMEOUT = 240
EXPECT_TIMEOUT = 30.0
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"


@dataclass
class Lab:
    state: Path
    prefix: str

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "vpnrouter", "lab", *args]
        env = {**os.environ, cli_state.STATE_ENV: str(self.state)}
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                              check=False)  # fmt: skip

    def up(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--prefix", self.prefix, *args, timeout=UP_TIMEOUT)

    def loaded(self) -> cli_state.LabState:
        state = cli_state.load(self.state)
        assert state is not None
        return state


_runs = iter(range(1000))


@pytest.fixture
def lab() -> Iterator[Lab]:
    """A state file in a short directory (unix socket paths) and a per-run prefix that
    does not look like the test topologies' ``vr<pid>-<n>-``."""
    directory = Path(tempfile.mkdtemp(prefix="vrl", dir="/tmp"))
    handle = Lab(directory / "lab.json", f"vrl{os.getpid()}x{next(_runs)}-")
    try:
        yield handle
    finally:
        state = cli_state.load(handle.state)
        if state is not None:
            teardown(state)
        for line in _logs(directory):
            print(line)
        subprocess.run(["rm", "-rf", str(directory)], check=False)
        left = [ns for ns in list_namespaces() if ns.startswith(handle.prefix)]
        assert not left, f"namespaces left behind: {left}"


def _logs(directory: Path) -> list[str]:
    lines = []
    for log in sorted(directory.glob("**/*.log")):
        lines.append(f"--- {log}")
        lines += log.read_text(errors="replace").splitlines()[-30:]
    return lines


def assert_gone(lab: Lab, state: cli_state.LabState) -> None:
    """Nothing of the lab is left: namespaces (and so their veths, bridges and TUN devices),
    processes (by PID and start time), /etc/netns files, the work directory, the state."""
    assert not [ns for ns in list_namespaces() if ns.startswith(lab.prefix)]
    assert not [p.name for p in state.processes if p.is_running()]
    assert not [d for d in state.etc_netns if Path(d).exists()]
    assert not Path(state.workdir).exists()
    assert not lab.state.exists()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    assert "vpn0" not in links.stdout and "cipsec0" not in links.stdout


class Terminal:
    """A command on a pseudo-terminal, read and typed like a user."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        self.master, self.transcript = master, ""
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "dumb"},
            start_new_session=True, preexec_fn=_controlling_tty, close_fds=True,
        )  # fmt: skip
        os.close(slave)

    def expect(self, pattern: str, timeout: float = EXPECT_TIMEOUT, start: int = 0) -> int:
        """Bounded wait for ``pattern`` in the output from ``start``; the end of the match."""
        regex, deadline = re.compile(pattern), time.monotonic() + timeout
        while (found := regex.search(self.transcript, start)) is None:
            left = deadline - time.monotonic()
            assert left > 0, f"no {pattern!r} after {timeout:g} s:\n{self.transcript}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                with contextlib.suppress(OSError):
                    self.transcript += os.read(self.master, 65536).decode(errors="replace")
        return found.end()

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        os.close(self.master)


def _controlling_tty() -> None:
    fcntl.ioctl(1, termios.TIOCSCTTY, 0)


def test_lab_up_cli_exec_down(lab: Lab) -> None:
    up = lab.up()
    out = up.stdout
    assert up.returncode == 0, out + up.stderr
    for n, step in enumerate(
        ("Seed network in namespaces", "vpn2611: vpnrouter run --config", "vpn3640: vpnrouter run",
         "host1 10.10.10.10: the DNS server", "LAN-to-LAN: ping host1", "VPN client on pc",
         "Client traffic: ping host1", "Verification"), start=1,
    ):  # fmt: skip
        assert re.search(rf"^\[{n}/8\] {re.escape(step)}.* \.\.\. ok", out, re.M), (step, out)
    assert "VPN client on pc 198.51.100.10: vpnclient connect" in out
    assert "ok: address 14.1.1.100, DNS 10.10.10.10" in out
    assert "host1.cisco.com is 10.10.10.10" in out
    # the seed's verification section, on both routers, each command explained
    for router in ("vpn2611", "vpn3640"):
        for command in ("show crypto isakmp sa", "show crypto ipsec sa",
                        "show crypto engine connection active"):  # fmt: skip
            assert f"{router}#{command}\n" in out
    assert out.count("\n-- phase 1:") == 2 and out.count("\n-- the crypto engine:") == 2
    assert re.search(r"172\.18\.124\.199 +172\.18\.124\.159 +QM_IDLE", out)
    assert re.search(r"172\.18\.124\.159 +198\.51\.100\.10 +QM_IDLE", out)
    assert "remote ident (addr/mask/prot/port): (14.1.1.100/255.255.255.255/0/0)" in out
    state = lab.loaded()
    assert state.complete and state.client == "vpnclient" and state.peer == "vpnrouter"
    assert {p.name for p in state.processes} == {"vpn2611", "vpn3640", "dnsd-host1", "vpnclient"}
    assert all(ns.startswith(lab.prefix) for ns in state.namespaces)

    # the lab outlives `up`; a second `up` says it is there
    again = lab.up()
    assert again.returncode == 1 and "A lab is up" in again.stdout
    status = lab.run("status")
    assert status.returncode == 0 and "MISSING" not in status.stdout
    assert re.search(r"vpnclient +pid \d+ +running", status.stdout)
    ping = lab.run("exec", "host1", "ping", "-n", "-c", "2", "-i", "0.2", "-w", "10", "10.10.20.10")
    assert ping.returncode == 0 and " 0% packet loss" in ping.stdout
    exe = lab.run("cli", "vpn2611", "show crypto isakmp sa", "show crypto isakmp diagnose")
    assert exe.returncode == 0
    assert "Peer 172.18.124.199: UP (QM_IDLE" in exe.stdout
    assert re.search(r"client group 3000client, user cisco, address 14\.1\.1\.100", exe.stdout)
    assert lab.run("exec", "nowhere", "true").returncode == 1
    found = re.search(r"172\.18\.124\.199 +172\.18\.124\.159 +QM_IDLE +(\d+)", exe.stdout)
    assert found, exe.stdout
    l2l_conn_id = found.group(1)

    # the router's shell on a terminal: a fresh negotiation seen live with debug + monitor
    env = {**os.environ, cli_state.STATE_ENV: str(lab.state)}
    term = Terminal([sys.executable, "-m", "vpnrouter", "lab", "cli", "vpn2611"], env)
    try:
        term.expect(r"vpn2611>")
        term.type("enable\n")
        mark = term.expect(r"vpn2611#")
        # the LAN-to-LAN peer's SAs only: the VPN client stays connected
        clears = (f"clear crypto isakmp {l2l_conn_id}", "clear crypto sa peer 172.18.124.199")
        for line in ("terminal monitor", "debug crypto isakmp", *clears):
            term.type(line + "\n")
            mark = term.expect(r"vpn2611#", start=mark)
        assert "Crypto ISAKMP debugging is on" in term.transcript
        assert lab.run("exec", "host1", "ping", "-n", "-c", "2", "-w", "20",
                       "10.10.20.10").returncode == 0  # fmt: skip
        mark = term.expect(r"ISAKMP \(0:\d+\): beginning Main Mode exchange", start=mark)
        term.expect(r"Checking ISAKMP transform (\d )?against priority 10 policy", start=mark)
        term.expect(r"SA has been authenticated with 172\.18\.124\.199", start=mark)
        term.type("undebug all\n")
        term.expect(r"All possible debugging has been turned off")
        term.type("exit\n")
        assert term.process.wait(timeout=10) == 0
    finally:
        term.close()

    down = lab.run("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "stopping vpnclient" in down.stdout and "Removed" in down.stdout
    assert_gone(lab, state)
    assert "no lab is up" in lab.run("down").stdout


def test_lab_up_with_strongswan_and_vpnc(lab: Lab) -> None:
    up = lab.up("--peer", "strongswan", "--client", "vpnc")
    out = up.stdout
    assert up.returncode == 0, out + up.stderr
    assert "vpn3640: strongSwan (main mode, PSK, DES/MD5/group 1, ESP 3DES/MD5) ... ok" in out
    assert "VPN client on pc 198.51.100.10: vpnc to vpn2611" in out
    assert "ok: address 14.1.1.100" in out
    assert "vpn3640$ swanctl --list-sas" in out
    assert re.search(r"l2l: #\d+, ESTABLISHED, IKEv1", out)
    assert re.search(r"INSTALLED, TUNNEL-in-UDP, ESP:3DES_CBC/HMAC_MD5_96", out)
    assert "current_peer: 172.18.124.199:4500" in out  # strongSwan's libipsec: NAT-T
    state = lab.loaded()
    assert {p.name for p in state.processes} == {"vpn2611", "charon-vpn3640", "dnsd-host1", "vpnc"}
    refused = lab.run("cli", "vpn3640")
    assert refused.returncode == 1 and "played by strongSwan" in refused.stderr
    down = lab.run("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert_gone(lab, state)


def test_lab_up_with_a_broken_peer_explains_and_stays_up(lab: Lab) -> None:
    """vpn3640 asks for AES-256/SHA/group 14: the tunnel cannot come up, `up` says why (the
    routers' diagnose) and leaves the lab for a look; `down` still removes all of it."""
    broken = lab.state.parent / "vpn3640-aes.cfg"
    text = (SEED / "vpn3640.cfg").read_text()
    assert "crypto isakmp policy 10\nhash md5\n" in text
    aes = "crypto isakmp policy 10\nencr aes 256\ngroup 14\n"
    broken.write_text(text.replace("crypto isakmp policy 10\nhash md5\n", aes))
    up = lab.up("--client", "none", "--config", f"vpn3640={broken}")
    out = up.stdout
    assert up.returncode == 1, out
    assert re.search(r"^\[4/5\] LAN-to-LAN: ping host1 .* \.\.\. FAILED$", out, re.M), out
    assert "host1 gets no answer from host2 10.10.20.10" in out
    assert (
        "Peer 172.18.124.159 offered 3DES/SHA/group 2, DES/MD5/group 1; our policy 10 allows"
        " AES-256/SHA/group 14 — no match." in out
    )
    assert re.search(r"^ +22  crypto isakmp policy 10$", out, re.M)
    assert "refused all of our ISAKMP proposals (NO_PROPOSAL_CHOSEN): we offered policies 3" in out
    assert "The lab stays up" in out
    state = lab.loaded()
    assert lab.run("status").returncode == 0
    down = lab.run("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert_gone(lab, state)
