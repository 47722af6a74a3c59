"""The typed model of an IOS configuration: what ``parse`` builds and ``render`` prints.

Everything is a frozen dataclass made of tuples, so a configuration can be compared, hashed and
handed between threads. ``line`` fields remember where an object was written (for lint and error
messages) and are excluded from equality: ``parse(render(config)) == config``.

Public API:

- ``RunningConfig``: the whole configuration. Fields: ``hostname``, ``version``,
  ``service_password_encryption``, ``aaa_new_model``, ``aaa_lists``, ``users``,
  ``isakmp_policies`` (sorted by priority), ``isakmp_keys`` (by address),
  ``isakmp_hostname_keys`` (``crypto isakmp key KEY hostname NAME``), ``isakmp_keepalive``,
  ``isakmp_nat_keepalive``, ``client_groups``, ``ipsec_lifetime_seconds`` (3600),
  ``ipsec_lifetime_kilobytes`` (4608000), ``transform_sets``, ``dynamic_maps``, ``crypto_maps``,
  ``interfaces``, ``local_pools``, ``static_routes``, ``access_lists``, ``unmodeled``.
  Lookups: ``isakmp_key_for(address)`` (longest prefix wins, as on IOS),
  ``isakmp_key_for_hostname(fqdn)``,
  ``transform_set(name)``, ``acl(name_or_number)``, ``crypto_map(name)``, ``dynamic_map(name)``,
  ``crypto_map_for_interface(name)``, ``interface(name)``, ``client_group(name)``,
  ``user(name)``, ``pool(name)``, ``aaa_list(service, name)``, ``sa_lifetime(entry)``,
  ``crypto_interfaces()``.
- ``AaaMethodList(service, name, methods)``: ``service`` is ``"authentication login"``,
  ``"authentication ppp"``, ``"authorization network"`` or ``"authorization exec"``; methods are
  IOS words such as ``("local",)`` or ``("group radius", "local")``.
- ``User(name, password, password_type=0, encrypted=None, privilege=1, secret=False,
  nopassword=False)``: ``password`` is the clear text (type 7 decoded; None for type 5 secrets),
  ``encrypted`` the type 5/7 text as written.
- ``Interface(name, description, address, secondary, dhcp, shutdown, crypto_map, other)``:
  ``address`` is an ``IPv4Interface``; ``other`` keeps the sub-commands we do not act on.
- ``LocalPool(name, first, last)``; ``StaticRoute(prefix, next_hop, interface, distance=1,
  name=None, permanent=False, tag=None)``.
- ``UnmodeledCommand(text, children)``: a global command that is kept and re-emitted but not acted
  on (``snmp-server community ...``, ``line vty 0 4`` with its sub-commands, ...).
- The crypto and access-list classes are re-exported from ``model_crypto`` and ``model_acl``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from vpnrouter.config.model_acl import (
    AccessList,
    AclEntry,
    AclRemark,
    AddressMatch,
    PortMatch,
    acl_kind_of_number,
)
from vpnrouter.config.model_crypto import (
    ClientGroup,
    CryptoMap,
    CryptoMapEntry,
    DynamicMap,
    IsakmpHostnameKey,
    IsakmpKeepalive,
    IsakmpKey,
    IsakmpPolicy,
    TransformSet,
)

__all__ = [
    "AaaMethodList",
    "AccessList",
    "AclEntry",
    "AclRemark",
    "AddressMatch",
    "ClientGroup",
    "CryptoMap",
    "CryptoMapEntry",
    "DynamicMap",
    "Interface",
    "IsakmpHostnameKey",
    "IsakmpKeepalive",
    "IsakmpKey",
    "IsakmpPolicy",
    "LocalPool",
    "PortMatch",
    "RunningConfig",
    "StaticRoute",
    "TransformSet",
    "UnmodeledCommand",
    "User",
    "acl_kind_of_number",
]


@dataclass(frozen=True)
class AaaMethodList:
    service: str
    name: str
    methods: tuple[str, ...]
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class User:
    name: str
    password: str | None
    password_type: int = 0
    encrypted: str | None = None
    privilege: int = 1
    secret: bool = False
    nopassword: bool = False
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Interface:
    name: str
    description: str | None = None
    address: IPv4Interface | None = None
    secondary: tuple[IPv4Interface, ...] = ()
    dhcp: bool = False
    shutdown: bool = False
    crypto_map: str | None = None
    other: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class LocalPool:
    name: str
    first: IPv4Address
    last: IPv4Address
    line: int = field(default=0, compare=False)

    def __contains__(self, address: object) -> bool:
        return isinstance(address, IPv4Address) and self.first <= address <= self.last

    @property
    def size(self) -> int:
        return int(self.last) - int(self.first) + 1


@dataclass(frozen=True)
class StaticRoute:
    prefix: IPv4Network
    next_hop: IPv4Address | None = None
    interface: str | None = None
    distance: int = 1
    name: str | None = None
    permanent: bool = False
    tag: int | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class UnmodeledCommand:
    text: str
    children: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class RunningConfig:
    hostname: str = "Router"
    version: str | None = None
    service_password_encryption: bool = False
    aaa_new_model: bool = False
    aaa_lists: tuple[AaaMethodList, ...] = ()
    users: tuple[User, ...] = ()
    isakmp_policies: tuple[IsakmpPolicy, ...] = ()
    isakmp_keys: tuple[IsakmpKey, ...] = ()
    isakmp_hostname_keys: tuple[IsakmpHostnameKey, ...] = ()
    isakmp_keepalive: IsakmpKeepalive | None = None
    isakmp_nat_keepalive: int | None = None
    client_groups: tuple[ClientGroup, ...] = ()
    ipsec_lifetime_seconds: int = 3600
    ipsec_lifetime_kilobytes: int = 4608000
    transform_sets: tuple[TransformSet, ...] = ()
    dynamic_maps: tuple[DynamicMap, ...] = ()
    crypto_maps: tuple[CryptoMap, ...] = ()
    interfaces: tuple[Interface, ...] = ()
    local_pools: tuple[LocalPool, ...] = ()
    static_routes: tuple[StaticRoute, ...] = ()
    access_lists: tuple[AccessList, ...] = ()
    unmodeled: tuple[UnmodeledCommand, ...] = ()

    # -- lookups the router and lint use -------------------------------------------------
    def isakmp_key_for(self, address: IPv4Address) -> IsakmpKey | None:
        """The pre-shared key IOS uses for a peer: the most specific key covering it."""
        covering = [k for k in self.isakmp_keys if k.covers(address)]
        if not covering:
            return None
        return max(covering, key=lambda k: k.network.prefixlen)

    def isakmp_key_for_hostname(self, fqdn: str) -> IsakmpHostnameKey | None:
        """The ``crypto isakmp key ... hostname`` key of a peer identifying as ``fqdn``."""
        return next((k for k in self.isakmp_hostname_keys if k.matches(fqdn)), None)

    def transform_set(self, name: str) -> TransformSet | None:
        return next((t for t in self.transform_sets if t.name == name), None)

    def acl(self, name_or_number: str | int) -> AccessList | None:
        wanted = str(name_or_number)
        return next((a for a in self.access_lists if a.name == wanted), None)

    def crypto_map(self, name: str) -> CryptoMap | None:
        return next((m for m in self.crypto_maps if m.name == name), None)

    def dynamic_map(self, name: str) -> DynamicMap | None:
        return next((m for m in self.dynamic_maps if m.name == name), None)

    def interface(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name.lower() == name.lower()), None)

    def crypto_map_for_interface(self, name: str) -> CryptoMap | None:
        interface = self.interface(name)
        if interface is None or interface.crypto_map is None:
            return None
        return self.crypto_map(interface.crypto_map)

    def crypto_interfaces(self) -> tuple[Interface, ...]:
        """Interfaces with a crypto map applied, in configuration order."""
        return tuple(i for i in self.interfaces if i.crypto_map is not None)

    def client_group(self, name: str) -> ClientGroup | None:
        return next((g for g in self.client_groups if g.name == name), None)

    def user(self, name: str) -> User | None:
        return next((u for u in self.users if u.name == name), None)

    def pool(self, name: str) -> tuple[LocalPool, ...]:
        """The address ranges of ``ip local pool NAME`` (one per line; empty if undefined)."""
        return tuple(p for p in self.local_pools if p.name == name)

    def aaa_list(self, service: str, name: str) -> AaaMethodList | None:
        return next((a for a in self.aaa_lists if a.service == service and a.name == name), None)

    def sa_lifetime(self, entry: CryptoMapEntry) -> tuple[int, int]:
        """(seconds, kilobytes) for an entry: its own ``set security-association lifetime``
        values, else the global ``crypto ipsec security-association lifetime`` ones."""
        seconds = entry.lifetime_seconds or self.ipsec_lifetime_seconds
        kilobytes = entry.lifetime_kilobytes or self.ipsec_lifetime_kilobytes
        return (seconds, kilobytes)
