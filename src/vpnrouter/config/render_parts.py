"""Text of single model objects as ``show running-config`` prints them.

Public API (used by ``render`` and by lint messages): ``address_text(match)``,
``acl_entry_text(entry, standard)``, ``policy_lines(policy)``, ``entry_lines(entry)``,
``group_lines(group)``, ``interface_lines(interface)``, ``user_line(user)``,
``key_line(key)`` (address or hostname keys), ``route_line(route)``. Sub-mode lines start
with one space.
"""

from __future__ import annotations

from ipaddress import IPv4Interface

from vpnrouter.config import names
from vpnrouter.config.context import banner_delimiter
from vpnrouter.config.model import (
    AclEntry,
    AddressMatch,
    ClientGroup,
    CryptoMapEntry,
    Interface,
    IsakmpHostnameKey,
    IsakmpKey,
    IsakmpPolicy,
    PortMatch,
    StaticRoute,
    TransformSet,
    User,
)
from vpnrouter.config.model_crypto import HOST_MASK

_PROTOCOL_NAMES = {number: name for name, number in names.PROTOCOLS.items()}
_TCP_NAMES = {number: name for name, number in names.TCP_PORTS.items()}
_UDP_NAMES = {number: name for name, number in names.UDP_PORTS.items()}
_ICMP_NAMES = {value: name for name, value in names.ICMP_TYPES.items()}


def address_text(match: AddressMatch) -> str:
    if match.is_any:
        return "any"
    if match.is_host:
        return f"host {match.address}"
    return f"{match.address} {match.wildcard}"


def _port_text(match: PortMatch, protocol: int) -> str:
    table = _TCP_NAMES if protocol == 6 else _UDP_NAMES
    return " ".join([match.op, *(table.get(port, str(port)) for port in match.ports)])


def acl_entry_text(entry: AclEntry, standard: bool) -> str:
    """``permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255`` (without list name/number)."""
    if standard:
        source = entry.source
        words = [entry.action, str(source.address) if source.is_host else address_text(source)]
        return " ".join([*words, *entry.options])
    words = [entry.action, _PROTOCOL_NAMES.get(entry.protocol, str(entry.protocol))]
    words.append(address_text(entry.source))
    if entry.source_port is not None:
        words.append(_port_text(entry.source_port, entry.protocol))
    if entry.destination is not None:
        words.append(address_text(entry.destination))
    if entry.destination_port is not None:
        words.append(_port_text(entry.destination_port, entry.protocol))
    if entry.icmp_type is not None:
        name = _ICMP_NAMES.get((entry.icmp_type, entry.icmp_code))
        if name is not None:
            words.append(name)
        else:
            words.append(str(entry.icmp_type))
            if entry.icmp_code is not None:
                words.append(str(entry.icmp_code))
    return " ".join([*words, *entry.options])


def policy_lines(policy: IsakmpPolicy) -> list[str]:
    lines = [f"crypto isakmp policy {policy.priority}"]
    if policy.encryption != names.ENCR_DES:
        cipher = names.keyword_for(names.POLICY_ENCRYPTION, policy.encryption)
        if policy.key_length not in (None, 128):
            cipher += f" {policy.key_length}"
        lines.append(f" encr {cipher}")
    if policy.hash != names.HASH_SHA:
        lines.append(f" hash {names.keyword_for(names.POLICY_HASH, policy.hash)}")
    if policy.authentication != names.AUTH_RSA_SIG:
        auth = names.keyword_for(names.POLICY_AUTH, policy.authentication)
        lines.append(f" authentication {auth}")
    if policy.group != 1:
        lines.append(f" group {policy.group}")
    if policy.lifetime != 86400:
        lines.append(f" lifetime {policy.lifetime}")
    return lines


def key_line(key: IsakmpKey | IsakmpHostnameKey) -> str:
    if isinstance(key, IsakmpHostnameKey):
        line = f"crypto isakmp key {key.key} hostname {key.hostname}"
    else:
        line = f"crypto isakmp key {key.key} address {key.address}"
        if key.mask != HOST_MASK:
            line += f" {key.mask}"
    return line + (" no-xauth" if key.no_xauth else "")


