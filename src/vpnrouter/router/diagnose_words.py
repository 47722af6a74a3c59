"""Words and configuration references for ``show crypto isakmp diagnose``.

- ``ike_suite(encryption, key_length, hash, auth, group)`` -> ``"AES-256/SHA/group 14"`` (the
  authentication method only when it is not a pre-shared key, or ``with_auth``:
  ``"AES-256/SHA/pre-share/group 14"``);
  ``esp_suite(transform, key_length, auth)`` -> ``"esp-aes 256 esp-sha-hmac"``;
  ``selector_text(selector)`` -> ``"10.10.10.0/24 <-> 10.10.20.0/24"``; ``join([...])`` ->
  ``"3, 5 and 10"``.
- ``Refs(config)``: the ``ConfigRef`` of the model objects (their source line and the line's
  text as ``show running-config`` prints it, secrets masked) and the lookups a diagnosis needs:
  the pre-share policies, the key for a peer (by address, or by the name an aggressive-mode
  peer gave: ``crypto isakmp key ... hostname``), the crypto map entries naming a peer, their
  transform sets and crypto ACL lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address

from vpnrouter.cli.shell.snapshot import ConfigRef
from vpnrouter.config import names
from vpnrouter.config.model import (
    AccessList,
    AclEntry,
    ClientGroup,
    CryptoMap,
    CryptoMapEntry,
    IsakmpHostnameKey,
    IsakmpKey,
    IsakmpPolicy,
    RunningConfig,
    TransformSet,
)
from vpnrouter.config.render_parts import acl_entry_text, key_line, transform_set_lines
from vpnrouter.ike.policy import TrafficSelector

MASK = "*****"
AUTH_XAUTH_INIT_PSK = 65001

_ENCR = {names.ENCR_DES: "DES", names.ENCR_3DES: "3DES", names.ENCR_AES: "AES"}
_HASH = {
    names.HASH_MD5: "MD5",
    names.HASH_SHA: "SHA",
    names.HASH_SHA256: "SHA-256",
    names.HASH_SHA384: "SHA-384",
    names.HASH_SHA512: "SHA-512",
}
_AUTH = {
    names.AUTH_PSK: "pre-share",
    names.AUTH_RSA_SIG: "rsa-sig",
    2: "dss-sig",
    4: "rsa-encr",
    5: "rsa-encr-rev",
}
_ESP_ENCR = {number: word for word, number in names.ESP_ENCRYPTION.items()}
_ESP_AUTH = {number: word for word, number in names.ESP_AUTH.items()}


def join(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def ike_suite(
    encryption: int | None,
    key_length: int | None,
    hash_id: int | None,
    auth: int | None,
    group: int | None,
    *,
    with_auth: bool = False,
) -> str:
    cipher = _ENCR.get(encryption, f"cipher {encryption}") if encryption is not None else "?"
    if key_length is not None:
        cipher += f"-{key_length}"
    words = [cipher, _HASH.get(hash_id, f"hash {hash_id}") if hash_id is not None else "?"]
    if auth is not None and (with_auth or auth not in (names.AUTH_PSK, AUTH_XAUTH_INIT_PSK)):
        words.append(_AUTH.get(auth, f"auth {auth}"))
    words.append(f"group {group}" if group is not None else "no group")
    return "/".join(words)


def policy_suite(policy: IsakmpPolicy, *, with_auth: bool = False) -> str:
    key_length = policy.key_length if policy.encryption == names.ENCR_AES else None
    if policy.encryption == names.ENCR_AES and key_length is None:
        key_length = 128
    return ike_suite(policy.encryption, key_length, policy.hash, policy.authentication,
                     policy.group, with_auth=with_auth)  # fmt: skip


def esp_suite(transform: int | None, key_length: int | None, auth: int | None) -> str:
    if transform is None:
        return "?"
    words = [_ESP_ENCR.get(transform, f"esp transform {transform}")]
    if key_length not in (None, 128):
        words.append(str(key_length))
    if auth is not None:
        words.append(_ESP_AUTH.get(auth, f"esp auth {auth}"))
    return " ".join(words)


def selector_text(selector: TrafficSelector) -> str:
    text = f"{selector.local} <-> {selector.remote}"
    if selector.protocol:
        text += f" (protocol {selector.protocol})"
    return text


class Refs:
    """Configuration lines of one router, for the diagnoses."""

    def __init__(self, config: RunningConfig, crypto_map: CryptoMap | None) -> None:
        self.config = config
        self.crypto_map = crypto_map

    # -- line texts ------------------------------------------------------------------------------
    @staticmethod
    def policy(policy: IsakmpPolicy) -> ConfigRef:
        return ConfigRef(policy.line, f"crypto isakmp policy {policy.priority}")

    @staticmethod
    def key(key: IsakmpKey | IsakmpHostnameKey) -> ConfigRef:
        text = key_line(key).replace(f"key {key.key} ", f"key {MASK} ", 1)
        return ConfigRef(key.line, text)

    @staticmethod
    def entry(entry: CryptoMapEntry) -> ConfigRef:
        text = f"crypto map {entry.map_name} {entry.seq} ipsec-isakmp"
        if entry.dynamic_map is not None:
            text += f" dynamic {entry.dynamic_map}"
        return ConfigRef(entry.line, text)

    @staticmethod
    def transform_set(transform_set: TransformSet) -> ConfigRef:
        return ConfigRef(transform_set.line, transform_set_lines(transform_set)[0])

    @staticmethod
    def acl_line(acl: AccessList, rule: AclEntry) -> ConfigRef:
        prefix = f"access-list {acl.name} " if not acl.named else " "
        return ConfigRef(rule.line, prefix + acl_entry_text(rule, acl.standard))

    @staticmethod
    def group(group: ClientGroup) -> ConfigRef:
        return ConfigRef(group.line, f"crypto isakmp client configuration group {group.name}")

    # -- lookups ---------------------------------------------------------------------------------
    def pre_share_policies(self) -> list[IsakmpPolicy]:
        """The policies vpnrouter negotiates with (``authentication pre-share``)."""
        return [p for p in self.config.isakmp_policies if p.authentication == names.AUTH_PSK]

    def policies_by_priority(self, priorities: Iterable[int]) -> list[IsakmpPolicy]:
        wanted = set(priorities)
        return [p for p in self.config.isakmp_policies if p.priority in wanted]

    def key_for(self, peer: str) -> IsakmpKey | None:
        try:
            return self.config.isakmp_key_for(IPv4Address(peer))
        except ValueError:
            return None

    def hostname_key_for(self, peer_id: str) -> IsakmpHostnameKey | None:
        """The ``crypto isakmp key ... hostname`` key an aggressive-mode peer identifying as
        ``peer_id`` gets: only when no client group has that name (the group comes first)."""
        if not peer_id or self.config.client_group(peer_id) is not None:
            return None
        return self.config.isakmp_key_for_hostname(peer_id)

    def hostname_keys(self) -> tuple[IsakmpHostnameKey, ...]:
        return self.config.isakmp_hostname_keys

    def hostname_keys_text(self) -> str:
        """``vpn.example.net and branch.example.net``: the names of the hostname keys."""
        return join([k.hostname for k in self.hostname_keys()])

    def entries_for(self, peer: str) -> list[CryptoMapEntry]:
        """Static entries of the applied crypto map whose ``set peer`` names ``peer``."""
        if self.crypto_map is None:
            return []
        try:
            address = IPv4Address(peer)
        except ValueError:
            return []
        return [e for e in self.crypto_map.static_entries if address in e.peers]

    def dynamic_entries(self) -> list[CryptoMapEntry]:
        """The dynamic-map entries the applied crypto map refers to."""
        if self.crypto_map is None:
            return []
        found: list[CryptoMapEntry] = []
        for entry in self.crypto_map.dynamic_entries:
            dmap = self.config.dynamic_map(entry.dynamic_map or "")
            if dmap is not None:
                found.extend(dmap.entries)
        return found

    def transform_sets_of(self, entry: CryptoMapEntry) -> list[TransformSet]:
        found = (self.config.transform_set(name) for name in entry.transform_sets)
        return [t for t in found if t is not None]

    def acl_of(self, entry: CryptoMapEntry) -> AccessList | None:
        return self.config.acl(entry.match_address) if entry.match_address else None

    def acl_refs(self, entry: CryptoMapEntry) -> list[ConfigRef]:
        acl = self.acl_of(entry)
        if acl is None:
            return []
        return [self.acl_line(acl, rule) for rule in acl.permits]

    def acl_permits_text(self, entry: CryptoMapEntry) -> str:
        """``access-list 100 permits 10.10.10.0/24 -> 10.10.20.0/24``."""
        acl = self.acl_of(entry)
        if acl is None:
            return f"crypto map {entry.map_name} {entry.seq} has no crypto ACL"
        flows = [_flow_text(rule) for rule in acl.permits]
        return f"access-list {acl.name} permits {join(flows) or 'nothing'}"

    def group_of(self, name: str) -> ClientGroup | None:
        return self.config.client_group(name) if name else None


def _flow_text(rule: AclEntry) -> str:
    source = rule.source.network or rule.source.address
    destination = rule.destination.network if rule.destination is not None else None
    text = f"{source} -> {destination if destination is not None else 'any'}"
    if rule.protocol:
        text += f" (protocol {rule.protocol})"
    return text


def unique(refs: Iterable[ConfigRef]) -> tuple[ConfigRef, ...]:
    """By line number, each once (line 0: an object without a known source line, dropped)."""
    seen: dict[int, ConfigRef] = {}
    for ref in refs:
        if ref.line > 0 and ref.line not in seen:
            seen[ref.line] = ref
    return tuple(seen[line] for line in sorted(seen))
