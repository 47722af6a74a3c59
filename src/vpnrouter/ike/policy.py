"""What the IKE engine is told to do: dataclasses the router builds from the IOS configuration.

The engine never imports ``vpnrouter.config``; ``vpnrouter.router`` translates the parsed
configuration into these objects (defaults already resolved the IOS way) and hands an
:class:`IkePolicy` to :class:`vpnrouter.ike.engine.IkeEngine`.

Algorithm fields are IANA numbers (docs/CONTRACTS.md "Numbers used across modules"):
RFC 2409 appendix A for phase 1, RFC 2407 section 4.4.4/4.5 for ESP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, ip_address
from typing import Final, Literal

from vpnrouter.ike.names import transform_set_text

# RFC 2409 appendix A, attribute 1 (encryption), 2 (hash), 3 (authentication method).
ENCR_DES: Final = 1
ENCR_3DES: Final = 5
ENCR_AES: Final = 7
HASH_MD5: Final = 1
HASH_SHA: Final = 2
HASH_SHA256: Final = 4
HASH_SHA384: Final = 5
HASH_SHA512: Final = 6
AUTH_PRE_SHARE: Final = 1
AUTH_RSA_SIG: Final = 3
# draft-beaulieu-ike-xauth-02 section 7.2: pre-shared key authentication followed by XAuth
# (the initiator, i.e. the client, is the one XAuth authenticates).
AUTH_XAUTH_INIT_PSK: Final = 65001
AUTH_XAUTH_RESP_PSK: Final = 65002

# RFC 2407 section 4.4.4 (ESP transform IDs) and 4.5 (authentication algorithm attribute).
ESP_DES: Final = 2
ESP_3DES: Final = 3
ESP_NULL: Final = 11
ESP_AES: Final = 12
ESP_AUTH_MD5: Final = 1
ESP_AUTH_SHA: Final = 2
ESP_AUTH_SHA256: Final = 5
ESP_AUTH_SHA384: Final = 6
ESP_AUTH_SHA512: Final = 7

# IOS defaults: "crypto isakmp policy" (DES, SHA, rsa-sig, group 1, 86400 s) and the global
# "crypto ipsec security-association lifetime" (3600 s, 4608000 kilobytes).
IOS_DEFAULT_LIFETIME: Final = 86400
IOS_IPSEC_LIFETIME_SECONDS: Final = 3600
IOS_IPSEC_LIFETIME_KILOBYTES: Final = 4608000
IOS_DEFAULT_SUITE_PRIORITY: Final = 65535

Mode = Literal["tunnel", "transport"]


@dataclass(frozen=True)
class IsakmpPolicy:
    """``crypto isakmp policy <priority>``, IOS defaults filled in."""

    priority: int
    encryption: int = ENCR_DES
    key_length: int | None = None  # bits; AES only ("encr aes 256"), IOS default 128
    hash: int = HASH_SHA
    auth: int = AUTH_RSA_SIG
    group: int = 1
    lifetime: int = IOS_DEFAULT_LIFETIME

    def effective_key_length(self) -> int | None:
        """AES without a length is AES-128 in IOS; DES/3DES carry no key length attribute."""
        if self.encryption == ENCR_AES:
            return self.key_length or 128
        return None


DEFAULT_PROTECTION_SUITE: Final = IsakmpPolicy(priority=IOS_DEFAULT_SUITE_PRIORITY)
"""IOS checks a peer's transforms against this suite after the configured policies."""


@dataclass(frozen=True)
class PreSharedKey:
    """``crypto isakmp key <key> address <address> [<mask>] [no-xauth]``."""

    key: str = field(repr=False)
    address: IPv4Network
    no_xauth: bool = False

    @property
    def secret(self) -> bytes:
        return self.key.encode()


@dataclass(frozen=True)
class HostnameKey:
    """``crypto isakmp key <key> hostname <name> [no-xauth]``: the key of a peer that
    identifies itself with ID_FQDN ``name`` (RFC 2407 section 4.6.2.1), which it can do only
    where the identity arrives before the key is needed: aggressive mode."""

    key: str = field(repr=False)
    hostname: str
    no_xauth: bool = False

    @property
    def secret(self) -> bytes:
        return self.key.encode()

    def matches(self, fqdn: str) -> bool:
        """DNS names compare without regard to case (RFC 4343), a final dot or not."""
        return self.hostname.rstrip(".").lower() == fqdn.rstrip(".").lower()


