"""The shell over a real unix socket: ``SocketBackend`` against ``router.control.ControlServer``
serving the documented requests (snapshot, clear_sa, clear_isakmp, debug, log), ``vpnrouter
exec`` / ``vpnrouter cli`` end to end, and the readline loop on a pseudo-terminal (Tab, ``?``).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from shellfakes import FakeBackend, vpn2611

from vpnrouter.cli import shell_cmd
from vpnrouter.cli.shell.session import BackendError, Session
from vpnrouter.router.control import ControlServer

HERE = Path(__file__).resolve().parent


class RouterSide:
    """The router's half of the protocol of docs/CONTRACTS.md, over a fake router state."""

    def __init__(self) -> None:
        self.backend = FakeBackend(vpn2611())
        self.log: list[str] = []
        self.log_polled = threading.Event()
        self.snapshot_override: Any = None

    def handlers(self) -> dict[str, Any]:
        b = self.backend
        return {
            "snapshot": lambda r: self.snapshot_override or b.snapshot().to_json(),
            "clear_sa": lambda r: b.clear_sa(r["peer"]),
            "clear_isakmp": lambda r: b.clear_isakmp(r["conn_id"]),
            "debug": lambda r: b.set_debug(r["facility"], r["on"]),
            "log": self._log,
        }

    def _log(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self.log_polled.set()
        since = request["since"]
        lines = [] if since is None else self.log[since:]
        return {"next": len(self.log), "lines": lines}


@contextmanager
def serve(side: RouterSide) -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="vpnr", dir="/tmp"))
    path = directory / "vpn2611.sock"
    loop = asyncio.new_event_loop()
    server = ControlServer(path, side.handlers())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    try:
        yield path
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def side() -> RouterSide:
    return RouterSide()


@pytest.fixture
def sock(side: RouterSide) -> Iterator[Path]:
    with serve(side) as path:
        yield path


def test_backend_requests(side: RouterSide, sock: Path) -> None:
    backend = shell_cmd.SocketBackend(sock)
    assert backend.snapshot() == side.backend.snapshot()
    backend.clear_sa(None)
    backend.clear_sa("172.18.124.199")
    backend.clear_isakmp(5)
    backend.set_debug("isakmp", True)
    assert side.backend.calls == [
        ("clear_sa", None),
        ("clear_sa", "172.18.124.199"),
        ("clear_isakmp", 5),
        ("debug", ("isakmp", True)),
    ]
    assert backend.snapshot().router.debug == ("isakmp",)


def test_session_over_socket_matches_direct(side: RouterSide, sock: Path) -> None:
    remote = Session(shell_cmd.SocketBackend(sock))
    local = Session(FakeBackend(vpn2611()))
    for command in ("sh cry isa sa", "sh cry ips sa", "sh cry eng conn act", "sh ver"):
        assert remote.run_command(command) == local.run_command(command)


def test_debug_lines_follow_the_log(side: RouterSide, sock: Path) -> None:
    side.log.append("00:00:01: old line, before the monitor started")
    lines = shell_cmd.SocketBackend(sock, poll_interval=0.01).debug_lines()
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.extend([next(lines), next(lines)]), daemon=True)
    reader.start()
    assert side.log_polled.wait(5)
    side.log.extend(["00:01:12: ISAKMP (0:5): beginning Quick Mode exchange", "00:01:13: x"])
    reader.join(5)
    assert got == ["00:01:12: ISAKMP (0:5): beginning Quick Mode exchange", "00:01:13: x"]


def test_errors(side: RouterSide, sock: Path) -> None:
    side.snapshot_override = {"router": {"hostname": 5}}
    with pytest.raises(BackendError, match=r"unreadable snapshot: snapshot\.router\.hostname"):
        shell_cmd.SocketBackend(sock).snapshot()
    missing = shell_cmd.SocketBackend(sock.parent / "nobody.sock")
    with pytest.raises(BackendError, match="cannot reach vpnrouter"):
        missing.snapshot()
    assert Session(missing).execute("sh ver").text.startswith("% cannot reach vpnrouter")


def run_main(func: Any, args: argparse.Namespace, capsys: Any) -> tuple[int, str, str]:
    status = func(args)
    out, err = capsys.readouterr()
    return status, out, err


def exec_args(sock: Path, *commands: str, json: bool = False) -> argparse.Namespace:
    return argparse.Namespace(router=str(sock), socket=None, commands=list(commands), json=json)


def test_exec(sock: Path, capsys: Any) -> None:
    status, out, err = run_main(
        shell_cmd.run_exec, exec_args(sock, "show crypto isakmp sa"), capsys
    )
    assert status == 0 and err == ""
    assert out == Session(FakeBackend(vpn2611())).run_command("show crypto isakmp sa")

    status, out, _ = run_main(
        shell_cmd.run_exec, exec_args(sock, "sh cry isa sa", json=True), capsys
    )
    assert status == 0 and '"isakmp_sa"' in out

    # several commands: each echoed after the privileged prompt
    status, out, _ = run_main(shell_cmd.run_exec, exec_args(sock, "sh ver", "clear cry sa"), capsys)
    assert status == 0 and out.startswith("vpn2611#sh ver\n") and "vpn2611#clear cry sa\n" in out


