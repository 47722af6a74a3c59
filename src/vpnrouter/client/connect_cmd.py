"""The ``vpnclient connect`` command line: the entry, the group password, the gateway's
address and where the answers to the gateway's questions come from; the flow itself is
:mod:`vpnrouter.client.connect`.

``--password-stdin`` (as ``docker login`` has it) reads the password(s) from standard input,
one per line; ``--username`` skips the user name question. Without them the user is asked on
the terminal; without a terminal, connecting with XAuth fails with a clear message.

``--background``: the same, up to "Your link is now secure." and the tunnel information; then
the connection goes on in a detached process and the command exits 0
(:mod:`vpnrouter.client.background`).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from vpnrouter.client import background, commands, pcf
from vpnrouter.client import control as ctl
from vpnrouter.client.connect import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Connection,
    NoPrompter,
    Options,
)
from vpnrouter.client.profiles import AUTH_GROUP, TUNNEL_TCP, Profile, ProfileError, ProfileStore
from vpnrouter.client.prompt import LinesPrompter, Prompter, PromptError, TerminalPrompter
from vpnrouter.client.session import DEFAULT_TUN
from vpnrouter.ike.policy import IOS_DEFAULT_LIFETIME
from vpnrouter.router.control import socket_in_use
from vpnrouter.router.ioslog import DEBUG_WORDS, parse_debug

MIN_LIFETIME = 60  # seconds: what IOS accepts as "lifetime" in an ISAKMP policy


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "connect",
        help="connect to the gateway of a connection entry",
        description="Connect to the VPN gateway of a connection entry, in the foreground: "
        "group authentication, user authentication (asked on the terminal), address and "
        "routes from the gateway. Ctrl-C or 'vpnclient disconnect' ends the connection "
        "(with --background, once the link is secure the connection goes on in the "
        "background and the command returns).",
    )
    parser.add_argument("entry", metavar="ENTRY", help="connection entry name")
    parser.add_argument("--profile-dir", metavar="DIR", help="directory of the .pcf entries")
    parser.add_argument("--username", metavar="USER", help="XAuth user name (no prompt)")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (one per line: a second line is used "
        "if the gateway refuses the first)",
    )
    parser.add_argument(
        "--socket",
        metavar="PATH",
        help=f"control socket (default {ctl.SOCKET_DIR}/ENTRY{ctl.SOCKET_SUFFIX})",
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="once the link is secure, keep the connection in a background process (PID file "
        "next to the control socket) and return; 'vpnclient disconnect' ends it",
    )
    parser.add_argument(
        "--no-dns", action="store_true", help="do not change /etc/resolv.conf; print the DNS"
    )
    parser.add_argument("--tun", default=DEFAULT_TUN, help=f"TUN device (default {DEFAULT_TUN})")
    parser.add_argument(
        "--ike-lifetime",
        type=_lifetime,
        default=IOS_DEFAULT_LIFETIME,
        metavar="SECONDS",
        help=f"phase-1 (ISAKMP SA) lifetime to propose, {MIN_LIFETIME}-{IOS_DEFAULT_LIFETIME}"
        f" (default {IOS_DEFAULT_LIFETIME}; the gateway may shorten it); the client"
        " re-authenticates before it ends",
    )
    parser.add_argument(
        "--debug",
        action="append",
        default=[],
        metavar="LIST",
        help=f"IKE log on standard error, comma separated: {', '.join(DEBUG_WORDS)} "
        "(key material only with 'secrets')",
    )
    parser.set_defaults(func=run_connect)


def _lifetime(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not MIN_LIFETIME <= value <= IOS_DEFAULT_LIFETIME:
        raise argparse.ArgumentTypeError(
            f"{text!r}: seconds from {MIN_LIFETIME} to {IOS_DEFAULT_LIFETIME}"
        )
    return value


def run_connect(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
    except ProfileError as exc:
        print(f"vpnclient: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:
        print(f"vpnclient: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\nvpnclient: interrupted; not connected", file=sys.stderr)
        return EXIT_INTERRUPTED
    if socket_in_use(options.socket_path):
        print(
            f"vpnclient: connection entry '{options.entry}' is already connected"
            f" (control socket {options.socket_path}); see 'vpnclient status'",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if args.background:
        forked = background.fork(background.pid_file_for(options.socket_path))
        if isinstance(forked, int):
            return forked  # the parent: the child detached (0) or failed (its status)
        options.background = forked
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(Connection(options, sys.stdout, sys.stderr).run())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        if options.background is not None:
            options.background.finish()


def _options(args: argparse.Namespace) -> Options:
    debug = parse_debug(args.debug)
    # absolute paths: a background connection runs in "/"
    store = ProfileStore(
        Path(args.profile_dir).expanduser().absolute() if args.profile_dir else None
    )
    doc, warnings = store.read_document(args.entry)
    path = store.path(args.entry)
    for warning in sorted(
        [*warnings, *pcf.unknown_key_warnings(doc, str(path))], key=lambda w: w.line
    ):
        print(warning, file=sys.stderr)
    profile = store.load(args.entry)
    if profile.auth_type != AUTH_GROUP:
        raise ProfileError(
            f"{path}: AuthType {profile.auth_type} (certificates) is not supported:"
            " vpnclient does group authentication (AuthType=1)"
        )
    if profile.tunneling_mode == TUNNEL_TCP:
        print(
            f"Warning: {path}: IPsec over TCP is not supported; using IPsec over UDP (NAT-T)",
            file=sys.stderr,
        )
    prompter: Prompter
    if args.password_stdin:
        try:
            prompter = LinesPrompter.from_stdin()
        except PromptError as exc:
            raise ProfileError(str(exc)) from None
    elif TerminalPrompter.available():
        prompter = TerminalPrompter()
    else:
        prompter = NoPrompter()
    return Options(
        entry=profile.name,
        profile=profile,
        group_key=_group_key(profile, args),
        gateway=_resolve(profile.host),
        prompter=prompter,
        username=args.username,
        socket_path=(
            Path(args.socket) if args.socket else ctl.default_socket(profile.name)
        ).absolute(),
        tun_name=args.tun,
        apply_dns=not args.no_dns,
        debug=debug,
        ike_lifetime=args.ike_lifetime,
    )


def _group_key(profile: Profile, args: argparse.Namespace) -> str:
    if profile.group_password:
        return profile.group_password
    if args.password_stdin or not sys.stdin.isatty():
        raise ProfileError(
            f"connection entry '{profile.name}' has no saved group password and there is no"
            " terminal to ask for it (save it with 'vpnclient new --save-group-password')"
        )
    try:
        secret = commands.prompt_secret("Group password: ")
    except EOFError:
        secret = ""
    if not secret:
        raise ProfileError("no group password given")
    return secret


def _resolve(host: str) -> IPv4Address:
    try:
        return IPv4Address(host)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, 500, socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as exc:
        raise ProfileError(f"cannot resolve the gateway {host!r}: {exc}") from None
    return IPv4Address(infos[0][4][0])