def group_lines(group: ClientGroup) -> list[str]:
    lines = [f"crypto isakmp client configuration group {group.name}"]
    if group.key is not None:
        lines.append(f" key {group.key}")
    if group.dns:
        lines.append(" dns " + " ".join(str(a) for a in group.dns))
    if group.wins:
        lines.append(" wins " + " ".join(str(a) for a in group.wins))
    for word in ("domain", "pool", "acl"):
        value = getattr(group, word)
        if value is not None:
            lines.append(f" {word} {value}")
    for flag in ("save_password", "include_local_lan", "pfs"):
        if getattr(group, flag):
            lines.append(" " + flag.replace("_", "-"))
    lines += [f" backup-gateway {server}" for server in group.backup_gateways]
    if group.max_users is not None:
        lines.append(f" max-users {group.max_users}")
    if group.banner is not None:
        mark = banner_delimiter(group.banner)
        lines.append(f" banner {mark}{group.banner}{mark}")
    return lines


def transform_set_lines(transform_set: TransformSet) -> list[str]:
    words = " ".join(transform_set.transforms)
    lines = [f"crypto ipsec transform-set {transform_set.name} {words}"]
    if transform_set.mode != "tunnel":
        lines.append(f" mode {transform_set.mode}")
    return lines


def entry_lines(entry: CryptoMapEntry) -> list[str]:
    """The sub-mode lines of a crypto map or dynamic map entry."""
    lines: list[str] = []
    if entry.description is not None:
        lines.append(f" description {entry.description}")
    lines.extend(f" set peer {peer}" for peer in entry.peers)
    if entry.lifetime_seconds is not None:
        lines.append(f" set security-association lifetime seconds {entry.lifetime_seconds}")
    if entry.lifetime_kilobytes is not None:
        lines.append(f" set security-association lifetime kilobytes {entry.lifetime_kilobytes}")
    if entry.transform_sets:
        lines.append(" set transform-set " + " ".join(entry.transform_sets))
    if entry.pfs_group is not None:
        lines.append(f" set pfs group{entry.pfs_group}")
    if entry.match_address is not None:
        lines.append(f" match address {entry.match_address}")
    if entry.reverse_route:
        lines.append(" reverse-route")
    return lines


def _address_line(address: IPv4Interface, secondary: bool = False) -> str:
    text = f" ip address {address.ip} {address.netmask}"
    return text + " secondary" if secondary else text


def interface_lines(interface: Interface) -> list[str]:
    lines = [f"interface {interface.name}"]
    if interface.description is not None:
        lines.append(f" description {interface.description}")
    if interface.dhcp:
        lines.append(" ip address dhcp")
    elif interface.address is not None:
        lines.append(_address_line(interface.address))
    else:
        lines.append(" no ip address")
    lines.extend(_address_line(a, secondary=True) for a in interface.secondary)
    if interface.shutdown:
        lines.append(" shutdown")
    lines.extend(f" {other}" for other in interface.other)
    if interface.crypto_map is not None:
        lines.append(f" crypto map {interface.crypto_map}")
    return lines


def user_line(user: User) -> str:
    words = ["username", user.name]
    if user.privilege != 1:
        words += ["privilege", str(user.privilege)]
    if user.nopassword:
        return " ".join([*words, "nopassword"])
    words.append("secret" if user.secret else "password")
    if user.password_type == 0:
        words += ["0", user.password or ""]
    else:
        words += [str(user.password_type), user.encrypted or ""]
    return " ".join(words)


def route_line(route: StaticRoute) -> str:
    words = ["ip route", str(route.prefix.network_address), str(route.prefix.netmask)]
    if route.interface is not None:
        words.append(route.interface)
    if route.next_hop is not None:
        words.append(str(route.next_hop))
    if route.distance != 1:
        words.append(str(route.distance))
    if route.tag is not None:
        words += ["tag", str(route.tag)]
    if route.permanent:
        words.append("permanent")
    if route.name is not None:
        words += ["name", route.name]
    return " ".join(words)
