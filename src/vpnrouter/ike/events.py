"""Events the engine hands to its user through :meth:`IkeEngine.next_event`.

Keys are in :class:`EspKeys` (repr hides them): the data plane (``vpnrouter.esp``) builds its
SAs from :class:`ChildSaUp`. :class:`LogLine` carries the IOS-style messages; the router
filters them by facility like ``debug crypto isakmp`` / ``debug crypto ipsec``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network

from vpnrouter.ike.policy import Mode, TrafficSelector


class LogFacility(StrEnum):
    """Which IOS switch shows a line.

    ``LOG`` lines are syslog messages (``%CRYPTO-…``) shown always; the debug facilities map
    to ``debug crypto isakmp``/``ipsec``/``engine``; ``SECRETS`` (keys, SKEYIDs) is a level
    above everything else and off unless explicitly enabled.
    """

    LOG = "log"
    ISAKMP = "isakmp"
    IPSEC = "ipsec"
    ENGINE = "engine"
    SECRETS = "secrets"


@dataclass(frozen=True)
class LogLine:
    """One IOS-style log or debug line; ``severity`` is the syslog level (7 = debugging)."""

    facility: LogFacility
    text: str
    severity: int = 7


@dataclass(frozen=True)
class Phase1Algorithms:
    """The negotiated phase-1 suite (RFC 2409 appendix A numbers)."""

    encryption: int
    key_length: int | None
    hash: int
    auth: int
    group: int
    lifetime: int
    policy_priority: int


@dataclass(frozen=True)
class IkeSaUp:
    """An ISAKMP SA finished main mode (IOS state QM_IDLE)."""

    conn_id: int
    local: str
    peer: str
    peer_port: int
    local_port: int
    initiator: bool
    icookie: bytes
    rcookie: bytes
    algorithms: Phase1Algorithms
    nat_t: bool
    replaces: int | None = None  # conn-id of the SA this one rekeys


@dataclass(frozen=True)
class IkeSaDown:
    """An ISAKMP SA went away (deleted by either side, expired, or failed)."""

    conn_id: int
    local: str
    peer: str
    reason: str


@dataclass(frozen=True)
class EspKeys:
    """One direction of an ESP SA: SPI, algorithms (RFC 2407 numbers) and keys."""

    spi: int
    transform_id: int
    key_length: int | None  # bits (AES), None for fixed-size ciphers
    auth_alg: int | None  # RFC 2407 4.5 authentication algorithm, None = no integrity
    enc_key: bytes = field(repr=False)
    auth_key: bytes = field(repr=False)


@dataclass(frozen=True)
class UdpEncapsulation:
    """RFC 3948 ESP-in-UDP: ports on our side and the peer's (4500 or what a NAT mapped)."""

    local_port: int
    remote_port: int
    mode: int  # the encapsulation mode agreed: 3/4 (RFC 3947) or 61443/61444 (drafts)


@dataclass(frozen=True)
class InboundSaUp:
    """Quick mode responder: QM2 went out, so the peer may send on ``inbound`` from now on
    (RFC 2409 5.5: it has the keys once it has QM2, and its first packets on the new SPI may
    overtake QM3). Install it for decryption only; no traffic is sent on the pair and it is
    not an IPsec SA pair yet: :class:`ChildSaUp` with the same inbound SPI completes it
    (keep the installed SA, its counters and replay window), :class:`InboundSaDown` takes it
    back if QM3 never authenticates the initiator."""

    local: str
    peer: str
    inbound: EspKeys
    selector: TrafficSelector  # ours: local = our protected network
    encapsulation: UdpEncapsulation | None
    lifetime_seconds: int
    lifetime_kilobytes: int
    map_name: str
    map_seq: int


@dataclass(frozen=True)
class InboundSaDown:
    """Remove an inbound SA of :class:`InboundSaUp` whose quick mode failed."""

    local: str
    peer: str
    inbound_spi: int
    reason: str


