"""Quick mode proxy identities (RFC 2409 section 5.5, RFC 2407 section 4.6.2) and the
responder's crypto map lookup.

IOS sends the crypto ACL line as ID_IPV4_ADDR_SUBNET (ID_IPV4_ADDR for a host). The responder
looks for the crypto map entry whose peer matches and whose ACL mirrors what was proposed:
static entries by sequence number first, then dynamic ones. No entry with a mirroring ACL is
INVALID-ID-INFORMATION; an entry without an acceptable transform is NO-PROPOSAL-CHOSEN.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, summarize_address_range

from vpnrouter.ike.context import Context
from vpnrouter.ike.errors import ProtocolError
from vpnrouter.ike.policy import CryptoMapEntry, TrafficSelector
from vpnrouter.ike.proposals import EspChoice, select_esp
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.constants import NotifyType, ProtocolId
from vpnrouter.wire.errors import DecodeError
from vpnrouter.wire.identity import id_ipv4_addr, id_ipv4_subnet, id_value
from vpnrouter.wire.payloads import IdPayload, SaPayload


# RFC 2407 4.6.2.2 / 4.6.2.5: a host is ID_IPV4_ADDR, a network ID_IPV4_ADDR_SUBNET.
def id_for(net: IPv4Network, protocol: int, port: int) -> IdPayload:
    if net.prefixlen == 32:
        return id_ipv4_addr(net.network_address, protocol, port)
    return id_ipv4_subnet(net, protocol, port)


def ids_for(selector: TrafficSelector) -> tuple[IdPayload, IdPayload]:
    """(IDci, IDcr) for a quick mode we initiate: our side first."""
    return (
        id_for(selector.local, selector.protocol, selector.local_port),
        id_for(selector.remote, selector.protocol, selector.remote_port),
    )


# RFC 2407 4.6.2.2, 4.6.2.5, 4.6.2.7: IPv4 address, subnet, or a range that is one CIDR block.
def net_of(payload: IdPayload) -> IPv4Network:
    try:
        value = id_value(payload)
    except DecodeError as exc:
        raise ProtocolError(NotifyType.INVALID_ID_INFORMATION, str(exc)) from None
    if isinstance(value, IPv4Address):
        return IPv4Network(value)
    if isinstance(value, IPv4Network):
        return value
    if isinstance(value, tuple) and isinstance(value[0], IPv4Address):
        first, last = value
        if isinstance(last, IPv4Address) and first <= last:
            blocks = list(summarize_address_range(first, last))
            if len(blocks) == 1:
                return blocks[0]
    raise ProtocolError(
        NotifyType.INVALID_ID_INFORMATION, f"proxy identity type {payload.id_type} not supported"
    )


def proposed_selector(sa: IkeSa, ids: list[IdPayload]) -> TrafficSelector:
    """What the initiator proposed, from our side: IDcr is local, IDci remote. Without IDs
    the proxies are the two peers' addresses (RFC 2409 5.5)."""
    if not ids:
        return TrafficSelector(IPv4Network(sa.local), IPv4Network(sa.peer))
    idci, idcr = ids
    if idci.protocol != idcr.protocol:
        raise ProtocolError(NotifyType.INVALID_ID_INFORMATION, "IDci and IDcr protocols differ")
    return TrafficSelector(net_of(idcr), net_of(idci), idci.protocol, idcr.port, idci.port)


def selector_of_reply(ids: list[IdPayload]) -> TrafficSelector:
    """The (IDci, IDcr) a responder echoed, seen from the initiator."""
    idci, idcr = ids
    return TrafficSelector(net_of(idci), net_of(idcr), idci.protocol, idci.port, idcr.port)


def ios_proxy(net: IPv4Network, protocol: int, port: int) -> str:
    kind = 1 if net.prefixlen == 32 else 4
    return f"{net.network_address}/{net.netmask}/{protocol}/{port} (type={kind})"


def _peer_matches(entry: CryptoMapEntry, sa: IkeSa) -> bool:
    if entry.local_address is not None and str(entry.local_address) != sa.local:
        return False
    return entry.dynamic or IPv4Address(sa.peer) in entry.peers


def _proxy_matches(entry: CryptoMapEntry, proposed: TrafficSelector) -> bool:
    if not entry.acl:
        return entry.dynamic  # a dynamic entry without ACL takes any proxy identities
    return any(line.contains(proposed) for line in entry.acl)


# IOS: static entries by sequence number, then dynamic; proxies first, then transforms.
def find_entry(
    ctx: Context,
    sa: IkeSa,
    proposed: TrafficSelector,
    offer: SaPayload,
    entries: tuple[CryptoMapEntry, ...] | None = None,
) -> tuple[CryptoMapEntry, EspChoice]:
    """``entries`` replaces the configured crypto map (the client half's own entry)."""
    first_spi = offer.proposals[0].spi if offer.proposals else b""
    proxy_seen = False
    for entry in ctx.policy.entries_in_responder_order() if entries is None else entries:
        if not _peer_matches(entry, sa) or not _proxy_matches(entry, proposed):
            continue
        proxy_seen = True
        choice = select_esp(
            offer, entry.transform_sets, entry.pfs_group, sa.nat.floated, sa.tag, ctx.isakmp
        )
        if choice is not None:
            return entry, choice
        ctx.ipsec(
            f"IPSEC(validate_proposal): transform proposal not supported for identity: "
            f"local_proxy= {ios_proxy(proposed.local, proposed.protocol, proposed.local_port)}, "
            f"remote_proxy= {ios_proxy(proposed.remote, proposed.protocol, proposed.remote_port)}"
        )
    if not proxy_seen:
        ctx.ipsec("IPSEC(validate_transform_proposal): proxy identities not supported")
        ctx.isakmp(f"{sa.tag}: IPSec policy invalidated proposal")
        raise ProtocolError(
            NotifyType.INVALID_ID_INFORMATION,
            "no crypto map entry mirrors the proposed proxy identities",
            protocol=ProtocolId.IPSEC_ESP,
            spi=first_spi,
        )
    ctx.isakmp(f"{sa.tag}: phase 2 SA not acceptable!")
    raise ProtocolError(
        NotifyType.NO_PROPOSAL_CHOSEN,
        "no acceptable transform set",
        protocol=ProtocolId.IPSEC_ESP,
        spi=first_spi,
    )
