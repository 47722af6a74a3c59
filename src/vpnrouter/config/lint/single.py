"""Checks that need one configuration only.

Public API: ``check_config(result) -> list[Finding]``, ``error_findings(result)``, and the
individual checks (each takes the ``RunningConfig`` and the display file name):
``dynamic_entry_order``, ``xauth_on_lan_to_lan``, ``incomplete_entries``, ``unapplied_maps``,
``ignored_crypto``, ``remote_access``, ``weak_crypto``, ``aggressive_mode_psk``,
``hostname_keys``, ``backup_gateways``, ``plaintext_passwords``. ``dynamic_order_message``
and ``xauth_message`` are shared with the tunnel checks so a problem found both ways is
reported once.
"""

from __future__ import annotations

from collections.abc import Iterator

from vpnrouter.config import names, vocabulary
from vpnrouter.config.errors import format_error
from vpnrouter.config.lint.findings import Finding, Severity, display_name
from vpnrouter.config.model import CryptoMap, CryptoMapEntry, RunningConfig
from vpnrouter.config.model_crypto import MAX_BACKUP_GATEWAYS
from vpnrouter.config.parser import ParseResult


def check_config(result: ParseResult) -> list[Finding]:
    file = display_name(result)
    config = result.config
    findings = error_findings(result)
    for check in (
        dynamic_entry_order,
        xauth_on_lan_to_lan,
        incomplete_entries,
        unapplied_maps,
        ignored_crypto,
        remote_access,
        weak_crypto,
        aggressive_mode_psk,
        hostname_keys,
        backup_gateways,
        plaintext_passwords,
    ):
        findings.extend(check(config, file))
    return findings


def error_findings(result: ParseResult) -> list[Finding]:
    file = display_name(result)
    return [
        Finding(
            Severity.ERROR,
            error.code,
            file,
            error.line,
            error.message,
            format_error(error, file),
        )
        for error in result.errors
    ]


def _entry_name(entry: CryptoMapEntry) -> str:
    if entry.is_dynamic:
        return f"{entry.map_name} {entry.seq} (dynamic {entry.dynamic_map})"
    peers = ", ".join(str(p) for p in entry.peers) or "no peer"
    return f"{entry.map_name} {entry.seq} (peer {peers})"


def dynamic_entry_order(config: RunningConfig, file: str) -> Iterator[Finding]:
    """The seed's rule: a dynamic entry must have a higher sequence number than every static
    entry of the same crypto map."""
    for cmap in config.crypto_maps:
        for dynamic in cmap.dynamic_entries:
            later = [e for e in cmap.static_entries if e.seq > dynamic.seq]
            if later:
                yield Finding(
                    Severity.ERROR,
                    "dynamic-entry-order",
                    file,
                    dynamic.line,
                    dynamic_order_message(dynamic, later),
                )


def dynamic_order_message(dynamic: CryptoMapEntry, later: list[CryptoMapEntry]) -> str:
    statics = ", ".join(_entry_name(e) for e in later)
    return (
        f"crypto map {_entry_name(dynamic)} has a lower sequence number than static entry "
        f"{statics}: the dynamic entry accepts any peer and is tried first, so those static "
        "peers fail to connect. Give the dynamic entry the highest sequence number."
    )


def xauth_on_lan_to_lan(config: RunningConfig, file: str) -> Iterator[Finding]:
    """XAuth on a crypto map challenges every peer; LAN-to-LAN peers need ``no-xauth``."""
    for cmap in config.crypto_maps:
        if cmap.client_authentication_list is None:
            continue
        for entry in cmap.static_entries:
            for peer in entry.peers:
                key = config.isakmp_key_for(peer)
                if key is not None and not key.no_xauth:
                    yield Finding(
                        Severity.ERROR,
                        "xauth-l2l",
                        file,
                        key.line,
                        xauth_message(config, cmap, str(peer)),
                    )


def xauth_message(config: RunningConfig, cmap: CryptoMap, peer: str) -> str:
    return (
        f"{config.hostname} asks every peer of crypto map {cmap.name} for an XAuth user name "
        f"(client authentication list {cmap.client_authentication_list}), and the ISAKMP key "
        f"for LAN-to-LAN peer {peer} lacks no-xauth: that router cannot answer and the tunnel "
        f"fails. Add no-xauth to its crypto isakmp key command."
    )


