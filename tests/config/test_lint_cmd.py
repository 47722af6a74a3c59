"""`vpnrouter lint` as the operator runs it: output, --json, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from config_samples import VPN2611, VPN3640, variant

from vpnrouter.cli.main import main


def test_seed_pair_exits_0_and_predicts_the_tunnel(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(VPN2611), str(VPN3640)]) == 0
    out = capsys.readouterr().out
    assert "tunnel vpn2611 (Ethernet0/0 172.18.124.159, crypto map clientmap 1) <-> vpn3640" in out
    assert ": comes up; phase 1 policy 10" in out
    assert out.splitlines()[-1] == "summary: 0 error, 0 warning, 14 advisory; 1 tunnel(s) predicted"


def test_errors_exit_1_and_show_the_ios_caret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "vpn3640.cfg"
    broken.write_text(variant("vpn3640.cfg", ("crypto isakmp policy 10", "crypto isakmp polcy 10")))
    assert main(["lint", str(VPN2611), str(broken)]) == 1
    out = capsys.readouterr().out
    assert (
        "vpn3640.cfg:22:\ncrypto isakmp polcy 10\n              ^\n"
        "% Invalid input detected at '^' marker.\n"
    ) in out
    assert ": does not come up" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--json", str(VPN2611), str(VPN3640)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exit_status"] == 0
    assert data["tunnels"][0]["comes_up"] is True
    assert [f["code"] for f in data["findings"]][:2] == ["plaintext-passwords", "weak-3des"]
    assert len(data["files"][1]["not_acted_on"]) == 17


def test_verbose_lists_lines_not_acted_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "-v", str(VPN3640)]) == 0
    out = capsys.readouterr().out
    assert "vpn3640.cfg:92: not acted on: login" in out


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(tmp_path / "missing.cfg")]) == 2
    assert "% Cannot open" in capsys.readouterr().err


def test_installed_command_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "vpnrouter", "lint", str(VPN2611), str(VPN3640)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "comes up" in out.stdout
