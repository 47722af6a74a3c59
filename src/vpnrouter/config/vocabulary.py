"""Commands vpnrouter keeps and re-emits but does not act on, and where IOS prints them.

A configuration captured from a router is full of commands that have nothing to do with IPsec
(``snmp-server community ...``, ``line vty 0 4``, ``call rsvp-sync``). They must load without an
error, so we know their first words; a word we do not know is a typo and gets the IOS error.

Public API:

- ``Slot``: the section of ``show running-config`` an unmodeled command is printed in.
- ``MODELED_WORDS`` / ``unmodeled_first_words()``: the first words of global commands.
- ``slot_of(text) -> Slot``: where the renderer places an unmodeled global command.
- ``opens_submode(words) -> bool``: whether a command enters a sub-mode whose lines belong to it
  (``line con 0``, ``dial-peer cor custom``, ``crypto pki trustpoint X`` ...).
- ``INTERFACE_WORDS`` / ``INTERFACE_IP_WORDS``: interface sub-commands kept as ``other``.
- ``IP_WORDS``: second words of ``ip ...`` global commands that are kept, not acted on.
"""

from __future__ import annotations

import enum


class Slot(enum.IntEnum):
    SERVICE = 10
    BOOT = 20
    AAA = 30
    IP_GLOBAL = 40
    CRYPTO = 45
    PRE_INTERFACE = 50
    ROUTING = 60
    IP_CLASSLESS = 70
    IP_POST = 80
    MISC = 90
    LINE = 100
    TAIL = 110


# Global commands we model; `parser_global` dispatches on these.
MODELED_WORDS = (
    "hostname",
    "version",
    "service",
    "aaa",
    "username",
    "crypto",
    "interface",
    "ip",
    "access-list",
    "no",
    "end",
)

_FIRST_WORDS: dict[str, Slot] = {
    "boot": Slot.BOOT,
    "logging": Slot.BOOT,
    "enable": Slot.BOOT,
    "clock": Slot.BOOT,
    "security": Slot.BOOT,
    "memory-size": Slot.BOOT,
    "card": Slot.BOOT,
    "network-clock-participate": Slot.BOOT,
    "license": Slot.BOOT,
    "redundancy": Slot.BOOT,
    "resource": Slot.BOOT,
    "password": Slot.BOOT,
    "fax": Slot.PRE_INTERFACE,
    "mta": Slot.PRE_INTERFACE,
    "voice": Slot.PRE_INTERFACE,
    "voice-card": Slot.PRE_INTERFACE,
    "vpdn": Slot.PRE_INTERFACE,
    "vpdn-group": Slot.PRE_INTERFACE,
    "isdn": Slot.PRE_INTERFACE,
    "x25": Slot.PRE_INTERFACE,
    "controller": Slot.PRE_INTERFACE,
    "multilink": Slot.PRE_INTERFACE,
    "chat-script": Slot.PRE_INTERFACE,
    "archive": Slot.PRE_INTERFACE,
    "spanning-tree": Slot.PRE_INTERFACE,
    "vtp": Slot.PRE_INTERFACE,
    "vlan": Slot.PRE_INTERFACE,
    "class-map": Slot.PRE_INTERFACE,
    "policy-map": Slot.PRE_INTERFACE,
    "track": Slot.PRE_INTERFACE,
    "object-group": Slot.PRE_INTERFACE,
    "zone": Slot.PRE_INTERFACE,
    "zone-pair": Slot.PRE_INTERFACE,
    "parameter-map": Slot.PRE_INTERFACE,
    "vrf": Slot.PRE_INTERFACE,
    "router": Slot.ROUTING,
    "ipv6": Slot.IP_POST,
    "route-map": Slot.MISC,
    "key": Slot.MISC,
    "snmp-server": Slot.MISC,
    "snmp": Slot.MISC,
    "call": Slot.MISC,
    "mgcp": Slot.MISC,
    "dial-peer": Slot.MISC,
    "voice-port": Slot.MISC,
    "tftp-server": Slot.MISC,
    "rmon": Slot.MISC,
    "alias": Slot.MISC,
    "privilege": Slot.MISC,
    "banner": Slot.MISC,
    "control-plane": Slot.MISC,
    "gatekeeper": Slot.MISC,
    "telephony-service": Slot.MISC,
    "ephone": Slot.MISC,
    "ephone-dn": Slot.MISC,
    "sccp": Slot.MISC,
    "application": Slot.MISC,
    "cdp": Slot.MISC,
    "lldp": Slot.MISC,
    "exception": Slot.MISC,
    "errdisable": Slot.MISC,
    "mac-address-table": Slot.MISC,
    "file": Slot.MISC,
    "radius-server": Slot.MISC,
    "tacacs-server": Slot.MISC,
    "dialer-list": Slot.MISC,
    "line": Slot.LINE,
    "ntp": Slot.TAIL,
    "scheduler": Slot.TAIL,
    "webvpn": Slot.TAIL,
    "process-max-time": Slot.TAIL,
}

