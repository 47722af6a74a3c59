"""One remote-access connection: the IKE engine's client half over the userspace data plane.

What flows where (the same plumbing as the router, :mod:`vpnrouter.netio.ikelink`)::

    UDP 500/4500, raw ESP, TUN --(Dataplane events)--> ClientSession --(receive_datagram,
    provide_xauth, report_traffic)--> IkeEngine --(datagrams, events, timer)--> ClientSession
    --(send_ike, add_sa_pair, remove_sa)--> Dataplane

- The engine is a client only: no crypto maps, no groups; aggressive mode is started with
  :meth:`IkeEngine.initiate_remote_access`. Its policy carries the retransmission schedule
  (bounded by the profile's ``PeerTimeout``), dead peer detection (RFC 3706, also from
  ``PeerTimeout``) and NAT keepalives (RFC 3948, every 20 s once NAT-T is in use).
- ``ChildSaUp`` installs the ESP pair in the data plane (bound to the negotiated selectors,
  UDP-encapsulated when NAT-T was agreed); a rekeyed pair takes over the traffic and the old
  one stays until its ``ChildSaDown``. Counters of removed SAs are kept for the statistics.
  Answering the gateway's rekey, the new inbound SA accepts from QM2 on (``InboundSaUp``;
  ``InboundSaDown`` if QM3 never came), as the router does.
- ESP on an SPI without an inbound SA is logged (``debug ipsec``) and answered, like the
  router does, with an INVALID-SPI notify over the ISAKMP SA (``IkeEngine.unknown_spi``,
  rate-limited there): the gateway's invalid SPI recovery deletes its stale pair.
- Re-authentication (the engine's client half renews phase 1 before it expires): the
  ``IkeSaUp`` that ``replaces`` our ISAKMP SA makes the new one the connection's
  (``conn_id``, ``ike``); the old one's ``IkeSaDown`` is then no longer ours.
- Every other engine event is queued for the connect flow (:mod:`vpnrouter.client.connect`),
  which drives the user interface. :class:`GroupKeyRefused` is added to them when the
  gateway's aggressive mode answer does not verify with our group key.

The TUN device exists from the start (no address, no routes): the flow gives it the assigned
address and the routes once the gateway has answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Final

from vpnrouter.esp.sa import Direction, EspSa, SaCounters
from vpnrouter.ike.engine import IkeEngine
from vpnrouter.ike.events import (
    ChildSaDown,
    ChildSaUp,
    Event,
    IkeSaDown,
    IkeSaUp,
    InboundSaDown,
    InboundSaUp,
    LogFacility,
    LogLine,
    ModeConfigReceived,
    NegotiationFailed,
)
from vpnrouter.ike.policy import IOS_DEFAULT_LIFETIME, DpdPolicy, IkePolicy, RetransmitPolicy
from vpnrouter.ike.snapshots import IsakmpSaSnapshot
from vpnrouter.netio.events import DataplaneEvent, IkeDatagram, SaLifetime, UnknownSpi
from vpnrouter.netio.ikelink import EngineLink, LinkedParts, esp_inbound, esp_pair
from vpnrouter.netio.loop import Dataplane, DataplaneConfig

DEFAULT_TUN: Final = "cipsec0"  # the Cisco VPN Client for Linux's virtual adapter
DEFAULT_PEER_TIMEOUT: Final = 90  # seconds (the profile's PeerTimeout default)
RETRANSMIT_INITIAL: Final = 2.0
RETRANSMIT_MAXIMUM: Final = 16.0
MAX_RETRANSMITS: Final = 5  # IOS and the engine's default: 2+4+8+16+16+16 = 62 s in all
NAT_KEEPALIVE: Final = 20  # seconds, the Cisco client's and IOS's default
MAX_QUEUED_EVENTS: Final = 1024


@dataclass(frozen=True)
class GroupKeyRefused:
    """The gateway's aggressive mode message 2 failed its hash check with our group key:
    the group password (or the group name) is wrong."""

    peer: str
    failures: int


ClientEvent = Event | GroupKeyRefused


def retransmit_policy(peer_timeout: int) -> RetransmitPolicy:
    """IOS's schedule (2, 4, 8, 16, 16, 16 s), cut so that an unanswered negotiation is given
    up within ``peer_timeout`` seconds (at least one retransmission)."""
    policy = RetransmitPolicy(RETRANSMIT_INITIAL, RETRANSMIT_MAXIMUM, MAX_RETRANSMITS)
    if peer_timeout <= 0:
        return policy
    retries = MAX_RETRANSMITS
    while retries > 1 and RetransmitPolicy(
        RETRANSMIT_INITIAL, RETRANSMIT_MAXIMUM, retries
    ).total() > max(peer_timeout, 1):
        retries -= 1
    return RetransmitPolicy(RETRANSMIT_INITIAL, RETRANSMIT_MAXIMUM, retries)


def dpd_policy(peer_timeout: int) -> DpdPolicy:
    """RFC 3706 probes when the gateway has been silent for a third of ``peer_timeout``,
    repeated every 5 s; the gateway is dead after about ``peer_timeout`` seconds."""
    timeout = peer_timeout if peer_timeout > 0 else DEFAULT_PEER_TIMEOUT
    interval = max(5, timeout // 3)
    retry = 5
    max_retries = max(1, (timeout - interval) // retry - 1)
    return DpdPolicy(interval=interval, retry=retry, periodic=True, max_retries=max_retries)


@dataclass(frozen=True)
class SessionSettings:
    """Where and how to connect. Secrets stay out of ``repr``."""

    gateway: IPv4Address
    local: IPv4Address
    group: str
    group_key: str = field(repr=False)
    nat_t: bool = True
    dh_group: int = 2
    peer_timeout: int = DEFAULT_PEER_TIMEOUT
    tun_name: str = DEFAULT_TUN
    tun_mtu: int = 1500
    lifetime: int = IOS_DEFAULT_LIFETIME  # phase 1, proposed; re-authenticated before its end


@dataclass
class Totals:
    """Counters of the SAs already removed (rekeyed or deleted), for the statistics."""

    bytes_in: int = 0
    bytes_out: int = 0
    packets_encrypted: int = 0
    packets_decrypted: int = 0

    def add(self, sa: EspSa) -> None:
        counters = sa.counters
        if sa.direction is Direction.INBOUND:
            self.bytes_in += counters.octets
            self.packets_decrypted += counters.decrypt
        else:
            self.bytes_out += counters.octets
            self.packets_encrypted += counters.encrypt


def client_policy(settings: SessionSettings) -> IkePolicy:
    """The engine's policy for a client: nothing to serve, only how to behave."""
    return IkePolicy(
        nat_traversal=settings.nat_t,
        nat_keepalive=NAT_KEEPALIVE,
        retransmit=retransmit_policy(settings.peer_timeout),
        dpd=dpd_policy(settings.peer_timeout),
    )


