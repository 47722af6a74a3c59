"""From the parsed IOS configuration to what the engine and the data plane are told.

The configuration model (``vpnrouter.config``) has every IOS default resolved; this module
only translates:

- ``crypto isakmp policy`` -> :class:`vpnrouter.ike.policy.IsakmpPolicy`,
- ``crypto isakmp key`` -> :class:`~vpnrouter.ike.policy.PreSharedKey` (by address) or
  :class:`~vpnrouter.ike.policy.HostnameKey` (``hostname NAME``),
- ``crypto ipsec transform-set`` -> :class:`~vpnrouter.ike.policy.TransformSet` (ESP only),
- the crypto maps applied to the crypto interfaces, with their dynamic-map entries ->
  :class:`~vpnrouter.ike.policy.CryptoMapEntry` (ACL lines -> ``TrafficSelector``), each
  with the local address IKE and ESP use for it (:class:`CryptoInterface`),
- the same ACL lines -> the ordered SPD (``vpnrouter.esp.spd.Policy``), entry after entry in
  sequence number order, each line tagged ``"MAP SEQ"`` (the tag the data plane's acquire
  carries back): ``permit`` is PROTECT, ``deny`` is BYPASS, which the SPD reads the IOS way
  (the first matching line of an entry decides; a deny sends the packet on to the next entry;
  what no entry protects is routed in the clear; dynamic-map entries come after all of them),
- the remote networks of the ``permit`` lines -> routes into the TUN device;
- remote access: client groups (with their split-tunnel ACLs and the first 10 of their
  ``backup-gateway`` lines), the crypto maps' client lines, ``crypto isakmp keepalive``
  (DPD), and (:func:`build_aaa`) users, AAA method lists and ``ip local pool`` lines for
  XAuth and Mode Config.

Crypto maps on several interfaces, as IOS does ("Apply Crypto Map Sets to Interfaces", Cisco
IOS 11.3 IPSec Network Security feature guide): each interface uses its own address "as the
local address for IPSec traffic originating from or destined to that interface", unless
``crypto map NAME local-address IF`` names an identifying interface, whose address all the
interfaces sharing that map then use. A map on two interfaces without ``local-address``
answers on both addresses (its dynamic entries are offered on each); a static entry initiates
from the interface whose connected network holds its peer (where routing would send the
packets), else from the first one.

Anything the configuration asks for that we cannot do (AH, non-contiguous wildcards, port
ranges in a crypto ACL, a crypto ACL covering the peer itself) is left out with a warning in
:attr:`RouterPlan.warnings`; leaving a line out never sends traffic in the clear: a permit line
we cannot negotiate becomes a DISCARD policy over the smallest selector covering it, so its
traffic is dropped, not routed in the clear, and a line's route may be left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from vpnrouter.aaa import Aaa, AddressPool, LocalUser, PoolError, PoolSet
from vpnrouter.config import model as cfg
from vpnrouter.config.model_crypto import MAX_BACKUP_GATEWAYS
from vpnrouter.esp.spd import ANY_PORT, Action, Policy, PortRange, Selector
from vpnrouter.ike import policy as ike

ANY_NET = IPv4Network("0.0.0.0/0")


def _ignore(text: str) -> None:
    """Default warning sink."""


class PolicyBuildError(ValueError):
    """The configuration cannot run at all (e.g. no crypto map on an interface)."""


@dataclass(frozen=True)
class CryptoInterface:
    """One interface with a crypto map: IKE and ESP for it use ``local_address`` (its own,
    or the ``crypto map NAME local-address`` interface's)."""

    name: str  # IOS name, e.g. "Ethernet0/0"
    map_name: str
    local_address: IPv4Address
    network: IPv4Interface  # the interface's own address and prefix


@dataclass(frozen=True)
class RouterPlan:
    """Everything the daemon needs from the configuration, IOS names kept for the logs.
    ``crypto_interface``, ``local_address``, ``local_network`` and ``map_name`` are the first
    crypto interface's; ``crypto_interfaces`` has them all."""

    hostname: str
    crypto_interface: str  # IOS name, e.g. "Ethernet0/0"
    local_address: IPv4Address
    local_network: IPv4Interface
    map_name: str
    ike_policy: ike.IkePolicy
    spd: tuple[Policy, ...]
    tun_routes: tuple[IPv4Network, ...]
    warnings: tuple[str, ...] = ()
    crypto_interfaces: tuple[CryptoInterface, ...] = ()

    @property
    def local_addresses(self) -> tuple[IPv4Address, ...]:
        """Every address IKE and ESP use, the first crypto interface's first."""
        found = [self.local_address, *(c.local_address for c in self.crypto_interfaces)]
        return tuple(dict.fromkeys(found))

    def interface_of(self, local: str) -> str | None:
        """The (first) crypto interface whose local address is ``local``."""
        return next((c.name for c in self.crypto_interfaces if str(c.local_address) == local),
                    None)  # fmt: skip


@dataclass
class _Builder:
    config: cfg.RunningConfig
    warnings: list[str] = field(default_factory=list)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    # -- phase 1 ----------------------------------------------------------------------------
    def isakmp_policies(self) -> tuple[ike.IsakmpPolicy, ...]:
        return tuple(
            ike.IsakmpPolicy(
                priority=p.priority,
                encryption=p.encryption,
                key_length=p.key_length,
                hash=p.hash,
                auth=p.authentication,
                group=p.group,
                lifetime=p.lifetime,
            )
            for p in self.config.isakmp_policies
        )

    def preshared_keys(self) -> tuple[ike.PreSharedKey, ...]:
        return tuple(
            ike.PreSharedKey(key=k.key, address=k.network, no_xauth=k.no_xauth)
            for k in self.config.isakmp_keys
        )

    def hostname_keys(self) -> tuple[ike.HostnameKey, ...]:
        return tuple(
            ike.HostnameKey(key=k.key, hostname=k.hostname, no_xauth=k.no_xauth)
            for k in self.config.isakmp_hostname_keys
        )

    def client_groups(self) -> tuple[ike.ClientGroup, ...]:
        groups: list[ike.ClientGroup] = []
        for group in self.config.client_groups:
            if group.key is None:
                self.warn(f"client group {group.name} has no key: not usable")
                continue
            groups.append(
                ike.ClientGroup(
                    name=group.name,
                    key=group.key,
                    dns=group.dns,
                    wins=group.wins,
                    domain=group.domain or "",
                    pool=group.pool or "",
                    acl=self.traffic_selectors(group.acl),
                    acl_name=group.acl or "",
                    banner=group.banner or "",
                    save_password=group.save_password,
                    include_local_lan=group.include_local_lan,
                    pfs=group.pfs,
                    max_users=group.max_users,
                    backup_servers=self.backup_servers(group),
                )
            )
        return tuple(groups)

    def backup_servers(self, group: cfg.ClientGroup) -> tuple[str, ...]:
        """``backup-gateway`` lines, sent to the clients as Unity BACKUP_SERVERS: the first
        ``MAX_BACKUP_GATEWAYS`` (10) of them."""
        servers = group.backup_gateways
        if len(servers) > MAX_BACKUP_GATEWAYS:
            self.warn(
                f"client group {group.name}: {len(servers)} backup-gateway lines, only the "
                f"first {MAX_BACKUP_GATEWAYS} are sent to clients"
            )
        return servers[:MAX_BACKUP_GATEWAYS]

    def client_maps(self) -> tuple[ike.ClientMapConfig, ...]:
        """``crypto map NAME client authentication list`` / ``isakmp authorization list`` /
        ``client configuration address respond|initiate``, for the maps that have them."""
        maps: list[ike.ClientMapConfig] = []
        for crypto_map in self.config.crypto_maps:
            address: ike.ClientAddressMode | None = None
            if crypto_map.address_respond:
                address = "respond"
            elif crypto_map.address_initiate:
                address = "initiate"
            if (
                crypto_map.client_authentication_list is None
                and crypto_map.isakmp_authorization_list is None
                and address is None
            ):
                continue
            maps.append(
                ike.ClientMapConfig(
                    map_name=crypto_map.name,
                    authentication_list=crypto_map.client_authentication_list,
                    authorization_list=crypto_map.isakmp_authorization_list,
                    address=address,
                )
            )
        return tuple(maps)

    def dpd(self) -> ike.DpdPolicy | None:
        """``crypto isakmp keepalive SECONDS [RETRY] [periodic]`` (RFC 3706 DPD)."""
        keepalive = self.config.isakmp_keepalive
        if keepalive is None:
            return None
        return ike.DpdPolicy(
            interval=keepalive.seconds, retry=keepalive.retry, periodic=keepalive.periodic
        )

    # -- phase 2 ----------------------------------------------------------------------------
    def transform_set(self, name: str) -> ike.TransformSet | None:
        ts = self.config.transform_set(name)
        if ts is None:
            self.warn(f"transform set {name} is not defined")
            return None
        if ts.ah_auth is not None or ts.esp_encryption is None:
            self.warn(f"transform set {name} uses AH, which is not supported: ignored")
            return None
        mode: ike.Mode = "transport" if ts.mode == "transport" else "tunnel"
        return ike.TransformSet(
            name=ts.name,
            esp_transform=ts.esp_encryption,
            esp_key_length=ts.esp_key_length,
            esp_auth=ts.esp_auth,
            mode=mode,
            ios_names=" ".join(ts.transforms),
        )

    def transform_sets(self, names: tuple[str, ...]) -> tuple[ike.TransformSet, ...]:
        found = (self.transform_set(name) for name in names)
        return tuple(ts for ts in found if ts is not None)

    def acl_lines(self, name: str | None) -> list[tuple[cfg.AclEntry, Selector]]:
        """The usable lines of a crypto ACL with their SPD selectors (outbound direction)."""
        if name is None:
            return []
        acl = self.config.acl(name)
        if acl is None:
            self.warn(f"access-list {name} is not defined: nothing matches it")
            return []
        lines: list[tuple[cfg.AclEntry, Selector]] = []
        for entry in acl.rules:
            selector = self._selector(acl, entry)
            if selector is not None:
                lines.append((entry, selector))
        return lines

    def _selector(
        self, acl: cfg.AccessList, entry: cfg.AclEntry, *, warn: bool = True
    ) -> Selector | None:
        where = f"access-list {acl.name} line {entry.line}"
        say = self.warn if warn else _ignore
        source = entry.source.network
        destination = ANY_NET if entry.destination is None else entry.destination.network
        if source is None or destination is None:
            say(f"{where}: non-contiguous wildcard masks cannot be IPsec selectors")
            return None
        ports: list[PortRange] = []
        for match in (entry.source_port, entry.destination_port):
            if match is None:
                ports.append(ANY_PORT)
                continue
            bounds = match.bounds()
            if bounds is None or bounds[0] != bounds[1]:
                say(f"{where}: only 'eq PORT' can be negotiated in IKEv1 selectors")
                return None
            ports.append(PortRange.single(bounds[0]))
        return Selector(source, destination, entry.protocol, ports[0], ports[1])

    def spd_lines(self, name: str | None) -> list[tuple[cfg.AclEntry, Selector, Action]]:
        """Every line of a crypto ACL as an SPD action: permit PROTECT, deny BYPASS, and a
        permit line that cannot be negotiated DISCARD over a selector covering it."""
        if name is None:
            return []
        acl = self.config.acl(name)
        if acl is None:
            return []
        lines: list[tuple[cfg.AclEntry, Selector, Action]] = []
        for entry in acl.rules:
            selector = self._selector(acl, entry, warn=False)
            if selector is not None:
                lines.append((entry, selector, Action.PROTECT if entry.permits else Action.BYPASS))
            elif entry.permits:
                lines.append((entry, _covering(entry), Action.DISCARD))
        return lines

    def traffic_selectors(self, name: str | None) -> tuple[ike.TrafficSelector, ...]:
        return tuple(
            ike.TrafficSelector(
                local=sel.src_net,
                remote=sel.dst_net,
                protocol=sel.protocol,
                local_port=sel.src_port.lo if not sel.src_port.is_any else 0,
                remote_port=sel.dst_port.lo if not sel.dst_port.is_any else 0,
            )
            for entry, sel in self.acl_lines(name)
            if entry.permits
        )

    def map_entries(
        self, crypto_map: cfg.CryptoMap, used: list[CryptoInterface]
    ) -> tuple[ike.CryptoMapEntry, ...]:
        """The map's entries; ``used``: the crypto interfaces it is applied to."""
        locals_ = list(dict.fromkeys(c.local_address for c in used))
        entries: list[ike.CryptoMapEntry] = []
        for entry in crypto_map.entries:
            if entry.dynamic_map is not None:
                for local in locals_:
                    entries += self._dynamic_entries(
                        crypto_map.name, entry.seq, entry.dynamic_map, local
                    )
                continue
            if not entry.peers:
                self.warn(f"crypto map {crypto_map.name} {entry.seq}: no peer set: ignored")
                continue
            if entry.match_address is None:
                self.warn(f"crypto map {crypto_map.name} {entry.seq}: no match address: ignored")
                continue
            entries.append(
                ike.CryptoMapEntry(
                    map_name=crypto_map.name,
                    seq=entry.seq,
                    peers=entry.peers,
                    transform_sets=self.transform_sets(entry.transform_sets),
                    acl=self.traffic_selectors(entry.match_address),
                    acl_name=entry.match_address,
                    pfs_group=entry.pfs_group,
                    lifetime_seconds=entry.lifetime_seconds,
                    lifetime_kilobytes=entry.lifetime_kilobytes,
                    local_address=_initiating_address(used, entry.peers[0]),
                )
            )
        return tuple(entries)

    def _dynamic_entries(
        self, map_name: str, seq: int, dynamic_name: str, local: IPv4Address
    ) -> list[ike.CryptoMapEntry]:
        dynamic = self.config.dynamic_map(dynamic_name)
        if dynamic is None:
            self.warn(f"crypto map {map_name} {seq}: dynamic map {dynamic_name} is not defined")
            return []
        return [
            ike.CryptoMapEntry(
                map_name=map_name,
                seq=seq,
                peers=d.peers,
                transform_sets=self.transform_sets(d.transform_sets),
                acl=self.traffic_selectors(d.match_address),
                acl_name=d.match_address or "",
                pfs_group=d.pfs_group,
                lifetime_seconds=d.lifetime_seconds,
                lifetime_kilobytes=d.lifetime_kilobytes,
                dynamic=True,
                dynamic_map=dynamic.name,
                dynamic_seq=d.seq,
                local_address=local,
            )
            for d in dynamic.entries
        ]

    # -- data plane -------------------------------------------------------------------------
    def spd(self, crypto_map: cfg.CryptoMap) -> list[Policy]:
        """The static entries' ACL lines in crypto map order (dynamic entries have no ACL
        to acquire on: their SAs are bound when a peer negotiates them)."""
        policies: list[Policy] = []
        for entry in sorted(crypto_map.static_entries, key=lambda e: e.seq):
            if not entry.peers or entry.match_address is None:
                continue
            tag = f"{crypto_map.name} {entry.seq}"
            for _line, selector, action in self.spd_lines(entry.match_address):
                policies.append(Policy(selector, action, tag, entry.peers[0]))
        return policies

    def tun_routes(self, spd: list[Policy], avoid: list[IPv4Network]) -> list[IPv4Network]:
        """Remote networks of the PROTECT lines, unless routing them into the tunnel would
        swallow a peer or a connected network (e.g. ``permit ip any any``)."""
        routes: list[IPv4Network] = []
        for policy in spd:
            if policy.action is not Action.PROTECT:
                continue
            net = policy.selector.dst_net
            if any(net.overlaps(a) for a in avoid):
                self.warn(
                    f"not routing {net} into the tunnel: it covers a peer or a connected network"
                )
                continue
            if net not in routes:
                routes.append(net)
        return routes


def _covering_network(match: cfg.AddressMatch | None) -> IPv4Network:
    """The smallest prefix holding every address a (maybe non-contiguous) wildcard matches."""
    if match is None:
        return ANY_NET
    care = ~int(match.wildcard) & 0xFFFFFFFF
    prefix = next((n for n in range(32) if (care >> (31 - n)) & 1 == 0), 32)
    return IPv4Network((int(match.address), prefix), strict=False)


def _covering_ports(match: cfg.PortMatch | None) -> PortRange:
    bounds = None if match is None else match.bounds()
    return ANY_PORT if bounds is None else PortRange(bounds[0], bounds[1])


def _covering(entry: cfg.AclEntry) -> Selector:
    """A selector matching at least every packet the ACL line matches."""
    return Selector(
        _covering_network(entry.source),
        _covering_network(entry.destination),
        entry.protocol,
        _covering_ports(entry.source_port),
        _covering_ports(entry.destination_port),
    )


def _initiating_address(used: list[CryptoInterface], peer: IPv4Address) -> IPv4Address:
    """Where a static entry initiates from: the interface whose network holds the peer."""
    on_link = next((c for c in used if peer in c.network.network), used[0])
    return on_link.local_address


def crypto_interfaces(
    config: cfg.RunningConfig, warn: Callable[[str], None]
) -> list[CryptoInterface]:
    """Every interface with an address and a defined crypto map, with its local address."""
    found: list[CryptoInterface] = []
    for interface in config.crypto_interfaces():
        if interface.address is None or interface.crypto_map is None:
            warn(f"crypto map on {interface.name} ignored: the interface has no address")
            continue
        crypto_map = config.crypto_map(interface.crypto_map)
        if crypto_map is None:
            warn(f"crypto map {interface.crypto_map} on {interface.name} is not defined: ignored")
            continue
        local = interface.address.ip
        if crypto_map.local_address is not None:
            named = config.interface(crypto_map.local_address)
            if named is not None and named.address is not None:
                local = named.address.ip
            else:
                warn(
                    f"crypto map {crypto_map.name} local-address {crypto_map.local_address}:"
                    f" no such interface with an address, {interface.name} uses its own"
                )
        found.append(CryptoInterface(interface.name, crypto_map.name, local, interface.address))
    return found


def crypto_interface(config: cfg.RunningConfig) -> cfg.Interface:
    """The interface whose address IKE and ESP use: the first one with a crypto map."""
    candidates = [i for i in config.crypto_interfaces() if i.address is not None]
    if not candidates:
        raise PolicyBuildError("no interface with an IP address has a crypto map applied")
    return candidates[0]


def build(config: cfg.RunningConfig) -> RouterPlan:
    """Translate a configuration; raise :class:`PolicyBuildError` if it cannot run."""
    builder = _Builder(config)
    interface = crypto_interface(config)
    if interface.address is None or interface.crypto_map is None:  # crypto_interface checked
        raise PolicyBuildError(f"{interface.name} has no address or no crypto map")
    if config.crypto_map(interface.crypto_map) is None:
        raise PolicyBuildError(
            f"crypto map {interface.crypto_map} is applied to {interface.name} but not defined"
        )
    used = crypto_interfaces(config, builder.warn)
    first = used[0]
    entries: tuple[ike.CryptoMapEntry, ...] = ()
    spd: list[Policy] = []
    for name in dict.fromkeys(c.map_name for c in used):
        crypto_map = config.crypto_map(name)
        if crypto_map is None:  # crypto_interfaces() kept only defined maps
            continue
        entries += builder.map_entries(crypto_map, [c for c in used if c.map_name == name])
        spd += builder.spd(crypto_map)
    policy = ike.IkePolicy(
        isakmp_policies=builder.isakmp_policies(),
        preshared_keys=builder.preshared_keys(),
        hostname_keys=builder.hostname_keys(),
        crypto_maps=entries,
        ipsec_lifetime_seconds=config.ipsec_lifetime_seconds,
        ipsec_lifetime_kilobytes=config.ipsec_lifetime_kilobytes,
        nat_keepalive=config.isakmp_nat_keepalive,
        client_groups=builder.client_groups(),
        client_maps=builder.client_maps(),
        dpd=builder.dpd(),
    )
    peers = [IPv4Network(peer) for e in entries for peer in e.peers]
    connected = [i.address.network for i in config.interfaces if i.address is not None]
    routes = builder.tun_routes(spd, peers + connected)
    return RouterPlan(
        hostname=config.hostname,
        crypto_interface=first.name,
        local_address=first.local_address,
        local_network=first.network,
        map_name=first.map_name,
        ike_policy=policy,
        spd=tuple(spd),
        tun_routes=tuple(routes),
        warnings=tuple(builder.warnings),
        crypto_interfaces=tuple(used),
    )


def build_aaa(config: cfg.RunningConfig, warn: Callable[[str], None] = _ignore) -> Aaa:
    """Users, login/network method lists and address pools for remote access (XAuth and
    Mode Config): ``username``, ``aaa authentication login``, ``aaa authorization network``
    and ``ip local pool`` lines (a pool that cannot be used is left out, with a warning)."""
    users = [
        LocalUser(
            name=u.name,
            password=None if u.secret else u.password,
            secret=u.encrypted if u.secret else None,
            nopassword=u.nopassword,
            privilege=u.privilege,
        )
        for u in config.users
    ]
    return Aaa(
        users,
        login_lists={
            a.name: a.methods for a in config.aaa_lists if a.service == "authentication login"
        },
        network_lists={
            a.name: a.methods for a in config.aaa_lists if a.service == "authorization network"
        },
        pools=PoolSet(_pools(config, warn)),
    )


def _pools(config: cfg.RunningConfig, warn: Callable[[str], None]) -> list[AddressPool]:
    ranges: dict[str, list[tuple[IPv4Address, IPv4Address]]] = {}
    for line in config.local_pools:
        ranges.setdefault(line.name, []).append((line.first, line.last))
    pools: list[AddressPool] = []
    for name, pool_ranges in ranges.items():
        try:
            pools.append(AddressPool(name, pool_ranges))
        except PoolError as exc:
            warn(f"ip local pool {name} not used: {exc}")
    return pools
