"""Remote-access clients on the router side: who must log in (XAuth), which crypto map's
client settings apply, pool addresses (given out once per client, back when the client is
gone), what quick modes a client may ask for, and the IOS status lines.

IOS wording: ``%CRYPTO-6-VPN_TUNNEL_STATUS`` is modelled on what IOS 12.4 prints with
``crypto logging ezvpn`` (Group / Client_public_addr / Server_public_addr /
Assigned_client_addr); we could not confirm its exact text for 12.2, whose Easy VPN server
logged little by default. The debug lines follow ``debug crypto isakmp`` as remembered
from 12.2-12.4 routers; those not confirmed are marked where they are produced.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from vpnrouter.ike.context import ClientLease, Context
from vpnrouter.ike.errors import ProtocolError
from vpnrouter.ike.events import ClientDisconnected
from vpnrouter.ike.policy import ClientGroup, ClientMapConfig, TrafficSelector
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.constants import NotifyType, ProtocolId


def client_map(ctx: Context, sa: IkeSa) -> ClientMapConfig | None:
    """The ``crypto map ... client ...`` settings of the map on the SA's local address."""
    return ctx.policy.client_map_for(sa.local)


# IOS: XAuth runs when the crypto map has "client authentication list" and the peer's key is
# not marked "no-xauth" (the seed's LAN-to-LAN key is, its VPN clients' group key is not).
def xauth_wanted(ctx: Context, sa: IkeSa) -> bool:
    settings = client_map(ctx, sa)
    return settings is not None and bool(settings.authentication_list) and not sa.xauth_exempt


def authorize_group(ctx: Context, sa: IkeSa, name: str) -> None:
    """``isakmp authorization list L`` with ``aaa authorization network L local``: the group
    policy (key, pool, DNS...) comes from the local group; a list that cannot use the local
    groups (e.g. only ``group radius``, which we do not speak) refuses the client. Without
    an authorization list (or without AAA at all) the local group is used as it is."""
    settings = client_map(ctx, sa)
    listed = settings.authorization_list if settings is not None else None
    if not listed or ctx.aaa is None or ctx.aaa.authorizes_locally(listed):
        return
    ctx.isakmp(f"{sa.tag}: group {name}: authorization list {listed} has no local method")
    raise ProtocolError(
        NotifyType.INVALID_ID_INFORMATION, f"group {name!r} not authorized by list {listed}"
    )


def group_of(ctx: Context, sa: IkeSa) -> ClientGroup | None:
    if sa.ra is None or not sa.ra.group:
        return None
    return ctx.policy.find_group(sa.ra.group)


def tunnel_status(ctx: Context, sa: IkeSa, text: str) -> None:
    """``%CRYPTO-6-VPN_TUNNEL_STATUS`` (wording modelled on IOS 12.4, see the module doc)."""
    ra = sa.ra
    group = ra.group if ra is not None and ra.group else "<none>"
    user = ra.username if ra is not None and ra.username else "<none>"
    ctx.syslog(
        f"%CRYPTO-6-VPN_TUNNEL_STATUS: Group: {group}  User: {user}  Client_public_addr: "
        f"{sa.peer}  Server_public_addr: {sa.local}  {text}"
    )


def _users_of(ctx: Context, group: str) -> int:
    """Clients of ``group`` that hold an address now (``max-users``)."""
    return len(
        {
            sa.peer_key
            for sa in ctx.table.ike.values()
            if sa.alive and sa.ra is not None and sa.ra.server and sa.ra.group == group
            if sa.ra.address is not None
        }
    )


def _address_of_same_client(ctx: Context, sa: IkeSa) -> IPv4Address | None:
    """The address an earlier ISAKMP SA of this very client holds (a phase-1 rekey: vpnc
    and the Cisco client run aggressive mode and XAuth again, but no Mode Config)."""
    for other in ctx.table.ike.values():
        if other is sa or not other.alive or other.ra is None or other.ra.address is None:
            continue
        if other.peer_key == sa.peer_key and other.ra.username == _username(sa):
            return other.ra.address
    for child in ctx.table.children.values():
        if child.client_address is not None and child.peer_key == sa.peer_key:
            return child.client_address
    return None


