"""Check that every object a command names is defined, once the whole text has been read.

Public API: ``check_references(config, references) -> list[ConfigError]``; the parser calls it.
Each error points at the name in the line that uses it. A crypto map peer needs an ISAKMP key
only when some ISAKMP policy authenticates with pre-shared keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address

from vpnrouter.config import names
from vpnrouter.config.draft import Reference
from vpnrouter.config.errors import ConfigError, ErrorKind
from vpnrouter.config.model import RunningConfig


def check_references(config: RunningConfig, references: Iterable[Reference]) -> list[ConfigError]:
    errors: list[ConfigError] = []
    for reference in references:
        message = _missing(config, reference)
        if message is not None:
            errors.append(
                ConfigError(
                    reference.line,
                    reference.column,
                    message,
                    ErrorKind.REFERENCE,
                    reference.source,
                )
            )
    return errors


def _missing(config: RunningConfig, ref: Reference) -> str | None:
    kind, name = ref.kind, ref.name
    if kind == "transform-set" and config.transform_set(name) is None:
        return f'ERROR: transform set with tag "{name}" does not exist.'
    if kind == "acl" and config.acl(name) is None:
        return f"% Access list {name} is not defined."
    if kind == "pool" and not config.pool(name):
        return f'% Address pool "{name}" (ip local pool) is not defined.'
    if kind == "dynamic-map" and config.dynamic_map(name) is None:
        return f'% Dynamic crypto map "{name}" is not defined.'
    if kind == "crypto-map" and config.crypto_map(name) is None:
        return f'% Crypto map "{name}" is not defined.'
    if kind.startswith("aaa ") and config.aaa_list(kind[4:], name) is None:
        return f'% AAA {kind[4:]} list "{name}" is not defined.'
    if kind == "peer-key" and _needs_key(config, IPv4Address(name)):
        return f"% No ISAKMP pre-shared key for peer {name} (crypto isakmp key ... address {name})."
    return None


def _needs_key(config: RunningConfig, peer: IPv4Address) -> bool:
    """No key at all for ``peer``: none by address, and no hostname key it could identify
    with (which name a peer uses is not in the configuration; lint points out that such a
    peer can only connect in aggressive mode)."""
    uses_psk = any(p.authentication == names.AUTH_PSK for p in config.isakmp_policies)
    by_name = bool(config.isakmp_hostname_keys)
    return uses_psk and not by_name and config.isakmp_key_for(peer) is None