def test_exec_errors(sock: Path, capsys: Any) -> None:
    status, out, err = run_main(shell_cmd.run_exec, exec_args(sock, "sh cry isakmx sa"), capsys)
    assert status == 1 and out == ""
    assert err.splitlines() == [
        "vpn2611#sh cry isakmx sa",
        " " * 20 + "^",
        "% Invalid input detected at '^' marker.",
        "",
    ]
    args = exec_args(sock.parent / "nobody.sock", "sh ver")
    status, _, err = run_main(shell_cmd.run_exec, args, capsys)
    assert status == 1 and "cannot reach vpnrouter" in err


def test_cli_with_piped_commands(sock: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(
        sys, "stdin", io.StringIO("sh cry isa sa\nen\nsh cry ips sa | i spi: 0x7B\n")
    )
    args = argparse.Namespace(router=None, socket=sock)
    status, out, _ = run_main(shell_cmd.run_cli, args, capsys)
    assert status == 0
    assert out.splitlines() == [
        "vpn2611>sh cry isa sa",
        "dst             src             state          conn-id slot",
        "172.18.124.159  172.18.124.199  QM_IDLE              5    0",
        "172.18.124.159  64.102.55.142   QM_IDLE              6    0",
        "vpn2611>en",
        "vpn2611#sh cry ips sa | i spi: 0x7B",
        "      spi: 0x7B7B2015(2071666709)",
    ]


def test_module_entry_point(sock: Path, capsys: Any) -> None:
    assert shell_cmd.main(["exec", str(sock), "show crypto isakmp sa", "--json"]) == 0
    assert '"conn_id": 5' in capsys.readouterr().out


def test_find_socket(tmp_path: Path) -> None:
    assert shell_cmd.find_socket(None, tmp_path / "x.sock") == tmp_path / "x.sock"
    assert shell_cmd.find_socket("vpn3640", None) == Path("/run/vpnrouter/vpn3640.sock")
    assert shell_cmd.find_socket("/tmp/r.sock", None) == Path("/tmp/r.sock")


def test_register_parses_both_commands() -> None:
    parser = argparse.ArgumentParser()
    shell_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["exec", "vpn2611", "show crypto isakmp sa", "--json"])
    assert (
        args.func is shell_cmd.run_exec and args.json and args.commands == ["show crypto isakmp sa"]
    )
    args = parser.parse_args(["cli", "--router", "vpn2611"])
    assert args.func is shell_cmd.run_cli and args.router == "vpn2611"


# -- readline on a pseudo-terminal ------------------------------------------------------------
PTY_PROGRAM = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
from shellfakes import FakeBackend, vpn2611
from vpnrouter.cli.shell.session import Session
from vpnrouter.cli.shell.interactive import ReadlineReader, interact, tty_key

session = Session(FakeBackend(vpn2611()))
def write(text):
    sys.stdout.write(text)
    sys.stdout.flush()
sys.exit(interact(session, ReadlineReader(session), write, tty_key(sys.stdin)))
"""


class Terminal:
    def __init__(self) -> None:
        master, slave = pty.openpty()
        env = {**os.environ, "TERM": "dumb", "INPUTRC": "/dev/null"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", PTY_PROGRAM], stdin=slave, stdout=slave, stderr=slave, env=env
        )
        os.close(slave)
        self.master = master
        self.seen = b""

    def expect(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} in {self.seen.decode(errors='replace')!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:
                    break
        head, _, self.seen = self.seen.partition(text.encode())
        return head.decode(errors="replace")

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())

    def close(self) -> int:
        try:
            return self.proc.wait(10)
        finally:
            os.close(self.master)


def test_readline_tab_and_question_mark() -> None:
    term = Terminal()
    try:
        term.expect("vpn2611>")
        term.send("sh cry isa\t")  # Tab completes the keyword and adds a space
        term.expect("isakmp ")
        term.send("?")  # help at once, then the line comes back
        term.expect("policy")
        term.expect("Show ISAKMP Security Associations")
        term.expect("vpn2611>sh cry isakmp ")
        term.send("sa\r")
        term.expect("QM_IDLE")
        term.send("sh c?")
        term.expect("clock  crypto")
        term.expect("vpn2611>sh c")
        term.send("\x15sh cry i\t\t")  # ^U clears the line; Tab twice lists the candidates
        term.expect("ipsec  isakmp")
        term.expect("vpn2611>sh cry i")
        term.send("\x15exit\r")
        assert term.close() == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
