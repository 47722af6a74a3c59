"""The sans-I/O IKEv1 engine (DESIGN.md principle 1).

The caller owns sockets, the clock and the random source::

    engine = IkeEngine(policy, ["172.18.124.159"], os.urandom)
    engine.receive_datagram(data, ("172.18.124.199", 500), 500, now)
    for datagram in engine.datagrams_to_send(now): ...  # (data, addr, local_port, keepalive)
    while (event := engine.next_event()) is not None: ...
    timer = engine.get_timer(); ... engine.handle_timer(now)

The router calls :meth:`IkeEngine.initiate` on the first packet of interesting traffic
without an SA, :meth:`report_traffic` with byte counters from the data plane, and the
``delete_*``/snapshot methods for ``clear``/``show``. Remote-access clients (aggressive mode,
XAuth, Mode Config, DPD) are served when the policy has client groups and client map
settings and an :class:`~vpnrouter.aaa.Aaa` is given. ``vpnclient`` uses the client half:
:meth:`initiate_remote_access`, :meth:`provide_xauth`, :meth:`disconnect`. Nothing received
from the network ever raises out of this class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from vpnrouter.aaa import Aaa
from vpnrouter.ike import client, dispatch, lifecycle, liveness, timers
from vpnrouter.ike.context import IKE_PORT, Context
from vpnrouter.ike.events import Event, LogFacility
from vpnrouter.ike.exchanges import informational, main_mode, quick_mode
from vpnrouter.ike.manager import Datagram
from vpnrouter.ike.policy import CryptoMapEntry, Flow, IkePolicy, TransformSet
from vpnrouter.ike.sa import ChildRequest, ChildSa, ChildState, IkeSa
from vpnrouter.ike.snapshots import IpsecSaSnapshot, IsakmpSaSnapshot, ipsec_row, isakmp_row
from vpnrouter.wire.constants import IdType

RandomBytes = Callable[[int], bytes]
INVALID_SPI_INTERVAL = 1.0  # seconds between INVALID-SPI notifies over one ISAKMP SA


class IkeEngine:
    """IKEv1 main mode + quick mode + informational, PSK, NAT-T, IOS behaviour."""

    def __init__(
        self,
        policy: IkePolicy,
        local_addrs: Sequence[str],
        rng: RandomBytes,
        *,
        now: float = 0.0,
        aaa: Aaa | None = None,
    ) -> None:
        if not local_addrs:
            raise ValueError("the engine needs at least one local address")
        self._ctx = Context(policy, rng, tuple(str(a) for a in local_addrs))
        self._ctx.now = now
        self._ctx.aaa = aaa
        if policy.crypto_maps:
            self._ctx.syslog("%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is ON")

    # --- configuration and diagnostics -----------------------------------------------------

    @property
    def policy(self) -> IkePolicy:
        return self._ctx.policy

    def update_policy(self, policy: IkePolicy) -> None:
        """New configuration: applies to negotiations started from now on."""
        self._ctx.policy = policy

    @property
    def aaa(self) -> Aaa | None:
        """Users, login lists and address pools for remote access (None: no XAuth, no pool)."""
        return self._ctx.aaa

    @property
    def counters(self) -> dict[str, int]:
        """Packets received/sent/dropped by reason (malformed, hash_failures, duplicates...)."""
        return dict(self._ctx.counters)

    def set_secrets_logging(self, enabled: bool) -> None:
        """The explicit highest debug level: key material appears in SECRETS log lines."""
        self._ctx.secrets = enabled

    # --- sans-I/O API -------------------------------------------------------------------------

    def receive_datagram(
        self,
        data: bytes,
        addr: tuple[str, int],
        local_port: int,
        now: float,
        local_addr: str | None = None,
    ) -> None:
        """One ISAKMP message received on ``local_port`` (500 or 4500) from ``addr``: bare,
        the data plane has removed the RFC 3948 non-ESP marker of port 4500 (and keeps NAT
        keepalives to itself)."""
        self._ctx.now = now
        local = (local_addr or self._ctx.local_addrs[0], local_port)
        dispatch.receive(self._ctx, bytes(data), (str(addr[0]), int(addr[1])), local)
        self._guarded(self._after_receive)

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        """Everything queued since the last call, oldest first."""
        self._ctx.now = now
        out, self._ctx.outbox = self._ctx.outbox, []
        return out

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called (None: nothing scheduled)."""
        return timers.next_deadline(self._ctx)

    def handle_timer(self, now: float) -> None:
        self._ctx.now = now
        self._guarded(lambda: timers.run(self._ctx, self._request_child, self._rekey_phase1))
        self._guarded(self._after_receive)

    def next_event(self) -> Event | None:
        return self._ctx.events.popleft() if self._ctx.events else None

    # --- router calls -------------------------------------------------------------------------

    def initiate(self, entry: CryptoMapEntry, flow: Flow, now: float) -> bool:
        """IOS acquire: interesting traffic ``flow`` hit crypto map ``entry`` with no SA.

        Starts main mode (if there is no ISAKMP SA with the peer) and then quick mode for the
        ACL line the packet matched. Returns False when nothing was started (no matching ACL
        line, no peer, or a negotiation for the same traffic is already under way).
        """
        self._ctx.now = now
        line = next((acl for acl in entry.acl if acl.matches(flow)), None)
        if line is None or not entry.peers:
            return False
        peer = str(entry.peers[0])
        request = ChildRequest(entry, line)
        if self._pending(peer, request):
            return False
        local = str(entry.local_address) if entry.local_address else self._ctx.local_addrs[0]
        self._request_child(local, peer, request)
        return True

    def report_traffic(self, spi: int, total_bytes: int, now: float) -> None:
        """Byte count of an SA from the data plane: volume lifetimes (soft: rekey, hard: end)."""
        self._ctx.now = now
        child = self._ctx.table.children.get(spi) or self._ctx.table.child_by_outbound(spi)
        if child is None:
            return
        child.bytes_seen = max(child.bytes_seen, total_bytes)
        self._traffic_seen(child, spi, total_bytes)
        if child.bytes_seen >= child.hard_bytes:
            timers.expire_child(self._ctx, child, "volume lifetime expired")
        elif (
            child.bytes_seen >= child.soft_bytes
            and child.state is ChildState.ACTIVE
            and not child.rekey_started
        ):
            timers.rekey_child(self._ctx, child, self._request_child)
        self._guarded(self._after_receive)

    def sa_lifetime_reached(self, spi: int, hard: bool, now: float) -> None:
        """The data plane says an SA hit its soft (rekey now) or hard (remove) lifetime, e.g.
        ``netio.events.SaLifetime``; either direction's SPI names the pair."""
        self._ctx.now = now
        child = self._ctx.table.children.get(spi) or self._ctx.table.child_by_outbound(spi)
        if child is None:
            return
        if hard:
            timers.expire_child(self._ctx, child, "lifetime expired")
        elif child.state is ChildState.ACTIVE and not child.rekey_started:
            timers.rekey_child(self._ctx, child, self._request_child)
        self._guarded(self._after_receive)

    def unknown_spi(self, spi: int, peer: str, peer_port: int | None, now: float) -> bool:
        """ESP from ``peer`` (``peer_port``: UDP-encapsulated) on an SPI the data plane has no
        inbound SA for (``netio.events.UnknownSpi``). Like IOS, tell the peer with a protected
        INVALID-SPI notify over an ISAKMP SA with it, at most once every
        :data:`INVALID_SPI_INTERVAL` per ISAKMP SA; not without one (IOS then only logs), and
        not for an SPI we just gave out in a quick mode: the initiator uses its new SAs from
        QM2 on, so its first packets may overtake our QM3. True when a notify went out."""
        self._ctx.now = now
        if self._ctx.table.spi_in_use(spi):
            return False
        sa = self._ike_for_esp(peer, peer_port)
        if sa is None:
            return False
        if sa.invalid_spi_at is not None and now - sa.invalid_spi_at < INVALID_SPI_INTERVAL:
            return False
        sa.invalid_spi_at = now
        self._ctx.ipsec(f"IPSEC: ESP from {peer} with unknown spi 0x{spi:08X}: telling the peer")
        self._guarded(lambda: informational.send_invalid_spi(self._ctx, sa, spi))
        return True

    # --- client half (vpnclient) ----------------------------------------------------------------

    def initiate_remote_access(
        self,
        gateway: str,
        group_name: str,
        group_key: str,
        now: float,
        *,
        nat_t: bool = True,
        dh_group: int = 2,
        lifetime: int = 86400,
        id_type: int = IdType.KEY_ID,
        local: str | None = None,
        transform_sets: Sequence[TransformSet] | None = None,
    ) -> int:
        """Connect to ``gateway`` as a Cisco VPN Client would: aggressive mode with the group
        name as ID_KEY_ID (``id_type`` 2/3: FQDN/USER_FQDN) and the group key, then XAuth
        (:class:`~vpnrouter.ike.events.XauthRequested`), Mode Config and quick mode. Returns
        the ISAKMP SA's conn-id."""
        self._ctx.now = now
        options = client.RemoteAccessOptions(
            nat_t=nat_t,
            dh_group=dh_group,
            lifetime=lifetime,
            id_type=id_type,
            transform_sets=tuple(transform_sets or client.CLIENT_TRANSFORM_SETS),
            local=local,
        )
        return client.start(self._ctx, gateway, group_name, group_key, options).conn_id

    def provide_xauth(
        self, username: str, password: str, now: float, *, conn_id: int | None = None
    ) -> bool:
        """Answer the gateway's pending XAuth request (draft-beaulieu-ike-xauth-02 6.1) with
        the user's credentials; False when no request is pending."""
        self._ctx.now = now
        pending = [
            sa
            for sa in client.clients(self._ctx)
            if (conn_id is None or sa.conn_id == conn_id)
            and sa.ra is not None
            and sa.ra.pending_xauth is not None
        ]
        if not pending:
            return False
        answered: list[bool] = []
        self._guarded(
            lambda: answered.append(client.provide_xauth(self._ctx, pending[0], username, password))
        )
        return bool(answered and answered[0])

    def disconnect(self, now: float, *, conn_id: int | None = None) -> int:
        """Client half: delete the IPsec SAs and the ISAKMP SA of the connection(s)."""
        self._ctx.now = now
        chosen = [
            sa for sa in client.clients(self._ctx) if conn_id is None or sa.conn_id == conn_id
        ]
        for sa in chosen:
            client.disconnect(self._ctx, sa)
        return len(chosen)

    def delete_ike_sa(
        self, now: float, *, conn_id: int | None = None, peer: str | None = None
    ) -> int:
        """``clear crypto isakmp [conn-id]``: delete (and tell the peer); returns how many."""
        self._ctx.now = now
        count = 0
        for sa in list(self._ctx.table.ike.values()):
            if sa.dead or (conn_id is not None and sa.conn_id != conn_id):
                continue
            if peer is not None and sa.peer != peer:
                continue
            informational.send_delete_ike(self._ctx, sa)
            lifecycle.drop_ike(self._ctx, sa, "clear crypto isakmp")
            count += 1
        return count

    def delete_child_sa(
        self,
        now: float,
        *,
        peer: str | None = None,
        spi: int | None = None,
        map_name: str | None = None,
    ) -> int:
        """``clear crypto sa [peer | spi | map]``: delete pairs (telling the peer)."""
        self._ctx.now = now
        chosen = [
            c
            for c in self._ctx.table.children.values()
            if (peer is None or c.peer == peer)
            and (spi is None or spi in (c.inbound.spi, c.outbound.spi))
            and (map_name is None or c.entry.map_name == map_name)
        ]
        for child in chosen:
            timers.expire_child(self._ctx, child, "clear crypto sa")
        return len(chosen)

    def isakmp_sas(self, now: float) -> list[IsakmpSaSnapshot]:
        self._ctx.now = now
        return [isakmp_row(self._ctx, sa) for sa in self._ctx.table.ike.values()]

    def ipsec_sas(self, now: float) -> list[IpsecSaSnapshot]:
        self._ctx.now = now
        return [ipsec_row(self._ctx, c) for c in self._ctx.table.children.values()]

    # --- internals ----------------------------------------------------------------------------

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:  # principle 4: never raise into the event loop
            self._ctx.counters["internal_errors"] += 1
            self._ctx.log(LogFacility.ENGINE, f"ISAKMP: internal error: {exc!r}")

    def _pending(self, peer: str, request: ChildRequest) -> bool:
        """IOS ignores an acquire while the same traffic is being negotiated or protected."""
        for sa in self._ctx.table.ike.values():
            if sa.dead or sa.peer != peer:
                continue
            if any(r.entry == request.entry and r.selector == request.selector for r in sa.waiting):
                return True
            for qm in sa.quick.values():
                if qm.initiator and qm.entry == request.entry and qm.selector == request.selector:
                    return True
        return any(
            c.peer == peer and c.selector == request.selector and c.state is ChildState.ACTIVE
            for c in self._ctx.table.children.values()
        )

    def _traffic_seen(self, child: ChildSa, spi: int, total_bytes: int) -> None:
        """RFC 3706: inbound ESP is a sign of life; outbound traffic is what on-demand DPD
        worries about. The peer sending on a pair also retires the pairs it superseded."""
        inbound = spi == child.inbound.spi
        before = child.inbound_bytes if inbound else child.outbound_bytes
        if total_bytes <= before:
            return
        if inbound:
            child.inbound_bytes = total_bytes
        else:
            child.outbound_bytes = total_bytes
        sa = self._ctx.table.ike_for_child(child)
        if sa is None:
            return
        if inbound:
            liveness.heard(self._ctx, sa)
            if before > 0:  # seen at an earlier report too: nothing is in flight on the old
                timers.retire_superseded(self._ctx, sa, child)
        else:
            liveness.sent_traffic(self._ctx, sa)

    def _ike_for_esp(self, peer: str, peer_port: int | None) -> IkeSa | None:
        """The newest established ISAKMP SA with the sender of an ESP packet: with the same
        port when it came UDP-encapsulated (remote-access clients behind one NAT address)."""
        candidates = [
            sa
            for sa in self._ctx.table.ike.values()
            if sa.established
            and sa.peer == peer
            and (peer_port is None or sa.peer_port == peer_port or sa.ra is None)
        ]
        same_port = [sa for sa in candidates if sa.peer_port == peer_port]
        return max(same_port or candidates, key=lambda sa: sa.conn_id, default=None)

    def _ike_for(self, peer: str, request: ChildRequest) -> IkeSa | None:
        """The ISAKMP SA a quick mode goes over: the one named in the request, else the
        newest one with the peer (for remote access: the same client, by address and port)."""
        table = self._ctx.table
        if request.ike_conn_id is not None:
            own = table.ike.get(request.ike_conn_id)
            if own is not None and own.established:
                return own
        key = request.peer_key or peer
        best: IkeSa | None = None
        for sa in table.ike.values():
            if (
                sa.established
                and sa.peer_key == key
                and (best is None or sa.conn_id > best.conn_id)
            ):
                best = sa
        return best

    def _request_child(self, local: str, peer: str, request: ChildRequest) -> None:
        """Quick mode on the ISAKMP SA with ``peer``; main mode first if there is none."""
        ctx = self._ctx
        sa = self._ike_for(peer, request)
        if sa is not None:
            quick_mode.start(ctx, sa, request)
            return
        if request.entry.dynamic:
            # IOS never initiates on a dynamic crypto map: without an ISAKMP SA the peer,
            # which initiated in the first place, rekeys (or the pair simply expires).
            ctx.ipsec(f"IPSEC: no ISAKMP SA with {peer} for dynamic map entry: not initiating")
            return
        negotiating = ctx.table.negotiating_for(peer)
        if negotiating is not None:
            negotiating.waiting.append(request)
            return
        started = main_mode.start(ctx, local, peer, request)
        if started.retransmit is None:
            lifecycle.drop_ike(ctx, started, started.failure or "could not start main mode")

    def _rekey_phase1(self, old: IkeSa) -> None:
        """RFC 2409 4 / IOS: a new ISAKMP SA before the old one expires (the client half:
        aggressive mode and XAuth again, the Cisco VPN Client's re-authentication)."""
        if self._ctx.table.negotiating_for(old.peer) is not None:
            return
        if old.ra is not None and not old.ra.server:
            renewal = client.reauthenticate(self._ctx, old)
            if renewal is not None and renewal.retransmit is None:
                lifecycle.drop_ike(self._ctx, renewal, renewal.failure or "re-authentication")
            return
        self._ctx.isakmp(f"{old.tag}: rekeying phase 1 with {old.peer}")
        started = main_mode.start(self._ctx, old.local, old.peer, None, replaces=old.conn_id)
        if started.retransmit is None:
            lifecycle.drop_ike(self._ctx, started, started.failure or "rekey failed")

    def _after_receive(self) -> None:
        """Start quick modes waiting for phase 1, retire ISAKMP SAs that were rekeyed."""
        ctx = self._ctx
        for sa in list(ctx.table.ike.values()):
            if not sa.established:
                continue
            waiting, sa.waiting = sa.waiting, []
            for request in waiting:
                quick_mode.start(ctx, sa, request)
            old = ctx.table.ike.get(sa.replaces) if sa.replaces is not None else None
            if old is not None and old.established and client.handed_over(sa):
                if client.retire_later(ctx, sa, old):
                    continue
                informational.send_delete_ike(ctx, old)
                lifecycle.drop_ike(ctx, old, "rekeyed")


__all__ = ["IKE_PORT", "IkeEngine"]
