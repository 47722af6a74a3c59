"""Mode Config attributes: what a gateway answers (draft-dukes-ike-mode-cfg-02 section 3.3 and
the Cisco Unity attributes) and how a client reads the answer.

Wire forms (as vpnc 0.5.3 and strongSwan 5.9 expect them, tests/wire/data/strongswan_vpnc.txt):

- INTERNAL_IP4_ADDRESS/NETMASK/DNS/NBNS: 4-byte values; one DNS/NBNS attribute per server.
  vpnc refuses a zero-length DNS or NBNS answer: an attribute we cannot fill is left out,
  which is how Mode Config declines it.
- UNITY_SPLIT_INCLUDE and UNITY_LOCAL_LAN: 14-byte entries (address, mask, protocol,
  source port, destination port; 2 bytes each for the last three).
- UNITY_SAVE_PASSWD, UNITY_PFS: 16-bit basic (TV) values (vpnc rejects a TLV PFS answer).
- UNITY_DEF_DOMAIN, UNITY_BANNER, APPLICATION_VERSION: text; UNITY_BACKUP_SERVERS and
  UNITY_SPLIT_DNS: comma-separated text.

UNITY_BACKUP_SERVERS (0x7009, IOS ``backup-gateway``) is sent only to a client that asks
for it. vpnc never does (its isakmp.h names ISAKMP_MODECFG_ATTRIB_CISCO_BACKUP_SERVER, its
vpnc.c neither requests nor reads it). We send the list as one text, names or addresses
comma separated: the form of the Cisco client's ``BackupServer=`` profile line, the only one
that can carry a host name, and one our client reads (it also takes strongSwan's one 4-byte
address per value). What IOS itself puts on the wire was not found: unconfirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Final

from vpnrouter.ike.policy import ClientGroup
from vpnrouter.wire.attributes import DataAttribute, cfg_attribute
from vpnrouter.wire.constants import CfgAttr

SPLIT_ENTRY_SIZE: Final = 14
HOST_MASK: Final = IPv4Address("255.255.255.255")
_A = CfgAttr

# The attribute names IOS prints under "ISAKMP (0:N): checking request:" (IOS 12.x debug
# output as remembered; unconfirmed, no source found: see vpnrouter.ike.exchanges.xauth).
IOS_NAMES: Final[dict[int, str]] = {
    _A.INTERNAL_IP4_ADDRESS: "IP4_ADDRESS",
    _A.INTERNAL_IP4_NETMASK: "IP4_NETMASK",
    _A.INTERNAL_IP4_DNS: "IP4_DNS",
    _A.INTERNAL_IP4_NBNS: "IP4_NBNS",
    _A.INTERNAL_ADDRESS_EXPIRY: "ADDRESS_EXPIRY",
    _A.APPLICATION_VERSION: "APPLICATION_VERSION",
    _A.SUPPORTED_ATTRIBUTES: "SUPPORTED_ATTRIBUTES",
    _A.UNITY_BANNER: "MODECFG_BANNER",
    _A.UNITY_SAVE_PASSWD: "MODECFG_SAVEPWD",
    _A.UNITY_DEF_DOMAIN: "DEFAULT_DOMAIN",
    _A.UNITY_SPLIT_DNS: "SPLIT_DNS",
    _A.UNITY_SPLIT_INCLUDE: "SPLIT_INCLUDE",
    _A.UNITY_NATT_PORT: "NATT_PORT",
    _A.UNITY_LOCAL_LAN: "INCLUDE_LOCAL_LAN",
    _A.UNITY_PFS: "PFS",
    _A.UNITY_FW_TYPE: "FW_RECORD",
    _A.UNITY_BACKUP_SERVERS: "BACKUP_SERVER",
    _A.UNITY_DDNS_HOSTNAME: "DDNS_HOSTNAME",
}

# What a client asks for, in vpnc's order (its APPLICATION_VERSION is added by the caller).
CLIENT_REQUEST: Final = (
    _A.INTERNAL_IP4_ADDRESS,
    _A.INTERNAL_IP4_NETMASK,
    _A.INTERNAL_IP4_DNS,
    _A.INTERNAL_IP4_NBNS,
    _A.UNITY_DEF_DOMAIN,
    _A.UNITY_PFS,
    _A.UNITY_BANNER,
    _A.UNITY_SAVE_PASSWD,
    _A.UNITY_SPLIT_INCLUDE,
    _A.UNITY_SPLIT_DNS,
    _A.UNITY_LOCAL_LAN,
    _A.UNITY_BACKUP_SERVERS,
)
# What "address initiate" pushes without being asked.
PUSHED: Final = (*CLIENT_REQUEST, _A.APPLICATION_VERSION)
SUPPORTED: Final = frozenset(PUSHED) | {_A.SUPPORTED_ATTRIBUTES}


def ios_name(attr_type: int) -> str:
    return IOS_NAMES.get(attr_type, f"attribute {attr_type}")


# Cisco Unity split tunnelling entry (racoon isakmp_unity.h, vpnc isakmp-pkt.c).
def split_entries(entries: Iterable[tuple[IPv4Network, int, int, int]]) -> bytes:
    out = bytearray()
    for net, protocol, sport, dport in entries:
        out += net.network_address.packed + net.netmask.packed
        out += protocol.to_bytes(2, "big") + sport.to_bytes(2, "big") + dport.to_bytes(2, "big")
    return bytes(out)


def parse_split(data: bytes) -> tuple[IPv4Network, ...]:
    """The networks of a split-include/local-LAN value; malformed entries are skipped."""
    nets: list[IPv4Network] = []
    if len(data) % SPLIT_ENTRY_SIZE:
        return ()
    for offset in range(0, len(data), SPLIT_ENTRY_SIZE):
        addr = IPv4Address(data[offset : offset + 4])
        mask = IPv4Address(data[offset + 4 : offset + 8])
        try:
            nets.append(IPv4Network(f"{addr}/{mask}", strict=False))
        except ValueError:
            continue
    return tuple(nets)


@dataclass(frozen=True)
class Answer:
    """The attributes of a Mode Config reply, and one debug line per attribute."""

    attributes: tuple[DataAttribute, ...]
    notes: tuple[str, ...]


def _text(attr_type: int, value: str) -> DataAttribute:
    return cfg_attribute(attr_type, value.encode())


# The notes become the "ISAKMP: Sending ..." debug lines: written after IOS 12.x output as
# remembered, unconfirmed (no source found: see vpnrouter.ike.exchanges.xauth).
def _one(
    attr_type: int, group: ClientGroup | None, address: IPv4Address | None, version: str
) -> list[tuple[DataAttribute, str]]:
    g = group
    match attr_type:
        case _A.INTERNAL_IP4_ADDRESS if address is not None:
            return [
                (cfg_attribute(attr_type, address.packed), f"Sending private address: {address}")
            ]
        case _A.INTERNAL_IP4_NETMASK if address is not None:
            mask = g.netmask if g is not None and g.netmask is not None else HOST_MASK
            return [(cfg_attribute(attr_type, mask.packed), f"Sending subnet mask: {mask}")]
        case _A.INTERNAL_IP4_DNS if g is not None:
            return [
                (cfg_attribute(attr_type, s.packed), f"Sending IP4_DNS server address: {s}")
                for s in g.dns
            ]
        case _A.INTERNAL_IP4_NBNS if g is not None:
            return [
                (cfg_attribute(attr_type, s.packed), f"Sending IP4_NBNS server address: {s}")
                for s in g.wins
            ]
        case _A.APPLICATION_VERSION:
            return [(_text(attr_type, version), f"Sending APPLICATION_VERSION string: {version}")]
        case _A.SUPPORTED_ATTRIBUTES:
            data = b"".join(t.to_bytes(2, "big") for t in sorted(SUPPORTED))
            return [(cfg_attribute(attr_type, data), "Sending SUPPORTED_ATTRIBUTES")]
        case _A.UNITY_DEF_DOMAIN if g is not None and g.domain:
            return [
                (
                    _text(attr_type, g.domain),
                    f"Sending DEFAULT_DOMAIN default domain name: {g.domain}",
                )
            ]
        case _A.UNITY_BANNER if g is not None and g.banner:
            return [(_text(attr_type, g.banner), "Sending banner")]
        case _A.UNITY_SAVE_PASSWD:
            value = int(g is not None and g.save_password)
            return [(cfg_attribute(attr_type, value), f"Sending save password reply value {value}")]
        case _A.UNITY_PFS:
            value = int(g is not None and g.pfs)
            return [(cfg_attribute(attr_type, value), f"Sending PFS reply value {value}")]
        case _A.UNITY_SPLIT_INCLUDE if g is not None and g.acl:
            return [_split(g)]
        case _A.UNITY_LOCAL_LAN if g is not None and g.include_local_lan:
            # IOS "include-local-lan": the whole local LAN may bypass the tunnel (our reading
            # of the Unity attribute as the client's local-LAN exclusion list; unconfirmed).
            entry = split_entries([(IPv4Network("0.0.0.0/0"), 0, 0, 0)])
            return [(cfg_attribute(attr_type, entry), "Sending include-local-lan")]
        case _A.UNITY_SPLIT_DNS if g is not None and g.split_dns:
            names = ",".join(g.split_dns)
            return [(_text(attr_type, names), f"Sending split DNS {names}")]
        case _A.UNITY_BACKUP_SERVERS if g is not None and g.backup_servers:
            servers = ",".join(g.backup_servers)
            return [(_text(attr_type, servers), f"Sending backup servers {servers}")]
    return []


def _split(group: ClientGroup) -> tuple[DataAttribute, str]:
    entries = [(line.local, line.protocol, line.local_port, line.remote_port) for line in group.acl]
    text = "; ".join(
        f"network {net.network_address} mask {net.netmask} protocol {proto}, src port {sp}, "
        f"dst port {dp}"
        for net, proto, sp, dp in entries
    )
    return (
        cfg_attribute(CfgAttr.UNITY_SPLIT_INCLUDE, split_entries(entries)),
        f"Sending split include name {group.acl_name or '<acl>'} {text}",
    )


def answer(
    requested: Sequence[int], group: ClientGroup | None, address: IPv4Address | None, version: str
) -> Answer:
    """A reply to the requested attribute types, in the order asked; a type we cannot or do
    not answer (unknown, FW type, NAT-T port, nothing configured) is left out (declined)."""
    attributes: list[DataAttribute] = []
    notes: list[str] = []
    seen: set[int] = set()
    for attr_type in requested:
        if attr_type in seen:
            continue
        seen.add(attr_type)
        for attr, note in _one(attr_type, group, address, version):
            attributes.append(attr)
            notes.append(note)
    return Answer(tuple(attributes), tuple(notes))
