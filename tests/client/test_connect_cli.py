"""``vpnclient connect`` refusing before it touches the network: a missing entry, no group
password and no terminal to ask on, certificate entries, no password on standard input, a
bad --debug word; a profile's unknown keys are warned about first."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from vpnrouter.client.main import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    directory = tmp_path / "Profiles"
    directory.mkdir(mode=0o700)
    return directory


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, profiles: Path) -> Run:
    def invoke(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        code = main(["connect", *argv, "--profile-dir", str(profiles)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def entry(profiles: Path, name: str, *lines: str) -> None:
    text = "\r\n".join(["[main]", "Host=172.18.124.159", "GroupName=3000client", *lines])
    path = profiles / f"{name}.pcf"
    path.write_text(text + "\r\n")
    path.chmod(0o600)


def test_missing_entry(run: Run) -> None:
    assert run("nosuch") == (
        1,
        "",
        "vpnclient: no connection entry named 'nosuch' (see 'vpnclient list')\n",
    )


def test_no_group_password_and_no_terminal(run: Run, profiles: Path) -> None:
    entry(profiles, "office", "Username=cisco", "X-Lab-Note=kept")
    code, out, err = run("office")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"Warning: {profiles}/office.pcf line 5: unknown key 'X-Lab-Note' kept as is",
        "vpnclient: connection entry 'office' has no saved group password and there is no"
        " terminal to ask for it (save it with 'vpnclient new --save-group-password')",
    ]
    assert "X-Lab-Note=kept" in (profiles / "office.pcf").read_text()


def test_certificate_entries_are_refused(run: Run, profiles: Path) -> None:
    entry(profiles, "cert", "AuthType=3", "GroupPwd=cisco123")
    code, _, err = run("cert")
    assert code == 1 and "AuthType 3 (certificates) is not supported" in err


def test_password_stdin_without_a_password(run: Run, profiles: Path) -> None:
    entry(profiles, "office", "GroupPwd=cisco123")
    assert run("office", "--password-stdin") == (
        1,
        "",
        "vpnclient: no password on standard input (--password-stdin)\n",
    )


def test_unknown_debug_word_is_a_usage_error(run: Run, profiles: Path) -> None:
    entry(profiles, "office", "GroupPwd=cisco123")
    code, _, err = run("office", "--debug", "everything")
    assert code == 2 and "unknown debug facility 'everything'" in err
