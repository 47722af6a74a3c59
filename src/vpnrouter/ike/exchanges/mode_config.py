"""Mode Config (draft-dukes-ike-mode-cfg-02) with the Cisco Unity attributes.

With ``crypto map M client configuration address respond`` the client asks (REQUEST) and the
router answers (REPLY) with what the client's group grants (vpnc and strongSwan both pull);
with ``... address initiate`` the router sends a SET after XAuth and the client ACKs it.
The router's answer comes from :mod:`vpnrouter.ike.exchanges.unity`; the address from the
group's ``ip local pool`` (:mod:`vpnrouter.ike.sessions`). No address left means a reply
without one, a clear log line, and the deletion of the client's ISAKMP SA.

The client half asks like vpnc does, reports :class:`~vpnrouter.ike.events.ModeConfigReceived`
and starts quick mode for (its address <-> each split-include network, or 0.0.0.0/0).

Debug wording: ``checking request:`` with one ``ISAKMP:    <attribute>`` line per requested
attribute, the ``ISAKMP: Sending ...`` lines of :mod:`~vpnrouter.ike.exchanges.unity` and
``responding to peer config from <peer>. ID = <mid>`` are remembered IOS 12.x lines,
unconfirmed (no source found; see :mod:`vpnrouter.ike.exchanges.xauth`). Lines marked
"ours" (declined attributes, refusals, the client half) have no IOS counterpart we know of.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network

from vpnrouter.ike import lifecycle, sessions
from vpnrouter.ike.context import Context
from vpnrouter.ike.events import ClientConnected, ModeConfigReceived, NegotiationFailed
from vpnrouter.ike.exchanges import cfgmsg, informational, quick_mode, unity
from vpnrouter.ike.manager import signed_mid
from vpnrouter.ike.policy import CryptoMapEntry, TrafficSelector
from vpnrouter.ike.ra import RaState, Transaction, TxKind
from vpnrouter.ike.sa import ChildRequest, IkeSa
from vpnrouter.wire.attributes import DataAttribute, cfg_attribute
from vpnrouter.wire.constants import CfgAttr, CfgMessageType
from vpnrouter.wire.payloads import AttributePayload

CLIENT_VERSION = "Cisco Systems VPN Client 4.8 (vpnrouter vpnclient)"
ANY = IPv4Network("0.0.0.0/0")
_HOST_TEXT = re.compile(rb"[A-Za-z0-9.-]+")
_A = CfgAttr


def _ra(sa: IkeSa) -> RaState:
    if sa.ra is None:
        raise RuntimeError("Mode Config on a SA without remote-access state")
    return sa.ra


# --- router ----------------------------------------------------------------------------------


def _answer(ctx: Context, sa: IkeSa, requested: tuple[int, ...]) -> tuple[unity.Answer, str]:
    """The attributes for this client, allocating its address if it asked for one."""
    address: IPv4Address | None = None
    why = ""
    if _A.INTERNAL_IP4_ADDRESS in requested:
        address, why = sessions.assign_address(ctx, sa)
    reply = unity.answer(
        requested, sessions.group_of(ctx, sa), address, ctx.policy.application_version
    )
    for note in reply.notes:
        ctx.isakmp(f"ISAKMP: {note}")
    for attr_type in requested:
        if not any(a.type == attr_type for a in reply.attributes):
            ctx.isakmp(f"{sa.tag}: declining attribute {unity.ios_name(attr_type)}")  # ours
    return reply, why


def _connected(ctx: Context, sa: IkeSa, why: str) -> None:
    ra = _ra(sa)
    if ra.config_done and not why:
        return  # asked again (or pushed and asked): same answer, already reported
    ra.config_done = True
    if why:
        # A clear refusal: the client cannot work without an address (ours).
        ctx.isakmp(f"{sa.tag}: no address for client {sa.peer}: {why}")
        sessions.tunnel_status(ctx, sa, f"Mode Config refused: {why}")
        informational.send_delete_ike(ctx, sa)
        lifecycle.drop_ike(ctx, sa, f"Mode Config: {why}")
        return
    sessions.tunnel_status(ctx, sa, f"Assigned_client_addr: {ra.address}")
    ctx.emit(ClientConnected(sa.conn_id, sa.peer, sa.peer_port, ra.group, ra.username, ra.address))


def _settings_allow(ctx: Context, sa: IkeSa) -> bool:
    settings = sessions.client_map(ctx, sa)
    return settings is not None and settings.address is not None


# draft-dukes-ike-mode-cfg-02 3.2: a REQUEST is answered by a REPLY with the same identifier.
def server_request(
    ctx: Context, sa: IkeSa, mid: int, payload: AttributePayload, raw: bytes
) -> None:
    ra = _ra(sa)
    if not ra.ready:
        ctx.isakmp(f"{sa.tag}: Mode Config request before XAUTH finished: ignored")  # ours
        return
    if not _settings_allow(ctx, sa):
        ctx.isakmp(f"{sa.tag}: client configuration address is not configured: request ignored")
        return
    ctx.isakmp(f"{sa.tag}: checking request:")  # remembered IOS wording, unconfirmed
    requested = tuple(a.type for a in payload.attributes)
    for attr in payload.attributes:
        ctx.isakmp(f"ISAKMP:    {unity.ios_name(attr.type)}")
    reply, why = _answer(ctx, sa, requested)
    ctx.isakmp(f"{sa.tag}: responding to peer config from {sa.peer}. ID = {signed_mid(mid)}")
    cfgmsg.answer(ctx, sa, mid, CfgMessageType.REPLY, payload.identifier, reply.attributes, raw)
    _connected(ctx, sa, why)


def push(ctx: Context, sa: IkeSa) -> None:
    """``client configuration address initiate``: SET the configuration, ACK expected."""
    reply, why = _answer(ctx, sa, unity.PUSHED)
    if why:
        _connected(ctx, sa, why)
        return
    cfgmsg.start(ctx, sa, TxKind.CONFIG_SET, CfgMessageType.SET, reply.attributes)


def server_ack(ctx: Context, sa: IkeSa, tx: Transaction) -> None:
    cfgmsg.finish(ctx, sa, tx, "Mode Config SET acknowledged")
    _connected(ctx, sa, "")


# --- client half -----------------------------------------------------------------------------


def client_request(ctx: Context, sa: IkeSa) -> None:
    """Ask for an address and the group's settings (the attributes vpnc asks for); a
    re-authenticated phase 1 (:func:`vpnrouter.ike.client.reauthenticate`) keeps its own."""
    if _ra(sa).config_done:
        return
    attrs = [cfg_attribute(t, b"") for t in unity.CLIENT_REQUEST]
    attrs.append(cfg_attribute(_A.APPLICATION_VERSION, CLIENT_VERSION.encode()))
    cfgmsg.start(ctx, sa, TxKind.CONFIG_REQUEST, CfgMessageType.REQUEST, attrs)


def _addresses(values: list[bytes]) -> tuple[IPv4Address, ...]:
    return tuple(IPv4Address(v) for v in values if len(v) == 4)


def _texts(values: list[bytes]) -> tuple[str, ...]:
    return tuple(
        part.strip()
        for v in values
        for part in v.decode(errors="replace").split(",")
        if part.strip()
    )


def _servers(values: list[bytes]) -> tuple[str, ...]:
    """Unity BACKUP_SERVERS: Cisco gateways send one text (names or addresses, comma
    separated); strongSwan sends each address as a value of its own, 4 bytes. Four bytes
    that are not all host-name characters are taken for an address."""
    servers: list[str] = []
    for value in values:
        if len(value) == 4 and not _HOST_TEXT.fullmatch(value):
            servers.append(str(IPv4Address(value)))
        else:
            servers += _texts([value])
    return tuple(servers)


def parse(sa: IkeSa, attributes: tuple[DataAttribute, ...]) -> ModeConfigReceived:
    """What the gateway granted (unknown or malformed attributes are ignored)."""
    values: dict[int, list[bytes]] = {}
    flags: dict[int, int] = {}
    for attr in attributes:
        if attr.is_tv:
            flags[attr.type] = attr.as_int()
        else:
            values.setdefault(attr.type, []).append(attr.as_bytes())

    def first(attr_type: int) -> bytes:
        return next(iter(values.get(attr_type, [])), b"")

    address = _addresses(values.get(_A.INTERNAL_IP4_ADDRESS, []))
    netmask = _addresses(values.get(_A.INTERNAL_IP4_NETMASK, []))
    return ModeConfigReceived(
        conn_id=sa.conn_id,
        peer=sa.peer,
        address=address[0] if address else None,
        netmask=netmask[0] if netmask else None,
        dns=_addresses(values.get(_A.INTERNAL_IP4_DNS, [])),
        nbns=_addresses(values.get(_A.INTERNAL_IP4_NBNS, [])),
        domain=first(_A.UNITY_DEF_DOMAIN).decode(errors="replace"),
        banner=first(_A.UNITY_BANNER).decode(errors="replace"),
        split_include=unity.parse_split(first(_A.UNITY_SPLIT_INCLUDE)),
        split_dns=_texts(values.get(_A.UNITY_SPLIT_DNS, [])),
        local_lan=unity.parse_split(first(_A.UNITY_LOCAL_LAN)),
        pfs=bool(flags.get(_A.UNITY_PFS, 0)),
        save_password=bool(flags.get(_A.UNITY_SAVE_PASSWD, 0)),
        backup_servers=_servers(values.get(_A.UNITY_BACKUP_SERVERS, [])),
        application_version=first(_A.APPLICATION_VERSION).decode(errors="replace"),
    )


def client_reply(ctx: Context, sa: IkeSa, tx: Transaction, payload: AttributePayload) -> None:
    cfgmsg.finish(ctx, sa, tx, "Mode Config reply received")
    _configured(ctx, sa, payload.attributes)


def client_set(ctx: Context, sa: IkeSa, mid: int, payload: AttributePayload, raw: bytes) -> None:
    """The gateway pushes its configuration (``address initiate``): ACK the types."""
    ack = [cfg_attribute(a.type, b"") for a in payload.attributes if not a.is_tv]
    cfgmsg.answer(ctx, sa, mid, CfgMessageType.ACK, payload.identifier, ack, raw)
    _configured(ctx, sa, payload.attributes)


def _configured(ctx: Context, sa: IkeSa, attributes: tuple[DataAttribute, ...]) -> None:
    ra = _ra(sa)
    for tx in list(ra.transactions.values()):
        if tx.kind is TxKind.CONFIG_REQUEST:  # the gateway pushed before answering us
            cfgmsg.finish(ctx, sa, tx, "configuration pushed by the gateway")
    if ra.config_done:
        ctx.isakmp(f"{sa.tag}: Mode Config from {sa.peer} again: already configured")
        return
    config = parse(sa, attributes)
    ra.config = config
    ra.config_done = True
    ctx.emit(config)
    if config.address is None:
        reason = "Mode Config: the gateway assigned no address"
        ctx.isakmp(f"{sa.tag}: {reason}")
        ctx.emit(NegotiationFailed(sa.peer, 1, reason))
        informational.send_delete_ike(ctx, sa)
        lifecycle.drop_ike(ctx, sa, reason)
        return
    ra.address = config.address
    ctx.isakmp(f"{sa.tag}: got address {config.address} from {sa.peer}")
    start_children(ctx, sa)


def client_selectors(config: ModeConfigReceived) -> tuple[TrafficSelector, ...]:
    """Quick mode proxies: our address to each split-include network, else to everything."""
    if config.address is None:
        return ()
    local = IPv4Network(config.address)
    return tuple(TrafficSelector(local, net) for net in config.split_include or (ANY,))


def start_children(ctx: Context, sa: IkeSa) -> None:
    """Quick mode for every selector, over this ISAKMP SA (RFC 2409 5.5)."""
    ra = _ra(sa)
    if ra.config is None or sa.suite is None:
        return
    selectors = client_selectors(ra.config)
    entry = CryptoMapEntry(
        "vpnclient",
        1,
        peers=(IPv4Address(sa.peer),),
        transform_sets=ra.transform_sets,
        acl=selectors,
        pfs_group=sa.suite.group if ra.config.pfs else None,
        dynamic=True,  # never start a phase 1 of its own: the client reconnects instead
        local_address=IPv4Address(sa.local),
    )
    ra.entry = entry
    for selector in selectors:
        quick_mode.start(ctx, sa, ChildRequest(entry, selector, ike_conn_id=sa.conn_id))
