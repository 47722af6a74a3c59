"""The daemon: the netio data plane and the sans-I/O IKE engine, joined on one asyncio loop.

What flows where::

    TUN/raw ESP/UDP 500,4500 --(netio Dataplane events)--> Router --(receive_datagram,
    initiate, report_traffic)--> IkeEngine --(datagrams_to_send, next_event, get_timer)-->
    Router --(send_ike, add_sa_pair, remove_sa, routes)--> Dataplane

- IKE messages from the data plane go to the engine and the engine's go out through the data
  plane's sockets, bare both ways: the RFC 3948 framing of port 4500 is netio's alone.
- An acquire (interesting traffic, crypto ACL matched, no SA: IOS drops the packet) makes the
  engine negotiate for the crypto map entry whose tag the SPD policy carries.
- ``ChildSaUp`` installs the ESP pair (UDP-encapsulated when NAT-T was agreed), bound to the
  SPD with the agreed selectors; ``ChildSaDown`` removes it. As quick mode responder the
  inbound SA comes first (``InboundSaUp``, QM2 sent: the peer may already send on it) and
  ``ChildSaUp`` completes it; ``InboundSaDown`` removes it if QM3 never came. Entries
  without ACL lines in the SPD (dynamic maps) get a route into the tunnel for as long as
  they have SAs.
- Crypto ACLs work as on IOS (:mod:`vpnrouter.esp.spd`): traffic routed into the TUN device
  that no crypto map entry protects leaves in the clear through the crypto interface, and
  clear packets arriving there that an entry should have protected are dropped by FIB rules
  (:mod:`vpnrouter.router.inbound_check`), both only once the crypto interface is bound.
- Crypto maps on several interfaces (``RouterPlan.crypto_interfaces``): the engine and the
  data plane get every local address (ISAKMP listens on each), each bound interface has
  its own inbound check over its map's lines and sends its map's deny traffic in the clear,
  ``show`` puts each SA under the interface of its local address.
- ``LogLine`` events go to the IOS-style log, filtered by ``--debug``.
- Time is the loop's monotonic clock (``loop.time()``), randomness ``os.urandom``: this module
  and netio are the only ones that touch them.

The plumbing between the engine and the data plane (datagrams, timer, traffic reports, ESP
pairs from ``ChildSaUp``) is :mod:`vpnrouter.netio.ikelink`, shared with ``vpnclient``.

The control socket answers ``status`` with the IKE and IPsec SAs and their counters, the
remote-access clients (group, user, pool address) and the ``ip local pool`` leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from vpnrouter.aaa import Aaa
from vpnrouter.config import RunningConfig
from vpnrouter.esp.sa import Direction, EspSa
from vpnrouter.esp.spd import Action
from vpnrouter.ike.engine import IkeEngine
from vpnrouter.ike.events import (
    ChildSaDown,
    ChildSaUp,
    Event,
    InboundSaDown,
    InboundSaUp,
    LogFacility,
    LogLine,
    NegotiationFailed,
)
from vpnrouter.ike.policy import CryptoMapEntry, Flow
from vpnrouter.ike.snapshots import IsakmpSaSnapshot
from vpnrouter.netio.events import Acquire, DataplaneEvent, IkeDatagram, SaLifetime, UnknownSpi
from vpnrouter.netio.ikelink import (
    IKE_PORT,
    EngineLink,
    LinkedParts,
    esp_inbound,
    esp_pair,
    jsonable,
)
from vpnrouter.netio.loop import Dataplane, DataplaneConfig
from vpnrouter.netio.manual import snapshot
from vpnrouter.router.control import ControlServer
from vpnrouter.router.inbound_check import RULE_BASE, CheckRule, InboundCheck, inbound_rules
from vpnrouter.router.ioslog import DEBUG_ALL, IosLogger
from vpnrouter.router.policy_builder import CryptoInterface, RouterPlan
from vpnrouter.router.snapshot import RouterFacts, SendErrorBaseline, build_snapshot, pools
from vpnrouter.wire.constants import NotifyType, name_of

SHUTDOWN_FLUSH = 0.2  # seconds given to the Delete notifications to leave


def remote_access_clients(rows: list[IsakmpSaSnapshot]) -> list[dict[str, Any]]:
    """The remote-access clients among the live ISAKMP SAs (we answered their aggressive
    mode with a client group): who they are, where from, and the pool address they hold."""
    return [
        {
            "conn_id": row.conn_id,
            "peer": row.peer,
            "peer_port": row.peer_port,
            "group": row.group_name,
            "username": row.username,
            "address": str(row.assigned_address) if row.assigned_address else None,
            "xauth": row.xauth,
            "state": row.state,
            "nat_t": row.nat_t,
        }
        for row in rows
        if row.group_name and not row.initiator and row.status == "ACTIVE"
    ]


class Router(LinkedParts):
    """One running router. ``run()`` returns after ``stop`` is set, everything closed."""

    not_running = "router not running"

    def __init__(
        self,
        plan: RouterPlan,
        log: IosLogger,
        *,
        socket_path: Path,
        tun_name: str = "vpn0",
        interfaces: Mapping[str, str] | None = None,
        aaa: Aaa | None = None,
        config: RunningConfig | None = None,
        config_file: str = "",
    ) -> None:
        super().__init__()
        self.plan = plan
        self.aaa = aaa
        self.config = config if config is not None else RunningConfig(hostname=plan.hostname)
        self.config_file = config_file
        self.log = log
        self.socket_path = socket_path
        self.tun_name = tun_name
        self.interfaces = dict(interfaces or {})  # IOS name -> Linux name, for status
        self.entries: dict[str, CryptoMapEntry] = {
            f"{e.map_name} {e.seq}": e for e in plan.ike_policy.crypto_maps if not e.dynamic
        }
        self._acl_tags = {p.tag for p in plan.spd if p.action is Action.PROTECT}
        self._send_errors = SendErrorBaseline()  # acquire drops shown since clear crypto sa
        self._routes: dict[IPv4Network, int] = {}  # routes added for dynamic SAs: refcount
        self._tasks: set[asyncio.Task[None]] = set()
        self.started_at = 0.0

    # -- lifecycle --------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self.started_at = self.now()
        plan = self.plan
        addresses = plan.local_addresses
        self._engine = IkeEngine(
            plan.ike_policy, [str(a) for a in addresses], os.urandom, now=self.now(), aaa=self.aaa
        )
        self._engine.set_secrets_logging(LogFacility.SECRETS in self.log.debug)
        outside = self.interfaces.get(plan.crypto_interface)  # Linux name, if bound
        config = DataplaneConfig(
            local=addresses[0],
            other_locals=addresses[1:],
            tun_name=self.tun_name,
            clear_device=outside,
            clear_devices=tuple(
                (c.map_name, self.interfaces[c.name])
                for c in plan.crypto_interfaces
                if c.name in self.interfaces
            ),
        )
        check = InboundCheck(
            self._inbound_rules(),
            lambda text: self.log.syslog(f"%VPNROUTER-4-INBOUND_CHECK: {text}"),
        )
        self._plane = Dataplane(config, self._on_dataplane, clock=self.now)
        self._link = EngineLink(
            self._engine,
            self._plane,
            clock=self.now,
            on_event=self._on_event,
            on_error=self._event_failed,
        )
        control = ControlServer(
            self.socket_path,
            {
                "status": self._status,
                "snapshot": self._snapshot,
                "clear_sa": self._clear_sa,
                "clear_isakmp": self._clear_isakmp,
                "debug": self._debug,
                "log": self._log,
            },
        )
        async with contextlib.AsyncExitStack() as stack:
            await self._plane.start()
            stack.push_async_callback(self._plane.close)
            self._plane.set_policies(plan.spd)
            for network in plan.tun_routes:
                await self._plane.add_route(network)
            # clear packets on the crypto interface that the ACLs say must come protected
            await check.install()
            stack.push_async_callback(check.remove)
            await control.start()
            stack.push_async_callback(control.close)
            reporter = asyncio.create_task(self._link.report_traffic())
            stack.callback(reporter.cancel)
            for crypto in self._crypto_interfaces():
                self.log.syslog(
                    f"%CRYPTO-6-ISAKMP_LISTEN: ISAKMP on {crypto.name}"
                    f" ({crypto.local_address}) UDP {IKE_PORT}/4500, crypto map {crypto.map_name}"
                )
            self._service()
            await stop.wait()
            await self._shutdown()

    def _crypto_interfaces(self) -> tuple[CryptoInterface, ...]:
        plan = self.plan
        return plan.crypto_interfaces or (
            CryptoInterface(
                plan.crypto_interface, plan.map_name, plan.local_address, plan.local_network
            ),
        )

    def _inbound_rules(self) -> tuple[CheckRule, ...]:
        """The inbound check of each bound crypto interface, over its own map's lines."""
        rules: list[CheckRule] = []
        for crypto in self._crypto_interfaces():
            linux = self.interfaces.get(crypto.name)
            if linux is None:
                continue
            spd = [p for p in self.plan.spd if p.tag.rsplit(" ", 1)[0] == crypto.map_name]
            rules += inbound_rules(spd, linux, RULE_BASE + len(rules))
        return tuple(rules)

    async def _shutdown(self) -> None:
        """Tell the peers (Delete notifications), then let the data plane go."""
        self.link.cancel_timer()
        engine, now = self.engine, self.now()
        # Remote-access clients hear first that their ISAKMP SA goes: vpnc answers the Delete
        # of its IPsec SA with a new quick mode at once and then checks a Delete of the
        # ISAKMP SA that follows as part of that exchange (wrong hash: "got delete for old
        # connection, ignoring"), so it would stay up, talking to nobody.
        for conn_id in (row["conn_id"] for row in remote_access_clients(engine.isakmp_sas(now))):
            engine.delete_ike_sa(now, conn_id=conn_id)
        engine.delete_child_sa(now)
        for row in engine.isakmp_sas(now):
            # only established SAs can carry a Delete the peer will be able to read
            if row.status == "ACTIVE" and row.state == "QM_IDLE":
                engine.delete_ike_sa(now, conn_id=row.conn_id)
        self._service(schedule=False)
        await asyncio.sleep(SHUTDOWN_FLUSH)
        for task in list(self._tasks):
            task.cancel()
        self.log.syslog("%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF")

    # -- engine plumbing --------------------------------------------------------------------
    def _service(self, schedule: bool = True) -> None:
        """Send what the engine queued, act on its events, re-arm its timer."""
        self.link.service(schedule)

    def _event_failed(self, event: Event, exc: Exception) -> None:
        """One bad event must not stop the others or the loop."""
        self.log.syslog(f"%VPNROUTER-3-INTERNAL: {type(event).__name__} not applied: {exc!r}")

    # -- data plane events ------------------------------------------------------------------
    def _on_dataplane(self, event: DataplaneEvent) -> None:
        if isinstance(event, IkeDatagram):
            self.link.receive(event)
        elif isinstance(event, Acquire):
            self._acquire(event)
        elif isinstance(event, SaLifetime):
            self.link.lifetime(event)
        elif isinstance(event, UnknownSpi):
            self.log.syslog(
                f"%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for"
                f" destaddr={self.plan.local_address}, prot=50, spi=0x{event.spi:X}"
                f"({event.spi}), srcaddr={event.peer}"
            )
            # the peer is told (INVALID-SPI) when we have an ISAKMP SA with it
            self.engine.unknown_spi(event.spi, event.peer, event.peer_port, self.now())
        self._service()

    def _acquire(self, event: Acquire) -> None:
        entry = self.entries.get(event.policy.tag)
        if entry is None:
            return
        key = event.flow
        flow = Flow(
            str(event.src), str(event.dst), key.protocol, max(key.src_port, 0),
            max(key.dst_port, 0),
        )  # fmt: skip
        self.log.debug_line(
            LogFacility.IPSEC,
            f"IPSEC(sa_request): , (key eng. msg.) OUTBOUND local="
            f" {entry.local_address or self.plan.local_address},"
            f" remote= {entry.peers[0] if entry.peers else '?'}, flow {flow.src} ->"
            f" {flow.dst} prot {flow.protocol}, crypto map {event.policy.tag}",
        )
        self.engine.initiate(entry, flow, self.now())

    # -- engine events ----------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, LogLine):
            self.log.emit(event)
        elif isinstance(event, ChildSaUp):
            self._child_up(event)
        elif isinstance(event, ChildSaDown):
            self._child_down(event)
        elif isinstance(event, InboundSaUp):
            self.plane.add_inbound_sa(esp_inbound(event, self.now()))
        elif isinstance(event, InboundSaDown):
            for sa in self.plane.remove_sa(event.inbound_spi, Direction.INBOUND):
                self.link.forget(sa.spi)
        elif isinstance(event, NegotiationFailed):
            self._failed(event)
        # IkeSaUp/IkeSaDown: the engine has logged them; status reads its SA table.

    def _failed(self, event: NegotiationFailed) -> None:
        """One clear line per failed negotiation, with the first thing that went wrong
        (e.g. "pre-shared key mismatch?") when the final reason is only a timeout."""
        notify = f", notify {name_of(NotifyType, event.notify)}" if event.notify else ""
        cause = ""
        if event.phase == 1:
            first = [
                row.failure
                for row in self.engine.isakmp_sas(self.now())
                if row.peer == event.peer and row.status == "FAILED" and row.failure
            ]
            if first and first[-1] != event.reason:
                cause = f" ({first[-1]})"
        self.log.syslog(
            f"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase {event.phase} with {event.peer}"
            f" failed: {event.reason}{cause}{notify}"
        )

    def _child_up(self, event: ChildSaUp) -> None:
        outbound, inbound = esp_pair(event, self.now())
        self.plane.add_sa_pair(outbound, inbound)
        tag = outbound.tag
        if tag not in self._acl_tags:
            self._route(event.selector.remote, +1)
        encap = " (UDP-encapsulated)" if event.encapsulation is not None else ""
        self.log.debug_line(
            LogFacility.IPSEC,
            f"IPSEC(create_sa): sa created, (sa) sa_dest= {event.peer}, sa_prot= 50,"
            f" sa_spi= 0x{event.outbound.spi:08X}({event.outbound.spi}), inbound spi="
            f" 0x{event.inbound.spi:08X}({event.inbound.spi}), crypto map {tag}{encap}",
        )

    def _child_down(self, event: ChildSaDown) -> None:
        plane = self.plane
        removed = plane.remove_sa(event.inbound_spi, Direction.INBOUND)
        removed += plane.remove_sa(event.outbound_spi, Direction.OUTBOUND)
        for sa in removed:
            self.link.forget(sa.spi)
            if sa.direction is Direction.OUTBOUND and sa.tag not in self._acl_tags:
                self._route(sa.selector.dst_net, -1)

    def _route(self, network: IPv4Network, delta: int) -> None:
        """Reference-count routes into the tunnel for SAs no crypto ACL routes."""
        if network in self.plan.tun_routes:
            return
        count = self._routes.get(network, 0) + delta
        if count > 0:
            self._routes[network] = count
            if count == 1 and delta > 0:
                self._spawn(self.plane.add_route(network))
        else:
            self._routes.pop(network, None)
            self._spawn(self.plane.remove_route(network))

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.log.syslog(f"%VPNROUTER-3-ROUTE: {task.exception()}")

    # -- control socket ---------------------------------------------------------------------
    def _status(self, request: Mapping[str, Any]) -> dict[str, Any]:
        engine, plane, now = self.engine, self.plane, self.now()
        counters: dict[int, Any] = {}
        for sa in plane.inbound_sas + plane.outbound_sas:
            counters[sa.spi] = sa.counters
        ipsec = []
        for row in engine.ipsec_sas(now):
            item = jsonable(row)
            for key, spi in (("inbound", row.inbound_spi), ("outbound", row.outbound_spi)):
                sa_counters = counters.get(spi)
                if sa_counters is not None:
                    item[f"{key}_counters"] = jsonable(sa_counters)
            ipsec.append(item)
        plan, isakmp = self.plan, engine.isakmp_sas(now)
        return {
            "hostname": plan.hostname,
            "uptime": now - self.started_at,
            "interface": plan.crypto_interface,
            "linux_interface": self.interfaces.get(plan.crypto_interface),
            "local_address": str(plan.local_address),
            "map_name": plan.map_name,
            "crypto_interfaces": [
                {
                    "interface": c.name,
                    "linux_interface": self.interfaces.get(c.name),
                    "local_address": str(c.local_address),
                    "map_name": c.map_name,
                }
                for c in self._crypto_interfaces()
            ],
            "isakmp": [jsonable(row) for row in isakmp],
            "ipsec": ipsec,
            "clients": remote_access_clients(isakmp),
            "pools": jsonable(pools(engine.aaa)),
            "engine_counters": engine.counters,
            "dataplane": jsonable(snapshot(plane)["driver"]),
        }

    def _snapshot(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """``show ...`` in the exec shell (docs/CONTRACTS.md, "control socket / show")."""
        plan, plane = self.plan, self.plane
        facts = RouterFacts(
            config=self.config,
            config_file=self.config_file,
            crypto_interface=plan.crypto_interface,
            local_address=str(plan.local_address),
            linux_names=self.interfaces,
            acl_tags=self._acl_tags,
            path_mtu=plane.config.path_mtu,
            interface_of={
                str(c.local_address): c.name
                for c in reversed(self._crypto_interfaces())  # the first one wins
            },
        )

        def lookup(spi: int, inbound: bool) -> EspSa | None:
            return plane.find_sa(spi, Direction.INBOUND if inbound else Direction.OUTBOUND)

        now = self.now()
        debug = sorted(f.value for f in self.log.debug if f is not LogFacility.SECRETS)
        snap = build_snapshot(
            facts,
            self.engine,
            lookup,
            now=now,
            uptime=now - self.started_at,
            debug=debug,
            aaa=self.engine.aaa,
            acquire_drops=self._send_errors.since_clear(plane.stats.acquire_drops),
        )
        return snap.to_json()

    def _clear_sa(self, request: Mapping[str, Any]) -> int:
        """``clear crypto sa [peer A]``: delete IPsec SA pairs, telling the peer."""
        peer = request.get("peer")
        if peer is not None and not isinstance(peer, str):
            raise ValueError("peer must be an address or null")
        tags = None if peer is None else self._tags_of(peer)
        self._send_errors.clear(self.plane.stats.acquire_drops, tags)
        count = self.engine.delete_child_sa(self.now(), peer=peer)
        self._service()
        return count

    def _tags_of(self, peer: str) -> set[str]:
        """The ``"MAP SEQ"`` entries that name ``peer`` or carry IPsec SAs with it."""
        tags = {f"{r.map_name} {r.map_seq}" for r in self.engine.ipsec_sas(self.now())
                if r.peer == peer}  # fmt: skip
        tags.update(tag for tag, e in self.entries.items() if peer in map(str, e.peers))
        return tags

    def _clear_isakmp(self, request: Mapping[str, Any]) -> int:
        """``clear crypto isakmp [CONN-ID]``: delete ISAKMP SAs, telling the peer."""
        conn_id = request.get("conn_id")
        if conn_id is not None and (isinstance(conn_id, bool) or not isinstance(conn_id, int)):
            raise ValueError("conn_id must be an integer or null")
        count = self.engine.delete_ike_sa(self.now(), conn_id=conn_id)
        self._service()
        return count

    def _debug(self, request: Mapping[str, Any]) -> list[str]:
        """``debug crypto isakmp|ipsec|engine`` / ``undebug all``. Key material (``secrets``)
        can only be switched on from the command line, never through the socket."""
        facility, on = request.get("facility"), request.get("on")
        if not isinstance(on, bool):
            raise ValueError('"on" must be true or false')
        if facility == "all":
            chosen = set(DEBUG_ALL) if on else set()
        elif facility in ("isakmp", "ipsec", "engine"):
            chosen = set(self.log.debug)
            (chosen.add if on else chosen.discard)(LogFacility(facility))
        else:
            raise ValueError(f"unknown debug facility {facility!r} (isakmp, ipsec, engine, all)")
        if LogFacility.SECRETS in self.log.debug and not (facility == "all" and not on):
            chosen.add(LogFacility.SECRETS)
        self.log.debug = frozenset(chosen)
        self.engine.set_secrets_logging(LogFacility.SECRETS in chosen)
        return sorted(f.value for f in chosen if f is not LogFacility.SECRETS)

    def _log(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """``terminal monitor``: the log lines numbered ``since`` and later."""
        since = request.get("since")
        if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
            raise ValueError("since must be an integer or null")
        next_line, lines = self.log.lines_since(since)
        return {"next": next_line, "lines": lines}