@dataclass(frozen=True)
class TrafficSelector:
    """One ``permit`` line of a crypto ACL, seen from this router.

    The ACL's source is ``local`` (our protected network) and its destination ``remote``;
    ``protocol`` 0 means any IP protocol and port 0 any port.
    """

    local: IPv4Network
    remote: IPv4Network
    protocol: int = 0
    local_port: int = 0
    remote_port: int = 0

    def mirror(self) -> TrafficSelector:
        """The same traffic seen from the peer (what its mirrored ACL line must say)."""
        return TrafficSelector(
            self.remote, self.local, self.protocol, self.remote_port, self.local_port
        )

    def contains(self, other: TrafficSelector) -> bool:
        """True when every packet ``other`` selects is also selected by this line."""
        return (
            other.local.subnet_of(self.local)
            and other.remote.subnet_of(self.remote)
            and self.protocol in (0, other.protocol)
            and self.local_port in (0, other.local_port)
            and self.remote_port in (0, other.remote_port)
        )

    def matches(self, flow: Flow) -> bool:
        """Does an outbound packet (``flow`` from local to remote) hit this line?"""
        return (
            ip_address(flow.src) in self.local
            and ip_address(flow.dst) in self.remote
            and self.protocol in (0, flow.protocol)
            and self.local_port in (0, flow.src_port)
            and self.remote_port in (0, flow.dst_port)
        )

    def ios_text(self) -> tuple[str, str]:
        """IOS ``addr/mask/prot/port`` strings for the local and remote side."""
        return (
            f"{self.local.network_address}/{self.local.netmask}/{self.protocol}/{self.local_port}",
            f"{self.remote.network_address}/{self.remote.netmask}/{self.protocol}/"
            f"{self.remote_port}",
        )


@dataclass(frozen=True)
class Flow:
    """The 5-tuple of the packet that triggered an acquire (``src`` is on our side)."""

    src: str
    dst: str
    protocol: int = 0
    src_port: int = 0
    dst_port: int = 0


@dataclass(frozen=True)
class TransformSet:
    """``crypto ipsec transform-set <name> <esp-cipher> [<esp-auth>]`` (ESP only)."""

    name: str
    esp_transform: int
    esp_key_length: int | None = None  # bits, AES only ("esp-aes 256"); IOS default 128
    esp_auth: int | None = None  # None: no ESP integrity
    mode: Mode = "tunnel"
    ios_names: str = ""  # e.g. "esp-3des esp-md5-hmac", for show/debug output

    def effective_key_length(self) -> int | None:
        if self.esp_transform == ESP_AES:
            return self.esp_key_length or 128
        return None

    def display(self) -> str:
        """``esp-3des esp-md5-hmac``: the router's text, else built from the numbers."""
        if self.ios_names:
            return self.ios_names
        return transform_set_text(self.esp_transform, self.effective_key_length(), self.esp_auth)


@dataclass(frozen=True)
class CryptoMapEntry:
    """One ``crypto map <name> <seq> ipsec-isakmp`` entry, or a dynamic-map entry.

    A dynamic entry (``dynamic=True``) stands at ``seq`` of the crypto map that references
    the dynamic map ``dynamic_map``/``dynamic_seq``; it accepts any peer, and any proxy
    identities when its ``acl`` is empty. Static entries need ``peers`` and ``acl``.
    """

    map_name: str
    seq: int
    peers: tuple[IPv4Address, ...] = ()
    transform_sets: tuple[TransformSet, ...] = ()
    acl: tuple[TrafficSelector, ...] = ()
    acl_name: str = ""
    pfs_group: int | None = None
    lifetime_seconds: int | None = None
    lifetime_kilobytes: int | None = None
    dynamic: bool = False
    dynamic_map: str = ""
    dynamic_seq: int = 0
    local_address: IPv4Address | None = None  # the interface the map is applied to


@dataclass(frozen=True)
class ClientGroup:
    """``crypto isakmp client configuration group NAME`` (remote access, Cisco Unity).

    ``key`` is the group's pre-shared key for aggressive mode (the client's ID is the group
    name). The rest is what Mode Config hands out: ``dns``/``wins`` servers, the default
    ``domain``, an address from ``pool``, split tunnelling from ``acl`` (the router turns the
    group's ACL into selectors; the *local* network of each ``permit`` line is a protected
    network the client tunnels to), ``banner``, ``save-password``, ``include-local-lan``,
    ``pfs``, ``backup-gateway`` and ``max-users``. ``netmask`` None answers a host mask.
    """

    name: str
    key: str = field(repr=False)
    dns: tuple[IPv4Address, ...] = ()
    wins: tuple[IPv4Address, ...] = ()
    domain: str = ""
    pool: str = ""
    acl: tuple[TrafficSelector, ...] = ()
    acl_name: str = ""
    netmask: IPv4Address | None = None
    banner: str = ""
    save_password: bool = False
    include_local_lan: bool = False
    pfs: bool = False
    backup_servers: tuple[str, ...] = ()
    split_dns: tuple[str, ...] = ()
    max_users: int | None = None

    @property
    def secret(self) -> bytes:
        return self.key.encode()


ClientAddressMode = Literal["respond", "initiate"]


