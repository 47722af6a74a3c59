"""``vpnrouter lab``: the seed document's whole scenario in network namespaces on this host.

- ``vpnrouter lab up [--peer vpnrouter|strongswan] [--client vpnclient|vpnc|none]`` builds
  the seed's network, starts both routers with the seed configurations unmodified, connects
  the VPN client as user cisco, sends traffic across both tunnels and prints the seed's
  verification section (``vpnrouter.lab.cli_up``).
- ``vpnrouter lab cli ROUTER [COMMAND ...]`` opens the router's exec shell (with commands:
  runs them at the privileged level, as ``vpnrouter exec``).
- ``vpnrouter lab exec HOST COMMAND ...`` runs a command in a lab namespace (``host1``,
  ``pc``, ``vpn2611``, ``inet`` ...), e.g. a ping.
- ``vpnrouter lab status`` lists the lab's namespaces and processes.
- ``vpnrouter lab down`` stops the lab's processes (by PID) and removes its namespaces.

The lab's state (``/run/vpnrouter/lab.json``; ``--state`` or ``$VPNROUTER_LAB_STATE``) is how
the commands after ``up`` find it. Needs root, like the namespaces it makes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from vpnrouter.cli import shell_cmd
from vpnrouter.lab.cli_run import lab_processes, namespaces_present, teardown
from vpnrouter.lab.cli_state import (
    DEFAULT_PREFIX,
    LabState,
    StateError,
    load,
    remove,
    state_path,
)
from vpnrouter.lab.cli_up import CLIENTS, PEERS, SEED_DIR, UpOptions, lab_up
from vpnrouter.lab.netns import IP

NO_LAB = "no lab is up ({path}): 'vpnrouter lab up' makes one"


def register(subparsers: Any) -> None:
    lab: argparse.ArgumentParser = subparsers.add_parser(
        "lab", help="the seed's scenario in network namespaces", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state", metavar="PATH", help="lab state file "
                        "(default $VPNROUTER_LAB_STATE, else /run/vpnrouter/lab.json)")  # fmt: skip
    sub = lab.add_subparsers(dest="lab_command", metavar="COMMAND", required=True)
    up = sub.add_parser("up", parents=[common], help="build the lab and bring both tunnels up")
    up.add_argument("--peer", choices=PEERS, default="vpnrouter", help="who plays vpn3640")
    up.add_argument("--client", choices=CLIENTS, default="vpnclient",
                    help="the remote-access client on the client PC")  # fmt: skip
    up.add_argument("--prefix", default=DEFAULT_PREFIX, help="namespace name prefix")
    up.add_argument("--config-dir", type=Path, default=SEED_DIR,
                    help="directory of vpn2611.cfg and vpn3640.cfg")  # fmt: skip
    up.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="ROUTER=FILE",
        help="another configuration for one router (e.g. vpn3640=broken.cfg)",
    )
    up.add_argument(
        "--debug",
        default="isakmp,ipsec",
        help="the routers' --debug (their logs are in the lab's directory)",
    )
    up.set_defaults(func=run_up)
    down = sub.add_parser("down", parents=[common], help="remove everything the lab made")
    down.set_defaults(func=run_down)
    status = sub.add_parser("status", parents=[common], help="the lab's namespaces and processes")
    status.set_defaults(func=run_status)
    cli = sub.add_parser("cli", parents=[common], help="the exec shell of a lab router")
    cli.add_argument("router", metavar="ROUTER", help="vpn2611 or vpn3640")
    cli.add_argument("commands", metavar="COMMAND", nargs="*",
                     help="run these at the privileged level instead")  # fmt: skip
    cli.set_defaults(func=run_cli)
    exe = sub.add_parser("exec", parents=[common], help="run a command in a lab namespace")
    exe.add_argument("host", metavar="HOST", help="host1, host2, pc, vpn2611, inet ...")
    exe.add_argument("argv", metavar="COMMAND", nargs=argparse.REMAINDER)
    exe.set_defaults(func=run_exec)


def _load(args: argparse.Namespace) -> tuple[Path, LabState | None]:
    path = state_path(args.state)
    return path, load(path)


def _fail(message: str) -> int:
    print(f"vpnrouter lab: {message}", file=sys.stderr)
    return 1


def run_up(args: argparse.Namespace) -> int:
    configs: dict[str, Path] = {}
    for item in args.config:
        router, sep, file = item.partition("=")
        if not sep or router not in ("vpn2611", "vpn3640"):
            return _fail(f"--config {item!r}: expected vpn2611=FILE or vpn3640=FILE")
        configs[router] = Path(file)
    opts = UpOptions(
        state_path=state_path(args.state), prefix=args.prefix, peer=args.peer,
        client=args.client, config_dir=args.config_dir, configs=configs, debug=args.debug,
    )  # fmt: skip
    return lab_up(opts)


def run_down(args: argparse.Namespace) -> int:
    try:
        path, state = _load(args)
    except StateError as exc:
        return _fail(str(exc))
    if state is None:
        print(NO_LAB.format(path=path))
        return 0
    print(f"Removing the lab (prefix {state.prefix!r}) ...")
    problems = teardown(state, say=lambda text: print(f"  {text}"))
    if problems:
        print("".join(f"  - {p}\n" for p in problems), end="", file=sys.stderr)
        return _fail(f"the lab could not be removed completely; state kept in {path}")
    remove(path)
    print(f"Removed {len(state.namespaces)} namespaces and {len(state.processes)} processes.")
    return 0


def run_status(args: argparse.Namespace) -> int:
    try:
        path, state = _load(args)
    except StateError as exc:
        return _fail(str(exc))
    if state is None:
        print(NO_LAB.format(path=path))
        return 1
    present = set(namespaces_present(state))
    print(f"lab prefix {state.prefix!r}, vpn3640 played by {state.peer}, client {state.client}")
    print(f"directory {state.workdir}")
    for role, ns in sorted(state.roles.items()):
        print(f"  {role:<8} {ns:<16} {'up' if ns in present else 'MISSING'}")
    running = {r.pid for r in lab_processes(state)}
    for record in state.processes:
        mark = "running" if record.pid in running else "gone"
        print(f"  {record.name:<15} pid {record.pid:<8} {mark:<8} log {record.log}")
    return 0 if present == set(state.namespaces) else 1


def run_cli(args: argparse.Namespace) -> int:
    try:
        path, state = _load(args)
    except StateError as exc:
        return _fail(str(exc))
    if state is None:
        return _fail(NO_LAB.format(path=path))
    record = state.routers.get(args.router)
    if record is None:
        return _fail(f"no router {args.router!r} in the lab ({', '.join(state.routers)})")
    if record.kind != "vpnrouter":
        return _fail(
            f"{args.router} is played by strongSwan: try 'vpnrouter lab exec {args.router}"
            f" swanctl --list-sas --uri unix://{record.socket}'"
        )
    if args.commands:
        exec_args = argparse.Namespace(router=record.socket, commands=args.commands,
                                       json=False, socket=None)  # fmt: skip
        return shell_cmd.run_exec(exec_args)
    return shell_cmd.run_cli(argparse.Namespace(router=None, socket=Path(record.socket)))


def run_exec(args: argparse.Namespace) -> int:
    try:
        path, state = _load(args)
        if state is None:
            return _fail(NO_LAB.format(path=path))
        ns = state.namespace(args.host)
    except StateError as exc:
        return _fail(str(exc))
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        return _fail("lab exec HOST COMMAND ...: no command")
    env = dict(os.environ)
    for router in state.routers.values():
        if router.kind == "strongswan":
            env["STRONGSWAN_CONF"] = router.swanctl_conf
    try:
        return subprocess.call([IP, "netns", "exec", ns, *argv], env=env)
    except KeyboardInterrupt:
        return 130
