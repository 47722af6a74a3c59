"""Asking the user for the XAuth user name and password while the connection keeps running.

The questions are asked on the event loop (the IKE engine must keep answering the gateway
and retransmitting while the user types), from the terminal on standard input: the prompt
goes to standard output, a password is read with echo off (as ``getpass`` does) and the
terminal settings are restored whatever happens (an answer, Ctrl-C, an error).

For scripts, ``--password-stdin`` (as ``docker login`` has it): the passwords come from
standard input, one per line, read before connecting; the second line is used if the
gateway refuses the first, and so on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import termios
from collections.abc import Iterator
from typing import Final, Protocol, TextIO

MAX_ANSWER: Final = 1024  # bytes in one answer (XAuth attributes are 16-bit lengths)
MAX_STDIN: Final = 64 * 1024


class PromptError(Exception):
    """No answer can be had (no terminal, end of input); ``str()`` is for the user."""


class Prompter(Protocol):
    async def ask(self, prompt: str, *, secret: bool) -> str: ...


class TerminalPrompter:
    """Questions on a terminal: ``fd`` is read (standard input), ``out`` gets the prompts."""

    def __init__(self, fd: int | None = None, out: TextIO | None = None) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.out = out or sys.stdout

    @staticmethod
    def available(fd: int | None = None) -> bool:
        try:
            return os.isatty(sys.stdin.fileno() if fd is None else fd)
        except (OSError, ValueError):
            return False

    async def ask(self, prompt: str, *, secret: bool) -> str:
        if not self.available(self.fd):
            raise PromptError("standard input is not a terminal")
        with self._echo(not secret):
            self.out.write(prompt)
            self.out.flush()
            try:
                line = await self._read_line()
            finally:
                if secret:  # the Enter the user typed was not echoed
                    self.out.write("\n")
                    self.out.flush()
        return line

    @contextlib.contextmanager
    def _echo(self, echo: bool) -> Iterator[None]:
        if echo:
            yield
            return
        old = termios.tcgetattr(self.fd)
        new = list(old)
        new[3] &= ~(termios.ECHO | termios.ECHOE | termios.ECHOK | termios.ECHONL)
        termios.tcsetattr(self.fd, termios.TCSAFLUSH, new)
        try:
            yield
        finally:
            termios.tcsetattr(self.fd, termios.TCSAFLUSH, old)

    async def _read_line(self) -> str:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str] = loop.create_future()
        buffer = bytearray()

        def readable() -> None:
            if done.done():
                return
            try:
                chunk = os.read(self.fd, MAX_ANSWER)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                done.set_exception(PromptError(f"cannot read the terminal: {exc.strerror}"))
                return
            if not chunk:
                done.set_exception(PromptError("end of input"))
                return
            buffer.extend(chunk)
            if b"\n" in buffer or len(buffer) > MAX_ANSWER:
                line = bytes(buffer).split(b"\n", 1)[0][:MAX_ANSWER]
                done.set_result(line.rstrip(b"\r").decode("utf-8", errors="replace"))

        loop.add_reader(self.fd, readable)
        try:
            return await done
        finally:
            loop.remove_reader(self.fd)


class LinesPrompter:
    """Answers from lines read beforehand (``--password-stdin``): nothing is printed for
    them but the prompt's own text, so the transcript shows what was asked."""

    def __init__(self, lines: list[str], out: TextIO | None = None) -> None:
        self._lines = list(lines)
        self.out = out or sys.stdout

    @classmethod
    def from_stdin(cls, out: TextIO | None = None) -> LinesPrompter:
        data = sys.stdin.buffer.read(MAX_STDIN + 1)
        if len(data) > MAX_STDIN:
            raise PromptError(f"standard input is over {MAX_STDIN} bytes")
        text = data.decode("utf-8", errors="replace")
        lines = [line.rstrip("\r") for line in text.split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
        if not lines:
            raise PromptError("no password on standard input (--password-stdin)")
        return cls(lines, out)

    @property
    def left(self) -> int:
        return len(self._lines)

    async def ask(self, prompt: str, *, secret: bool) -> str:
        if not self._lines:
            raise PromptError("no more passwords on standard input (--password-stdin)")
        self.out.write(f"{prompt}<from standard input>\n")
        self.out.flush()
        return self._lines.pop(0)
