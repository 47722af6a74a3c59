"""``show crypto session [detail]``: the IKE and IPsec SAs gathered per peer.

A session is everything with one peer address: its ISAKMP SA(s) and its IPsec flows. Status
as IOS words it: UP-ACTIVE (IKE and IPsec up), UP-IDLE (IKE only), UP-NO-IKE (IPsec left
after IKE went), DOWN-NEGOTIATING (IKE not finished). The command came with IOS 12.3, so
both dialects print this one layout.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vpnrouter.cli.shell.show.common import (
    Dialect,
    ShowResult,
    config_of,
    flow_address,
    hms,
    lines_text,
)
from vpnrouter.cli.shell.snapshot import IkeSa, IpsecFlow, Snapshot
from vpnrouter.config import RunningConfig

CODES = [
    "Code: C - IKE Configuration mode, D - Dead Peer Detection",
    "K - Keepalives, N - NAT-traversal, T - cTCP encapsulation",
    "X - IKE Extended Authentication, F - IKE Fragmentation",
]
_PROTOCOLS = {0: "ip", 1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp"}


@dataclass
class Session:
    peer: str
    peer_port: int
    interface: str = ""
    ike: list[IkeSa] = field(default_factory=list)
    flows: list[IpsecFlow] = field(default_factory=list)

    @property
    def status(self) -> str:
        ike_up = any(sa.state == "QM_IDLE" and sa.status == "ACTIVE" for sa in self.ike)
        ipsec_up = any(f.inbound or f.outbound for f in self.flows)
        if ike_up:
            return "UP-ACTIVE" if ipsec_up else "UP-IDLE"
        if ipsec_up:
            return "UP-NO-IKE"
        return "DOWN-NEGOTIATING" if self.ike else "DOWN"

    def first(self, attribute: str) -> str | None:
        for sa in self.ike:
            value = getattr(sa, attribute)
            if value:
                return str(value)
        return None


def sessions(snap: Snapshot) -> list[Session]:
    table: dict[str, Session] = {}
    for sa in snap.ike_sas:
        session = table.setdefault(sa.peer, Session(sa.peer, sa.peer_port))
        session.ike.append(sa)
        session.interface = session.interface or (sa.interface or "")
    for flow in snap.ipsec:
        session = table.setdefault(flow.peer, Session(flow.peer, flow.peer_port))
        session.flows.append(flow)
        session.interface = flow.interface
        session.peer_port = flow.peer_port
    return [table[k] for k in sorted(table, key=lambda a: int(ipaddress.IPv4Address(a)))]


def _origin(flow: IpsecFlow, config: RunningConfig) -> str:
    crypto_map = config.crypto_map(flow.map_name)
    entry = crypto_map.entry(flow.map_seq) if crypto_map else None
    return "dynamic crypto map" if entry is not None and entry.is_dynamic else "crypto map"


def _flow_text(flow: IpsecFlow) -> str:
    proto = _PROTOCOLS.get(flow.protocol, str(flow.protocol))
    local, remote = flow_address(flow.local_net), flow_address(flow.remote_net)
    ports = ""
    if flow.local_port or flow.remote_port:
        ports = f" port {flow.local_port} port {flow.remote_port}"
    return f"permit {proto} {local} {remote}{ports}"


def _ike_lines(session: Session, sa: IkeSa, detail: bool) -> list[str]:
    active = "Active" if sa.status == "ACTIVE" and sa.state == "QM_IDLE" else "Inactive"
    lines = [f"  IKE SA: local {sa.local}/{sa.local_port} remote {sa.peer}/{sa.peer_port} {active}"]
    if detail:
        caps = "".join(sa.capabilities) or "(none)"
        lines.append(
            f"          Capabilities:{caps} connid:{sa.conn_id} lifetime:{hms(sa.remaining)}"
        )
    return lines


def _flow_lines(flow: IpsecFlow, config: RunningConfig, detail: bool) -> list[str]:
    count = len(flow.inbound) + len(flow.outbound)
    lines = [
        f"  IPSEC FLOW: {_flow_text(flow)}",
        f"        Active SAs: {count}, origin: {_origin(flow, config)}",
    ]
    if detail:
        c = flow.counters
        for label, sas, word, packets, drops in (
            ("Inbound: ", flow.inbound, "dec'ed", c.decrypt, c.recv_errors),
            ("Outbound:", flow.outbound, "enc'ed", c.encrypt, c.send_errors),
        ):
            life = (
                f"{sas[-1].remaining_kilobytes}/{int(sas[-1].remaining_seconds)}" if sas else "0/0"
            )
            lines.append(
                f"        {label} #pkts {word} {packets} drop {drops} life (KB/Sec) {life}"
            )
    return lines


def _session_lines(session: Session, config: RunningConfig, detail: bool) -> list[str]:
    lines = [f"Interface: {session.interface or '<none>'}"]
    for label, attribute in (
        ("Username", "username"),
        ("Group", "group_name"),
        ("Assigned address", "assigned_address"),
    ):
        value = session.first(attribute)
        if value:
            lines.append(f"{label}: {value}")
    up = [sa.established for sa in session.ike if sa.established is not None]
    if detail and up:
        lines.append(f"Uptime: {hms(max(up))}")
    lines.append(f"Session status: {session.status}")
    if detail:
        phase1_id = session.first("group_name") or session.peer
        lines += [
            f"Peer: {session.peer} port {session.peer_port} fvrf: (none) ivrf: (none)",
            f"      Phase1_id: {phase1_id}",
            "      Desc: (none)",
        ]
    else:
        lines.append(f"Peer: {session.peer} port {session.peer_port}")
    for sa in sorted(session.ike, key=lambda s: s.conn_id):
        lines += _ike_lines(session, sa, detail)
    for flow in session.flows:
        lines += _flow_lines(flow, config, detail)
    return [*lines, ""]


def _session_json(session: Session) -> dict[str, Any]:
    return {
        "peer": session.peer,
        "peer_port": session.peer_port,
        "interface": session.interface,
        "status": session.status,
        "username": session.first("username"),
        "group": session.first("group_name"),
        "assigned_address": session.first("assigned_address"),
        "ike_conn_ids": sorted(sa.conn_id for sa in session.ike),
        "flows": [
            {
                "flow": _flow_text(f),
                "crypto_map": f.map_name,
                "map_seq": f.map_seq,
                "active_sas": len(f.inbound) + len(f.outbound),
            }
            for f in session.flows
        ],
    }


def show_crypto_session(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    detail = "detail" in values
    found = sessions(snap)
    if "remote" in values:
        found = [s for s in found if s.peer == values["remote"]]
    config = config_of(snap)
    lines = ["Crypto session current status", ""]
    if detail:
        lines += [*CODES, ""]
    for session in found:
        lines += _session_lines(session, config, detail)
    return ShowResult(lines_text(lines), {"sessions": [_session_json(s) for s in found]})
