"""The exec session: prompt, privilege, terminal settings, history, and command dispatch.

The session talks to a router only through a ``RouterBackend`` (the control socket adapter in
``vpnrouter.cli.shell_cmd``, or a test double), so it runs the same over any transport.
``Session.execute(line) -> Result`` is one line typed at the prompt (``?`` at the end asks
for help; ``Result.prefill`` is the text IOS puts back on the next prompt);
``run_command(line) -> str`` is the output only. The interactive loop is in
``vpnrouter.cli.shell.interactive``.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from vpnrouter.cli.shell import filters
from vpnrouter.cli.shell.commands import EXEC_GRAMMAR
from vpnrouter.cli.shell.grammar import ENABLE, EXEC, CliError, Command, Grammar
from vpnrouter.cli.shell.show import SHOW_COMMANDS
from vpnrouter.cli.shell.show.common import Dialect, ShowResult, lines_text
from vpnrouter.cli.shell.show.system import DEBUG_NAMES
from vpnrouter.cli.shell.snapshot import Snapshot

HISTORY_SIZE = 10  # IOS `terminal history size` default
DEFAULT_LENGTH = 24
DEBUG_FACILITIES = ("isakmp", "ipsec", "engine")


class BackendError(Exception):
    """The router cannot be reached or refused a request (printed as ``% message``)."""


class RouterBackend(Protocol):
    """What the shell needs from a running router."""

    def snapshot(self) -> Snapshot:
        """The current state for the show commands."""
        ...

    def clear_sa(self, peer: str | None) -> None:
        """``clear crypto sa [peer A.B.C.D]``: delete the IPsec SAs (of one peer)."""
        ...

    def clear_isakmp(self, conn_id: int | None) -> None:
        """``clear crypto isakmp [CONN-ID]``: delete the ISAKMP SAs (one of them)."""
        ...

    def set_debug(self, facility: str, on: bool) -> None:
        """``debug crypto isakmp|ipsec|engine`` / ``undebug ...``; ``all`` with on=False."""
        ...

    def debug_lines(self) -> Iterator[str]:
        """Log and debug lines from now on, as they come (blocks between lines)."""
        ...


@dataclass(frozen=True)
class Result:
    text: str
    ok: bool = True
    prefill: str = ""  # after `?`: the line to put back at the prompt
    exit: bool = False  # `exit`: the session is over


class Session:
    def __init__(
        self,
        backend: RouterBackend,
        *,
        privilege: int = EXEC,
        grammar: Grammar = EXEC_GRAMMAR,
        clock: Callable[[], float] = time.time,
        hostname: str | None = None,
    ) -> None:
        self.backend = backend
        self.privilege = privilege
        self.grammar = grammar
        self.clock = clock
        self.terminal_length = DEFAULT_LENGTH
        self.monitor = False
        self.history: deque[str] = deque(maxlen=HISTORY_SIZE)
        self._hostname = hostname

    # -- prompt -------------------------------------------------------------------------------
    @property
    def hostname(self) -> str:
        if self._hostname is None:
            try:
                self._hostname = self.backend.snapshot().router.hostname
            except BackendError:
                return "Router"
        return self._hostname

    @property
    def prompt(self) -> str:
        return f"{self.hostname}{'#' if self.privilege >= ENABLE else '>'}"

    # -- one line -----------------------------------------------------------------------------
    def execute(self, line: str) -> Result:
        line = line.rstrip("\r\n")
        if line.rstrip().endswith("?"):
            body = line.rstrip()[:-1]
            return Result(self.grammar.help(body, self.privilege), prefill=body)
        if line.strip():
            self.history.append(line.strip())
        try:
            command = self.grammar.parse(line, self.privilege)
        except CliError as exc:
            return Result(exc.render(len(self.prompt)), ok=False)
        if command is None:
            return Result("")
        try:
            return self._dispatch(command)
        except BackendError as exc:
            return Result(f"% {exc}\n", ok=False)

    def run_command(self, line: str) -> str:
        return self.execute(line).text

    # -- dispatch -----------------------------------------------------------------------------
    def _dispatch(self, command: Command) -> Result:
        action = command.action
        if action.startswith("show."):
            return self._show(command)
        handlers: dict[str, Callable[[Command], Result]] = {
            "enable": self._enable,
            "disable": self._disable,
            "exit": lambda c: Result("", exit=True),
            "terminal.length": self._terminal_length,
            "terminal.monitor": lambda c: self._set_monitor(True),
            "terminal.no-monitor": lambda c: self._set_monitor(False),
            "clear.sa": self._clear_sa,
            "clear.isakmp": self._clear_isakmp,
            "debug.on": lambda c: self._debug(c.values["facility"], True),
            "debug.off": lambda c: self._debug(c.values["facility"], False),
            "debug.all-off": self._undebug_all,
        }
        return handlers[action](command)

    def _show(self, command: Command) -> Result:
        result = self._show_result(command)
        output_filter = command.output_filter
        if output_filter is None:
            return Result(result.text)
        if output_filter.kind == "json":
            return Result(json.dumps(result.data, indent=2, sort_keys=True) + "\n")
        try:
            return Result(filters.apply(result.text, output_filter))
        except filters.FilterError as exc:
            return Result(f"{exc}\n", ok=False)

    def _show_result(self, command: Command) -> ShowResult:
        if command.action == "show.history":
            return ShowResult(lines_text([f"  {h}" for h in self.history]), list(self.history))
        if command.action == "show.clock":
            return self._clock()
        snapshot = self.backend.snapshot()
        self._hostname = snapshot.router.hostname
        dialect = Dialect.from_version(snapshot.router.ios_version)
        return SHOW_COMMANDS[command.action](snapshot, dialect, command.values)

    def _clock(self) -> ShowResult:
        now = self.clock()
        stamp = time.gmtime(now)
        millis = int((now - int(now)) * 1000)
        text = (
            time.strftime("%H:%M:%S", stamp)
            + f".{millis:03d} UTC "
            + time.strftime("%a %b ", stamp)
            + f"{stamp.tm_mday} {stamp.tm_year}"
        )
        return ShowResult(f"*{text}\n", {"time": now, "text": text})

    def _enable(self, command: Command) -> Result:
        self.privilege = ENABLE
        return Result("")

    def _disable(self, command: Command) -> Result:
        self.privilege = EXEC
        return Result("")

    def _terminal_length(self, command: Command) -> Result:
        self.terminal_length = int(command.values["length"])
        return Result("")

    def _set_monitor(self, on: bool) -> Result:
        self.monitor = on
        return Result("")

    def _clear_sa(self, command: Command) -> Result:
        self.backend.clear_sa(command.values.get("peer"))
        return Result("")

    def _clear_isakmp(self, command: Command) -> Result:
        conn_id = command.values.get("conn_id")
        self.backend.clear_isakmp(int(conn_id) if conn_id is not None else None)
        return Result("")

    def _debug(self, facility: str, on: bool) -> Result:
        self.backend.set_debug(facility, on)
        return Result(f"{DEBUG_NAMES[facility]} debugging is {'on' if on else 'off'}\n")

    def _undebug_all(self, command: Command) -> Result:
        self.backend.set_debug("all", False)
        return Result("All possible debugging has been turned off\n")
