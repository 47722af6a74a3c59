"""IOS-style logging: syslog messages always, debug lines by ``debug crypto`` facility.

A line looks like the seed configuration asks for (``service timestamps debug uptime`` and
``service timestamps log uptime``)::

    00:01:12: %CRYPTO-4-IKMP_HASH_FAIL: IKE message from 172.18.124.199 failed its hash check
    00:01:12: ISAKMP (0:1): processing SA payload. message ID = 0

``--debug isakmp,ipsec`` switches on the ``debug crypto isakmp`` / ``debug crypto ipsec``
lines (``engine`` and ``all`` exist too). Key material (the ``secrets`` facility) is the
highest level: only written when ``secrets`` itself is named, never by ``all``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import TextIO

from vpnrouter.ike.events import LogFacility, LogLine

DEBUG_ALL = frozenset({LogFacility.ISAKMP, LogFacility.IPSEC, LogFacility.ENGINE})
DEBUG_WORDS = ("isakmp", "ipsec", "engine", "all", "secrets")
RING_SIZE = 4096  # log lines kept for the control socket's "log" request


def parse_debug(words: Iterable[str]) -> frozenset[LogFacility]:
    """``["isakmp,ipsec"]`` -> the facilities; ValueError on an unknown word."""
    chosen: set[LogFacility] = set()
    for chunk in words:
        for word in filter(None, (w.strip().lower() for w in chunk.split(","))):
            if word == "all":
                chosen |= DEBUG_ALL
            elif word in DEBUG_WORDS:
                chosen.add(LogFacility(word))
            else:
                raise ValueError(f"unknown debug facility {word!r} ({', '.join(DEBUG_WORDS)})")
    return frozenset(chosen)


def uptime(seconds: float) -> str:
    """IOS uptime stamps: ``hh:mm:ss`` the first day, then ``1d02h``, then ``1w2d``."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days == 0:
        return f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if days < 7:
        return f"{days}d{hours:02d}h"
    return f"{days // 7}w{days % 7}d"


class IosLogger:
    """Writes filtered lines to ``stream``, stamped with the uptime from ``clock``, and keeps
    the last ``ring_size`` of them numbered for ``terminal monitor`` (:meth:`lines_since`).
    ``debug`` may be changed while running (the exec shell's ``debug``/``undebug``)."""

    def __init__(
        self,
        stream: TextIO,
        debug: frozenset[LogFacility],
        clock: Callable[[], float],
        ring_size: int = RING_SIZE,
    ) -> None:
        self.stream = stream
        self.debug = debug
        self.clock = clock
        self.started = clock()
        self._ring: deque[str] = deque(maxlen=ring_size)
        self._next = 0  # number of the next line written

    def lines_since(self, since: int | None) -> tuple[int, list[str]]:
        """(next line number, the kept lines numbered ``since`` and later); ``None`` gives
        no lines, only where the log ends now; a number already dropped starts at the
        oldest line kept."""
        if since is None:
            return self._next, []
        oldest = self._next - len(self._ring)
        start = max(since, oldest)
        if start >= self._next:
            return self._next, []
        return self._next, list(self._ring)[start - oldest :]

    def enabled(self, facility: LogFacility) -> bool:
        return facility is LogFacility.LOG or facility in self.debug

    def emit(self, line: LogLine) -> None:
        if self.enabled(line.facility):
            self._write(line.text)

    def syslog(self, text: str) -> None:
        """A ``%FACILITY-SEVERITY-MNEMONIC: text`` message (always shown)."""
        self._write(text)

    def debug_line(self, facility: LogFacility, text: str) -> None:
        if self.enabled(facility):
            self._write(text)

    def _write(self, text: str) -> None:
        stamp = uptime(self.clock() - self.started)
        line = f"{stamp}: {text}"
        self._ring.append(line)
        self._next += 1
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # the log went away (closed pipe): keep routing
            pass
