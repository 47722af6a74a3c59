"""The package installs and its entry points answer."""

import subprocess
import sys

import vpnrouter


def test_vpnrouter_version_matches_package() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "vpnrouter", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"vpnrouter {vpnrouter.__version__}"


def test_vpnrouter_without_command_prints_usage_and_fails() -> None:
    out = subprocess.run([sys.executable, "-m", "vpnrouter"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "usage: vpnrouter" in out.stderr


def test_seed_configs_are_shipped_with_the_project() -> None:
    from pathlib import Path

    seed = Path(__file__).resolve().parent.parent / "examples" / "seed"
    text = (seed / "vpn2611.cfg").read_text()
    assert "hostname vpn2611" in text
    assert "crypto map clientmap 10 ipsec-isakmp dynamic dynmap" in text
    assert "hostname vpn3640" in (seed / "vpn3640.cfg").read_text()
