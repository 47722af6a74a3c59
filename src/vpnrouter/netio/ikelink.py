"""The sans-I/O IKE engine joined to the data plane on one asyncio loop.

Shared by the router daemon (``vpnrouter.router.daemon``) and the remote-access client
(``vpnrouter.client.session``); what each does with the engine's events stays with them.

- IKE messages from the data plane go to the engine as they are, and the engine's go out
  through the data plane's sockets as they are: both sides speak bare ISAKMP messages plus the
  local port. The RFC 3948 framing of port 4500 (non-ESP marker, NAT keepalives) is netio's
  alone (:mod:`vpnrouter.netio.udp`); an engine keepalive request becomes
  ``Dataplane.send_nat_keepalive``.
- The engine's timer is one ``loop.call_at`` re-armed after every service round.
- Byte counts of the SAs go to the engine every :data:`TRAFFIC_REPORT_INTERVAL` seconds
  (volume lifetimes, DPD's "worry metric"), and at once when the data plane signals a
  lifetime (``SaLifetime``), which the very packet that crossed a volume mark raises; a
  hard expiry ends the pair in the engine.
- :func:`esp_pair` builds the data plane's two ESP SAs from a ``ChildSaUp`` event,
  :func:`esp_inbound` the inbound one a quick mode responder accepts on from QM2 on
  (``InboundSaUp``).
- :class:`LinkedParts` holds the loop, engine, data plane and link of a running router or
  client, with the loop's clock.
- :func:`jsonable` turns snapshots (dataclasses of addresses, bytes, enums) into JSON data.

Time is the loop's monotonic clock, as given by ``clock``; randomness is the engine's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from enum import Enum
from ipaddress import IPv4Address
from typing import Any

from vpnrouter.esp.sa import Direction, EspSa, Lifetime, LifetimeState, UdpEncap
from vpnrouter.esp.spd import PortRange, Selector
from vpnrouter.ike.engine import IkeEngine
from vpnrouter.ike.events import ChildSaUp, EspKeys, Event, InboundSaUp
from vpnrouter.ike.policy import TrafficSelector
from vpnrouter.netio.events import IkeDatagram, SaLifetime
from vpnrouter.netio.loop import Dataplane

IKE_PORT = 500
TRAFFIC_REPORT_INTERVAL = 0.25


def selector_of(ts: TrafficSelector) -> Selector:
    """The outbound SPD selector of an agreed (local -> remote) traffic selector."""
    return Selector(
        ts.local,
        ts.remote,
        ts.protocol,
        PortRange.single(ts.local_port),
        PortRange.single(ts.remote_port),
    )


def _esp_sa(event: ChildSaUp | InboundSaUp, keys: EspKeys, inbound: bool, now: float) -> EspSa:
    encap = (
        UdpEncap(event.encapsulation.local_port, event.encapsulation.remote_port)
        if event.encapsulation is not None
        else None
    )
    selector = selector_of(event.selector)
    return EspSa(
        spi=keys.spi,
        direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
        transform_id=keys.transform_id,
        key_len_bits=keys.key_length,
        enc_key=keys.enc_key,
        auth_alg=keys.auth_alg,
        auth_key=keys.auth_key,
        local=IPv4Address(event.local),
        remote=IPv4Address(event.peer),
        selector=selector.reversed() if inbound else selector,
        encap=encap,
        lifetime=Lifetime(event.lifetime_seconds, event.lifetime_kilobytes),
        created=now,
        tag=f"{event.map_name} {event.map_seq}",
    )


def esp_pair(event: ChildSaUp, now: float) -> tuple[EspSa, EspSa]:
    """(outbound, inbound) data-plane SAs for a ChildSaUp event."""
    return _esp_sa(event, event.outbound, False, now), _esp_sa(event, event.inbound, True, now)


def esp_inbound(event: InboundSaUp, now: float) -> EspSa:
    """The inbound data-plane SA for an InboundSaUp event (``Dataplane.add_inbound_sa``)."""
    return _esp_sa(event, event.inbound, True, now)


def jsonable(value: Any) -> Any:
    """Snapshots (dataclasses of addresses, bytes, enums) as JSON-friendly data."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {k.name if isinstance(k, Enum) else str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class EngineLink:
    """Runs ``engine`` over ``plane``'s sockets; ``on_event`` gets every engine event.

    ``on_error(event, exc)`` is told when ``on_event`` raised: one bad event must not stop
    the others or the loop. Call :meth:`service` after anything was given to the engine.
    """

    def __init__(
        self,
        engine: IkeEngine,
        plane: Dataplane,
        *,
        clock: Callable[[], float],
        on_event: Callable[[Event], None],
        on_error: Callable[[Event, Exception], None],
    ) -> None:
        self.engine = engine
        self.plane = plane
        self.clock = clock
        self.on_event = on_event
        self.on_error = on_error
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._reported: dict[int, int] = {}  # spi -> octets last reported to the engine

    # -- engine -> network, events, timer ---------------------------------------------------
    def service(self, schedule: bool = True) -> None:
        """Send what the engine queued, act on its events, re-arm its timer."""
        engine, plane, now = self.engine, self.plane, self.clock()
        for datagram in engine.datagrams_to_send(now):
            if datagram.keepalive:
                plane.send_nat_keepalive(datagram.addr, datagram.local_addr)
            else:
                plane.send_ike(
                    datagram.data, datagram.addr, datagram.local_port, datagram.local_addr
                )
        while (event := engine.next_event()) is not None:
            try:
                self.on_event(event)
            except Exception as exc:
                self.on_error(event, exc)
        if schedule:
            self.arm_timer()

    def arm_timer(self) -> None:
        when = self.engine.get_timer()
        if when == self._timer_at and self._timer is not None:
            return
        self.cancel_timer()
        self._timer_at = when
        if when is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(max(when, self.clock()), self._on_timer)

    def cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = None

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self.engine.handle_timer(self.clock())
        self.service()

    # -- network -> engine ------------------------------------------------------------------
    def receive(self, event: IkeDatagram) -> None:
        """An IKE message from the data plane (not serviced yet)."""
        self.engine.receive_datagram(
            event.data, event.peer, event.local_port, self.clock(), event.local_addr or None
        )

    def lifetime(self, event: SaLifetime) -> None:
        """The data plane's lifetime signal for an SA (not serviced yet). The engine gets the
        SA's byte count at once: at a volume mark it is exact (the packet that crossed it
        raised the signal), and the engine rekeys or ends the pair by volume itself. A hard
        expiry for any other reason ends the pair too; time-based rekeying stays with the
        engine's own timers (the responder waits a little longer than the initiator)."""
        self.report(event.spi, event.inbound)
        if event.state is LifetimeState.HARD:
            self.engine.sa_lifetime_reached(event.spi, True, self.clock())

    def report(self, spi: int, inbound: bool) -> None:
        """Tell the engine how many bytes an SA carried."""
        direction = Direction.INBOUND if inbound else Direction.OUTBOUND
        sa = self.plane.find_sa(spi, direction)
        if sa is None:
            return
        octets = sa.counters.octets
        if self._reported.get(spi) != octets:
            self._reported[spi] = octets
            self.engine.report_traffic(spi, octets, self.clock())

    def forget(self, spi: int) -> None:
        """An SA left the data plane."""
        self._reported.pop(spi, None)

    async def report_traffic(self) -> None:
        """Byte counts for the engine's volume lifetimes, forever (cancel the task)."""
        while True:
            await asyncio.sleep(TRAFFIC_REPORT_INTERVAL)
            plane = self.plane
            for sa in plane.inbound_sas:
                self.report(sa.spi, True)
            for sa in plane.outbound_sas:
                self.report(sa.spi, False)
            self.service()


class LinkedParts:
    """The running parts a router or client owns once started: its loop (and clock), engine,
    data plane and link. Asking for a part before start raises ``RuntimeError(not_running)``."""

    not_running = "not running"

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engine: IkeEngine | None = None
        self._plane: Dataplane | None = None
        self._link: EngineLink | None = None

    def now(self) -> float:
        return self._loop.time() if self._loop is not None else 0.0

    @property
    def engine(self) -> IkeEngine:
        if self._engine is None:
            raise RuntimeError(self.not_running)
        return self._engine

    @property
    def plane(self) -> Dataplane:
        if self._plane is None:
            raise RuntimeError(self.not_running)
        return self._plane

    @property
    def link(self) -> EngineLink:
        if self._link is None:
            raise RuntimeError(self.not_running)
        return self._link
