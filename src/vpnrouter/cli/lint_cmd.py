"""``vpnrouter lint CONFIG [CONFIG ...]``: check IOS configurations and predict their tunnels.

Exit status: 0 when there are only advisories (and warnings), 1 with any error, 2 when a file
cannot be read. ``--json`` prints the report for automation; ``-v`` lists the lines that are
kept but not acted on.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vpnrouter.config.lint import format_text, lint
from vpnrouter.config.parser import ParseResult, load


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="check IOS configurations and predict whether their tunnels come up",
        description=(
            "Load IOS configurations, report every error the IOS way, the troubleshooting "
            "findings (crypto map entry order, weak cryptography, ...) and, given two or more "
            "configurations, whether the tunnels between them come up and why not."
        ),
    )
    parser.add_argument("configs", nargs="+", metavar="CONFIG", help="IOS configuration file")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the lines not acted on")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    results: list[ParseResult] = []
    for path in args.configs:
        try:
            results.append(load(path))
        except OSError as exc:
            print(f"% Cannot open {path}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    report = lint(results)
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_text(report, verbose=args.verbose))
    return report.exit_status
