"""Typed values of the Identification payload (RFC 2407 4.6.2.1-4.6.2.12).

Builders make :class:`IdPayload` objects from :mod:`ipaddress` values and names; :func:`id_value`
reads one back, checking that the data length fits the ID type.
"""

from __future__ import annotations

from ipaddress import (
    AddressValueError,
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    NetmaskValueError,
)

from .constants import IdType
from .errors import DecodeError
from .payloads import IdPayload

IdValue = (
    IPv4Address
    | IPv6Address
    | IPv4Network
    | IPv6Network
    | tuple[IPv4Address, IPv4Address]
    | tuple[IPv6Address, IPv6Address]
    | str
    | bytes
)


def id_ipv4_addr(addr: IPv4Address | str, protocol: int = 0, port: int = 0) -> IdPayload:
    """ID_IPV4_ADDR (RFC 2407 4.6.2.2)."""
    return IdPayload(IdType.IPV4_ADDR, IPv4Address(addr).packed, protocol, port)


def id_ipv4_subnet(net: IPv4Network | str, protocol: int = 0, port: int = 0) -> IdPayload:
    """ID_IPV4_ADDR_SUBNET (RFC 2407 4.6.2.5): address then netmask."""
    network = IPv4Network(net)
    data = network.network_address.packed + network.netmask.packed
    return IdPayload(IdType.IPV4_ADDR_SUBNET, data, protocol, port)


def id_ipv4_range(
    first: IPv4Address | str, last: IPv4Address | str, protocol: int = 0, port: int = 0
) -> IdPayload:
    """ID_IPV4_ADDR_RANGE (RFC 2407 4.6.2.7)."""
    data = IPv4Address(first).packed + IPv4Address(last).packed
    return IdPayload(IdType.IPV4_ADDR_RANGE, data, protocol, port)


def id_ipv6_addr(addr: IPv6Address | str, protocol: int = 0, port: int = 0) -> IdPayload:
    """ID_IPV6_ADDR (RFC 2407 4.6.2.6)."""
    return IdPayload(IdType.IPV6_ADDR, IPv6Address(addr).packed, protocol, port)


def id_ipv6_subnet(net: IPv6Network | str, protocol: int = 0, port: int = 0) -> IdPayload:
    """ID_IPV6_ADDR_SUBNET (RFC 2407 4.6.2.9)."""
    network = IPv6Network(net)
    data = network.network_address.packed + network.netmask.packed
    return IdPayload(IdType.IPV6_ADDR_SUBNET, data, protocol, port)


def id_fqdn(name: str, protocol: int = 0, port: int = 0) -> IdPayload:
    """ID_FQDN (RFC 2407 4.6.2.3)."""
    return IdPayload(IdType.FQDN, name.encode("ascii"), protocol, port)


def id_user_fqdn(name: str, protocol: int = 0, port: int = 0) -> IdPayload:
    """ID_USER_FQDN (RFC 2407 4.6.2.4)."""
    return IdPayload(IdType.USER_FQDN, name.encode("ascii"), protocol, port)


def id_key_id(key: bytes | str, protocol: int = 0, port: int = 0) -> IdPayload:
    """ID_KEY_ID (RFC 2407 4.6.2.12); the Cisco VPN Client sends its group name this way."""
    data = key.encode("utf-8") if isinstance(key, str) else key
    return IdPayload(IdType.KEY_ID, data, protocol, port)


def _exact(data: bytes, size: int, what: str) -> bytes:
    if len(data) != size:
        raise DecodeError(f"{what} identity of {len(data)} bytes, expected {size}")
    return data


def _subnet4(data: bytes) -> IPv4Network:
    _exact(data, 8, "IPv4 subnet")
    try:
        return IPv4Network((IPv4Address(data[:4]), str(IPv4Address(data[4:]))))
    except (AddressValueError, NetmaskValueError, ValueError) as exc:
        raise DecodeError(f"bad IPv4 subnet identity: {exc}") from None


def _subnet6(data: bytes) -> IPv6Network:
    _exact(data, 32, "IPv6 subnet")
    mask = int.from_bytes(data[16:], "big")
    prefix = bin(mask).count("1")
    if mask != ((1 << 128) - 1) ^ ((1 << (128 - prefix)) - 1):
        raise DecodeError("IPv6 subnet identity with a non-contiguous mask")
    try:
        return IPv6Network((IPv6Address(data[:16]), prefix))
    except ValueError as exc:
        raise DecodeError(f"bad IPv6 subnet identity: {exc}") from None


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DecodeError("identity name is not UTF-8") from None


def id_value(payload: IdPayload) -> IdValue:
    """The typed value of an ID payload; raises :class:`DecodeError` if the data does not fit.

    Subnets must have a contiguous mask and no host bits; names are UTF-8 text; KEY_ID, DER and
    unknown types are returned as bytes.
    """
    data = payload.data
    match payload.id_type:
        case IdType.IPV4_ADDR:
            return IPv4Address(_exact(data, 4, "IPv4"))
        case IdType.IPV6_ADDR:
            return IPv6Address(_exact(data, 16, "IPv6"))
        case IdType.IPV4_ADDR_SUBNET:
            return _subnet4(data)
        case IdType.IPV6_ADDR_SUBNET:
            return _subnet6(data)
        case IdType.IPV4_ADDR_RANGE:
            _exact(data, 8, "IPv4 range")
            return (IPv4Address(data[:4]), IPv4Address(data[4:]))
        case IdType.IPV6_ADDR_RANGE:
            _exact(data, 32, "IPv6 range")
            return (IPv6Address(data[:16]), IPv6Address(data[16:]))
        case IdType.FQDN | IdType.USER_FQDN:
            return _text(data)
        case _:
            return data
