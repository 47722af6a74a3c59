"""``vpnclient status`` and ``vpnclient disconnect``: talking to a running ``connect``.

``vpnclient connect ENTRY`` serves a control socket, ``/run/vpnclient/ENTRY.sock`` (mode 0600;
``--socket PATH`` to choose another), with the router's protocol
(:mod:`vpnrouter.router.control`: one JSON object per line):

- ``{"command": "status"}`` -> the connection's state, addresses, algorithms, counters and
  IPsec SAs (:func:`build_status`); ``vpnclient status`` prints it as the Cisco VPN Client's
  statistics (``--json``: as it came).
- ``{"command": "disconnect"}`` -> the client sends its Delete notifications, restores the
  routes and DNS and exits; ``vpnclient disconnect`` waits (bounded) until it has.

Without ENTRY or ``--socket`` the commands talk to the only connection running.
Exit status: 0 done; 1 not connected (or no answer); 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, Final

from vpnrouter.client.profiles import ProfileError, check_name
from vpnrouter.client.session import ClientSession
from vpnrouter.ike.events import ChildSaUp
from vpnrouter.ike.policy import (
    ENCR_3DES,
    ENCR_AES,
    ENCR_DES,
    ESP_3DES,
    ESP_AES,
    ESP_AUTH_MD5,
    ESP_AUTH_SHA,
    ESP_AUTH_SHA256,
    ESP_AUTH_SHA384,
    ESP_AUTH_SHA512,
    ESP_DES,
    ESP_NULL,
    HASH_MD5,
    HASH_SHA,
    HASH_SHA256,
    HASH_SHA384,
    HASH_SHA512,
)
from vpnrouter.router.control import ControlError, request, socket_in_use

SOCKET_DIR: Final = Path("/run/vpnclient")
SOCKET_SUFFIX: Final = ".sock"
DISCONNECT_WAIT: Final = 15.0  # seconds `disconnect` waits for the client to be gone
POLL: Final = 0.1

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1

_ESP_NAMES: Final = {ESP_DES: "56-bit DES", ESP_3DES: "168-bit 3-DES", ESP_NULL: "None"}
_ESP_AUTH: Final = {
    ESP_AUTH_MD5: "HMAC-MD5",
    ESP_AUTH_SHA: "HMAC-SHA1",
    ESP_AUTH_SHA256: "HMAC-SHA2-256",
    ESP_AUTH_SHA384: "HMAC-SHA2-384",
    ESP_AUTH_SHA512: "HMAC-SHA2-512",
}
_IKE_ENCR: Final = {ENCR_DES: "56-bit DES", ENCR_3DES: "168-bit 3-DES"}
_IKE_HASH: Final = {
    HASH_MD5: "MD5",
    HASH_SHA: "SHA1",
    HASH_SHA256: "SHA2-256",
    HASH_SHA384: "SHA2-384",
    HASH_SHA512: "SHA2-512",
}


def esp_encryption_name(transform_id: int, key_length: int | None) -> str:
    """The Cisco client's wording: ``168-bit 3-DES``, ``256-bit AES``."""
    if transform_id == ESP_AES:
        return f"{key_length or 128}-bit AES"
    return _ESP_NAMES.get(transform_id, f"ESP transform {transform_id}")


def esp_auth_name(auth_alg: int | None) -> str:
    if auth_alg is None:
        return "None"
    return _ESP_AUTH.get(auth_alg, f"auth algorithm {auth_alg}")


def ike_encryption_name(encryption: int, key_length: int | None) -> str:
    if encryption == ENCR_AES:
        return f"{key_length or 128}-bit AES"
    return _IKE_ENCR.get(encryption, f"cipher {encryption}")


def ike_hash_name(hash_alg: int) -> str:
    return _IKE_HASH.get(hash_alg, f"hash {hash_alg}")


def default_socket(entry: str) -> Path:
    return SOCKET_DIR / f"{entry}{SOCKET_SUFFIX}"


class NotConnected(Exception):
    """No connection to talk to; ``str()`` is for the user."""


def find_socket(entry: str | None, path: str | None) -> Path:
    """The control socket: ``--socket``, else the entry's, else the only live one."""
    if path:
        return Path(path)
    if entry:
        return default_socket(check_name(entry))
    try:
        found = sorted(p for p in SOCKET_DIR.iterdir() if p.name.endswith(SOCKET_SUFFIX))
    except FileNotFoundError:
        found = []
    live = [p for p in found if socket_in_use(p)]
    if not live:
        raise NotConnected("not connected (no 'vpnclient connect' is running)")
    if len(live) > 1:
        names = ", ".join(p.name[: -len(SOCKET_SUFFIX)] for p in live)
        raise NotConnected(f"several connections are up ({names}): name one")
    return live[0]


