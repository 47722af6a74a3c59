"""Print a ``RunningConfig`` the way ``show running-config`` does.

Public API: ``render(config, header=True) -> str``. With ``header`` the text starts with
``Building configuration...`` and ``Current configuration : N bytes`` like a capture from a
router. Sections come in IOS order with ``!`` between them, sub-mode lines are indented by one
space, defaults are not printed. ``parse(render(config)).config == config`` for every config
``parse`` produces (and for any model built in the same canonical order: see ``draft``).
"""

from __future__ import annotations

from collections.abc import Iterator

from vpnrouter.config.model import AccessList, AclRemark, CryptoMap, RunningConfig
from vpnrouter.config.render_parts import (
    acl_entry_text,
    entry_lines,
    group_lines,
    interface_lines,
    key_line,
    policy_lines,
    route_line,
    transform_set_lines,
    user_line,
)
from vpnrouter.config.vocabulary import Slot, slot_of


def render(config: RunningConfig, header: bool = True) -> str:
    body = "\n".join(_lines(config)) + "\n"
    if not header:
        return body
    return f"Building configuration...\n\nCurrent configuration : {len(body)} bytes\n" + body


def _unmodeled(config: RunningConfig, slot: Slot) -> Iterator[str]:
    for command in config.unmodeled:
        if slot_of(command.text) == slot:
            yield command.text
            yield from (f" {child}" for child in command.children)


def _lines(config: RunningConfig) -> Iterator[str]:
    yield "!"
    if config.version is not None:
        yield f"version {config.version}"
    yield from _unmodeled(config, Slot.SERVICE)
    prefix = "" if config.service_password_encryption else "no "
    yield f"{prefix}service password-encryption"
    yield "!"
    yield f"hostname {config.hostname}"
    yield "!"
    yield from _unmodeled(config, Slot.BOOT)
    yield from _aaa(config)
    yield from _unmodeled(config, Slot.IP_GLOBAL)
    yield "!"
    yield from _unmodeled(config, Slot.CRYPTO)
    yield from _isakmp(config)
    yield from _ipsec(config)
    yield from _unmodeled(config, Slot.PRE_INTERFACE)
    yield "!"
    for interface in config.interfaces:
        yield from interface_lines(interface)
        yield "!"
    yield from _unmodeled(config, Slot.ROUTING)
    for pool in config.local_pools:
        last = f" {pool.last}" if pool.last != pool.first else ""
        yield f"ip local pool {pool.name} {pool.first}{last}"
    yield from _unmodeled(config, Slot.IP_CLASSLESS)
    yield from (route_line(route) for route in config.static_routes)
    yield from _unmodeled(config, Slot.IP_POST)
    yield "!"
    for acl in config.access_lists:
        yield from _acl_lines(acl)
    yield "!"
    for slot in (Slot.MISC, Slot.LINE, Slot.TAIL):
        yield from _unmodeled(config, slot)
        yield "!"
    yield "end"


def _aaa(config: RunningConfig) -> Iterator[str]:
    if config.aaa_new_model:
        yield "aaa new-model"
        yield "!"
    for method_list in config.aaa_lists:
        methods = " ".join(method_list.methods)
        yield f"aaa {method_list.service} {method_list.name} {methods}"
    yield from _unmodeled(config, Slot.AAA)
    yield from (user_line(user) for user in config.users)


def _isakmp(config: RunningConfig) -> Iterator[str]:
    for policy in config.isakmp_policies:
        yield from policy_lines(policy)
        yield "!"
    yield from (key_line(key) for key in config.isakmp_keys)
    yield from (key_line(key) for key in config.isakmp_hostname_keys)
    keepalive = config.isakmp_keepalive
    if keepalive is not None:
        retry = f" {keepalive.retry}" if keepalive.retry != 2 else ""
        periodic = " periodic" if keepalive.periodic else ""
        yield f"crypto isakmp keepalive {keepalive.seconds}{retry}{periodic}"
    if config.isakmp_nat_keepalive is not None:
        yield f"crypto isakmp nat keepalive {config.isakmp_nat_keepalive}"
    yield "!"
    for group in config.client_groups:
        yield from group_lines(group)
        yield "!"


def _ipsec(config: RunningConfig) -> Iterator[str]:
    if config.ipsec_lifetime_seconds != 3600:
        yield f"crypto ipsec security-association lifetime seconds {config.ipsec_lifetime_seconds}"
    if config.ipsec_lifetime_kilobytes != 4608000:
        kilobytes = config.ipsec_lifetime_kilobytes
        yield f"crypto ipsec security-association lifetime kilobytes {kilobytes}"
    for transform_set in config.transform_sets:
        yield from transform_set_lines(transform_set)
    yield "!"
    for dynamic_map in config.dynamic_maps:
        for entry in dynamic_map.entries:
            yield f"crypto dynamic-map {dynamic_map.name} {entry.seq}"
            yield from entry_lines(entry)
        yield "!"
    for crypto_map in config.crypto_maps:
        yield from _crypto_map_lines(crypto_map)
        yield "!"


def _crypto_map_lines(cmap: CryptoMap) -> Iterator[str]:
    if cmap.local_address is not None:
        yield f"crypto map {cmap.name} local-address {cmap.local_address}"
    if cmap.client_authentication_list is not None:
        yield f"crypto map {cmap.name} client authentication list {cmap.client_authentication_list}"
    if cmap.isakmp_authorization_list is not None:
        yield f"crypto map {cmap.name} isakmp authorization list {cmap.isakmp_authorization_list}"
    if cmap.address_initiate:
        yield f"crypto map {cmap.name} client configuration address initiate"
    if cmap.address_respond:
        yield f"crypto map {cmap.name} client configuration address respond"
    for entry in cmap.entries:
        if entry.dynamic_map is not None:
            yield f"crypto map {cmap.name} {entry.seq} ipsec-isakmp dynamic {entry.dynamic_map}"
        else:
            yield f"crypto map {cmap.name} {entry.seq} ipsec-isakmp"
            yield from entry_lines(entry)


def _acl_lines(acl: AccessList) -> Iterator[str]:
    if acl.named:
        yield f"ip access-list {'standard' if acl.standard else 'extended'} {acl.name}"
        prefix = " "
    else:
        prefix = f"access-list {acl.name} "
    for entry in acl.entries:
        if isinstance(entry, AclRemark):
            yield f"{prefix}remark {entry.text}"
        else:
            yield prefix + acl_entry_text(entry, acl.standard)