@dataclass(frozen=True)
class ClientMapConfig:
    """The remote-access lines of one crypto map::

    crypto map NAME client authentication list LIST   -> authentication_list (XAuth)
    crypto map NAME isakmp authorization list LIST    -> authorization_list (group policy)
    crypto map NAME client configuration address respond|initiate  -> address
    """

    map_name: str
    authentication_list: str | None = None
    authorization_list: str | None = None
    address: ClientAddressMode | None = None


@dataclass(frozen=True)
class DpdPolicy:
    """``crypto isakmp keepalive SECONDS [RETRY] [periodic|on-demand]`` (RFC 3706).

    On demand (the IOS default) an R-U-THERE goes out when we sent traffic but heard
    nothing from the peer for ``interval`` seconds; ``periodic`` sends one whenever the peer
    was silent that long. Unanswered, it is repeated every ``retry`` seconds; after
    ``max_retries`` repeats the peer is declared dead and its SAs are deleted.
    """

    interval: int
    retry: int = 2
    periodic: bool = False
    max_retries: int = 5


@dataclass(frozen=True)
class RetransmitPolicy:
    """IOS-like retransmission: 5 retransmits, interval doubling from ``initial`` up to
    ``maximum``; a negotiation that got no answer after the last one is torn down."""

    initial: float = 2.0
    maximum: float = 16.0
    retries: int = 5

    def interval(self, attempt: int) -> float:
        """Seconds to wait after send number ``attempt`` (0 = the first transmission)."""
        return float(min(self.initial * (2**attempt), self.maximum))

    def total(self) -> float:
        """How long an unanswered negotiation lives in all."""
        return sum(self.interval(n) for n in range(self.retries + 1))


@dataclass(frozen=True)
class IkePolicy:
    """Everything the engine needs from the configuration."""

    isakmp_policies: tuple[IsakmpPolicy, ...] = ()
    preshared_keys: tuple[PreSharedKey, ...] = ()
    crypto_maps: tuple[CryptoMapEntry, ...] = ()
    ipsec_lifetime_seconds: int = IOS_IPSEC_LIFETIME_SECONDS
    ipsec_lifetime_kilobytes: int = IOS_IPSEC_LIFETIME_KILOBYTES
    nat_traversal: bool = True  # "no crypto ipsec nat-transparency udp-encaps" turns it off
    nat_keepalive: int | None = 20  # "crypto isakmp nat keepalive <s>"; None: never
    client_groups: tuple[ClientGroup, ...] = ()
    retransmit: RetransmitPolicy = field(default_factory=RetransmitPolicy)
    rekey_margin: float = 0.9  # renegotiate at this fraction of a lifetime (initiator side)
    failed_sa_linger: float = 300.0  # failed/deleted SAs stay visible this long (seconds)
    client_maps: tuple[ClientMapConfig, ...] = ()
    dpd: DpdPolicy | None = None  # "crypto isakmp keepalive"; None: only answer R-U-THERE
    xauth_attempts: int = 3  # XAuth tries a client gets before its SA is deleted
    application_version: str = "Cisco IOS Software (vpnrouter)"  # Mode Config answer
    hostname_keys: tuple[HostnameKey, ...] = ()  # aggressive mode peers with an ID_FQDN

    def policies_by_priority(self) -> tuple[IsakmpPolicy, ...]:
        """Configured policies, lowest priority number first (IOS order)."""
        return tuple(sorted(self.isakmp_policies, key=lambda p: p.priority))

    def find_key(self, peer: str | IPv4Address) -> PreSharedKey | None:
        """``crypto isakmp key`` lookup by peer address: the most specific match wins."""
        try:
            addr = IPv4Address(str(peer))
        except ValueError:
            return None
        best: PreSharedKey | None = None
        for psk in self.preshared_keys:
            if addr in psk.address and (
                best is None or psk.address.prefixlen > best.address.prefixlen
            ):
                best = psk
        return best

    def find_hostname_key(self, fqdn: str) -> HostnameKey | None:
        """``crypto isakmp key ... hostname`` lookup by the peer's ID_FQDN."""
        return next((k for k in self.hostname_keys if k.matches(fqdn)), None)

    def find_group(self, name: str) -> ClientGroup | None:
        """The client group whose name is ``name`` (IOS group names are case-sensitive)."""
        return next((g for g in self.client_groups if g.name == name), None)

    def client_map_for(self, local: str) -> ClientMapConfig | None:
        """The remote-access settings of the crypto map applied where ``local`` lives."""
        names = [
            e.map_name
            for e in self.crypto_maps
            if e.local_address is None or str(e.local_address) == local
        ]
        for name in names:
            found = next((c for c in self.client_maps if c.map_name == name), None)
            if found is not None:
                return found
        return self.client_maps[0] if self.client_maps and not names else None

    def entries_in_responder_order(self) -> tuple[CryptoMapEntry, ...]:
        """Static crypto map entries by map and sequence number, then dynamic entries."""
        return tuple(
            sorted(
                self.crypto_maps,
                key=lambda e: (e.dynamic, e.map_name, e.seq, e.dynamic_seq),
            )
        )