def incomplete_entries(config: RunningConfig, file: str) -> Iterator[Finding]:
    for cmap in config.crypto_maps:
        for entry in cmap.static_entries:
            missing = [
                what
                for what, absent in (
                    ("peer (set peer)", not entry.peers),
                    ("access list (match address)", entry.match_address is None),
                    ("transform set (set transform-set)", not entry.transform_sets),
                )
                if absent
            ]
            if missing:
                yield Finding(
                    Severity.WARNING,
                    "incomplete-map-entry",
                    file,
                    entry.line,
                    f"crypto map {entry.map_name} {entry.seq} has no "
                    f"{' and no '.join(missing)}: IOS keeps it disabled and "
                    "it protects nothing.",
                )
    for dmap in config.dynamic_maps:
        for entry in dmap.entries:
            if not entry.transform_sets:
                yield Finding(
                    Severity.WARNING,
                    "incomplete-map-entry",
                    file,
                    entry.line,
                    f"crypto dynamic-map {dmap.name} {entry.seq} has no transform "
                    "set: every peer that reaches it fails phase 2.",
                )


def unapplied_maps(config: RunningConfig, file: str) -> Iterator[Finding]:
    applied = {i.crypto_map for i in config.interfaces}
    for cmap in config.crypto_maps:
        if cmap.name not in applied:
            yield Finding(
                Severity.WARNING,
                "map-not-applied",
                file,
                cmap.line,
                f"crypto map {cmap.name} is not applied to any interface "
                "(interface ... / crypto map NAME), so it protects nothing.",
            )


def ignored_crypto(config: RunningConfig, file: str) -> Iterator[Finding]:
    """Crypto blocks of later IOS releases that vpnrouter keeps but does not act on."""
    for command in config.unmodeled:
        words = tuple(command.text.lower().split())
        if any(words[: len(block)] == block for block in vocabulary.CRYPTO_IGNORED_BLOCKS):
            yield Finding(
                Severity.WARNING,
                "crypto-not-acted-on",
                file,
                command.line,
                f"vpnrouter does not act on '{command.text}' or its sub-commands: what it "
                "configures (keys, peers, profiles) is ignored, so IKE may behave differently "
                "than on a router.",
            )


def remote_access(config: RunningConfig, file: str) -> Iterator[Finding]:
    """VPN Client groups need group authorization and Mode Config on the crypto map."""
    if not config.client_groups:
        return
    maps = [m for m in config.crypto_maps if m.dynamic_entries]
    line = config.client_groups[0].line
    if not any(m.isakmp_authorization_list for m in maps):
        yield Finding(
            Severity.WARNING,
            "remote-access-authorization",
            file,
            line,
            "VPN Client groups are defined but no crypto map with a dynamic entry has "
            "'isakmp authorization list': the router cannot look the groups up and "
            "clients fail.",
        )
    pools = any(g.pool for g in config.client_groups)
    if pools and not any(m.address_respond for m in maps):
        yield Finding(
            Severity.WARNING,
            "remote-access-address",
            file,
            line,
            "Client groups hand out pool addresses but no crypto map has 'client "
            "configuration address respond': VPN Clients ask for their address and "
            "get no answer.",
        )


def weak_crypto(config: RunningConfig, file: str) -> Iterator[Finding]:
    for policy in config.isakmp_policies:
        where = f"ISAKMP policy {policy.priority}"
        yield from _weak_cipher(file, policy.line, where, policy.encryption, ike=True)
        if policy.hash == names.HASH_MD5:
            yield _advisory(
                "weak-md5",
                file,
                policy.line,
                f"{where} hashes with MD5, which is broken; use sha256 or better.",
            )
        yield from _weak_group(file, policy.line, where, policy.group)
    for tset in config.transform_sets:
        where = f"transform set {tset.name}"
        if tset.esp_encryption is not None:
            yield from _weak_cipher(file, tset.line, where, tset.esp_encryption, ike=False)
        if names.HMAC_MD5 in (tset.esp_auth, tset.ah_auth):
            yield _advisory(
                "weak-md5",
                file,
                tset.line,
                f"{where} authenticates packets with HMAC-MD5, which is deprecated; "
                "use esp-sha256-hmac or better.",
            )
    for entry in _all_entries(config):
        if entry.pfs_group is not None:
            where = f"crypto map {entry.map_name} {entry.seq} (set pfs)"
            yield from _weak_group(file, entry.line, where, entry.pfs_group)


def _all_entries(config: RunningConfig) -> Iterator[CryptoMapEntry]:
    for cmap in config.crypto_maps:
        yield from cmap.static_entries
    for dmap in config.dynamic_maps:
        yield from dmap.entries


