"""Hypothesis: random valid configuration models render and parse back equal.

The strategies build models in the canonical form ``parse`` produces (policies and crypto map
entries sorted, commands we do not act on grouped by the section IOS prints them in), so the
property is plain equality: ``parse(render(model)).config == model``.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnrouter.config import (
    AaaMethodList,
    AccessList,
    AclEntry,
    AclRemark,
    AddressMatch,
    ClientGroup,
    CryptoMap,
    CryptoMapEntry,
    DynamicMap,
    ErrorKind,
    Interface,
    IsakmpHostnameKey,
    IsakmpKeepalive,
    IsakmpKey,
    IsakmpPolicy,
    LocalPool,
    PortMatch,
    RunningConfig,
    StaticRoute,
    TransformSet,
    UnmodeledCommand,
    User,
    names,
    parse,
    render,
    type7,
)
from vpnrouter.config.vocabulary import slot_of

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


def words(first: str, rest: str, max_rest: int) -> st.SearchStrategy[str]:
    return st.builds(str.__add__, st.sampled_from(first), st.text(rest, max_size=max_rest))


WORD = words(LOWER, LOWER + DIGITS + "_-", 8).filter(lambda w: w != "default")
SECRET = words(LOWER + DIGITS, LOWER.upper() + LOWER + DIGITS + "!@#$%&*", 11)
TEXT = st.lists(words(LOWER, LOWER + DIGITS + ".,:/()-", 7), min_size=1, max_size=4)
HOSTNAME = words(LOWER.upper() + LOWER, LOWER + DIGITS + "-", 10)
ADDRESS = st.integers(0, 2**32 - 1).map(IPv4Address)
WILDCARD_ADDRESS = st.integers(0, 2**32 - 1).map(IPv4Address)


def unique(strategy: st.SearchStrategy[str], max_size: int = 3) -> st.SearchStrategy[list[str]]:
    return st.lists(strategy, max_size=max_size, unique=True)


@st.composite
def networks(draw: st.DrawFn) -> IPv4Network:
    prefix = draw(st.integers(0, 32))
    return IPv4Network(f"{draw(ADDRESS)}/{prefix}", strict=False)


@st.composite
def policies(draw: st.DrawFn) -> tuple[IsakmpPolicy, ...]:
    found = []
    for priority in sorted(draw(st.sets(st.integers(1, 10000), max_size=3))):
        encryption = draw(st.sampled_from(sorted(names.POLICY_ENCRYPTION.values())))
        key_length = draw(st.sampled_from(names.AES_KEY_LENGTHS)) if encryption == 7 else None
        found.append(
            IsakmpPolicy(
                priority,
                encryption,
                key_length,
                draw(st.sampled_from(sorted(names.POLICY_HASH.values()))),
                draw(st.sampled_from(sorted(names.POLICY_AUTH.values()))),
                draw(st.sampled_from(names.DH_GROUPS)),
                draw(st.integers(60, 86400)),
            )
        )
    return tuple(found)


@st.composite
def keys(draw: st.DrawFn) -> tuple[IsakmpKey, ...]:
    found: dict[IPv4Network, IsakmpKey] = {}
    for network in draw(st.lists(networks(), max_size=3)):
        found[network] = IsakmpKey(
            draw(SECRET), network.network_address, network.netmask, draw(st.booleans())
        )
    return tuple(found.values())


@st.composite
def hostname_keys(draw: st.DrawFn) -> tuple[IsakmpHostnameKey, ...]:
    found: dict[str, IsakmpHostnameKey] = {}
    for name in draw(st.lists(st.lists(WORD, min_size=1, max_size=3), max_size=2)):
        hostname = ".".join(label.replace("_", "x").strip("-") or "h" for label in name)
        found[hostname] = IsakmpHostnameKey(draw(SECRET), hostname, draw(st.booleans()))
    return tuple(found.values())


@st.composite
def banners(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.text(LOWER + DIGITS + " !#.", max_size=12), max_size=3))
    return "\n".join(line.rstrip() for line in [draw(TEXT)[0], *lines])


@st.composite
def client_groups(draw: st.DrawFn) -> tuple[ClientGroup, ...]:
    return tuple(
        ClientGroup(
            name,
            draw(st.none() | SECRET),
            tuple(draw(st.lists(ADDRESS, max_size=2))),
            tuple(draw(st.lists(ADDRESS, max_size=2))),
            draw(st.none() | WORD),
            draw(st.none() | WORD),
            draw(st.none() | WORD),
            draw(st.booleans()),
            draw(st.booleans()),
            draw(st.booleans()),
            draw(st.none() | banners()),
            draw(st.none() | st.integers(1, 5000)),
        )
        for name in draw(unique(WORD))
    )


@st.composite
def transform_sets(draw: st.DrawFn) -> tuple[TransformSet, ...]:
    found = []
    for name in draw(unique(WORD)):
        encryption = draw(st.none() | st.sampled_from(sorted(names.ESP_ENCRYPTION.values())))
        auth = draw(st.none() | st.sampled_from(sorted(names.ESP_AUTH.values())))
        ah = draw(st.none() | st.sampled_from(sorted(names.AH_AUTH.values())))
        if encryption is None and auth is None and ah is None:
            auth = names.HMAC_SHA
        length = draw(st.sampled_from(names.AES_KEY_LENGTHS)) if encryption == 12 else None
        mode = draw(st.sampled_from(["tunnel", "transport"]))
        found.append(TransformSet(name, encryption, length, auth, ah, mode))
    return tuple(found)


@st.composite
def map_entry(draw: st.DrawFn, map_name: str, seq: int, peers: bool) -> CryptoMapEntry:
    return CryptoMapEntry(
        map_name,
        seq,
        None,
        tuple(draw(st.lists(ADDRESS, max_size=2, unique=True))) if peers else (),
        tuple(draw(st.lists(WORD, max_size=3))),
        draw(st.none() | st.sampled_from(names.DH_GROUPS)),
        draw(st.none() | st.integers(120, 86400)),
        draw(st.none() | st.integers(2560, 536870912)),
        draw(st.none() | WORD | st.integers(100, 199).map(str)),
        draw(st.booleans()),
        draw(st.none() | TEXT.map(" ".join)),
    )


@st.composite
def dynamic_maps(draw: st.DrawFn) -> tuple[DynamicMap, ...]:
    found = []
    for name in draw(unique(WORD, 2)):
        seqs = sorted(draw(st.sets(st.integers(1, 65535), min_size=1, max_size=2)))
        found.append(DynamicMap(name, tuple(draw(map_entry(name, s, True)) for s in seqs)))
    return tuple(found)


@st.composite
def crypto_maps(draw: st.DrawFn) -> tuple[CryptoMap, ...]:
    found = []
    for name in draw(unique(WORD, 2)):
        entries = []
        for seq in sorted(draw(st.sets(st.integers(1, 65535), min_size=1, max_size=3))):
            if draw(st.booleans()):
                entries.append(CryptoMapEntry(name, seq, dynamic_map=draw(WORD)))
            else:
                entries.append(draw(map_entry(name, seq, True)))
        found.append(
            CryptoMap(
                name,
                tuple(entries),
                draw(st.none() | WORD),
                draw(st.none() | WORD),
                draw(st.booleans()),
                draw(st.booleans()),
                draw(st.none() | st.sampled_from(["Loopback0", "Ethernet0/0"])),
            )
        )
    return tuple(found)


INTERFACE_OTHER = ["half-duplex", "no keepalive", "ip nat outside", "speed 100", "no cdp enable",
                   "ip mtu 1400", "duplex full", "ip virtual-reassembly"]  # fmt: skip


@st.composite
def interfaces(draw: st.DrawFn) -> tuple[Interface, ...]:
    found = []
    kinds = ["Ethernet", "FastEthernet", "Serial", "Loopback", "Tunnel", "Dialer"]
    names_seen: set[str] = set()
    for kind, number in draw(st.lists(st.tuples(st.sampled_from(kinds), st.integers(0, 9)))):
        name = (
            f"{kind}{number}" if kind in ("Loopback", "Tunnel", "Dialer") else f"{kind}0/{number}"
        )
        if name in names_seen:
            continue
        names_seen.add(name)
        dhcp = draw(st.booleans())
        address = None if dhcp else draw(st.none() | interface_addresses())
        secondary = (
            () if dhcp else tuple(draw(st.lists(interface_addresses(), max_size=2, unique=True)))
        )
        found.append(
            Interface(
                name,
                draw(st.none() | TEXT.map(" ".join)),
                address,
                secondary,
                dhcp,
                draw(st.booleans()),
                draw(st.none() | WORD),
                tuple(draw(st.lists(st.sampled_from(INTERFACE_OTHER), max_size=3))),
            )
        )
    return tuple(found)


@st.composite
def interface_addresses(draw: st.DrawFn) -> IPv4Interface:
    return IPv4Interface(f"{draw(ADDRESS)}/{draw(st.integers(0, 32))}")


@st.composite
def routes(draw: st.DrawFn) -> tuple[StaticRoute, ...]:
    found = []
    for network in draw(st.lists(networks(), max_size=3)):
        interface = draw(st.none() | st.sampled_from(["Dialer0", "Ethernet0/1", "Null0"]))
        next_hop = draw(ADDRESS) if interface is None else draw(st.none() | ADDRESS)
        found.append(
            StaticRoute(
                network,
                next_hop,
                interface,
                draw(st.integers(1, 255)),
                draw(st.none() | WORD),
                draw(st.booleans()),
                draw(st.none() | st.integers(1, 4294967295)),
            )
        )
    return tuple(found)


@st.composite
def pools(draw: st.DrawFn) -> tuple[LocalPool, ...]:
    found = []
    for name, a, b in draw(st.lists(st.tuples(WORD, ADDRESS, ADDRESS), max_size=3)):
        found.append(LocalPool(name, min(a, b), max(a, b)))
    return tuple(found)


ADDRESS_MATCH = st.one_of(
    st.just(AddressMatch.any()),
    ADDRESS.map(AddressMatch.host),
    st.builds(AddressMatch, ADDRESS, WILDCARD_ADDRESS),
)


@st.composite
def port_matches(draw: st.DrawFn) -> PortMatch | None:
    op = draw(st.sampled_from([None, "eq", "neq", "lt", "gt", "range"]))
    if op is None:
        return None
    if op == "range":
        low, high = sorted(draw(st.tuples(st.integers(0, 65535), st.integers(0, 65535))))
        return PortMatch(op, (low, high))
    size = 3 if op in ("eq", "neq") else 1
    return PortMatch(op, tuple(draw(st.lists(st.integers(0, 65535), min_size=1, max_size=size))))


@st.composite
def acl_entries(draw: st.DrawFn, standard: bool) -> AclEntry | AclRemark:
    action = draw(st.sampled_from(["permit", "deny", "remark"]))
    if action == "remark":
        return AclRemark(" ".join(draw(TEXT)))
    if standard:
        options = ("log",) if draw(st.booleans()) else ()
        return AclEntry(action, 0, draw(ADDRESS_MATCH), options=options)
    protocol = draw(st.sampled_from([0, 1, 6, 17, 47, 50, 51]) | st.integers(0, 255))
    ported = protocol in (6, 17)
    icmp_type = draw(st.none() | st.integers(0, 255)) if protocol == 1 else None
    icmp_code = draw(st.none() | st.integers(0, 255)) if icmp_type is not None else None
    options = [o for o in ("established", "log", "fragments") if draw(st.booleans())]
    if protocol != 6 and "established" in options:
        options.remove("established")
    if draw(st.booleans()):
        options.append(f"dscp {draw(st.integers(0, 63))}")
    return AclEntry(
        action,
        protocol,
        draw(ADDRESS_MATCH),
        draw(ADDRESS_MATCH),
        draw(port_matches()) if ported else None,
        draw(port_matches()) if ported else None,
        icmp_type,
        icmp_code,
        tuple(options),
    )


@st.composite
def access_lists(draw: st.DrawFn) -> tuple[AccessList, ...]:
    found = []
    numbers = draw(st.sets(st.sampled_from([1, 99, 100, 150, 199, 1300, 1999, 2000, 2699])))
    for number in sorted(numbers):
        standard = number < 100 or 1300 <= number <= 1999
        entries = draw(st.lists(acl_entries(standard), min_size=1, max_size=3))
        found.append(AccessList(str(number), standard, tuple(entries)))
    for name in draw(unique(WORD, 2)):
        standard = draw(st.booleans())
        entries = draw(st.lists(acl_entries(standard), max_size=3))
        found.append(AccessList(name.upper(), standard, tuple(entries)))
    return tuple(found)


@st.composite
def users(draw: st.DrawFn) -> tuple[User, ...]:
    found = []
    for name in draw(unique(WORD)):
        privilege = draw(st.integers(0, 15))
        kind = draw(st.sampled_from(["0", "7", "5", "none"]))
        if kind == "none":
            found.append(User(name, None, privilege=privilege, nopassword=True))
        elif kind == "0":
            found.append(User(name, draw(SECRET), 0, None, privilege, draw(st.booleans())))
        elif kind == "7":
            plain = draw(SECRET)
            encoded = type7.encode(plain, draw(st.integers(0, 15)))
            found.append(User(name, plain, 7, encoded, privilege))
        else:
            found.append(User(name, None, 5, "$1$" + draw(SECRET), privilege, True))
    return tuple(found)


@st.composite
def aaa(draw: st.DrawFn) -> tuple[bool, tuple[AaaMethodList, ...]]:
    new_model = draw(st.booleans())
    if not new_model:
        return (False, ())
    services = ["authentication login", "authentication ppp", "authorization network",
                "authorization exec"]  # fmt: skip
    lists: dict[tuple[str, str], AaaMethodList] = {}
    for service, name in draw(st.lists(st.tuples(st.sampled_from(services), WORD), max_size=3)):
        methods = draw(
            st.lists(
                st.sampled_from(["local", "none", "enable", "local-case"])
                | WORD.map(lambda w: f"group {w}"),
                min_size=1,
                max_size=4,
            )
        )
        lists[(service, name)] = AaaMethodList(service, name, tuple(methods))
    return (True, tuple(lists.values()))


UNMODELED = [
    UnmodeledCommand("service timestamps log uptime"),
    UnmodeledCommand("logging buffered 4096"),
    UnmodeledCommand("ip subnet-zero"),
    UnmodeledCommand("crypto pki trustpoint TP", ("enrollment selfsigned",)),
    UnmodeledCommand("fax interface-type fax-mail"),
    UnmodeledCommand("router ospf 1", ("network 10.0.0.0 0.0.0.255 area 0",)),
    UnmodeledCommand("ip classless"),
    UnmodeledCommand("ip http server"),
    UnmodeledCommand("ip nat inside source list 1 interface Ethernet0/0 overload"),
    UnmodeledCommand("snmp-server community foobar RO"),
    UnmodeledCommand("banner motd ^C\nAuthorized use only\n!\n^C"),
    UnmodeledCommand("line vty 0 4", ("login", "transport input ssh")),
    UnmodeledCommand("ntp server 10.0.0.1"),
]


@st.composite
def configs(draw: st.DrawFn) -> RunningConfig:
    new_model, aaa_lists = draw(aaa())
    unmodeled = draw(st.lists(st.sampled_from(UNMODELED), max_size=5))
    keepalive = draw(
        st.none()
        | st.builds(IsakmpKeepalive, st.integers(10, 3600), st.integers(2, 60), st.booleans())
    )
    return RunningConfig(
        hostname=draw(HOSTNAME),
        version=draw(st.none() | st.sampled_from(["12.2", "12.4", "15.1"])),
        service_password_encryption=draw(st.booleans()),
        aaa_new_model=new_model,
        aaa_lists=aaa_lists,
        users=draw(users()),
        isakmp_policies=draw(policies()),
        isakmp_keys=draw(keys()),
        isakmp_hostname_keys=draw(hostname_keys()),
        isakmp_keepalive=keepalive,
        isakmp_nat_keepalive=draw(st.none() | st.integers(5, 3600)),
        client_groups=draw(client_groups()),
        ipsec_lifetime_seconds=draw(st.integers(120, 86400)),
        ipsec_lifetime_kilobytes=draw(st.integers(2560, 536870912)),
        transform_sets=draw(transform_sets()),
        dynamic_maps=draw(dynamic_maps()),
        crypto_maps=draw(crypto_maps()),
        interfaces=draw(interfaces()),
        local_pools=draw(pools()),
        static_routes=draw(routes()),
        access_lists=draw(access_lists()),
        unmodeled=tuple(sorted(unmodeled, key=lambda u: slot_of(u.text))),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_random_models_render_and_parse_back_equal(config: RunningConfig) -> None:
    text = render(config)
    result = parse(text)
    # The model may name objects it does not define (a random transform set name): those are
    # reported, like on a router, and are the only errors allowed.
    assert all(e.kind is ErrorKind.REFERENCE for e in result.errors), result.formatted_errors()
    assert result.config == config
    assert render(result.config) == text
