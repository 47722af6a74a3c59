"""``vpnrouter status``: the IKE and IPsec SAs of a running router, from its control socket.

The IKE part reads like ``show crypto isakmp sa``, then the remote-access clients (public
address, group, XAuth user, pool address) and the address pools like ``show ip local pool``,
the IPsec part like a short ``show crypto ipsec sa`` (selectors, peer, SPIs, transform,
counters). ``--json`` prints the daemon's answer as it is, for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from vpnrouter.router.control import DEFAULT_DIR, ControlError, default_path, request
from vpnrouter.router.ioslog import uptime


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "status",
        help="show the IKE and IPsec SAs of a running router",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("--socket", type=Path, default=None, help="control socket")
    parser.add_argument(
        "--router",
        metavar="HOSTNAME",
        default=None,
        help="the router whose socket is /run/vpnrouter/HOSTNAME.sock (default: the only one)",
    )
    parser.add_argument("--json", action="store_true", help="print the raw JSON answer")
    parser.set_defaults(func=status)


def find_socket(args: argparse.Namespace) -> Path:
    """--socket, else --router, else the only socket in /run/vpnrouter."""
    if args.socket is not None:
        return Path(args.socket)
    if args.router is not None:
        return default_path(args.router)
    found = sorted(DEFAULT_DIR.glob("*.sock")) if DEFAULT_DIR.is_dir() else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise ControlError(f"no vpnrouter is running (no socket in {DEFAULT_DIR})")
    names = ", ".join(p.stem for p in found)
    raise ControlError(f"several routers are running ({names}): choose one with --router")


def status(args: argparse.Namespace) -> int:
    try:
        result = request(find_socket(args), "status")
    except ControlError as exc:
        print(f"% {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=1, sort_keys=True))
    else:
        print(render(result), end="")
    return 0


def _ident(net: str, protocol: int, port: int) -> str:
    network = IPv4Network(net)
    return f"({network.network_address}/{network.netmask}/{protocol}/{port})"


def render_isakmp(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["dst             src             state          conn-id slot status"]
    for row in rows:
        lines.append(
            f"{row['dst']:<15} {row['src']:<15} {row['state']:<14} {row['conn_id']:>7}"
            f" {row['slot']:>4} {row['status']}"
        )
    return lines


def render_ipsec(status: dict[str, Any]) -> list[str]:
    lines = [
        f"interface: {status['interface']}",
        f"    Crypto map tag: {status['map_name']}, local addr. {status['local_address']}",
    ]
    for row in status["ipsec"]:
        sel = row["selector"]
        encap = row.get("encapsulation")
        peer_port = encap["remote_port"] if encap else 500
        out_c = row.get("outbound_counters") or {}
        in_c = row.get("inbound_counters") or {}
        settings = "Tunnel UDP-Encaps, " if encap else "Tunnel, "
        lines += [
            "",
            f"   local  ident (addr/mask/prot/port):"
            f" {_ident(sel['local'], sel['protocol'], sel['local_port'])}",
            f"   remote ident (addr/mask/prot/port):"
            f" {_ident(sel['remote'], sel['protocol'], sel['remote_port'])}",
            f"   current_peer: {row['peer']}:{peer_port}   crypto map {row['map_name']}"
            f" {row['map_seq']}",
            f"     #pkts encaps: {out_c.get('encaps', 0)}, #pkts encrypt:"
            f" {out_c.get('encrypt', 0)}, #pkts digest {out_c.get('digest', 0)}",
            f"     #pkts decaps: {in_c.get('decaps', 0)}, #pkts decrypt:"
            f" {in_c.get('decrypt', 0)}, #pkts verify {in_c.get('verify', 0)}",
            f"     #send errors {out_c.get('send_errors', 0)}, #recv errors"
            f" {in_c.get('recv_errors', 0)}",
            f"     local crypto endpt.: {row['local']}, remote crypto endpt.: {row['peer']}",
            f"     current outbound spi: 0x{row['outbound_spi']:X}",
        ]
        pfs = f"group{row['pfs_group']}" if row.get("pfs_group") else "N"
        for label, spi, conn in (
            ("inbound", row["inbound_spi"], row["in_conn_id"]),
            ("outbound", row["outbound_spi"], row["out_conn_id"]),
        ):
            lines += [
                f"     {label} esp sas:",
                f"      spi: 0x{spi:X}({spi})",
                f"        transform: {row['transform_names']} ,",
                f"        in use settings ={{{settings}}}",
                f"        conn id: {conn}, crypto map: {row['map_name']}, PFS: {pfs},"
                f" state: {row['state']}",
                f"        sa timing: remaining key lifetime (k/sec):"
                f" ({row['remaining_kilobytes']}/{int(row['remaining_seconds'])})",
            ]
    return lines


def render_clients(rows: list[dict[str, Any]]) -> list[str]:
    """The remote-access clients: public address, group, XAuth user, pool address."""
    lines = ["remote-access clients:"]
    lines.append(f"  {'peer':<21} {'group':<15} {'user':<15} {'assigned':<15} conn-id state")
    for row in rows:
        peer = f"{row['peer']}:{row['peer_port']}"
        user = row["username"] or f"({row['xauth'] or 'none'})"
        lines.append(
            f"  {peer:<21} {row['group']:<15} {user:<15} {row['address'] or '-':<15}"
            f" {row['conn_id']:>7} {row['state']}"
        )
    return lines


def render_pools(pools: list[dict[str, Any]]) -> list[str]:
    """``show ip local pool``: each range, its free and used addresses, who holds them."""
    lines = [f" {'Pool':<24} {'Begin':<15} {'End':<15} Free  In use"]
    for pool in pools:
        size = int(IPv4Address(pool["last"])) - int(IPv4Address(pool["first"])) + 1
        used = pool["in_use"]
        lines.append(
            f" {pool['name']:<24} {pool['first']:<15} {pool['last']:<15}"
            f" {size - len(used):>4}  {len(used):>6}"
        )
        lines += [f"        {lease['address']:<24}{lease['owner']}" for lease in used]
    return lines


def render(status: dict[str, Any]) -> str:
    head = f"{status['hostname']} uptime {uptime(status['uptime'])}"
    lines = [head, "", *render_isakmp(status["isakmp"])]
    if status.get("clients"):
        lines += ["", *render_clients(status["clients"])]
    if status.get("pools"):
        lines += ["", *render_pools(status["pools"])]
    lines += ["", *render_ipsec(status)]
    return "\n".join(lines) + "\n"
