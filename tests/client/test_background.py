"""``vpnclient connect --background``'s detaching (:mod:`vpnrouter.client.background`), on
real processes: a small program forks as ``connect`` does; its parent returns 0 once the
child has detached (new session, standard streams on /dev/null, working directory /, PID
file written) and the child's own status when it ends before; the child removes its PID file
when it ends. A second ``connect --background`` on a live control socket is refused in the
foreground, and a bad entry fails there with today's message."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vpnrouter.client.background import pid_file_for
from vpnrouter.client.main import main

PROGRAM = """
import sys, time
from pathlib import Path
from vpnrouter.client import background

pid_file, mode, stop = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
forked = background.fork(pid_file)
if isinstance(forked, int):
    sys.exit(forked)
print("negotiating in the foreground", flush=True)
if mode == "fail":
    print("vpnclient: the gateway said no", file=sys.stderr)
    sys.exit(3)
forked.detach()
print("this goes nowhere")
for _ in range(400):  # bounded: 20 s at most
    if stop.exists():
        break
    time.sleep(0.05)
forked.finish()
"""
WAIT_STEPS = 400  # polls of 0.05 s


def run_program(tmp_path: Path, mode: str) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    pid_file = pid_file_for(tmp_path / "office.sock")
    stop = tmp_path / "stop"
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(pid_file), mode, str(stop)],
        capture_output=True,  # returns once both ends of the pipes are closed: detached
        text=True,
        timeout=30,
        check=False,
        cwd=tmp_path,
    )
    return proc, pid_file, stop


def wait_gone(path: Path) -> bool:
    for _ in range(WAIT_STEPS):
        if not path.exists():
            return True
        time.sleep(0.05)
    return False


def test_the_pid_file_is_next_to_the_control_socket() -> None:
    assert pid_file_for(Path("/run/vpnclient/office.sock")) == Path("/run/vpnclient/office.pid")


def test_the_parent_returns_0_once_the_child_has_detached(tmp_path: Path) -> None:
    proc, pid_file, stop = run_program(tmp_path, "detach")
    pid = int(pid_file.read_text())
    try:
        assert proc.returncode == 0
        assert proc.stdout == "negotiating in the foreground\n" and proc.stderr == ""
        assert os.getsid(pid) == pid  # a session of its own: no controlling terminal
        assert os.readlink(f"/proc/{pid}/cwd") == "/"
        assert [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in (0, 1, 2)] == [os.devnull] * 3
        stop.touch()
        assert wait_gone(pid_file)  # removed by the child as it ends
    finally:
        if pid_file.exists():
            os.kill(pid, 9)


def test_a_child_that_fails_before_detaching_gives_its_status(tmp_path: Path) -> None:
    proc, pid_file, _ = run_program(tmp_path, "fail")
    assert proc.returncode == 3
    assert proc.stdout == "negotiating in the foreground\n"
    assert proc.stderr == "vpnclient: the gateway said no\n"
    assert not pid_file.exists()


def entry(profiles: Path, name: str) -> None:
    profiles.mkdir(mode=0o700, exist_ok=True)
    path = profiles / f"{name}.pcf"
    lines = ["[main]", "Host=172.18.124.159", "GroupName=3000client", "GroupPwd=cisco123"]
    path.write_text("\r\n".join(lines) + "\r\n")
    path.chmod(0o600)


def test_a_second_connect_is_refused_in_the_foreground(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles, path = tmp_path / "Profiles", tmp_path / "office.sock"
    entry(profiles, "office")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as running:
        running.bind(str(path))
        running.listen(1)
        args = ["office", "--background", "--profile-dir", str(profiles), "--socket", str(path)]
        code = main(["connect", *args, "--username", "cisco"])
    assert code == 1
    assert capsys.readouterr().err == (
        f"vpnclient: connection entry 'office' is already connected (control socket {path});"
        " see 'vpnclient status'\n"
    )
    assert not pid_file_for(path).exists()


def test_a_missing_entry_fails_in_the_foreground(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles = tmp_path / "Profiles"
    profiles.mkdir(mode=0o700)
    code = main(["connect", "nosuch", "--background", "--profile-dir", str(profiles)])
    assert code == 1
    assert capsys.readouterr().err == (
        "vpnclient: no connection entry named 'nosuch' (see 'vpnclient list')\n"
    )
