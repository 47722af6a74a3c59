"""netio.ikelink: what the data plane's lifetime signals become for the engine."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from vpnrouter.esp.sa import Direction, LifetimeState
from vpnrouter.netio.events import SaLifetime
from vpnrouter.netio.ikelink import EngineLink


class RecordingEngine:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def sa_lifetime_reached(self, spi: int, hard: bool, now: float) -> None:
        self.calls.append(("sa_lifetime_reached", spi, hard, now))

    def report_traffic(self, spi: int, total_bytes: int, now: float) -> None:
        self.calls.append(("report_traffic", spi, total_bytes, now))


class Plane:
    """The SAs' byte counts as the data plane left them (at the limit once used up)."""

    def __init__(self, octets: dict[tuple[int, Direction], int]) -> None:
        self.octets = octets

    def find_sa(self, spi: int, direction: Direction) -> Any:
        octets = self.octets.get((spi, direction))
        return None if octets is None else SimpleNamespace(counters=SimpleNamespace(octets=octets))


def test_lifetime_signals_reach_the_engine_at_once_with_the_real_counts() -> None:
    engine = RecordingEngine()
    plane = Plane({(0x1001, Direction.OUTBOUND): 2359296, (0x2002, Direction.INBOUND): 2621440})
    link = EngineLink(
        engine,  # type: ignore[arg-type]
        plane,  # type: ignore[arg-type]
        clock=lambda: 42.0,
        on_event=lambda event: None,
        on_error=lambda event, exc: None,
    )
    link.lifetime(SaLifetime(0x1001, False, LifetimeState.SOFT))  # 90 % of 2560 KB crossed
    link.lifetime(SaLifetime(0x2002, True, LifetimeState.HARD))  # 2560 KB used up
    link.lifetime(SaLifetime(0x3003, True, LifetimeState.HARD))  # already removed: time
    assert engine.calls == [
        ("report_traffic", 0x1001, 2359296, 42.0),
        ("report_traffic", 0x2002, 2621440, 42.0),
        ("sa_lifetime_reached", 0x2002, True, 42.0),
        ("sa_lifetime_reached", 0x3003, True, 42.0),
    ]
