"""Access lists: numbered standard (1-99, 1300-1999), extended (100-199, 2000-2699) and named.

Public API (all frozen dataclasses; ``line`` is the source line and never part of equality):

- ``AddressMatch(address, wildcard)``: ``any``, ``host A`` or ``A WILDCARD``. ``.network`` is the
  ``IPv4Network`` when the wildcard is contiguous (None otherwise; the raw wildcard stays in
  ``.wildcard``), ``.matches(addr)``, ``.is_any``, ``.is_host``, ``AddressMatch.any()``,
  ``AddressMatch.host(a)``, ``AddressMatch.of_network(net)``.
- ``PortMatch(op, ports)``: ``eq``/``neq``/``lt``/``gt``/``range``; ``.matches(port)`` and
  ``.bounds() -> (low, high) | None`` (None for ``neq``).
- ``AclEntry(action, protocol, source, destination, source_port, destination_port, icmp_type,
  icmp_code, options)``: ``protocol`` is the IANA number (0 for ``ip``), ``destination`` is None
  in standard lists. ``.permits`` tells permit from deny.
- ``AclRemark(text)``.
- ``AccessList(name, standard, entries)``: ``name`` is the number as text for numbered lists;
  ``.number``, ``.rules`` (entries without remarks), ``.permits``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from vpnrouter.config.lexer import is_contiguous_wildcard

ALL_ONES = IPv4Address("255.255.255.255")
ZERO = IPv4Address("0.0.0.0")


@dataclass(frozen=True)
class AddressMatch:
    address: IPv4Address
    wildcard: IPv4Address

    def __post_init__(self) -> None:
        # IOS clears the address bits the wildcard ignores (10.1.1.1 0.0.0.255 -> 10.1.1.0).
        cleared = IPv4Address(int(self.address) & ~int(self.wildcard) & 0xFFFFFFFF)
        object.__setattr__(self, "address", cleared)

    @classmethod
    def any(cls) -> AddressMatch:
        return cls(ZERO, ALL_ONES)

    @classmethod
    def host(cls, address: IPv4Address) -> AddressMatch:
        return cls(address, ZERO)

    @classmethod
    def of_network(cls, network: IPv4Network) -> AddressMatch:
        return cls(network.network_address, network.hostmask)

    @property
    def is_any(self) -> bool:
        return self.wildcard == ALL_ONES

    @property
    def is_host(self) -> bool:
        return self.wildcard == ZERO

    @property
    def network(self) -> IPv4Network | None:
        if not is_contiguous_wildcard(self.wildcard):
            return None
        # Not "A/WILDCARD": ipaddress reads 0.0.0.0 as a netmask (/0), not a hostmask (/32).
        return IPv4Network((self.address, 32 - int(self.wildcard).bit_length()))

    def matches(self, address: IPv4Address) -> bool:
        return int(address) & ~int(self.wildcard) & 0xFFFFFFFF == int(self.address)


@dataclass(frozen=True)
class PortMatch:
    op: str  # eq | neq | lt | gt | range
    ports: tuple[int, ...]

    def matches(self, port: int) -> bool:
        if self.op == "eq":
            return port in self.ports
        if self.op == "neq":
            return port not in self.ports
        if self.op == "lt":
            return port < self.ports[0]
        if self.op == "gt":
            return port > self.ports[0]
        return self.ports[0] <= port <= self.ports[1]

    def bounds(self) -> tuple[int, int] | None:
        """The port range this match covers, when it is one range."""
        if self.op == "eq" and len(self.ports) == 1:
            return (self.ports[0], self.ports[0])
        if self.op == "lt":
            return (0, self.ports[0] - 1)
        if self.op == "gt":
            return (self.ports[0] + 1, 65535)
        if self.op == "range":
            return (self.ports[0], self.ports[1])
        return None


@dataclass(frozen=True)
class AclEntry:
    action: str  # permit | deny
    protocol: int
    source: AddressMatch
    destination: AddressMatch | None = None
    source_port: PortMatch | None = None
    destination_port: PortMatch | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    options: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)

    @property
    def permits(self) -> bool:
        return self.action == "permit"


@dataclass(frozen=True)
class AclRemark:
    text: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class AccessList:
    name: str
    standard: bool
    entries: tuple[AclEntry | AclRemark, ...] = ()
    line: int = field(default=0, compare=False)

    @property
    def number(self) -> int | None:
        return int(self.name) if self.name.isdigit() else None

    @property
    def named(self) -> bool:
        return self.number is None

    @property
    def rules(self) -> tuple[AclEntry, ...]:
        return tuple(e for e in self.entries if isinstance(e, AclEntry))

    @property
    def permits(self) -> tuple[AclEntry, ...]:
        return tuple(e for e in self.rules if e.permits)


def acl_kind_of_number(number: int) -> str | None:
    """``standard`` or ``extended`` for an IP access-list number, None when out of range."""
    if 1 <= number <= 99 or 1300 <= number <= 1999:
        return "standard"
    if 100 <= number <= 199 or 2000 <= number <= 2699:
        return "extended"
    return None
