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

from collections.abc import Callable, Iterable
from typing import TextIO

from vpnrouter.ike.events import LogFacility, LogLine

DEBUG_ALL = frozenset({LogFacility.ISAKMP, LogFacility.IPSEC, LogFacility.ENGINE})
DEBUG_WORDS = ("isakmp", "ipsec", "engine", "all", "secrets")


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
    """Writes filtered lines to ``stream``, stamped with the uptime from ``clock``."""

    def __init__(
        self,
        stream: TextIO,
        debug: frozenset[LogFacility],
        clock: Callable[[], float],
    ) -> None:
        self.stream = stream
        self.debug = debug
        self.clock = clock
        self.started = clock()

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
        try:
            self.stream.write(f"{stamp}: {text}\n")
            self.stream.flush()
        except (OSError, ValueError):  # the log went away (closed pipe): keep routing
            pass