def _username(sa: IkeSa) -> str:
    return sa.ra.username if sa.ra is not None else ""


def adopt_address(ctx: Context, sa: IkeSa) -> None:
    """After XAuth: a client that is only renewing its phase 1 keeps its address."""
    if sa.ra is not None and sa.ra.address is None:
        sa.ra.address = _address_of_same_client(ctx, sa)


def assign_address(ctx: Context, sa: IkeSa) -> tuple[IPv4Address | None, str]:
    """The client's pool address (kept, inherited, or newly allocated) or why there is none."""
    ra = sa.ra
    if ra is None:
        return None, "not a remote-access peer"
    if ra.address is not None:
        return ra.address, ""
    inherited = _address_of_same_client(ctx, sa)
    if inherited is not None:
        ra.address = inherited
        return inherited, ""
    group = group_of(ctx, sa)
    if group is None or not group.pool:
        return None, "no address pool is configured for the client's group"
    if ctx.aaa is None or group.pool not in ctx.aaa.pools:
        return None, f"ip local pool {group.pool} is not defined"
    if group.max_users is not None and _users_of(ctx, group.name) >= group.max_users:
        return None, f"group {group.name} has reached max-users {group.max_users}"
    owner = f"{ra.username or ra.group}@{sa.peer}:{sa.peer_port}"
    address = ctx.aaa.pools.allocate(group.pool, owner)
    if address is None:
        return None, f"no free address in pool {group.pool}"
    ra.address = address
    ctx.leases[address] = ClientLease(group.pool, sa.conn_id, sa.peer, ra.group, ra.username)
    # IOS 12.x debug wording, from memory; unconfirmed (no source found: see
    # vpnrouter.ike.exchanges.xauth).
    ctx.isakmp(f"{sa.tag}: allocating address {address}")
    return address, ""


def _in_use(ctx: Context, address: IPv4Address) -> bool:
    for sa in ctx.table.ike.values():
        if sa.alive and sa.ra is not None and sa.ra.address == address:
            return True
    return any(c.client_address == address for c in ctx.table.children.values())


def release_unused(ctx: Context, reason: str) -> None:
    """Give back every address no live ISAKMP SA or IPsec SA of its client still uses (the
    IKEv1 IPsec SAs may outlive the ISAKMP SA: the address stays until they are gone)."""
    for address, lease in list(ctx.leases.items()):
        if _in_use(ctx, address):
            continue
        del ctx.leases[address]
        if ctx.aaa is not None:
            ctx.aaa.pools.release(address)
        # IOS 12.x debug wording, from memory; unconfirmed (as "allocating address" above)
        ctx.isakmp(f"ISAKMP: returning address {address} to pool {lease.pool}")
        user = lease.username or "<none>"
        ctx.syslog(
            f"%CRYPTO-6-VPN_TUNNEL_STATUS: Group: {lease.group or '<none>'}  User: {user}  "
            f"Client_public_addr: {lease.peer}  Assigned_client_addr: {address}  "
            f"Disconnected: {reason}"
        )
        ctx.emit(
            ClientDisconnected(
                lease.conn_id, lease.peer, address, reason, lease.group, lease.username
            )
        )


def check_quick_mode(ctx: Context, sa: IkeSa, proposed: TrafficSelector, spi: bytes) -> None:
    """A client with a pool address may only protect traffic from that address (IOS builds
    the dynamic map's proxy from the client's Mode Config address)."""
    ra = sa.ra
    if ra is None or not ra.server or ra.address is None:
        return
    if proposed.remote.subnet_of(IPv4Network(ra.address)):
        return
    ctx.ipsec(
        f"IPSEC(validate_proposal): client {sa.peer} proposed {proposed.remote} but was "
        f"assigned {ra.address}"
    )
    raise ProtocolError(
        NotifyType.INVALID_ID_INFORMATION,
        f"client proxy {proposed.remote} is not its address {ra.address}",
        protocol=ProtocolId.IPSEC_ESP,
        spi=spi,
    )