def _weak_cipher(file: str, line: int, where: str, cipher: int, ike: bool) -> Iterator[Finding]:
    des = names.ENCR_DES if ike else names.ESP_DES
    triple = names.ENCR_3DES if ike else names.ESP_3DES
    default = " (the default when encr is not given)" if ike else ""
    if cipher == des:
        yield _advisory(
            "weak-des",
            file,
            line,
            f"{where} encrypts with DES{default}: a 56-bit key that can be brute-forced. Use AES.",
        )
    elif cipher == triple:
        yield _advisory(
            "weak-3des",
            file,
            line,
            f"{where} encrypts with 3DES, a 64-bit block cipher that is deprecated "
            "(Sweet32). Use AES.",
        )
    elif not ike and cipher == names.ESP_NULL:
        yield _advisory(
            "esp-null",
            file,
            line,
            f"{where} uses esp-null: the traffic is authenticated but not encrypted.",
        )


def _weak_group(file: str, line: int, where: str, group: int) -> Iterator[Finding]:
    bits = {1: 768, 2: 1024, 5: 1536}.get(group)
    if bits is not None:
        default = " (the default)" if group == 1 and "policy" in where else ""
        yield _advisory(
            "weak-dh-group",
            file,
            line,
            f"{where} uses Diffie-Hellman group {group}{default}, a {bits}-bit "
            "modulus too small for today; use group 14 or higher.",
        )


def aggressive_mode_psk(config: RunningConfig, file: str) -> Iterator[Finding]:
    for group in config.client_groups:
        if group.key is not None:
            yield _advisory(
                "aggressive-mode-psk",
                file,
                group.line,
                f"Client group {group.name} authenticates with a group pre-shared "
                "key in aggressive mode: anyone who sees one exchange can crack the "
                "key offline. Use a long random key, or certificates.",
            )


def hostname_keys(config: RunningConfig, file: str) -> Iterator[Finding]:
    """``crypto isakmp key ... hostname NAME`` serves aggressive mode only: in main mode the
    key is chosen by the peer's address before its identity arrives (RFC 2409 section 5.4),
    and this router initiates in main mode."""
    for key in config.isakmp_hostname_keys:
        yield _advisory(
            "hostname-key",
            file,
            key.line,
            f"The key for host name {key.hostname} is used only when a peer identifies "
            f"itself as {key.hostname} (ID_FQDN) in aggressive mode: a main-mode peer's key "
            "is looked up by its address, so it never gets this one, and aggressive mode "
            "exposes a hash of the key to offline guessing. Use a long random key.",
        )
    if not config.isakmp_hostname_keys:
        return
    for cmap in config.crypto_maps:
        for entry in cmap.static_entries:
            for peer in entry.peers:
                if config.isakmp_key_for(peer) is None:
                    yield Finding(
                        Severity.WARNING,
                        "peer-hostname-key-only",
                        file,
                        entry.line,
                        f"crypto map {entry.map_name} {entry.seq} peer {peer} has no key by "
                        f"address (crypto isakmp key KEY address {peer}): {config.hostname} "
                        "cannot start main mode with it; only the peer can bring the tunnel "
                        "up, in aggressive mode, identifying itself with a host name that "
                        "has a key here.",
                    )


def backup_gateways(config: RunningConfig, file: str) -> Iterator[Finding]:
    """``backup-gateway`` lines the clients cannot use: past the tenth (not sent), or an
    address of this router (a client whose gateway is silent would retry the same one)."""
    own = {
        str(address.ip): interface.name
        for interface in config.interfaces
        for address in (interface.address, *interface.secondary)
        if address is not None
    }
    for group in config.client_groups:
        servers = group.backup_gateways
        if len(servers) > MAX_BACKUP_GATEWAYS:
            dropped = ", ".join(servers[MAX_BACKUP_GATEWAYS:])
            yield Finding(
                Severity.WARNING,
                "backup-gateway-limit",
                file,
                group.line,
                f"Client group {group.name} lists {len(servers)} backup gateways: at most "
                f"{MAX_BACKUP_GATEWAYS} are sent to the clients, so {dropped} never reach them.",
            )
        for server in servers:
            if server in own:
                yield Finding(
                    Severity.WARNING,
                    "backup-gateway-self",
                    file,
                    group.line,
                    f"Client group {group.name} names {server} ({own[server]}, this router) "
                    "as a backup gateway: a client that cannot reach this router would try "
                    "it again instead of another gateway.",
                )


def plaintext_passwords(config: RunningConfig, file: str) -> Iterator[Finding]:
    if config.service_password_encryption:
        return
    for user in config.users:
        if user.password_type == 0 and user.password is not None:
            yield _advisory(
                "plaintext-passwords",
                file,
                user.line,
                f"username {user.name} has a type 0 (clear text) password and "
                "service password-encryption is off: it is readable in every copy "
                "of this configuration.",
            )


def _advisory(code: str, file: str, line: int, message: str) -> Finding:
    return Finding(Severity.ADVISORY, code, file, line, message)
