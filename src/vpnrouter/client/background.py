"""``vpnclient connect --background``: connect in the foreground, then leave the terminal.

The command forks before anything else runs (no event loop, no thread, no socket of the
connection exists yet). The child makes the connection exactly as the foreground command
does, on the same terminal: the XAuth questions, the messages, the banner, a failure with its
reasons and exit status. The parent only waits: for the child's word that the link is secure
(then it exits 0 and the shell gets its prompt back) or for the child's exit (its status is
the command's).

Once the link is secure the child detaches (:meth:`BackgroundChild.detach`): a new session
(``setsid``: no controlling terminal, no SIGHUP when the terminal closes; it never opens a
terminal again, so it cannot get one), standard input, output and error on ``/dev/null``,
working directory ``/``, its PID written to the PID file next to its control socket; then it
tells the parent. It keeps running the connection (DPD, rekeys, re-authentication with the
password kept in memory) and answers ``vpnclient status`` and ``vpnclient disconnect`` on
its control socket; when it ends it removes the PID file (:meth:`BackgroundChild.finish`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Final

PID_SUFFIX: Final = ".pid"
DETACHED: Final = b"D"  # the child's word to the parent: the link is secure, I am detached
EXIT_FAILED: Final = 1


def pid_file_for(socket_path: Path) -> Path:
    """The PID file next to the control socket: ``/run/vpnclient/ENTRY.pid``."""
    return socket_path.with_suffix(PID_SUFFIX)


@dataclass
class BackgroundChild:
    """The connecting child's side: detach once the link is secure, clean up at the end."""

    pid_file: Path
    report_fd: int
    detached: bool = False

    def detach(self) -> None:
        """Leave the terminal and the shell: new session, ``/dev/null``, ``/``, PID file."""
        if self.detached:
            return
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        if null > 2:
            os.close(null)
        os.chdir("/")
        self.pid_file.write_text(f"{os.getpid()}\n")
        self.detached = True
        try:
            os.write(self.report_fd, DETACHED)
        finally:
            os.close(self.report_fd)
            self.report_fd = -1

    def finish(self) -> None:
        """The connection ended: the PID file goes (if it is still ours)."""
        if self.report_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.report_fd)
            self.report_fd = -1
        if not self.detached:
            return
        with contextlib.suppress(OSError):
            if self.pid_file.read_text().strip() == str(os.getpid()):
                self.pid_file.unlink()


def fork(pid_file: Path) -> BackgroundChild | int:
    """In the child: its `BackgroundChild`. In the parent, once the child has detached or
    ended: the command's exit status (0 detached, else the child's)."""
    read_fd, write_fd = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        return BackgroundChild(pid_file, write_fd)
    os.close(write_fd)
    return _wait_for(pid, read_fd)


def _wait_for(child: int, read_fd: int) -> int:
    """The parent: Ctrl-C on the terminal reaches the child too (same process group), which
    handles it; SIGTERM or SIGHUP sent to us alone are passed on to the child."""

    def pass_on(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, pass_on)
    try:
        word = _read_word(read_fd)
    finally:
        os.close(read_fd)
    if word == DETACHED:
        return 0  # the child is the daemon now; init reaps it when it ends
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def _read_word(read_fd: int) -> bytes:
    """The child's word, or b"" when it ended without one (the pipe closed)."""
    return os.read(read_fd, 1)
