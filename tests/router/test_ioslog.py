"""router.ioslog: uptime stamps, debug facilities, secrets only when named."""

from __future__ import annotations

import io

import pytest

from vpnrouter.ike.events import LogFacility, LogLine
from vpnrouter.router.ioslog import IosLogger, parse_debug, uptime


def test_uptime_stamps() -> None:
    assert uptime(0) == "00:00:00"
    assert uptime(3723.9) == "01:02:03"
    assert uptime(86400 + 2 * 3600 + 5) == "1d02h"
    assert uptime(9 * 86400) == "1w2d"


def test_parse_debug() -> None:
    assert parse_debug(["isakmp,ipsec"]) == {LogFacility.ISAKMP, LogFacility.IPSEC}
    assert parse_debug(["all"]) == {LogFacility.ISAKMP, LogFacility.IPSEC, LogFacility.ENGINE}
    assert LogFacility.SECRETS in parse_debug(["all", "secrets"])
    assert parse_debug([]) == frozenset()
    with pytest.raises(ValueError, match="unknown debug facility 'ike'"):
        parse_debug(["ike"])


def test_filtering_and_format() -> None:
    now = [100.0]
    out = io.StringIO()
    log = IosLogger(out, parse_debug(["all"]), lambda: now[0])
    now[0] = 161.5
    log.emit(LogLine(LogFacility.LOG, "%CRYPTO-4-IKMP_HASH_FAIL: x", 4))
    log.emit(LogLine(LogFacility.ISAKMP, "ISAKMP (0:1): shown"))
    log.emit(LogLine(LogFacility.SECRETS, "SKEYID = 0011"))
    quiet = IosLogger(out, frozenset(), lambda: now[0])
    quiet.emit(LogLine(LogFacility.IPSEC, "IPSEC(create_sa): hidden"))
    quiet.syslog("%SYS-5-CONFIG_I: Configured from f")
    assert out.getvalue().splitlines() == [
        "00:01:01: %CRYPTO-4-IKMP_HASH_FAIL: x",
        "00:01:01: ISAKMP (0:1): shown",
        "00:00:00: %SYS-5-CONFIG_I: Configured from f",
    ]


def test_ring_for_terminal_monitor() -> None:
    out = io.StringIO()
    log = IosLogger(out, frozenset(), lambda: 0.0, ring_size=3)
    assert log.lines_since(None) == (0, [])
    for n in range(5):
        log.syslog(f"%X-6-Y: line {n}")
    log.emit(LogLine(LogFacility.ISAKMP, "not shown, not kept"))
    end, lines = log.lines_since(None)
    assert (end, lines) == (5, [])
    assert log.lines_since(3) == (5, ["00:00:00: %X-6-Y: line 3", "00:00:00: %X-6-Y: line 4"])
    assert log.lines_since(0)[1][0] == "00:00:00: %X-6-Y: line 2"  # older ones were dropped
    assert log.lines_since(5) == (5, [])
    log.debug = frozenset({LogFacility.ISAKMP})  # switched on while running
    log.emit(LogLine(LogFacility.ISAKMP, "ISAKMP: now shown"))
    assert log.lines_since(5) == (6, ["00:00:00: ISAKMP: now shown"])