IP_WORDS: dict[str, Slot] = {
    "subnet-zero": Slot.IP_GLOBAL,
    "cef": Slot.IP_GLOBAL,
    "audit": Slot.IP_GLOBAL,
    "domain": Slot.IP_GLOBAL,
    "domain-name": Slot.IP_GLOBAL,
    "domain-lookup": Slot.IP_GLOBAL,
    "name-server": Slot.IP_GLOBAL,
    "host": Slot.IP_GLOBAL,
    "dhcp": Slot.IP_GLOBAL,
    "ssh": Slot.IP_GLOBAL,
    "multicast-routing": Slot.IP_GLOBAL,
    "source-route": Slot.IP_GLOBAL,
    "finger": Slot.IP_GLOBAL,
    "bootp": Slot.IP_GLOBAL,
    "tcp": Slot.IP_GLOBAL,
    "ftp": Slot.IP_GLOBAL,
    "tftp": Slot.IP_GLOBAL,
    "rcmd": Slot.IP_GLOBAL,
    "options": Slot.IP_GLOBAL,
    "gratuitous-arps": Slot.IP_GLOBAL,
    "icmp": Slot.IP_GLOBAL,
    "vrf": Slot.IP_GLOBAL,
    "inspect": Slot.IP_GLOBAL,
    "ips": Slot.IP_GLOBAL,
    "sla": Slot.IP_GLOBAL,
    "wccp": Slot.IP_GLOBAL,
    "igmp": Slot.IP_GLOBAL,
    "telnet": Slot.IP_GLOBAL,
    "scp": Slot.IP_GLOBAL,
    "accounting-threshold": Slot.IP_GLOBAL,
    "auth-proxy": Slot.IP_GLOBAL,
    "admission": Slot.IP_GLOBAL,
    "classless": Slot.IP_CLASSLESS,
    "http": Slot.IP_POST,
    "pim": Slot.IP_POST,
    "nat": Slot.IP_POST,
    "forward-protocol": Slot.IP_POST,
    "default-gateway": Slot.IP_POST,
    "default-network": Slot.IP_POST,
    "routing": Slot.IP_POST,
    "mroute": Slot.IP_POST,
    "prefix-list": Slot.IP_POST,
    "as-path": Slot.IP_POST,
    "community-list": Slot.IP_POST,
    "bgp-community": Slot.IP_POST,
    "flow-export": Slot.IP_POST,
    "flow-cache": Slot.IP_POST,
    "radius": Slot.IP_POST,
    "tacacs": Slot.IP_POST,
}

# `crypto` commands that are accepted and listed as not acted on (certificates, engine knobs).
CRYPTO_WORDS = ("pki", "ca", "key", "engine", "logging", "keyring")
CRYPTO_ISAKMP_WORDS = (
    "ccm",
    "enable",
    "invalid-spi-recovery",
    "identity",
    "xauth",
    "aggressive-mode",
    "fragmentation",
    "profile",
    "peer",
)
CRYPTO_IPSEC_WORDS = (
    "nat-transparency",
    "df-bit",
    "fragmentation",
    "optional",
    "profile",
    "client",
)

