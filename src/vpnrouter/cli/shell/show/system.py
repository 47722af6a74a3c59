"""``show version``, ``show running-config``, ``show ip local pool [NAME]``, ``show debugging``.

``show version`` has the IOS shape (software line, ROM line, ``HOST uptime is ...``, image,
interface counts) with our own product and version: it does not pretend to be Cisco IOS; the
config's ``version`` line shows as the dialect.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from vpnrouter.cli.shell.show.common import Dialect, ShowResult, lines_text
from vpnrouter.cli.shell.snapshot import LocalPool, Snapshot, to_jsonable

_INTERFACE_KINDS = {
    "Ethernet": "Ethernet/IEEE 802.3 interface(s)",
    "FastEthernet": "FastEthernet/IEEE 802.3 interface(s)",
    "GigabitEthernet": "Gigabit Ethernet interface(s)",
    "Serial": "Serial network interface(s)",
}


def uptime_words(seconds: float) -> str:
    """IOS: ``1 hour, 5 minutes``, ``2 weeks, 3 days, 1 hour, 0 minutes``."""
    total = max(0, int(seconds)) // 60
    parts: list[str] = []
    for unit, size in (("year", 525600), ("week", 10080), ("day", 1440), ("hour", 60)):
        count, total = divmod(total, size)
        if count or parts:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    parts.append(f"{total} minute{'' if total == 1 else 's'}")
    return ", ".join(parts)


def _interface_counts(snap: Snapshot) -> list[str]:
    counts: dict[str, int] = {}
    for interface in snap.router.interfaces:
        kind = interface.name.rstrip("0123456789/.:")
        counts[kind] = counts.get(kind, 0) + 1
    return [
        f"{n} {_INTERFACE_KINDS.get(kind, f'{kind} interface(s)')}" for kind, n in counts.items()
    ]


def show_version(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    r = snap.router
    software = f"Linux Software (VPNROUTER), Version {r.software_version}, RELEASE SOFTWARE"
    if dialect.legacy:
        head = ["vpnrouter Internetwork Operating System Software", f"vpnrouter (tm) {software}"]
    else:
        head = [f"vpnrouter Software, {software}"]
    lines = [
        *head,
        f"IOS configuration dialect {r.ios_version or dialect.name}",
        "",
        f"ROM: {r.platform or 'Linux'}",
        "",
        f"{r.hostname} uptime is {uptime_words(r.uptime)}",
    ]
    if r.image:
        lines.append(f'System image file is "{r.image}"')
    if r.config_file:
        lines.append(f'Configuration file is "{r.config_file}"')
    lines += [
        "",
        "IKEv1/IPsec gateway with a userspace ESP data plane (TUN)",
        *_interface_counts(snap),
    ]
    data = {**to_jsonable(r), "dialect": dialect.name}
    return ShowResult(lines_text(lines), data)


def show_running_config(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    text = snap.running_config
    if text and not text.endswith("\n"):
        text += "\n"
    return ShowResult(text, {"hostname": snap.router.hostname, "running_config": text})


# -- ip local pool ----------------------------------------------------------------------------
def _pool_row(name: str, begin: str, end: str, free: object, in_use: object) -> str:
    return f" {name:<24} {begin:<15} {end:<15} {free!s:>4}  {in_use!s:>6}"


def _available(pool: LocalPool) -> list[str]:
    """Free addresses as ranges (``14.1.1.100-14.1.1.105``), from the gaps between leases."""
    first, last = int(ipaddress.IPv4Address(pool.first)), int(ipaddress.IPv4Address(pool.last))
    used = sorted({int(ipaddress.IPv4Address(lease.address)) for lease in pool.in_use})
    ranges: list[str] = []
    start = first
    for value in [*(u for u in used if first <= u <= last), last + 1]:
        if value > start:
            low, high = ipaddress.IPv4Address(start), ipaddress.IPv4Address(value - 1)
            ranges.append(str(low) if low == high else f"{low}-{high}")
        start = value + 1
    return ranges


def _pool_json(pool: LocalPool) -> dict[str, Any]:
    return {
        **to_jsonable(pool),
        "free": pool.size - len(pool.in_use),
        "used": len(pool.in_use),
    }


def show_ip_local_pool(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    name = values.get("pool")
    pools = [p for p in snap.pools if name is None or p.name == name]
    if name is not None and not pools:
        return ShowResult(f"%Pool {name} not found\n", {"pools": []})
    lines = [_pool_row("Pool", "Begin", "End", "Free", "In use")]
    for pool in pools:
        free = pool.size - len(pool.in_use)
        lines.append(_pool_row(pool.name, pool.first, pool.last, free, len(pool.in_use)))
    if name is not None:
        for pool in pools:
            lines.append("Available addresses:")
            lines += [f"        {text}" for text in _available(pool)]
            lines.append("Inuse addresses:")
            lines += [f"        {lease.address:<24}{lease.owner}".rstrip() for lease in pool.in_use]
    return ShowResult(lines_text(lines), {"pools": [_pool_json(p) for p in pools]})


# -- debugging --------------------------------------------------------------------------------
DEBUG_NAMES = {"isakmp": "Crypto ISAKMP", "ipsec": "Crypto IPSEC", "engine": "Crypto Engine"}


def show_debugging(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    on = [f for f in ("isakmp", "engine", "ipsec") if f in snap.router.debug]
    lines = []
    if on:
        lines = ["Cryptographic Subsystem:", *(f"  {DEBUG_NAMES[f]} debugging is on" for f in on)]
    return ShowResult(lines_text(lines), {"debug": on})
