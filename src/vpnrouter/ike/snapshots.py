"""Read-only views of the SA table for ``show crypto isakmp sa`` / ``show crypto ipsec sa``
and ``show crypto isakmp diagnose``: failed SAs stay listed in their last state for a while,
with their ``failure``, what the peer offered and the last failed quick mode."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from vpnrouter.ike.context import Context
from vpnrouter.ike.events import UdpEncapsulation
from vpnrouter.ike.exchanges import vendor
from vpnrouter.ike.exchanges.informational import notify_name
from vpnrouter.ike.policy import Mode, TrafficSelector
from vpnrouter.ike.proposals import Phase1Offer
from vpnrouter.ike.sa import ChildSa, IkeSa, Phase2Outcome


@dataclass(frozen=True)
class IsakmpSaSnapshot:
    """One row of ``show crypto isakmp sa`` plus the detail behind it.

    ``dst``/``src`` follow IOS: dst is the responder, src the initiator. ``status`` is
    ACTIVE, or DELETED/FAILED for an SA kept visible after it went away.
    """

    dst: str
    src: str
    state: str
    conn_id: int
    slot: int
    status: str
    local: str
    peer: str
    local_port: int
    peer_port: int
    initiator: bool
    icookie: bytes
    rcookie: bytes
    encryption: int | None
    key_length: int | None
    hash: int | None
    auth: int | None
    group: int | None
    lifetime: int | None
    remaining: float | None
    nat_t: bool
    nat_local_behind: bool
    nat_peer_behind: bool
    vendor_ids: tuple[str, ...]
    failure: str
    peer_notify: str
    created: float
    aggressive: bool = False
    peer_id: str = ""  # the peer's phase-1 identity (a client's group name)
    group_name: str = ""  # remote access: client group
    username: str = ""  # remote access: the XAuth user (once authenticated)
    assigned_address: IPv4Address | None = None  # remote access: Mode Config address
    xauth: str = ""  # "", "pending", "done" or "failed"
    mode_config: bool = False  # the configuration was sent (router) or received (client)
    dpd: bool = False  # we probe the peer with R-U-THERE
    # for ``show crypto isakmp diagnose``:
    ended: float | None = None  # when it was deleted or failed (engine clock)
    offered: tuple[int, ...] = ()  # initiator: the priorities of the policies we offered
    peer_offers: tuple[Phase1Offer, ...] = ()  # responder: the peer's phase-1 transforms
    phase2: Phase2Outcome | None = None  # the last quick mode that failed over this SA
    xauth_user: str = ""  # router side: the user name XAuth last tried (passed or not)


@dataclass(frozen=True)
class IpsecSaSnapshot:
    """One pair of ESP SAs for ``show crypto ipsec sa``."""

    map_name: str
    map_seq: int
    local: str
    peer: str
    selector: TrafficSelector
    inbound_spi: int
    outbound_spi: int
    transform_names: str
    transform_id: int
    key_length: int | None
    auth_alg: int | None
    mode: Mode
    encapsulation: UdpEncapsulation | None
    in_conn_id: int
    out_conn_id: int
    lifetime_seconds: int
    lifetime_kilobytes: int
    remaining_seconds: float
    remaining_kilobytes: int
    pfs_group: int | None
    state: str
    initiator: bool
    ike_conn_id: int
    created: float
    client_address: IPv4Address | None = None


def _xauth(sa: IkeSa) -> str:
    ra = sa.ra
    if ra is None or not ra.xauth_required:
        return ""
    if ra.xauth_done:
        return "done"
    return "failed" if sa.dead else "pending"


def isakmp_row(ctx: Context, sa: IkeSa) -> IsakmpSaSnapshot:
    suite = sa.suite
    status = "ACTIVE"
    if sa.dead:
        status = "DELETED" if sa.established_at is not None else "FAILED"
    remaining = max(0.0, sa.expires_at - ctx.now) if sa.expires_at and not sa.dead else None
    initiator, responder = (sa.local, sa.peer) if sa.initiator else (sa.peer, sa.local)
    return IsakmpSaSnapshot(
        dst=responder,
        src=initiator,
        state=sa.state.ios,
        conn_id=sa.conn_id,
        slot=0,
        status=status,
        local=sa.local,
        peer=sa.peer,
        local_port=sa.local_port,
        peer_port=sa.peer_port,
        initiator=sa.initiator,
        icookie=sa.icookie,
        rcookie=sa.rcookie,
        encryption=suite.encryption if suite else None,
        key_length=suite.key_length if suite else None,
        hash=suite.hash if suite else None,
        auth=suite.auth if suite else None,
        group=suite.group if suite else None,
        lifetime=suite.lifetime if suite else None,
        remaining=remaining,
        nat_t=sa.nat.in_use,
        nat_local_behind=sa.nat.local_behind,
        nat_peer_behind=sa.nat.peer_behind,
        vendor_ids=tuple(sa.vendor_ids),
        failure=sa.failure,
        peer_notify=notify_name(sa.peer_notify) if sa.peer_notify is not None else "",
        created=sa.created,
        aggressive=sa.aggressive,
        peer_id=sa.peer_id,
        group_name=sa.ra.group if sa.ra is not None else "",
        username=sa.ra.username if sa.ra is not None and sa.ra.xauth_done else "",
        assigned_address=sa.ra.address if sa.ra is not None else None,
        xauth=_xauth(sa),
        mode_config=sa.ra is not None and sa.ra.config_done,
        dpd=ctx.policy.dpd is not None and vendor.does_dpd(sa),
        ended=sa.ended_at,
        offered=tuple(p.priority for p in sa.offered),
        peer_offers=sa.peer_offers,
        phase2=sa.phase2,
        xauth_user=sa.ra.username if sa.ra is not None and sa.ra.server else "",
    )


def ipsec_row(ctx: Context, child: ChildSa) -> IpsecSaSnapshot:
    used_kb = child.bytes_seen // 1024
    return IpsecSaSnapshot(
        map_name=child.entry.map_name,
        map_seq=child.entry.seq,
        local=child.local,
        peer=child.peer,
        selector=child.selector,
        inbound_spi=child.inbound.spi,
        outbound_spi=child.outbound.spi,
        transform_names=child.transform_names,
        transform_id=child.inbound.transform_id,
        key_length=child.inbound.key_length,
        auth_alg=child.inbound.auth_alg,
        mode=child.mode,
        encapsulation=child.encapsulation,
        in_conn_id=child.conn_ids[0],
        out_conn_id=child.conn_ids[1],
        lifetime_seconds=child.lifetime_seconds,
        lifetime_kilobytes=child.lifetime_kilobytes,
        remaining_seconds=max(0.0, child.hard_at - ctx.now),
        remaining_kilobytes=max(0, child.lifetime_kilobytes - used_kb),
        pfs_group=child.pfs_group,
        state=child.state.value,
        initiator=child.initiator,
        ike_conn_id=child.ike_conn_id,
        created=child.created,
        client_address=child.client_address,
    )
