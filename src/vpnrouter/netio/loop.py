"""The asyncio data-plane driver: TUN <-> SPD <-> EspSa <-> raw ESP / UDP 4500 sockets.

Outbound (RFC 4301 section 5.1): a packet read from the TUN device is looked up in the SPD by
its 5-tuple. PROTECT with an SA: ESP-encapsulate (RFC 4303) and send to the peer over IP
protocol 50, or over UDP 4500 when the SA is UDP-encapsulated (RFC 3948). PROTECT without an
SA: drop it, count it, and raise an :class:`Acquire` so the router's IKE engine negotiates.
BYPASS (a crypto map's deny lines, or no policy at all): sent on in the clear out of the
crypto interface of the policy's crypto map (``clear_devices``, by map name), else of
``clear_device``, when one is configured, else dropped. DISCARD: drop.

Several local addresses (crypto maps on more than one interface): ``local`` and
``other_locals`` each get their raw ESP socket and UDP 500/4500 endpoints. IKE datagrams say
which address they arrived on and are sent from the one asked for; an SA's ESP leaves from
the socket of its own local address.

Inbound (RFC 4301 section 5.2): ESP from the raw socket or UDP 4500 is matched to an inbound
SA by SPI, decapsulated (ICV, anti-replay, padding, selectors) and written to the TUN device.
IKE datagrams (UDP 500, and UDP 4500 with the non-ESP marker) go to the router untouched.

MTU (RFC 4459 sections 3.2 and 3.3): inner packets too big for the SA's path MTU are
fragmented before encryption when DF is clear; with DF set the sender gets ICMP fragmentation
needed (RFC 1191) with the MTU the tunnel can carry ("df-bit copy"), unless the driver is set to
"df-bit clear" (encapsulate anyway, the kernel fragments the outer packet). TCP SYNs crossing
the tunnel have their MSS clamped to what fits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from vpnrouter.esp.codec import decapsulate, encapsulate
from vpnrouter.esp.ipv4 import (
    FlowKey,
    clamp_tcp_mss,
    dont_fragment,
    flow_key,
    fragment,
    icmp_frag_needed,
)
from vpnrouter.esp.sa import Direction, Drop, EspSa, LifetimeState
from vpnrouter.esp.spd import Policy, Spd, Verdict
from vpnrouter.netio.events import Acquire, DataplaneEvent, IkeDatagram, SaLifetime, UnknownSpi
from vpnrouter.netio.rawesp import RawEspSocket, RawIpSender
from vpnrouter.netio.tun import TunDevice
from vpnrouter.netio.udp import NAT_KEEPALIVE, NATT_PORT, Kind, UdpEndpoint, classify

TCP_IP_HEADERS = 40
RATE_LIMIT_ENTRIES = 4096


class DfBit(Enum):
    """IOS ``crypto ipsec df-bit``: what to do with DF packets too big for the tunnel."""

    COPY = "copy"  # ICMP fragmentation needed to the sender
    CLEAR = "clear"  # encapsulate anyway; the outer packet is fragmented


@dataclass(frozen=True, slots=True)
class DataplaneConfig:
    """Where and how the data plane runs. ``local`` is the crypto endpoint address (the
    first crypto interface's), ``other_locals`` those of the other crypto interfaces."""

    local: IPv4Address
    other_locals: tuple[IPv4Address, ...] = ()
    tun_name: str = "vpn0"
    tun_mtu: int = 1500
    tun_address: IPv4Interface | None = None
    path_mtu: int = 1500
    ike_ports: tuple[int, ...] = (500, NATT_PORT)
    raw_esp: bool = True
    df_bit: DfBit = DfBit.COPY
    mss_clamp: bool = True
    nat_keepalive_interval: float | None = None
    acquire_holddown: float = 2.0
    clear_device: str | None = None  # Linux interface BYPASS traffic leaves by, in the clear
    clear_devices: tuple[tuple[str, str], ...] = ()  # (crypto map name, Linux interface)
    housekeeping_interval: float = 1.0
    batch: int = 64


@dataclass(slots=True)
class DataplaneStats:
    """Driver-level counters; per-SA counters live on each EspSa."""

    tun_in: int = 0
    tun_out: int = 0
    esp_in: int = 0
    esp_out: int = 0
    ike_in: int = 0
    ike_out: int = 0
    keepalives_in: int = 0
    keepalives_out: int = 0
    icmp_sent: int = 0
    clear_out: int = 0  # BYPASS packets sent on in the clear
    drops: Counter[Drop] = field(default_factory=Counter)
    acquire_drops: Counter[str] = field(default_factory=Counter)  # by policy tag: send errors


class _RandomPool:
    """IVs from the OS CSPRNG, fetched 64 KiB at a time (one syscall per ~4000 packets)."""

    def __init__(self, source: Callable[[int], bytes], chunk: int = 65536) -> None:
        self._source = source
        self._chunk = chunk
        self._buffer = b""
        self._pos = 0

    def __call__(self, n: int) -> bytes:
        pos = self._pos
        if pos + n > len(self._buffer):
            self._buffer = self._source(max(self._chunk, n))
            pos = 0
        self._pos = pos + n
        return self._buffer[pos : pos + n]


class Dataplane:
    """One router's data plane. ``on_event`` is called on the event loop and must not block."""

    def __init__(
        self,
        config: DataplaneConfig,
        on_event: Callable[[DataplaneEvent], None],
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.stats = DataplaneStats()
        self._on_event = on_event
        self._rng = _RandomPool(random_bytes)
        self._clock = clock
        self._spd: Spd[EspSa] = Spd()
        self._inbound: dict[int, EspSa] = {}
        self._outbound: dict[int, EspSa] = {}
        self._limits: dict[int, tuple[int, int]] = {}  # id(sa) -> (max inner, clamped MSS)
        self._reported: dict[int, LifetimeState] = {}  # id(sa) -> last state reported
        self._acquired: dict[tuple[str, int, int], float] = {}
        self._unknown: dict[tuple[int, str], float] = {}
        self._tun: TunDevice | None = None
        self._raw: RawEspSocket | None = None
        self._icmp: RawIpSender | None = None
        self._clear: RawIpSender | None = None
        self._clear_by_map: dict[str, RawIpSender] = {}
        self._udp: dict[int, UdpEndpoint] = {}  # the first local address's, by port
        self._other_udp: dict[tuple[str, int], UdpEndpoint] = {}  # by (address, port)
        self._other_raw: dict[str, RawEspSocket] = {}  # by address
        self._loop: asyncio.AbstractEventLoop | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        self._last_keepalive = 0.0

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Create the TUN device and the sockets and start reading them."""
        cfg = self.config
        self._loop = asyncio.get_running_loop()
        try:
            self._tun = await TunDevice.open(cfg.tun_name, mtu=cfg.tun_mtu, address=cfg.tun_address)
            self._loop.add_reader(self._tun.fileno(), self._on_tun)
            self._open_sockets(self._loop)
        except BaseException:
            await self.close()
            raise
        self._housekeeping = asyncio.create_task(self._run_housekeeping())

    def _open_sockets(self, loop: asyncio.AbstractEventLoop) -> None:
        cfg = self.config
        if cfg.raw_esp:
            self._raw = RawEspSocket(cfg.local)
            loop.add_reader(self._raw.fileno(), self._on_raw, self._raw)
            for address in cfg.other_locals:
                raw = self._other_raw[str(address)] = RawEspSocket(address)
                loop.add_reader(raw.fileno(), self._on_raw, raw)
        self._icmp = RawIpSender()
        if cfg.clear_device is not None:
            self._clear = RawIpSender(cfg.clear_device)
        devices: dict[str, RawIpSender] = {}
        for map_name, device in cfg.clear_devices:
            if device not in devices:
                devices[device] = RawIpSender(device)
            self._clear_by_map.setdefault(map_name, devices[device])
        for port in cfg.ike_ports:
            endpoint = self._udp[port] = UdpEndpoint(cfg.local, port)
            loop.add_reader(endpoint.fileno(), self._on_udp, endpoint)
            for address in cfg.other_locals:
                endpoint = self._other_udp[(str(address), port)] = UdpEndpoint(address, port)
                loop.add_reader(endpoint.fileno(), self._on_udp, endpoint)

    @property
    def local_addresses(self) -> tuple[IPv4Address, ...]:
        return (self.config.local, *self.config.other_locals)

    def _endpoint(self, local_addr: str, port: int) -> UdpEndpoint | None:
        """Our UDP socket on (address, port); "" or the first address: ``local``'s."""
        if not local_addr or local_addr == str(self.config.local):
            return self._udp.get(port)
        return self._other_udp.get((local_addr, port))

    def _esp_socket(self, local_addr: str) -> RawEspSocket | None:
        if local_addr == str(self.config.local):
            return self._raw
        return self._other_raw.get(local_addr)

    async def close(self) -> None:
        """Stop reading, close every descriptor; the TUN device and its routes disappear."""
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
            self._housekeeping = None
        sockets: list[RawEspSocket | UdpEndpoint | TunDevice | None] = [self._raw, self._tun]
        sockets += [*self._other_raw.values(), *self._udp.values(), *self._other_udp.values()]
        for closable in sockets:
            if closable is None:
                continue
            if self._loop is not None and closable.fileno() >= 0:
                self._loop.remove_reader(closable.fileno())
            closable.close()
        for sender in {self._icmp, self._clear, *self._clear_by_map.values()}:
            if sender is not None:
                sender.close()
        self._raw = self._icmp = self._clear = self._tun = None
        self._udp.clear()
        self._other_udp.clear()
        self._other_raw.clear()
        self._clear_by_map.clear()

    async def __aenter__(self) -> Dataplane:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def tun(self) -> TunDevice | None:
        return self._tun

    # -- control API (the router) ----------------------------------------------------------
    def set_policies(self, policies: Iterable[Policy]) -> None:
        """Replace the ordered SPD entries (the crypto maps' ACL lines)."""
        self._spd.set_policies(list(policies))

    @property
    def policies(self) -> tuple[Policy, ...]:
        return self._spd.policies

    def add_sa_pair(self, outbound: EspSa, inbound: EspSa) -> None:
        """Install ``inbound`` (by SPI), then protect ``outbound.selector`` traffic with
        ``outbound``. A newer pair for the same traffic takes over (rekey); the old one stays
        until :meth:`remove_sa`, so packets still in flight under it are accepted. An inbound
        SA already installed under the same SPI by :meth:`add_inbound_sa` (the quick mode
        responder's, since QM2) is kept, with what it has counted and its replay window."""
        if outbound.direction is not Direction.OUTBOUND or inbound.direction is not (
            Direction.INBOUND
        ):
            raise ValueError("add_sa_pair(outbound, inbound): directions swapped")
        if inbound.spi not in self._inbound:
            self.add_inbound_sa(inbound)
        self._set_limits(outbound)
        self._outbound[outbound.spi] = outbound
        self._spd.bind(outbound.selector, outbound, outbound.tag)

    def add_inbound_sa(self, inbound: EspSa) -> None:
        """Accept ESP on ``inbound`` (by SPI) without sending on anything: the quick mode
        responder's new SA between QM2 and QM3 (RFC 2409 5.5). :meth:`add_sa_pair` with the
        same SPI completes it, :meth:`remove_sa` takes it back."""
        if inbound.direction is not Direction.INBOUND:
            raise ValueError("add_inbound_sa: not an inbound SA")
        self._set_limits(inbound)
        self._inbound[inbound.spi] = inbound

    def _set_limits(self, sa: EspSa) -> None:
        max_inner = sa.max_inner(self.config.path_mtu)
        self._limits[id(sa)] = (max_inner, max_inner - TCP_IP_HEADERS)

    def remove_sa(self, spi: int, direction: Direction | None = None) -> list[EspSa]:
        """Remove the SA(s) with this SPI (either direction unless ``direction`` is given)."""
        removed: list[EspSa] = []
        if direction in (None, Direction.INBOUND) and spi in self._inbound:
            removed.append(self._inbound.pop(spi))
        if direction in (None, Direction.OUTBOUND) and spi in self._outbound:
            sa = self._outbound.pop(spi)
            self._spd.unbind(sa)
            removed.append(sa)
        for sa in removed:
            self._limits.pop(id(sa), None)
            self._reported.pop(id(sa), None)
        return removed

    def find_sa(self, spi: int, direction: Direction) -> EspSa | None:
        table = self._inbound if direction is Direction.INBOUND else self._outbound
        return table.get(spi)

    @property
    def inbound_sas(self) -> list[EspSa]:
        return list(self._inbound.values())

    @property
    def outbound_sas(self) -> list[EspSa]:
        return list(self._outbound.values())

    async def add_route(self, network: IPv4Network | str) -> None:
        """Route a remote protected network (or a client's address) into the TUN device."""
        if self._tun is None:
            raise RuntimeError("data plane not started")
        await self._tun.add_route(IPv4Network(network))

    async def remove_route(self, network: IPv4Network | str) -> None:
        if self._tun is None:
            raise RuntimeError("data plane not started")
        await self._tun.remove_route(IPv4Network(network))

    def send_ike(
        self, data: bytes, peer: tuple[str, int], local_port: int, local_addr: str = ""
    ) -> bool:
        """Send an IKE message from our port ``local_port`` (500, or 4500 with the marker) of
        our address ``local_addr`` ("": the first)."""
        endpoint = self._endpoint(local_addr, local_port)
        if endpoint is None or not endpoint.send_ike(data, peer):
            return False
        self.stats.ike_out += 1
        return True

    def send_nat_keepalive(self, peer: tuple[str, int], local_addr: str = "") -> bool:
        """RFC 3948 section 2.3: one 0xFF byte from port 4500 (of ``local_addr``)."""
        endpoint = self._endpoint(local_addr, NATT_PORT)
        if endpoint is None or not endpoint.send(NAT_KEEPALIVE, peer):
            return False
        self.stats.keepalives_out += 1
        return True

    # -- outbound path ---------------------------------------------------------------------
    def _on_tun(self) -> None:
        tun = self._tun
        if tun is None:
            return
        for _ in range(self.config.batch):
            packet = tun.read()
            if packet is None:
                return
            self.stats.tun_in += 1
            self.process_outbound(packet)

    def process_outbound(self, packet: bytes) -> None:
        """Apply the SPD to one packet that the kernel routed into the tunnel."""
        key = flow_key(packet)
        if key is None:
            self.stats.drops[Drop.NOT_IPV4] += 1
            return
        decision = self._spd.lookup(key)
        verdict = decision.verdict
        if verdict is Verdict.PROTECT and decision.sa is not None:
            self._protect(decision.sa, packet)
        elif verdict is Verdict.ACQUIRE and decision.policy is not None:
            self.stats.drops[Drop.NO_SA] += 1
            self.stats.acquire_drops[decision.policy.tag] += 1
            self._acquire(decision.policy, key)
        elif verdict is Verdict.DISCARD:
            self.stats.drops[Drop.POLICY_DISCARD] += 1
        elif (clear := self._clear_sender(decision.policy)) is not None and clear.send(packet):
            self.stats.clear_out += 1  # no crypto map entry protects it: routed in the clear
        else:
            self.stats.drops[Drop.POLICY_BYPASS] += 1

    def _clear_sender(self, policy: Policy | None) -> RawIpSender | None:
        """The crypto interface a deny line's map is applied to, else ``clear_device``."""
        if policy is not None and policy.tag:
            sender = self._clear_by_map.get(policy.tag.rsplit(" ", 1)[0])
            if sender is not None:
                return sender
        return self._clear

    def _protect(self, sa: EspSa, packet: bytes) -> None:
        max_inner, mss = self._limits.get(id(sa)) or (sa.max_inner(self.config.path_mtu), 0)
        if self.config.mss_clamp and mss > 0:
            packet = clamp_tcp_mss(packet, mss)
        if len(packet) <= max_inner:
            self._encapsulate_send(sa, packet)
            return
        if not dont_fragment(packet):
            for piece in fragment(packet, max_inner) or ():
                self._encapsulate_send(sa, piece)
            return
        if self.config.df_bit is DfBit.CLEAR:
            self._encapsulate_send(sa, packet)
            return
        sa.drop(Drop.FRAG_NEEDED)
        icmp = icmp_frag_needed(packet, max_inner)
        if icmp is not None and self._icmp is not None and self._icmp.send(icmp):
            self.stats.icmp_sent += 1

    def _encapsulate_send(self, sa: EspSa, packet: bytes) -> None:
        out = encapsulate(sa, packet, self._rng)
        if sa.lifetime_signal is not None:  # this packet crossed a volume mark
            self._volume_crossed(sa)
        if isinstance(out, Drop):
            if out is Drop.EXPIRED or out is Drop.SEQ_OVERFLOW:
                self._spd.unbind(sa)  # new traffic now raises an Acquire (IOS renegotiates)
            return
        remote, local = str(sa.remote), str(sa.local)
        if sa.encap is not None:
            endpoint = self._endpoint(local, sa.encap.local_port)
            sent = endpoint is not None and endpoint.send(out, (remote, sa.encap.remote_port))
        else:
            raw = self._esp_socket(local) or self._raw
            sent = raw is not None and raw.send(out, remote)
        if sent:
            self.stats.esp_out += 1
        else:
            sa.drop(Drop.SEND_FAILED)

    def _acquire(self, policy: Policy, key: FlowKey) -> None:
        now = self._clock()
        index = (policy.tag, key.src, key.dst)
        last = self._acquired.get(index)
        if last is not None and now - last < self.config.acquire_holddown:
            return
        if len(self._acquired) >= RATE_LIMIT_ENTRIES:
            self._acquired.clear()
        self._acquired[index] = now
        self._on_event(Acquire(policy, key))

    # -- inbound path ----------------------------------------------------------------------
    def _on_raw(self, raw: RawEspSocket) -> None:
        for _ in range(self.config.batch):
            received = raw.recv()
            if received is None:
                return
            payload, peer = received
            self.process_inbound(payload, peer, None)

    def _on_udp(self, endpoint: UdpEndpoint) -> None:
        for _ in range(self.config.batch):
            received = endpoint.recv()
            if received is None:
                return
            data, peer = received
            if not data:
                continue
            kind, payload = classify(data, endpoint.port)
            if kind is Kind.ESP:
                self.process_inbound(payload, peer[0], peer[1])
            elif kind is Kind.IKE:
                self.stats.ike_in += 1
                self._on_event(IkeDatagram(payload, peer, endpoint.port, str(endpoint.local)))
            elif kind is Kind.KEEPALIVE:
                self.stats.keepalives_in += 1
            else:
                self.stats.drops[Drop.TRUNCATED] += 1

    def process_inbound(self, esp: bytes, peer: str, peer_port: int | None) -> None:
        """Decapsulate one ESP packet (from the SPI on) and deliver it to the TUN device."""
        self.stats.esp_in += 1
        if len(esp) < 8:
            self.stats.drops[Drop.TRUNCATED] += 1
            return
        spi = int.from_bytes(esp[:4], "big")
        sa = self._inbound.get(spi)
        if sa is None:
            self.stats.drops[Drop.UNKNOWN_SPI] += 1
            self._unknown_spi(spi, peer, peer_port)
            return
        inner = decapsulate(sa, esp)
        if sa.lifetime_signal is not None:  # this packet crossed a volume mark
            self._volume_crossed(sa)
        if isinstance(inner, Drop):
            return
        if self.config.mss_clamp:
            limits = self._limits.get(id(sa))
            if limits is not None:
                inner = clamp_tcp_mss(inner, limits[1])
        tun = self._tun
        if tun is not None and tun.write(inner):
            self.stats.tun_out += 1
        else:
            sa.drop(Drop.TUN_WRITE_FAILED)

    def _unknown_spi(self, spi: int, peer: str, peer_port: int | None) -> None:
        now = self._clock()
        last = self._unknown.get((spi, peer))
        if last is not None and now - last < 1.0:
            return
        if len(self._unknown) >= RATE_LIMIT_ENTRIES:
            self._unknown.clear()
        self._unknown[(spi, peer)] = now
        self._on_event(UnknownSpi(spi, peer, peer_port))

    # -- timers ----------------------------------------------------------------------------
    async def _run_housekeeping(self) -> None:
        while True:
            await asyncio.sleep(self.config.housekeeping_interval)
            self.housekeeping(self._clock())

    def _volume_crossed(self, sa: EspSa) -> None:
        """The packet just processed crossed the SA's soft byte threshold or hit its hard
        byte limit: report it now, not at the next housekeeping round (at 100 Mbit/s the
        last 10 % of a 2560 KB lifetime lasts 20 ms)."""
        state = sa.lifetime_signal
        sa.lifetime_signal = None
        if state is not None:
            self._report_lifetime(sa, state)

    def _report_lifetime(self, sa: EspSa, state: LifetimeState) -> None:
        """``SaLifetime`` once per SA and state; a hard-expired outbound SA stops carrying
        traffic (the next packet acquires)."""
        if self._reported.get(id(sa)) is state or self._sas(sa.direction).get(sa.spi) is not sa:
            return
        self._reported[id(sa)] = state
        inbound = sa.direction is Direction.INBOUND
        if state is LifetimeState.HARD and not inbound:
            self._spd.unbind(sa)
        self._on_event(SaLifetime(sa.spi, inbound, state))

    def _sas(self, direction: Direction) -> dict[int, EspSa]:
        return self._inbound if direction is Direction.INBOUND else self._outbound

    def housekeeping(self, now: float) -> None:
        """Report lifetime changes (time, sequence numbers; volume is reported by the packet
        path), send NAT keepalives, forget old rate-limit entries."""
        for sa in [*self._outbound.values(), *self._inbound.values()]:
            state = sa.lifetime_state(now)
            if state is not LifetimeState.OK:
                self._report_lifetime(sa, state)
        interval = self.config.nat_keepalive_interval
        if interval and now - self._last_keepalive >= interval:
            self._last_keepalive = now
            peers = {
                (str(sa.remote), sa.encap.remote_port, str(sa.local))
                for sa in self._outbound.values()
                if sa.encap is not None
            }
            for address, port, local in sorted(peers):
                self.send_nat_keepalive((address, port), local)
        holddown = self.config.acquire_holddown
        self._acquired = {k: t for k, t in self._acquired.items() if now - t < holddown}
        self._unknown = {k: t for k, t in self._unknown.items() if now - t < 1.0}