@dataclass(frozen=True)
class ChildSaUp:
    """A pair of ESP SAs is ready: install ``inbound`` then start using ``outbound``.

    ``selector`` is from our side (``local`` = our protected network). ``replaces`` names the
    (inbound, outbound) SPIs of the pair this one rekeys; the old pair stays valid until its
    own :class:`ChildSaDown`. As quick mode responder the inbound SA may already be installed
    (:class:`InboundSaUp`, same SPI and keys).
    """

    local: str
    peer: str
    inbound: EspKeys
    outbound: EspKeys
    selector: TrafficSelector
    mode: Mode
    encapsulation: UdpEncapsulation | None
    lifetime_seconds: int
    lifetime_kilobytes: int
    map_name: str
    map_seq: int
    transform_names: str
    pfs_group: int | None
    ike_conn_id: int
    initiator: bool
    replaces: tuple[int, int] | None = None
    client_address: IPv4Address | None = None  # remote access: the client's pool address


@dataclass(frozen=True)
class ChildSaDown:
    """Remove this pair of ESP SAs from the data plane."""

    local: str
    peer: str
    inbound_spi: int
    outbound_spi: int
    reason: str


@dataclass(frozen=True)
class NegotiationFailed:
    """A phase-1 or phase-2 negotiation gave up (``notify``: the ISAKMP notify involved)."""

    peer: str
    phase: int
    reason: str
    notify: int | None = None
    map_name: str = ""
    map_seq: int = 0


# --- remote access (XAuth, Mode Config) ---------------------------------------------------


@dataclass(frozen=True)
class XauthRequested:
    """Client half: the gateway asks for credentials; answer with ``provide_xauth``.

    ``fields`` names what was asked, in the gateway's order: ``username``, ``password``,
    ``passcode``, ``answer``, ``next_pin``, ``domain``; ``message`` is the XAUTH-MESSAGE text
    (e.g. a retry prompt), empty when the gateway sent none.
    """

    conn_id: int
    peer: str
    fields: tuple[str, ...]
    message: str = ""


@dataclass(frozen=True)
class XauthSucceeded:
    """XAuth STATUS OK: sent (router) or received (client)."""

    conn_id: int
    peer: str
    username: str
    group: str = ""


@dataclass(frozen=True)
class XauthFailed:
    """Credentials refused. Router: ``attempts_left`` tries remain (0: the SA is deleted).
    Client: None when the gateway simply asks again, 0 when it sent STATUS FAIL."""

    conn_id: int
    peer: str
    attempts_left: int | None
    username: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ModeConfigReceived:
    """Client half: the gateway's Mode Config reply (draft-dukes-ike-mode-cfg, Cisco Unity).

    Quick mode follows for (``address`` <-> each ``split_include`` network), or for
    (``address`` <-> 0.0.0.0/0) when there is no split tunnelling.
    """

    conn_id: int
    peer: str
    address: IPv4Address | None
    netmask: IPv4Address | None = None
    dns: tuple[IPv4Address, ...] = ()
    nbns: tuple[IPv4Address, ...] = ()
    domain: str = ""
    banner: str = ""
    split_include: tuple[IPv4Network, ...] = ()
    split_dns: tuple[str, ...] = ()
    local_lan: tuple[IPv4Network, ...] = ()
    pfs: bool = False
    save_password: bool = False
    backup_servers: tuple[str, ...] = ()
    application_version: str = ""


@dataclass(frozen=True)
class ClientConnected:
    """Router: a client got its Mode Config (and pool ``address``)."""

    conn_id: int
    peer: str
    peer_port: int
    group: str
    username: str
    address: IPv4Address | None


@dataclass(frozen=True)
class ClientDisconnected:
    """Router: a client is gone (deleted, dead peer, expired): its pool address is free."""

    conn_id: int
    peer: str
    address: IPv4Address
    reason: str
    group: str = ""
    username: str = ""


Event = (
    IkeSaUp
    | IkeSaDown
    | InboundSaUp
    | InboundSaDown
    | ChildSaUp
    | ChildSaDown
    | NegotiationFailed
    | LogLine
    | XauthRequested
    | XauthSucceeded
    | XauthFailed
    | ModeConfigReceived
    | ClientConnected
    | ClientDisconnected
)
