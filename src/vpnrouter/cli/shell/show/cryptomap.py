"""``show crypto map [tag NAME]``: the crypto map entries of the running configuration.

Everything comes from the configuration except ``Current peer`` (the peer of the newest SA
the entry has, else its first ``set peer``). 15.x adds the ``Crypto Map: "NAME" idb:``
header per interface, ``IPv4`` in the entry line, ``Responder-Only``, ``Mixed-mode`` and the
transform sets spelled out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vpnrouter.cli.shell.show.common import Dialect, ShowResult, config_of, lines_text
from vpnrouter.cli.shell.snapshot import Snapshot
from vpnrouter.config import CryptoMap, CryptoMapEntry, RunningConfig
from vpnrouter.config.render_parts import acl_entry_text

TAB = " " * 8


def _current_peer(snap: Snapshot, entry: CryptoMapEntry) -> str | None:
    peers = [f.peer for f in snap.ipsec if f.map_name == entry.map_name and f.map_seq == entry.seq]
    if peers:
        return peers[-1]
    return str(entry.peers[0]) if entry.peers else None


def _acl_lines(config: RunningConfig, name: str) -> list[str]:
    acl = config.acl(name)
    if acl is None:
        return [f"{TAB}Extended IP access list {name} (undefined)"]
    kind = "Standard" if acl.standard else "Extended"
    lines = [f"{TAB}{kind} IP access list {acl.name}"]
    for rule in acl.rules:
        lines.append(f"{TAB}    access-list {acl.name} {acl_entry_text(rule, acl.standard)}")
    return lines


def _transform_lines(config: RunningConfig, entry: CryptoMapEntry, legacy: bool) -> list[str]:
    if legacy:
        names = "".join(f"{name}, " for name in entry.transform_sets)
        return [f"{TAB}Transform sets={{ {names}}}"]
    lines = [f"{TAB}Transform sets={{ "]
    for name in entry.transform_sets:
        tset = config.transform_set(name)
        words = " ".join(tset.transforms) if tset else "(undefined)"
        lines.append(f"{TAB}{TAB}{name}:  {{ {words}  }} , ")
    return [*lines, f"{TAB}}}"]


def _entry_lines(
    snap: Snapshot, config: RunningConfig, entry: CryptoMapEntry, legacy: bool
) -> list[str]:
    family = "" if legacy else "IPv4 "
    lines = [f'Crypto Map {family}"{entry.map_name}" {entry.seq} ipsec-isakmp']
    if entry.is_dynamic:
        return [*lines, f"{TAB}Dynamic map template tag: {entry.dynamic_map}"]
    if entry.description:
        lines.append(f"{TAB}Description: {entry.description}")
    lines += [f"{TAB}Peer = {peer}" for peer in entry.peers]
    if entry.match_address is not None:
        lines += _acl_lines(config, entry.match_address)
    else:
        lines.append(f"{TAB}No matching address list set.")
    current = _current_peer(snap, entry)
    if current is not None:
        lines.append(f"{TAB}Current peer: {current}")
    seconds, kilobytes = config.sa_lifetime(entry)
    lines.append(f"{TAB}Security association lifetime: {kilobytes} kilobytes/{seconds} seconds")
    if not legacy:
        lines.append(f"{TAB}Responder-Only (Y/N): N")
    lines.append(f"{TAB}PFS (Y/N): {'Y' if entry.pfs_group else 'N'}")
    if entry.pfs_group:
        lines.append(f"{TAB}DH group:  group{entry.pfs_group}")
    if not legacy:
        lines.append(f"{TAB}Mixed-mode : Disabled")
    lines += _transform_lines(config, entry, legacy)
    if entry.reverse_route:
        lines.append(f"{TAB}Reverse Route Injection Enabled")
    return lines


def _interfaces(config: RunningConfig, name: str) -> list[str]:
    return [i.name for i in config.crypto_interfaces() if i.crypto_map == name]


def _map_lines(snap: Snapshot, config: RunningConfig, cmap: CryptoMap, legacy: bool) -> list[str]:
    lines: list[str] = []
    interfaces = _interfaces(config, cmap.name)
    if not legacy:
        for name in interfaces:
            interface = config.interface(name)
            address = interface.address.ip if interface and interface.address else "(none)"
            lines += [f'Crypto Map: "{cmap.name}" idb: {name} local address: {address}', ""]
    for entry in cmap.entries:
        lines += _entry_lines(snap, config, entry, legacy)
        lines.append(f"{TAB}Interfaces using crypto map {cmap.name}:")
        lines += [f"{TAB}{TAB}{name}" for name in interfaces]
        lines.append("")
    return lines


def _entry_json(snap: Snapshot, config: RunningConfig, entry: CryptoMapEntry) -> dict[str, Any]:
    seconds, kilobytes = config.sa_lifetime(entry)
    acl = config.acl(entry.match_address) if entry.match_address else None
    return {
        "map": entry.map_name,
        "seq": entry.seq,
        "dynamic_map": entry.dynamic_map,
        "peers": [str(p) for p in entry.peers],
        "current_peer": _current_peer(snap, entry),
        "match_address": entry.match_address,
        "acl": [acl_entry_text(r, acl.standard) for r in acl.rules] if acl else [],
        "transform_sets": list(entry.transform_sets),
        "pfs_group": entry.pfs_group,
        "lifetime_seconds": seconds,
        "lifetime_kilobytes": kilobytes,
        "interfaces": _interfaces(config, entry.map_name),
    }


def show_crypto_map(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    config = config_of(snap)
    maps = [m for m in config.crypto_maps if values.get("tag", m.name) == m.name]
    lines: list[str] = []
    for cmap in maps:
        lines += _map_lines(snap, config, cmap, dialect.legacy)
    data = {"crypto_maps": [_entry_json(snap, config, e) for m in maps for e in m.entries]}
    return ShowResult(lines_text(lines), data)
