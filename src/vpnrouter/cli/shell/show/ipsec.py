"""``show crypto ipsec sa [peer A.B.C.D | map NAME | address]`` in both dialects.

12.x is the seed's layout (``current_peer: A:500``, ``#pkts digest 4``, ``slot: 0, conn id:
2000, flow_id: 1, crypto map: clientmap``, SPI without ``0x`` on the ``current outbound spi``
line); 15.x the IOS 15 / IOS-XE one (``current_peer A port 500``, ``plaintext mtu``, ``PFS
(Y/N)``, ``flow_id: SW:1``, ``Status: ACTIVE(ACTIVE)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vpnrouter.cli.shell.show.common import (
    Dialect,
    ShowResult,
    esp_transform,
    ident,
    lines_text,
    plaintext_mtu,
)
from vpnrouter.cli.shell.snapshot import EspSa, IpsecFlow, Snapshot, to_jsonable

SIBLING_FLAGS = "80000040"  # what IOS 15 prints for a crypto-map SA pair (parsers expect it)


def select_flows(snap: Snapshot, values: Mapping[str, str]) -> list[IpsecFlow]:
    flows = list(snap.ipsec)
    if "peer" in values:
        flows = [f for f in flows if f.peer == values["peer"]]
    if "map" in values:
        flows = [f for f in flows if f.map_name == values["map"]]
    return flows


def _groups(
    snap: Snapshot, flows: list[IpsecFlow], values: Mapping[str, str]
) -> list[tuple[str, str, str, list[IpsecFlow]]]:
    """(interface, crypto map, local address, flows): IOS's ``interface:`` blocks, including
    interfaces whose crypto map has no SA yet (unless a peer was asked for)."""
    groups: dict[tuple[str, str], tuple[str, list[IpsecFlow]]] = {}
    if "peer" not in values:
        for interface in snap.router.interfaces:
            if interface.crypto_map is None or interface.address is None:
                continue
            if values.get("map", interface.crypto_map) != interface.crypto_map:
                continue
            local = interface.address.split("/")[0]
            groups[(interface.name, interface.crypto_map)] = (local, [])
    for flow in flows:
        key = (flow.interface, flow.map_name)
        groups.setdefault(key, (flow.local_address, []))[1].append(flow)
    return [(i, m, local, fl) for (i, m), (local, fl) in groups.items()]


def _settings(sa: EspSa) -> str:
    return f"{sa.mode} UDP-Encaps, " if sa.udp_encap else f"{sa.mode}, "


def sa_lines(sa: EspSa, flow: IpsecFlow, dialect: Dialect) -> list[str]:
    """The lines of one ESP SA under ``inbound esp sas:`` (also ``... sa address``)."""
    if dialect.legacy:
        ids = f"slot: 0, conn id: {sa.conn_id}, flow_id: {sa.flow_id}, crypto map: {flow.map_name}"
    else:
        ids = (
            f"conn id: {sa.conn_id}, flow_id: SW:{sa.flow_id}, sibling_flags {SIBLING_FLAGS},"
            f" crypto map: {flow.map_name}"
        )
    lines = [
        f"      spi: 0x{sa.spi:X}({sa.spi})",
        f"        transform: {esp_transform(sa)} ,",
        f"        in use settings ={{{_settings(sa)}}}",
        f"        {ids}",
        "        sa timing: remaining key lifetime (k/sec):"
        f" ({sa.remaining_kilobytes}/{int(sa.remaining_seconds)})",
        f"        IV size: {sa.iv_size} bytes",
        f"        replay detection support: {'Y' if sa.replay_detection else 'N'}",
    ]
    if not dialect.legacy:
        lines.append(f"        Status: {sa.status}({sa.status})")
    return lines


def _direction(label: str, sas: tuple[EspSa, ...], flow: IpsecFlow, dialect: Dialect) -> list[str]:
    lines = [f"     {label} esp sas:"]
    for sa in sas:
        lines += sa_lines(sa, flow, dialect)
    return [*lines, "", f"     {label} ah sas:", "", f"     {label} pcp sas:"]


def _counter_lines(flow: IpsecFlow, dialect: Dialect) -> list[str]:
    c = flow.counters
    colon = "" if dialect.legacy else ":"
    lines = [
        f"    #pkts encaps: {c.encaps}, #pkts encrypt: {c.encrypt}, #pkts digest{colon} {c.digest}",
        f"    #pkts decaps: {c.decaps}, #pkts decrypt: {c.decrypt}, #pkts verify{colon} {c.verify}",
        f"    #pkts compressed: {c.compressed}, #pkts decompressed: {c.decompressed}",
    ]
    if dialect.legacy:
        lines.append(
            f"    #pkts not compressed: {c.not_compressed}, #pkts compr. failed:"
            f" {c.compr_failed}, #pkts decompress failed: {c.decompress_failed}"
        )
    else:
        lines += [
            f"    #pkts not compressed: {c.not_compressed}, #pkts compr. failed: {c.compr_failed}",
            f"    #pkts not decompressed: {c.not_decompressed}, #pkts decompress failed:"
            f" {c.decompress_failed}",
        ]
    return [*lines, f"    #send errors {c.send_errors}, #recv errors {c.recv_errors}"]


def flow_lines(flow: IpsecFlow, dialect: Dialect) -> list[str]:
    legacy = dialect.legacy
    vrf = (flow.vrf and f" {flow.vrf}") if legacy else f" {flow.vrf or '(none)'}"
    if legacy:
        peer = f"   current_peer: {flow.peer}:{flow.peer_port}"
    else:
        peer = f"   current_peer {flow.peer} port {flow.peer_port}"
    flags = "origin_is_acl," if flow.origin_is_acl else ""
    lines = [
        f"   protected vrf:{vrf}",
        "   local  ident (addr/mask/prot/port):"
        f" {ident(flow.local_net, flow.protocol, flow.local_port)}",
        "   remote ident (addr/mask/prot/port):"
        f" {ident(flow.remote_net, flow.protocol, flow.remote_port)}",
        peer,
        f"     PERMIT, flags={{{flags}}}",
        *_counter_lines(flow, dialect),
        "",
        f"     local crypto endpt.: {flow.local_address}, remote crypto endpt.: {flow.peer}",
    ]
    current = flow.current_outbound
    if legacy:
        lines += [
            f"     path mtu {flow.path_mtu}, media mtu {flow.media_mtu}",
            f"     current outbound spi: {current.spi if current else 0:X}",
        ]
    else:
        spi = current.spi if current else 0
        pfs = f"Y, DH group: group{flow.pfs_group}" if flow.pfs_group else "N, DH group: none"
        lines += [
            f"     plaintext mtu {plaintext_mtu(flow)}, path mtu {flow.path_mtu}, ip mtu"
            f" {flow.media_mtu}, ip mtu idb {flow.interface}",
            f"     current outbound spi: 0x{spi:X}({spi})",
            f"     PFS (Y/N): {pfs}",
        ]
    lines.append("")
    lines += _direction("inbound", flow.inbound, flow, dialect)
    lines.append("")
    lines += _direction("outbound", flow.outbound, flow, dialect)
    return lines


def render_flows(
    snap: Snapshot, flows: list[IpsecFlow], values: Mapping[str, str], dialect: Dialect
) -> str:
    lines: list[str] = []
    addr_sep = "." if dialect.legacy else ""
    for interface, map_name, local, group in _groups(snap, flows, values):
        lines += [
            "",
            f"interface: {interface}",
            f"    Crypto map tag: {map_name}, local addr{addr_sep} {local}",
        ]
        for flow in group:
            lines += ["", *flow_lines(flow, dialect)]
    if lines:
        lines.append("")
    return lines_text(lines)


def by_address(flows: list[IpsecFlow], dialect: Dialect) -> tuple[str, list[dict[str, Any]]]:
    """``show crypto ipsec sa address``: the SAs grouped by destination address."""
    table: dict[str, list[tuple[EspSa, IpsecFlow]]] = {}
    for flow in flows:
        for sa in flow.inbound:
            table.setdefault(flow.local_address, []).append((sa, flow))
        for sa in flow.outbound:
            table.setdefault(flow.peer, []).append((sa, flow))
    lines: list[str] = []
    data: list[dict[str, Any]] = []
    for dest in sorted(table, key=lambda a: tuple(int(x) for x in a.split("."))):
        lines += [f"dest address: {dest}", "   protocol: ESP"]
        for sa, flow in table[dest]:
            lines += sa_lines(sa, flow, dialect)
        lines.append("")
        data.append(
            {
                "dest": dest,
                "protocol": "ESP",
                "sas": [
                    {**to_jsonable(sa), "crypto_map": flow.map_name, "peer": flow.peer}
                    for sa, flow in table[dest]
                ],
            }
        )
    return lines_text(lines), data


def show_ipsec_sa(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    flows = select_flows(snap, values)
    if "address" in values:
        text, data = by_address(flows, dialect)
        return ShowResult(text, {"ipsec_sa_by_address": data})
    text = render_flows(snap, flows, values, dialect)
    return ShowResult(text, {"ipsec_sa": [to_jsonable(flow) for flow in flows]})
