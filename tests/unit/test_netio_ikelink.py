"""netio.ikelink: the engine's datagrams and the data plane's lifetime signals."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from vpnrouter.esp.sa import Direction, LifetimeState
from vpnrouter.ike.manager import Datagram
from vpnrouter.netio.events import IkeDatagram, SaLifetime
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


class FramingPlane:
    """Records what EngineLink hands to the data plane's sockets."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def send_ike(
        self, data: bytes, peer: tuple[str, int], local_port: int, local_addr: str = ""
    ) -> bool:
        self.sent.append(("ike", data, peer, local_port, local_addr))
        return True

    def send_nat_keepalive(self, peer: tuple[str, int], local_addr: str = "") -> bool:
        self.sent.append(("keepalive", peer, local_addr))
        return True


class FramingEngine:
    def __init__(self, out: list[Datagram]) -> None:
        self.out = out
        self.received: list[tuple[Any, ...]] = []

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        out, self.out = self.out, []
        return out

    def next_event(self) -> None:
        return None

    def receive_datagram(
        self,
        data: bytes,
        addr: tuple[str, int],
        local_port: int,
        now: float,
        local_addr: str | None = None,
    ) -> None:
        self.received.append((data, addr, local_port, local_addr))


def test_port_4500_framing_is_left_to_the_data_plane() -> None:
    """RFC 3948 2.2/2.3 framing has one owner, netio's UDP endpoint: the engine's bare ISAKMP
    messages go to ``send_ike`` as they are, whatever the port, a keepalive request to
    ``send_nat_keepalive``, and a received IkeDatagram (marker already stripped) reaches the
    engine unchanged."""
    message = bytes(range(28))
    engine = FramingEngine(
        [
            Datagram(message, ("192.0.2.1", 500), 500),
            Datagram(message, ("192.0.2.1", 4500), 4500, local_addr="198.51.100.1"),
            Datagram(b"", ("192.0.2.1", 4500), 4500, keepalive=True, local_addr="198.51.100.1"),
        ]
    )
    plane = FramingPlane()
    link = EngineLink(
        engine,  # type: ignore[arg-type]
        plane,  # type: ignore[arg-type]
        clock=lambda: 7.0,
        on_event=lambda event: None,
        on_error=lambda event, exc: None,
    )
    link.service(schedule=False)
    assert plane.sent == [
        ("ike", message, ("192.0.2.1", 500), 500, ""),
        ("ike", message, ("192.0.2.1", 4500), 4500, "198.51.100.1"),
        ("keepalive", ("192.0.2.1", 4500), "198.51.100.1"),
    ]
    link.receive(IkeDatagram(message, ("192.0.2.1", 4500), 4500))
    link.receive(IkeDatagram(message, ("192.0.2.1", 500), 500, "198.51.100.1"))
    assert engine.received == [
        (message, ("192.0.2.1", 4500), 4500, None),
        (message, ("192.0.2.1", 500), 500, "198.51.100.1"),
    ]
