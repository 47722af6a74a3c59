"""The interactive exec: readline line editing hooked to the grammar, paging, monitor.

- Tab completes the word under the cursor (unique prefix -> the whole keyword and a space);
  when it cannot, the second Tab lists what may follow, with help, as ``?`` does.
- ``?`` is bound to "insert a literal ? and accept the line" (a readline macro), so help
  comes at once, like on a router, and the text before the ``?`` is put back at the next
  prompt. Where readline is libedit, or input is not a terminal, ``?`` + Return does the same.
- Output longer than ``terminal length`` pauses at `` --More-- `` (space: a page, Return: a
  line, anything else: stop); ``terminal length 0`` never pauses.
- ``terminal monitor`` copies the router's log and debug lines to the terminal (a thread
  reading ``RouterBackend.debug_lines()``).
- ``run_script`` reads commands from a file or pipe and prints a transcript.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TextIO

from vpnrouter.cli.shell.session import BackendError, Session

MORE = " --More-- "


class LineReader(Protocol):
    def read_line(self, prompt: str, prefill: str) -> str:
        """One line without its newline; EOFError at the end of input."""
        ...


def page(text: str, length: int, write: Callable[[str], None], read_key: Callable[[], str]) -> None:
    """Write ``text`` a screen at a time (``length`` lines, the last one for --More--)."""
    lines = text.splitlines(keepends=True)
    if length <= 0 or len(lines) < length:
        write(text)
        return
    shown, budget = 0, length - 1
    while shown < len(lines):
        chunk = lines[shown : shown + budget]
        write("".join(chunk))
        shown += len(chunk)
        if shown >= len(lines):
            return
        write(MORE)
        key = read_key()
        write("\b" * len(MORE) + " " * len(MORE) + "\b" * len(MORE))
        if key == " ":
            budget = length - 1
        elif key in ("\r", "\n"):
            budget = 1
        else:
            return


def tty_key(stream: TextIO) -> Callable[[], str]:
    """A function reading one key from a terminal without waiting for Return."""
    import termios
    import tty

    def read_key() -> str:
        fd = stream.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            return os.read(fd, 1).decode(errors="replace")
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    return read_key


class Monitor:
    """Copies ``backend.debug_lines()`` to the terminal while ``session.monitor`` is on."""

    def __init__(self, session: Session, write: Callable[[str], None]) -> None:
        self.session = session
        self.write = write
        self._thread: threading.Thread | None = None

    def ensure_started(self) -> None:
        if self._thread is None and self.session.monitor:
            self._thread = threading.Thread(target=self._run, name="monitor", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            for line in self.session.backend.debug_lines():
                if self.session.monitor:
                    self.write(f"{line}\n")
        except BackendError as exc:
            self.write(f"% terminal monitor stopped: {exc}\n")
        finally:
            self._thread = None


def interact(
    session: Session,
    reader: LineReader,
    write: Callable[[str], None],
    read_key: Callable[[], str],
) -> int:
    """The exec loop: prompt, read, execute, page; returns at ``exit`` or end of input."""
    monitor = Monitor(session, write)
    prefill = ""
    write("\n")
    while True:
        try:
            line = reader.read_line(session.prompt, prefill)
        except EOFError:
            write("\n")
            return 0
        except KeyboardInterrupt:
            write("\n")
            prefill = ""
            continue
        result = session.execute(line)
        try:
            page(result.text, session.terminal_length, write, read_key)
        except KeyboardInterrupt:
            write("\n")
        monitor.ensure_started()
        if result.exit:
            return 0
        prefill = result.prefill


def run_script(session: Session, lines: Iterable[str], write: Callable[[str], None]) -> int:
    """Commands from a pipe or file, printed as a transcript; 1 if any command failed."""
    status = 0
    for raw in lines:
        line = raw.rstrip("\r\n")
        write(f"{session.prompt}{line}\n")
        result = session.execute(line)
        write(result.text)
        if not result.ok:
            status = 1
        if result.exit:
            break
    return status


class ReadlineReader:
    """GNU readline: history, Tab completion and instant ``?`` from the grammar."""

    def __init__(self, session: Session, out: TextIO = sys.stdout) -> None:
        import readline

        self.readline: Any = readline
        self.session = session
        self.out = out
        self._matches: list[str] = []
        readline.clear_history()
        readline.set_completer_delims(" \t")
        readline.set_completer(self._complete)
        readline.set_completion_display_matches_hook(self._display)
        readline.parse_and_bind("tab: complete")
        self.libedit = "libedit" in (readline.__doc__ or "")
        if not self.libedit:
            readline.parse_and_bind(r'"?": "\C-v?\C-m"')

    def _buffer(self) -> str:
        rl = self.readline
        return str(rl.get_line_buffer())[: int(rl.get_endidx())]

    def _complete(self, text: str, state: int) -> str | None:
        if state == 0:  # Python's readline appends nothing itself: the space is ours
            words = self.session.grammar.complete(self._buffer(), self.session.privilege)
            self._matches = [f"{word} " for word in words]
        return self._matches[state] if state < len(self._matches) else None

    def _display(self, substitution: str, matches: Sequence[str], longest: int) -> None:
        line = self._buffer()
        help_text = self.session.grammar.help(line, self.session.privilege)
        self.out.write("\n" + help_text + self.session.prompt + self.readline.get_line_buffer())
        self.out.flush()

    def read_line(self, prompt: str, prefill: str) -> str:
        rl = self.readline

        def hook() -> None:
            if prefill:
                rl.insert_text(prefill)
                rl.redisplay()

        rl.set_pre_input_hook(hook)
        try:
            line = input(prompt)
        finally:
            rl.set_pre_input_hook(None)
        if line.rstrip().endswith("?") and rl.get_current_history_length() > 0:
            rl.remove_history_item(rl.get_current_history_length() - 1)
        return line


def run_terminal(session: Session) -> int:
    """``vpnrouter cli`` on a terminal (readline), or a transcript of piped commands."""

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    if not sys.stdin.isatty():
        return run_script(session, sys.stdin, write)
    return interact(session, ReadlineReader(session), write, tty_key(sys.stdin))