# Crypto blocks of later IOS releases that change how IKE behaves; kept, but lint warns that
# vpnrouter ignores them.
CRYPTO_IGNORED_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("crypto", "keyring"),
    ("crypto", "isakmp", "profile"),
    ("crypto", "isakmp", "peer"),
    ("crypto", "ipsec", "profile"),
    ("crypto", "ipsec", "client"),
)

_OPENERS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("line",),
        ("dial-peer",),
        ("router",),
        ("control-plane",),
        ("voice-port",),
        ("controller",),
        ("class-map",),
        ("policy-map",),
        ("route-map",),
        ("archive",),
        ("redundancy",),
        ("track",),
        ("object-group",),
        ("zone",),
        ("zone-pair",),
        ("parameter-map",),
        ("gatekeeper",),
        ("telephony-service",),
        ("ephone",),
        ("ephone-dn",),
        ("sccp",),
        ("application",),
        ("webvpn",),
        ("vpdn-group",),
        ("key", "chain"),
        ("voice", "service"),
        ("voice", "class"),
        ("mgcp", "profile"),
        ("vrf", "definition"),
        ("ip", "dhcp", "pool"),
        ("ip", "vrf"),
        ("ip", "sla"),
        ("ipv6", "access-list"),
        ("ipv6", "router"),
        ("crypto", "pki"),
        ("crypto", "ca"),
        ("crypto", "key"),
        ("aaa", "group"),
        *CRYPTO_IGNORED_BLOCKS,
    }
)

# Interface sub-commands kept in `Interface.other`.
INTERFACE_WORDS = (
    "half-duplex",
    "full-duplex",
    "duplex",
    "speed",
    "keepalive",
    "bandwidth",
    "delay",
    "encapsulation",
    "clock",
    "mtu",
    "cdp",
    "load-interval",
    "tunnel",
    "ppp",
    "dialer",
    "dialer-group",
    "pvc",
    "dsl",
    "atm",
    "frame-relay",
    "standby",
    "vrrp",
    "service-policy",
    "fair-queue",
    "hold-queue",
    "ntp",
    "arp",
    "autodetect",
    "peer",
    "ipv6",
    "media-type",
    "mac-address",
    "switchport",
    "spanning-tree",
    "zone-member",
    "isdn",
    "nameif",
    "vrf",
    "qos",
    "priority-group",
    "custom-queue",
    "rate-limit",
    "traffic-shape",
    "crypto-engine",
    "snmp",
    "logging",
)
INTERFACE_IP_WORDS = (
    "nat",
    "mtu",
    "tcp",
    "route-cache",
    "mroute-cache",
    "directed-broadcast",
    "unreachables",
    "redirects",
    "proxy-arp",
    "access-group",
    "policy",
    "ospf",
    "virtual-reassembly",
    "helper-address",
    "pim",
    "igmp",
    "split-horizon",
    "summary-address",
    "verify",
    "flow",
    "inspect",
    "ips",
    "accounting",
    "load-sharing",
    "authentication",
    "hello-interval",
    "hold-time",
    "rip",
    "eigrp",
    "cgmp",
    "dhcp",
    "unnumbered",
    "vrf",
    "sap",
    "mask-reply",
    "local-proxy-arp",
    "admission",
    "auth-proxy",
    "bandwidth-percent",
    "multicast",
)


def unmodeled_first_words() -> tuple[str, ...]:
    return tuple(_FIRST_WORDS)


def is_unmodeled_first_word(word: str) -> bool:
    return word in _FIRST_WORDS


def slot_of(text: str) -> Slot:
    """The section of ``show running-config`` an unmodeled global command is printed in."""
    words = text.lower().split()
    if words and words[0] == "no":
        words = words[1:]
    if not words:
        return Slot.MISC
    first = words[0]
    if first == "service":
        return Slot.SERVICE
    if first == "aaa":
        return Slot.AAA
    if first == "crypto":
        return Slot.CRYPTO
    if first == "ip" and len(words) > 1:
        return IP_WORDS.get(words[1], Slot.IP_POST)
    return _FIRST_WORDS.get(first, Slot.MISC)


def opens_submode(words: tuple[str, ...]) -> bool:
    lowered = tuple(w.lower() for w in words)
    return any(lowered[: len(opener)] == opener for opener in _OPENERS)