def _ask(path: Path, command: str, timeout: float = 10.0) -> Any:
    if not path.exists():
        raise NotConnected(f"not connected ({path} does not exist)")
    try:
        return request(path, command, timeout=timeout)
    except ControlError as exc:
        raise NotConnected(f"no answer from the client at {path}: {exc}") from exc


# --- the server's answer -----------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionFacts:
    """What the connect flow knows about itself, for :func:`build_status`."""

    entry: str
    state: str  # initializing, contacting, authenticating, negotiating, connected, ...
    gateway: str
    local: str | None
    group: str
    username: str
    secured: tuple[IPv4Network, ...]
    dns_status: str
    tun: str


def build_status(facts: ConnectionFacts, session: ClientSession | None) -> dict[str, Any]:
    """The ``status`` answer: the facts, then what the session negotiated and counted."""
    result: dict[str, Any] = {
        "entry": facts.entry,
        "state": facts.state,
        "pid": os.getpid(),
        "gateway": facts.gateway,
        "gateway_port": 500,
        "local": facts.local,
        "group": facts.group,
        "username": facts.username,
        "client_address": None,
        "netmask": None,
        "connected_for": None,
        "nat_t": False,
        "encryption": None,
        "authentication": None,
        "phase1": None,
        "all_traffic": False,
        "secured_networks": [str(n) for n in facts.secured],
        "split_include": [],
        "dns": [],
        "wins": [],
        "domain": "",
        "banner": "",
        "dns_status": facts.dns_status,
        "tun": facts.tun,
        "ipsec": [],
        "counters": {},
    }
    if session is None:
        return result
    config, ike = session.config, session.ike
    if ike is not None:
        algorithms = ike.algorithms
        result["gateway_port"] = ike.peer_port
        result["phase1"] = {
            "encryption": ike_encryption_name(algorithms.encryption, algorithms.key_length),
            "hash": ike_hash_name(algorithms.hash),
            "dh_group": algorithms.group,
            "lifetime": algorithms.lifetime,
            "nat_t": ike.nat_t,
            "conn_id": ike.conn_id,
            "cookies": f"{ike.icookie.hex()} {ike.rcookie.hex()}",
            "reauthentications": session.reauthentications,
        }
    if config is not None:
        result.update(
            client_address=str(config.address) if config.address else None,
            netmask=str(config.netmask) if config.netmask else None,
            split_include=[str(n) for n in config.split_include],
            dns=[str(a) for a in config.dns],
            wins=[str(a) for a in config.nbns],
            domain=config.domain,
            banner=config.banner,
        )
    result["all_traffic"] = bool(facts.secured) and not (config and config.split_include)
    if session.connected_at is not None and facts.state == "connected":
        result["connected_for"] = session.now() - session.connected_at
    pairs = list(session.pairs.values())
    if pairs:
        newest = pairs[-1].outbound
        result["encryption"] = esp_encryption_name(newest.transform_id, newest.key_length)
        result["authentication"] = esp_auth_name(newest.auth_alg)
        encapsulation = pairs[-1].encapsulation
        if encapsulation is not None:
            result["nat_t"] = True
            result["gateway_port"] = encapsulation.remote_port
    result["ipsec"] = [_pair_status(session, pair) for pair in pairs]
    result["counters"] = session.counters()
    return result


def _pair_status(session: ClientSession, pair: ChildSaUp) -> dict[str, Any]:
    inbound = session.sa_counters(pair.inbound.spi, True)
    outbound = session.sa_counters(pair.outbound.spi, False)
    keys = pair.outbound
    return {
        "inbound_spi": pair.inbound.spi,
        "outbound_spi": pair.outbound.spi,
        "local": str(pair.selector.local),
        "remote": str(pair.selector.remote),
        "transform": pair.transform_names,
        "encryption": esp_encryption_name(keys.transform_id, keys.key_length),
        "authentication": esp_auth_name(keys.auth_alg),
        "udp_encapsulation": pair.encapsulation is not None,
        "lifetime_seconds": pair.lifetime_seconds,
        "bytes_in": inbound.octets if inbound else 0,
        "bytes_out": outbound.octets if outbound else 0,
        "packets_in": inbound.decrypt if inbound else 0,
        "packets_out": outbound.encrypt if outbound else 0,
    }


# --- what `vpnclient status` prints ------------------------------------------------------------


