"""The exec session: prompt and privilege, clear/debug through the backend, errors, terminal
length and the pager, terminal monitor, history, scripted and interactive loops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from shellfakes import FakeBackend, vpn2611, vpn3640

from vpnrouter.cli.shell.grammar import ENABLE, EXEC
from vpnrouter.cli.shell.interactive import MORE, interact, page, run_script
from vpnrouter.cli.shell.session import Session


def test_prompt_and_enable() -> None:
    s = Session(FakeBackend(vpn2611()))
    assert s.prompt == "vpn2611>"
    assert s.execute("enable").text == ""
    assert s.prompt == "vpn2611#" and s.privilege == ENABLE
    s.execute("disable")
    assert s.prompt == "vpn2611>" and s.privilege == EXEC
    assert s.execute("exit").exit


def test_errors_are_rendered_under_the_prompt() -> None:
    s = Session(FakeBackend(vpn2611()))
    result = s.execute("sh cry isakmx sa")
    assert not result.ok
    # "vpn2611>" (8) + "sh cry " (7) + "isakm" (5): the caret under the "x"
    assert result.text == " " * 20 + "^\n% Invalid input detected at '^' marker.\n\n"
    assert s.execute("sh cry").text == "% Incomplete command.\n\n"
    assert s.execute("sh c").text == '% Ambiguous command:  "sh c"\n'


def test_help_prefill() -> None:
    s = Session(FakeBackend(vpn2611()))
    result = s.execute("sh cry ?")
    assert result.ok and result.prefill == "sh cry "
    assert "  isakmp   Show ISAKMP" in result.text
    result = s.execute("sh cry is?")
    assert result.prefill == "sh cry is" and result.text == "isakmp\n\n"
    assert list(s.history) == []  # help requests are not commands


def test_clear_and_debug_reach_the_backend() -> None:
    backend = FakeBackend(vpn2611())
    s = Session(backend, privilege=ENABLE)
    assert s.run_command("clear crypto sa") == ""
    s.run_command("clear crypto sa peer 172.18.124.199")
    s.run_command("clear crypto isakmp")
    s.run_command("clear crypto isakmp 6")
    assert s.run_command("debug crypto isakmp") == "Crypto ISAKMP debugging is on\n"
    assert s.run_command("deb cry ips") == "Crypto IPSEC debugging is on\n"
    assert s.run_command("deb cry eng") == "Crypto Engine debugging is on\n"
    assert s.run_command("show debugging").splitlines() == [
        "Cryptographic Subsystem:",
        "  Crypto ISAKMP debugging is on",
        "  Crypto Engine debugging is on",
        "  Crypto IPSEC debugging is on",
    ]
    assert s.run_command("no debug crypto engine") == "Crypto Engine debugging is off\n"
    assert s.run_command("undebug all") == "All possible debugging has been turned off\n"
    assert s.run_command("show debugging") == ""
    assert backend.calls == [
        ("clear_sa", None),
        ("clear_sa", "172.18.124.199"),
        ("clear_isakmp", None),
        ("clear_isakmp", 6),
        ("debug", ("isakmp", True)),
        ("debug", ("ipsec", True)),
        ("debug", ("engine", True)),
        ("debug", ("engine", False)),
        ("debug", ("all", False)),
    ]


def test_clear_needs_enable() -> None:
    backend = FakeBackend(vpn2611())
    s = Session(backend)
    assert not s.execute("clear crypto sa").ok
    assert backend.calls == []


def test_backend_errors() -> None:
    backend = FakeBackend(vpn2611())
    s = Session(backend, privilege=ENABLE)
    assert s.prompt == "vpn2611#"
    backend.fail = "cannot reach vpnrouter at /run/vpnrouter/vpn2611.sock: No such file"
    result = s.execute("sh cry isa sa")
    assert not result.ok
    assert result.text == "% cannot reach vpnrouter at /run/vpnrouter/vpn2611.sock: No such file\n"
    assert not s.execute("clear crypto sa").ok
    assert s.prompt == "vpn2611#"  # the name learnt earlier stays
    assert Session(backend).prompt == "Router>"


def test_terminal_settings_and_history() -> None:
    s = Session(FakeBackend(vpn3640()))
    s.execute("terminal length 0")
    assert s.terminal_length == 0
    s.execute("term mon")
    assert s.monitor
    s.execute("term no mon")
    assert not s.monitor
    for _ in range(12):
        s.execute("sh ver")
    s.execute("sh foo")  # a wrong line is history too (IOS keeps what was typed)
    assert len(s.history) == 10
    assert s.run_command("show history").splitlines()[-2:] == ["  sh foo", "  show history"]


def test_clock() -> None:
    s = Session(FakeBackend(vpn3640()), clock=lambda: 1_000_000_000.25)
    assert s.run_command("show clock") == "*01:46:40.250 UTC Sun Sep 9 2001\n"


def test_pager() -> None:
    text = "".join(f"line {i}\n" for i in range(10))
    out: list[str] = []
    keys = iter([" ", "\r", "q"])
    page(text, 4, out.append, lambda: next(keys))
    shown = "".join(out).replace("\b", "").replace(MORE, "").replace(" " * len(MORE), "")
    # 3 lines, a page (space), one line (return), then stop (q)
    assert shown.splitlines() == [f"line {i}" for i in range(7)]
    assert "".join(out).count(MORE) == 3
    out.clear()
    page(text, 0, out.append, lambda: "")
    assert "".join(out) == text  # terminal length 0: no pausing
    out.clear()
    page("a\nb\n", 24, out.append, lambda: "")
    assert out == ["a\nb\n"]


def test_run_script_transcript() -> None:
    out: list[str] = []
    s = Session(FakeBackend(vpn3640()))
    status = run_script(
        s, ["sh cry isa sa\n", "enable\n", "sh cry\n", "exit\n", "sh ver\n"], out.append
    )
    assert status == 1  # one command failed
    assert "".join(out).splitlines() == [
        "vpn3640>sh cry isa sa",
        "dst             src             state          conn-id slot",
        "172.18.124.159  172.18.124.199  QM_IDLE              4    0",
        "vpn3640>enable",
        "vpn3640#sh cry",
        "% Incomplete command.",
        "",
        "vpn3640#exit",
    ]


class ScriptedReader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = iter(lines)
        self.prompts: list[tuple[str, str]] = []

    def read_line(self, prompt: str, prefill: str) -> str:
        self.prompts.append((prompt, prefill))
        line = next(self.lines, None)
        if line is None:
            raise EOFError
        return prefill + line


def test_interact_loop_with_help_prefill() -> None:
    out: list[str] = []
    reader = ScriptedReader(["sh cry ?", "isa sa", "en", "term len 3", "sh cry ips sa"])
    s = Session(FakeBackend(vpn2611()))
    status = interact(s, reader, out.append, lambda: "q")
    assert status == 0
    assert reader.prompts[:3] == [("vpn2611>", ""), ("vpn2611>", "sh cry "), ("vpn2611>", "")]
    text = "".join(out)
    assert "  isakmp   Show ISAKMP" in text and "172.18.124.199  QM_IDLE" in text
    assert text.count(MORE) == 1  # the long ipsec output stopped at the first page


class SlowBackend(FakeBackend):
    def debug_lines(self) -> Iterator[str]:
        for line in self.lines:
            time.sleep(0.01)
            yield line


def test_terminal_monitor_copies_debug_lines() -> None:
    lines = ("00:01:12: ISAKMP (0:5): processing SA payload. message ID = 0", "00:01:13: x")
    backend = SlowBackend(vpn2611(), lines)
    out: list[str] = []
    lock = threading.Lock()

    def write(text: str) -> None:
        with lock:
            out.append(text)

    reader = ScriptedReader(["terminal monitor"])
    interact(Session(backend), reader, write, lambda: "q")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and f"{lines[1]}\n" not in out:
        time.sleep(0.01)
    assert f"{lines[0]}\n" in out and f"{lines[1]}\n" in out


def test_monitor_off_drops_lines() -> None:
    backend = FakeBackend(vpn2611(), ("a line",))
    out: list[str] = []
    interact(Session(backend), ScriptedReader(["sh ver"]), out.append, lambda: "q")
    time.sleep(0.05)
    assert "a line\n" not in out
