"""``vpnrouter run --config FILE``: the router daemon.

Reads the IOS configuration (errors are shown the IOS way; like IOS, what is valid is
applied), binds its interfaces (``--interface IOS=LINUX`` assigns the configured addresses and
applies the ``ip route`` lines; without it the addresses must already be on the host), then
runs the IKE engine and the userspace ESP data plane until SIGTERM or SIGINT, and removes what
it created: TUN device, routes, addresses, control socket.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from vpnrouter.config import format_error, load
from vpnrouter.router.control import ControlError, default_path
from vpnrouter.router.daemon import Router
from vpnrouter.router.interfaces import InterfaceError, InterfaceManager, parse_interface_args
from vpnrouter.router.ioslog import DEBUG_WORDS, IosLogger, parse_debug
from vpnrouter.router.policy_builder import PolicyBuildError, build, build_aaa


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="run the router with an IOS configuration",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("--config", required=True, type=Path, help="IOS configuration file")
    parser.add_argument(
        "--interface",
        action="append",
        default=[],
        metavar="IOS=LINUX",
        help="bind an IOS interface to a Linux one and configure it (repeatable)",
    )
    parser.add_argument(
        "--socket",
        type=Path,
        default=None,
        help="control socket (default /run/vpnrouter/HOSTNAME.sock)",
    )
    parser.add_argument(
        "--debug",
        action="append",
        default=[],
        metavar="LIST",
        help=f"debug crypto facilities, comma separated: {', '.join(DEBUG_WORDS)}",
    )
    parser.add_argument("--tun", default="vpn0", help="name of the TUN device (default vpn0)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # One loop from the start: its clock stamps the log and drives the engine.
    loop = asyncio.new_event_loop()
    try:
        return _run(args, loop)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _run(args: argparse.Namespace, loop: asyncio.AbstractEventLoop) -> int:
    try:
        debug = parse_debug(args.debug)
        explicit = parse_interface_args(args.interface)
    except ValueError as exc:
        print(f"% {exc}", file=sys.stderr)
        return 2
    log = IosLogger(sys.stderr, debug, loop.time)
    try:
        result = load(args.config)
    except OSError as exc:
        print(f"% {args.config}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for error in result.errors:
        print(format_error(error, str(args.config)), file=sys.stderr)
    config = result.config
    try:
        plan = build(config)
    except PolicyBuildError as exc:
        print(f"% {args.config}: {exc}", file=sys.stderr)
        return 1
    for warning in plan.warnings:
        log.syslog(f"%VPNROUTER-4-UNSUPPORTED: {warning}")
    interfaces = InterfaceManager(
        config, explicit, lambda text: log.syslog(f"%LINK-5-BIND: {text}")
    )
    try:
        bindings = interfaces.setup()
    except InterfaceError as exc:
        print(f"% {exc}", file=sys.stderr)
        return 1
    try:
        socket_path = args.socket or default_path(config.hostname)
        router = Router(
            plan,
            log,
            socket_path=socket_path,
            tun_name=args.tun,
            interfaces={b.ios: b.linux for b in bindings},
            aaa=build_aaa(config, lambda text: log.syslog(f"%VPNROUTER-4-UNSUPPORTED: {text}")),
            config=config,
            config_file=str(args.config),
        )
        log.syslog(f"%SYS-5-CONFIG_I: Configured from {args.config}")
        return loop.run_until_complete(_serve(router))
    except (ControlError, OSError) as exc:
        print(f"% {exc}", file=sys.stderr)
        return 1
    finally:
        interfaces.cleanup()


async def _serve(router: Router) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await router.run(stop)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0