def duration_text(seconds: float) -> str:
    """``0 day(s), 00:01:02`` as the Cisco client's statistics show it."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days} day(s), {hours:02d}:{minutes:02d}:{secs:02d}"


def _route_rows(result: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for text in result.get("secured_networks", []):
        net = IPv4Network(text)
        rows.append(("*", str(net.network_address), str(net.netmask)))
    return rows


def format_status(result: Mapping[str, Any]) -> str:
    """``vpnclient status``: the Cisco VPN Client's statistics, in its words."""
    state = result.get("state", "?")
    lines = ["VPN tunnel information.", f"Connection Entry: {result.get('entry', '')}"]
    if state != "connected":
        lines.append(f"State: {state}")
    lines += [
        f"Client address: {result.get('client_address') or 'not assigned'}",
        f"Server address: {result.get('gateway', '')}",
        f"Encryption: {result.get('encryption') or 'not negotiated'}",
        f"Authentication: {result.get('authentication') or 'not negotiated'}",
        "IP Compression: None",
    ]
    if result.get("nat_t"):
        lines.append(f"NAT passthrough is active on port UDP {result.get('gateway_port')}")
    else:
        lines.append("NAT passthrough is inactive")
    phase1 = result.get("phase1")
    if phase1:
        lines.append(
            f"ISAKMP SA: conn-id {phase1.get('conn_id')}, lifetime {phase1.get('lifetime')} s,"
            f" re-authenticated {phase1.get('reauthentications', 0)} time(s)"
        )
    lines += ["", "VPN traffic summary."]
    connected = result.get("connected_for")
    lines.append(
        f"Time connected: {duration_text(connected) if connected is not None else 'not yet'}"
    )
    counters = result.get("counters", {})
    lines += [
        f"Bytes in: {counters.get('bytes_in', 0)}",
        f"Bytes out: {counters.get('bytes_out', 0)}",
        f"Packets encrypted: {counters.get('packets_encrypted', 0)}",
        f"Packets decrypted: {counters.get('packets_decrypted', 0)}",
        f"Packets discarded: {counters.get('packets_discarded', 0)}",
    ]
    rows = _route_rows(result)
    if rows:
        header = ("Secured", "Network Destination", "Netmask")
        lines += ["", "Configured routes.", _table(header, rows)]
    sas = result.get("ipsec", [])
    if sas:
        lines += ["", "IPsec SAs."]
        sa_rows = [
            (
                f"0x{sa['inbound_spi']:08X}",
                f"0x{sa['outbound_spi']:08X}",
                sa["local"],
                sa["remote"],
                f"{sa['bytes_in']}/{sa['bytes_out']}",
            )
            for sa in sas
        ]
        sa_header = ("Inbound SPI", "Outbound SPI", "Local", "Remote", "Bytes in/out")
        lines.append(_table(sa_header, sa_rows))
    return "\n".join(lines) + "\n"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns two spaces apart, the last one not padded."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    out = []
    for row in [header, *rows]:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)]
        out.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(out)


# --- commands ------------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    status = subparsers.add_parser(
        "status",
        help="show the connection's state and statistics",
        description="Show the running connection: entry, assigned address, gateway, time "
        "connected, bytes and packets in and out, encryption in use and the IPsec SAs.",
    )
    _common(status)
    status.add_argument("--json", action="store_true", help="print the client's whole answer")
    status.set_defaults(func=run_status)
    disconnect = subparsers.add_parser(
        "disconnect",
        help="disconnect a running connection",
        description="Tell a running 'vpnclient connect' to send its Delete notifications, "
        "restore routes and DNS, and exit; waits until it has.",
    )
    _common(disconnect)
    disconnect.set_defaults(func=run_disconnect)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("entry", metavar="ENTRY", nargs="?", help="connection entry name")
    parser.add_argument(
        "--socket",
        metavar="PATH",
        help=f"control socket of the connection (default {SOCKET_DIR}/ENTRY{SOCKET_SUFFIX})",
    )


def _error(message: str) -> int:
    print(f"vpnclient: {message}", file=sys.stderr)
    return EXIT_ERROR


def run_status(args: argparse.Namespace) -> int:
    try:
        path = find_socket(args.entry, args.socket)
        result = _ask(path, "status")
    except (NotConnected, ProfileError) as exc:
        return _error(str(exc))
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        sys.stdout.write(format_status(result))
    return EXIT_OK


def run_disconnect(args: argparse.Namespace) -> int:
    try:
        path = find_socket(args.entry, args.socket)
        result = _ask(path, "disconnect")
    except (NotConnected, ProfileError) as exc:
        return _error(str(exc))
    entry = result.get("entry", args.entry or "") if isinstance(result, dict) else ""
    deadline = time.monotonic() + DISCONNECT_WAIT
    while socket_in_use(path):
        if time.monotonic() >= deadline:
            return _error(f"'{entry}' is still disconnecting after {DISCONNECT_WAIT:g} s")
        time.sleep(POLL)
    print(f"Disconnected '{entry}'.")
    return EXIT_OK
