"""``vpnrouter cli`` and ``vpnrouter exec``: the IOS exec shell on a running router.

``vpnrouter cli [--router NAME | --socket PATH]`` opens the interactive shell (``NAME>``,
``enable`` for ``NAME#``); with commands piped in, it prints a transcript. ``vpnrouter exec
ROUTER COMMAND...`` runs commands at the privileged level and prints their output (``--json``
adds ``| json``). Both talk to the router's control socket (``SocketBackend``, requests in
docs/CONTRACTS.md, "control socket / show").
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vpnrouter.cli.shell.grammar import ENABLE
from vpnrouter.cli.shell.interactive import run_terminal
from vpnrouter.cli.shell.session import BackendError, Session
from vpnrouter.cli.shell.snapshot import Snapshot, SnapshotError
from vpnrouter.router.control import (
    CLIENT_TIMEOUT,
    DEFAULT_DIR,
    ControlError,
    default_path,
    request,
)

LOG_POLL_INTERVAL = 0.5


class SocketBackend:
    """``RouterBackend`` over the control socket (one JSON request per call)."""

    def __init__(
        self,
        path: Path,
        timeout: float = CLIENT_TIMEOUT,
        poll_interval: float = LOG_POLL_INTERVAL,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.poll_interval = poll_interval

    def _request(self, command: str, **args: Any) -> Any:
        try:
            return request(self.path, command, timeout=self.timeout, **args)
        except ControlError as exc:
            raise BackendError(str(exc)) from exc

    def snapshot(self) -> Snapshot:
        data = self._request("snapshot")
        try:
            return Snapshot.from_json(data)
        except SnapshotError as exc:
            raise BackendError(f"the router sent an unreadable snapshot: {exc}") from exc

    def clear_sa(self, peer: str | None) -> None:
        self._request("clear_sa", peer=peer)

    def clear_isakmp(self, conn_id: int | None) -> None:
        self._request("clear_isakmp", conn_id=conn_id)

    def set_debug(self, facility: str, on: bool) -> None:
        self._request("debug", facility=facility, on=on)

    def debug_lines(self) -> Iterator[str]:
        """Polls ``log`` from the current end of the router's log on."""
        since: int | None = None
        while True:
            result = self._request("log", since=since)
            if not isinstance(result, dict) or not isinstance(result.get("next"), int):
                raise BackendError(f"the router answered log with {result!r}")
            lines = result.get("lines") or []
            yield from (str(line) for line in lines)
            since = result["next"]
            if not lines:
                time.sleep(self.poll_interval)


def find_socket(router: str | None, socket: Path | None) -> Path:
    """--socket, else the router's socket (a name, or a path with a /), else the only one."""
    if socket is not None:
        return socket
    if router is not None:
        return Path(router) if "/" in router else default_path(router)
    found = sorted(DEFAULT_DIR.glob("*.sock")) if DEFAULT_DIR.is_dir() else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise BackendError(f"no vpnrouter is running (no socket in {DEFAULT_DIR})")
    names = ", ".join(p.stem for p in found)
    raise BackendError(f"several routers are running ({names}): choose one with --router")


def register(subparsers: Any) -> None:
    cli: argparse.ArgumentParser = subparsers.add_parser(
        "cli", help="IOS exec shell on a running router", description=__doc__
    )
    target = cli.add_mutually_exclusive_group()
    target.add_argument("--router", metavar="NAME", help="router hostname (its socket)")
    target.add_argument("--socket", type=Path, help="control socket path")
    cli.set_defaults(func=run_cli)

    exe: argparse.ArgumentParser = subparsers.add_parser(
        "exec", help="run exec commands on a running router", description=__doc__
    )
    exe.add_argument("router", metavar="ROUTER", help="router hostname, or its socket path")
    exe.add_argument("commands", metavar="COMMAND", nargs="+", help='e.g. "show crypto isakmp sa"')
    exe.add_argument("--json", action="store_true", help="structured output (| json)")
    exe.set_defaults(func=run_exec, socket=None)


def run_cli(args: argparse.Namespace) -> int:
    try:
        backend = SocketBackend(find_socket(args.router, args.socket))
        session = Session(backend)
        session.backend.snapshot()  # fail now, not at the first command
    except BackendError as exc:
        print(f"% {exc}", file=sys.stderr)
        return 1
    return run_terminal(session)


def run_exec(args: argparse.Namespace) -> int:
    try:
        backend = SocketBackend(find_socket(args.router, args.socket))
    except BackendError as exc:
        print(f"% {exc}", file=sys.stderr)
        return 1
    session = Session(backend, privilege=ENABLE)
    status = 0
    for command in args.commands:
        line = f"{command} | json" if args.json and "|" not in command else command
        if len(args.commands) > 1:
            print(f"{session.prompt}{line}")
        result = session.execute(line)
        if result.ok:
            sys.stdout.write(result.text)
            continue
        status = 1
        if len(args.commands) == 1 and result.text.lstrip().startswith("^"):
            print(f"{session.prompt}{line}", file=sys.stderr)
        sys.stderr.write(result.text)
    sys.stdout.flush()
    return status


def main(argv: list[str] | None = None) -> int:
    """``python -m vpnrouter.cli.shell_cmd cli|exec ...`` (until `vpnrouter` registers it)."""
    parser = argparse.ArgumentParser(prog="vpnrouter")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
