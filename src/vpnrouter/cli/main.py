"""Entry point of the `vpnrouter` command.

Each sub-command lives in its own module exposing ``register(subparsers)``; the module sets
``func`` on its parser, a callable taking the parsed namespace and returning the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vpnrouter import __version__

# Modules that contribute sub-commands, in the order `vpnrouter --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "vpnrouter.cli.lint_cmd",
    "vpnrouter.cli.run_cmd",
    "vpnrouter.cli.status_cmd",
    "vpnrouter.cli.shell_cmd",
    "vpnrouter.cli.lab_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vpnrouter",
        description="IKEv1/IPsec VPN gateway that runs Cisco IOS crypto configurations.",
    )
    parser.add_argument("--version", action="version", version=f"vpnrouter {__version__}")
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
