"""The crypto part of the model: ISAKMP, client groups, transform sets, crypto maps.

Every algorithm is an IANA number (docs/CONTRACTS.md, constants in ``vpnrouter.config.names``)
and every IOS default is resolved, so the router reads values, never "unset".

Public API (frozen dataclasses; ``line`` is the source line, excluded from equality):

- ``IsakmpPolicy(priority, encryption=ENCR_DES, key_length=None, hash=HASH_SHA,
  authentication=AUTH_RSA_SIG, group=1, lifetime=86400)``; ``key_length`` is 128/192/256 for
  AES and None otherwise.
- ``IsakmpKey(key, address, mask=255.255.255.255, no_xauth=False)``; ``.network``,
  ``.covers(addr)``.
- ``IsakmpHostnameKey(key, hostname, no_xauth=False)``: ``crypto isakmp key KEY hostname
  NAME``, the key of a peer that identifies itself with ID_FQDN NAME (aggressive mode);
  ``.matches(fqdn)`` compares case-insensitively (DNS names, RFC 4343).
- ``IsakmpKeepalive(seconds, retry=2, periodic=False)``.
- ``ClientGroup(name, key, dns, wins, domain, pool, acl, save_password, include_local_lan, pfs,
  banner, max_users, backup_gateways)`` (``crypto isakmp client configuration group``; Mode
  Config and the group pre-shared key of aggressive mode). ``backup_gateways`` holds the
  ``backup-gateway`` lines in the order given (an address in dotted form, or a host name as
  typed; a repeated one is kept once); at most ``MAX_BACKUP_GATEWAYS`` reach the clients.
- ``TransformSet(name, esp_encryption, esp_key_length, esp_auth, ah_auth, mode="tunnel")``;
  ``.transforms`` gives the IOS words (``("esp-3des", "esp-md5-hmac")``), ``.proposal`` the tuple
  compared when two peers negotiate.
- ``CryptoMapEntry(map_name, seq, dynamic_map=None, peers=(), transform_sets=(),
  pfs_group=None, lifetime_seconds=None, lifetime_kilobytes=None, match_address=None,
  reverse_route=False, description=None)``. ``dynamic_map`` is set on ``crypto map NAME SEQ
  ipsec-isakmp dynamic DMAP`` entries; the lifetimes are None when the global ones apply.
- ``CryptoMap(name, entries, client_authentication_list, isakmp_authorization_list,
  address_respond, address_initiate, local_address)``: entries sorted by sequence number;
  ``.entry(seq)``, ``.static_entries``, ``.dynamic_entries``.
- ``DynamicMap(name, entries)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from vpnrouter.config import names

HOST_MASK = IPv4Address("255.255.255.255")
# ``backup-gateway`` (Cisco IOS 12.3(4)T Easy VPN Server): up to 10 lines a group, as the
# Cisco IOS Security Command Reference is quoted to us; its page was not found to read, so
# the limit is unconfirmed.
MAX_BACKUP_GATEWAYS = 10


@dataclass(frozen=True)
class IsakmpPolicy:
    priority: int
    encryption: int = names.ENCR_DES
    key_length: int | None = None
    hash: int = names.HASH_SHA
    authentication: int = names.AUTH_RSA_SIG
    group: int = 1
    lifetime: int = 86400
    line: int = field(default=0, compare=False)

    def describe(self) -> str:
        text = names.describe_ike(self.encryption, self.key_length, self.hash, self.authentication)
        return f"{text}, group {self.group}"


@dataclass(frozen=True)
class IsakmpKey:
    key: str
    address: IPv4Address
    mask: IPv4Address = HOST_MASK
    no_xauth: bool = False
    line: int = field(default=0, compare=False)

    @property
    def network(self) -> IPv4Network:
        return IPv4Network(f"{self.address}/{self.mask}", strict=False)

    def covers(self, address: IPv4Address) -> bool:
        return address in self.network


@dataclass(frozen=True)
class IsakmpHostnameKey:
    key: str
    hostname: str
    no_xauth: bool = False
    line: int = field(default=0, compare=False)

    def matches(self, fqdn: str) -> bool:
        return self.hostname.rstrip(".").lower() == fqdn.rstrip(".").lower()


@dataclass(frozen=True)
class IsakmpKeepalive:
    seconds: int
    retry: int = 2
    periodic: bool = False
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ClientGroup:
    name: str
    key: str | None = None
    dns: tuple[IPv4Address, ...] = ()
    wins: tuple[IPv4Address, ...] = ()
    domain: str | None = None
    pool: str | None = None
    acl: str | None = None
    save_password: bool = False
    include_local_lan: bool = False
    pfs: bool = False
    banner: str | None = None
    max_users: int | None = None
    backup_gateways: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class TransformSet:
    name: str
    esp_encryption: int | None = None
    esp_key_length: int | None = None
    esp_auth: int | None = None
    ah_auth: int | None = None
    mode: str = "tunnel"
    line: int = field(default=0, compare=False)

    @property
    def transforms(self) -> tuple[str, ...]:
        """The transform words as ``show running-config`` prints them."""
        words: list[str] = []
        if self.ah_auth is not None:
            words.append(names.keyword_for(names.AH_AUTH, self.ah_auth))
        if self.esp_encryption is not None:
            word = names.keyword_for(names.ESP_ENCRYPTION, self.esp_encryption)
            if self.esp_key_length not in (None, 128):
                word += f" {self.esp_key_length}"
            words.append(word)
        if self.esp_auth is not None:
            words.append(names.keyword_for(names.ESP_AUTH, self.esp_auth))
        return tuple(words)

    @property
    def proposal(self) -> tuple[int | None, int | None, int | None, int | None, str]:
        """What two peers compare in quick mode (the name is local and does not matter)."""
        return (self.esp_encryption, self.esp_key_length, self.esp_auth, self.ah_auth, self.mode)


@dataclass(frozen=True)
class CryptoMapEntry:
    map_name: str
    seq: int
    dynamic_map: str | None = None
    peers: tuple[IPv4Address, ...] = ()
    transform_sets: tuple[str, ...] = ()
    pfs_group: int | None = None
    lifetime_seconds: int | None = None
    lifetime_kilobytes: int | None = None
    match_address: str | None = None
    reverse_route: bool = False
    description: str | None = None
    line: int = field(default=0, compare=False)

    @property
    def is_dynamic(self) -> bool:
        """True for ``crypto map NAME SEQ ipsec-isakmp dynamic DMAP`` entries."""
        return self.dynamic_map is not None


@dataclass(frozen=True)
class CryptoMap:
    name: str
    entries: tuple[CryptoMapEntry, ...] = ()
    client_authentication_list: str | None = None
    isakmp_authorization_list: str | None = None
    address_respond: bool = False
    address_initiate: bool = False
    local_address: str | None = None
    line: int = field(default=0, compare=False)

    def entry(self, seq: int) -> CryptoMapEntry | None:
        return next((e for e in self.entries if e.seq == seq), None)

    @property
    def static_entries(self) -> tuple[CryptoMapEntry, ...]:
        return tuple(e for e in self.entries if not e.is_dynamic)

    @property
    def dynamic_entries(self) -> tuple[CryptoMapEntry, ...]:
        return tuple(e for e in self.entries if e.is_dynamic)


@dataclass(frozen=True)
class DynamicMap:
    name: str
    entries: tuple[CryptoMapEntry, ...] = ()
    line: int = field(default=0, compare=False)

    def entry(self, seq: int) -> CryptoMapEntry | None:
        return next((e for e in self.entries if e.seq == seq), None)