class ClientSession(LinkedParts):
    """The engine and the data plane of one connection; ``async with`` starts and closes it.

    ``log`` receives the engine's log lines (``LogLine``); the connect flow reads the other
    events with :meth:`next_event`.
    """

    not_running = "session not started"

    def __init__(
        self,
        settings: SessionSettings,
        *,
        log: Callable[[LogLine], None] | None = None,
        secrets_logging: bool = False,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.log = log
        self.secrets_logging = secrets_logging
        self.random_bytes = random_bytes
        self.events: asyncio.Queue[ClientEvent] = asyncio.Queue(MAX_QUEUED_EVENTS)
        self.ended = asyncio.Event()  # the ISAKMP SA failed or went down
        self.conn_id: int | None = None
        self.ike: IkeSaUp | None = None
        self.reauthentications = 0  # phase 1 renewed this many times
        self.config: ModeConfigReceived | None = None
        self.pairs: dict[int, ChildSaUp] = {}  # inbound SPI -> the pair's event
        self.totals = Totals()
        self.heard_from_gateway = False
        self.started_at = 0.0
        self.connected_at: float | None = None
        self._reporter: asyncio.Task[None] | None = None
        self._hash_failures = 0

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Create the TUN device and the sockets (UDP 500 and 4500, raw ESP) on our address."""
        self._loop = asyncio.get_running_loop()
        self.assemble()
        await self.plane.start()
        self._reporter = asyncio.create_task(self.link.report_traffic())

    def assemble(self) -> None:
        """The engine, the data plane (no descriptors open yet) and the link between them."""
        self.started_at = self.now()
        settings = self.settings
        self._engine = IkeEngine(
            client_policy(settings), [str(settings.local)], self.random_bytes, now=self.now()
        )
        self._engine.set_secrets_logging(self.secrets_logging)
        config = DataplaneConfig(
            local=settings.local, tun_name=settings.tun_name, tun_mtu=settings.tun_mtu
        )
        self._plane = Dataplane(config, self._on_dataplane, clock=self.now)
        self._link = EngineLink(
            self._engine,
            self._plane,
            clock=self.now,
            on_event=self._on_event,
            on_error=self._on_error,
        )

    async def close(self) -> None:
        """Stop the timers and close the data plane (the TUN device goes, with its routes)."""
        if self._reporter is not None:
            self._reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reporter
            self._reporter = None
        if self._link is not None:
            self._link.cancel_timer()
        if self._plane is not None:
            await self._plane.close()

    async def __aenter__(self) -> ClientSession:
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- what the flow does -------------------------------------------------------------------
    def connect(self) -> int:
        """Aggressive mode to the gateway with the group name and key (the conn-id)."""
        settings = self.settings
        self.conn_id = self.engine.initiate_remote_access(
            str(settings.gateway),
            settings.group,
            settings.group_key,
            self.now(),
            nat_t=settings.nat_t,
            dh_group=settings.dh_group,
            lifetime=settings.lifetime,
            local=str(settings.local),
        )
        self.link.service()
        return self.conn_id

    def provide_xauth(self, username: str, password: str) -> bool:
        answered = self.engine.provide_xauth(username, password, self.now(), conn_id=self.conn_id)
        self.link.service()
        return answered

    def disconnect(self) -> bool:
        """Delete the IPsec SAs and the ISAKMP SA(s: one being re-authenticated too), telling
        the gateway (sent at once)."""
        if self._engine is None:
            return False
        count = self._engine.disconnect(self.now())
        self.link.service(schedule=False)
        self.link.cancel_timer()
        return count > 0

    async def next_event(self) -> ClientEvent:
        return await self.events.get()

    def isakmp_row(self) -> IsakmpSaSnapshot | None:
        """The engine's row for our ISAKMP SA (also after it failed: ``failure`` says why)."""
        rows = [r for r in self.engine.isakmp_sas(self.now()) if r.conn_id == self.conn_id]
        return rows[-1] if rows else None

    # -- statistics ---------------------------------------------------------------------------
    def counters(self) -> dict[str, int]:
        """Bytes and packets in and out over the connection's lifetime (removed SAs too)."""
        totals = Totals(**vars(self.totals))
        if self._plane is not None:
            for sa in self._plane.inbound_sas + self._plane.outbound_sas:
                totals.add(sa)
        stats = self._plane.stats if self._plane is not None else None
        drops = sum(stats.drops.values()) if stats is not None else 0
        return {
            "bytes_in": totals.bytes_in,
            "bytes_out": totals.bytes_out,
            "packets_encrypted": totals.packets_encrypted,
            "packets_decrypted": totals.packets_decrypted,
            "packets_discarded": drops,
        }

    def sa_counters(self, spi: int, inbound: bool) -> SaCounters | None:
        sa = self.plane.find_sa(spi, Direction.INBOUND if inbound else Direction.OUTBOUND)
        return sa.counters if sa is not None else None

    # -- data plane events --------------------------------------------------------------------
    def _on_dataplane(self, event: DataplaneEvent) -> None:
        link = self.link
        if isinstance(event, IkeDatagram):
            if event.peer[0] == str(self.settings.gateway):
                self.heard_from_gateway = True
            link.receive(event)
        elif isinstance(event, SaLifetime):
            link.lifetime(event)
        elif isinstance(event, UnknownSpi):
            self._unknown_spi(event)
        else:
            return  # no SPD policies: no acquires
        link.service()
        self._check_hash_failures()

    def _unknown_spi(self, event: UnknownSpi) -> None:
        """ESP on an SPI we have no inbound SA for: as the router does (IOS), log it and tell
        the sender with a protected INVALID-SPI notify over our ISAKMP SA with it (the
        engine's, at most one a second; none without an ISAKMP SA or for an SPI a quick mode
        in progress gave out). The gateway then deletes that pair and renegotiates."""
        spi = event.spi
        if self.log is not None:
            text = (
                f"IPSEC: decaps: received ESP packet with invalid SPI 0x{spi:08X}({spi}) from"
                f" {event.peer} for {self.settings.local}: no inbound SA, discarded"
            )
            self.log(LogLine(LogFacility.IPSEC, text, 4))
        self.engine.unknown_spi(spi, event.peer, event.peer_port, self.now())

    def _check_hash_failures(self) -> None:
        failures = self.engine.counters.get("hash_failures", 0)
        if failures > self._hash_failures and self.ike is None:
            self._hash_failures = failures
            self._queue(GroupKeyRefused(str(self.settings.gateway), failures))

    # -- engine events ------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, LogLine):
            if self.log is not None:
                self.log(event)
            return
        if isinstance(event, ChildSaUp):
            self._child_up(event)
        elif isinstance(event, ChildSaDown):
            self._child_down(event)
        elif isinstance(event, InboundSaUp):
            self.plane.add_inbound_sa(esp_inbound(event, self.now()))
        elif isinstance(event, InboundSaDown):
            for sa in self.plane.remove_sa(event.inbound_spi, Direction.INBOUND):
                self.totals.add(sa)
                self.link.forget(sa.spi)
        elif isinstance(event, IkeSaUp):
            self._ike_up(event)
        elif isinstance(event, ModeConfigReceived):
            self.config = event
        elif self._ends(event):
            self.ended.set()
        self._queue(event)

    def _ike_up(self, event: IkeSaUp) -> None:
        """Our phase 1, or the one re-authenticating it: from now on the connection's."""
        if event.replaces is not None and event.replaces == self.conn_id:
            self.conn_id = event.conn_id
            self.reauthentications += 1
        if event.conn_id == self.conn_id:
            self.ike = event

    def _ends(self, event: Event) -> bool:
        """Our ISAKMP SA went down, or phase 1 failed before there was one: the connection
        is over (a failed re-authentication leaves the old SA serving until its end)."""
        if isinstance(event, IkeSaDown):
            return event.conn_id == self.conn_id
        return isinstance(event, NegotiationFailed) and event.phase == 1 and self.ike is None

    def _queue(self, event: ClientEvent) -> None:
        try:
            self.events.put_nowait(event)
        except asyncio.QueueFull:  # nobody reads: the flow is gone; drop rather than grow
            pass

    def _on_error(self, event: Event, exc: Exception) -> None:
        if self.log is not None:
            text = f"%VPNCLIENT-3-INTERNAL: {type(event).__name__} not applied: {exc!r}"
            self.log(LogLine(LogFacility.LOG, text, 3))

    def _child_up(self, event: ChildSaUp) -> None:
        outbound, inbound = esp_pair(event, self.now())
        self.plane.add_sa_pair(outbound, inbound)
        self.pairs[event.inbound.spi] = event
        if self.connected_at is None:
            self.connected_at = self.now()

    def _child_down(self, event: ChildSaDown) -> None:
        plane = self.plane
        removed = plane.remove_sa(event.inbound_spi, Direction.INBOUND)
        removed += plane.remove_sa(event.outbound_spi, Direction.OUTBOUND)
        for sa in removed:
            self.totals.add(sa)
            self.link.forget(sa.spi)
        self.pairs.pop(event.inbound_spi, None)
