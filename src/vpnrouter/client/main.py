"""Entry point of the `vpnclient` command (the Cisco VPN Client 4.x role)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vpnrouter import __version__

# Modules that contribute sub-commands (each exposes ``register(subparsers)``).
COMMAND_MODULES: tuple[str, ...] = (
    "vpnrouter.client.commands",
    "vpnrouter.client.connect_cmd",
    "vpnrouter.client.control",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vpnclient",
        description="Remote-access IPsec client in the role of the Cisco VPN Client 4.x.",
    )
    parser.add_argument("--version", action="version", version=f"vpnclient {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    status: int = func(args)
    return status
