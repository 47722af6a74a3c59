"""Run the data plane with manually keyed SAs (IOS ``crypto map NAME SEQ ipsec-manual``).

    python -m vpnrouter.netio.manual CONFIG.json [--stats STATS.json]

No IKE: the SPIs and keys come from the file, like IOS's ``set session-key inbound|outbound
esp SPI cipher KEY authenticator KEY``. Used by the data-plane tests and the throughput
benchmark, and handy for interop checks against any peer that can be keyed by hand. Prints
``READY`` once the TUN device, routes and sockets are up; on SIGTERM/SIGINT writes the
counters (driver and per SA) as JSON to ``--stats`` and exits 0.

CONFIG::

    {"local": "172.18.124.159",
     "tun": {"name": "vpn0", "mtu": 1500, "address": "10.255.0.1/32"},
     "path_mtu": 1500, "df_bit": "copy", "mss_clamp": true, "raw_esp": true,
     "ike_ports": [4500], "nat_keepalive_interval": null,
     "routes": ["10.10.20.0/24"],
     "policies": [{"src": "10.10.10.0/24", "dst": "10.10.20.0/24", "action": "protect",
                   "tag": "mymap 10"}],
     "sas": [{"outbound": SA, "inbound": SA}]}

    SA = {"spi": 2071666709, "transform": 3, "key_bits": null, "enc_key": "hex",
          "auth": 1, "auth_key": "hex", "remote": "172.18.124.199",
          "selector": {"src": "10.10.10.0/24", "dst": "10.10.20.0/24",
                       "protocol": 0, "src_port": 0, "dst_port": 0},
          "encap": [4500, 4500], "lifetime": {"seconds": 3600, "kilobytes": 4608000},
          "tag": "mymap 10"}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from dataclasses import asdict
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

from vpnrouter.esp.sa import Direction, EspSa, Lifetime, UdpEncap
from vpnrouter.esp.spd import Action, Policy, Selector
from vpnrouter.netio.events import DataplaneEvent
from vpnrouter.netio.loop import Dataplane, DataplaneConfig, DfBit


def parse_selector(raw: dict[str, Any]) -> Selector:
    return Selector.of(
        raw["src"],
        raw["dst"],
        int(raw.get("protocol", 0)),
        _port(raw.get("src_port", 0)),
        _port(raw.get("dst_port", 0)),
    )


def _port(value: int | list[int]) -> int | tuple[int, int]:
    return (int(value[0]), int(value[1])) if isinstance(value, list) else int(value)


def parse_sa(raw: dict[str, Any], direction: Direction, local: IPv4Address, now: float) -> EspSa:
    lifetime = raw.get("lifetime") or {}
    encap = raw.get("encap")
    return EspSa(
        spi=int(raw["spi"]),
        direction=direction,
        transform_id=int(raw["transform"]),
        key_len_bits=raw.get("key_bits"),
        enc_key=bytes.fromhex(raw.get("enc_key", "")),
        auth_alg=raw.get("auth"),
        auth_key=bytes.fromhex(raw.get("auth_key", "")),
        local=local,
        remote=IPv4Address(raw["remote"]),
        selector=parse_selector(raw["selector"]),
        encap=UdpEncap(int(encap[0]), int(encap[1])) if encap else None,
        lifetime=Lifetime(
            seconds=int(lifetime.get("seconds", 3600)),
            kilobytes=int(lifetime.get("kilobytes", 4_608_000)),
        ),
        created=now,
        replay_window=int(raw.get("replay_window", 1024)),
        tag=str(raw.get("tag", "")),
    )


def parse_config(raw: dict[str, Any]) -> DataplaneConfig:
    tun = raw.get("tun") or {}
    address = tun.get("address")
    keepalive = raw.get("nat_keepalive_interval")
    return DataplaneConfig(
        local=IPv4Address(raw["local"]),
        tun_name=str(tun.get("name", "vpn0")),
        tun_mtu=int(tun.get("mtu", 1500)),
        tun_address=IPv4Interface(address) if address else None,
        path_mtu=int(raw.get("path_mtu", 1500)),
        ike_ports=tuple(int(p) for p in raw.get("ike_ports", [500, 4500])),
        raw_esp=bool(raw.get("raw_esp", True)),
        df_bit=DfBit(raw.get("df_bit", "copy")),
        mss_clamp=bool(raw.get("mss_clamp", True)),
        nat_keepalive_interval=float(keepalive) if keepalive else None,
    )


def parse_policies(raw: list[dict[str, Any]]) -> list[Policy]:
    return [
        Policy(
            parse_selector(entry),
            Action(entry.get("action", "protect")),
            str(entry.get("tag", "")),
            IPv4Address(entry["peer"]) if entry.get("peer") else None,
        )
        for entry in raw
    ]


def snapshot(plane: Dataplane) -> dict[str, Any]:
    """Driver and per-SA counters as JSON-friendly data."""

    def sa_counters(sa: EspSa) -> dict[str, Any]:
        data = asdict(sa.counters)
        data["drops"] = {drop.name: n for drop, n in sa.counters.drops.items()}
        return {"spi": sa.spi, "direction": sa.direction.value, **data}

    stats = asdict(plane.stats)
    stats["drops"] = {drop.name: n for drop, n in plane.stats.drops.items()}
    stats["acquire_drops"] = dict(plane.stats.acquire_drops)
    return {
        "driver": stats,
        "sas": [sa_counters(sa) for sa in plane.outbound_sas + plane.inbound_sas],
    }


async def run(raw: dict[str, Any], stats_path: Path | None) -> None:
    config = parse_config(raw)
    events: list[DataplaneEvent] = []
    plane = Dataplane(config, events.append)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with plane:
        plane.set_policies(parse_policies(raw.get("policies", [])))
        now = time.monotonic()
        for pair in raw.get("sas", []):
            plane.add_sa_pair(
                parse_sa(pair["outbound"], Direction.OUTBOUND, config.local, now),
                parse_sa(pair["inbound"], Direction.INBOUND, config.local, now),
            )
        for network in raw.get("routes", []):
            await plane.add_route(IPv4Network(network))
        print("READY", flush=True)
        await stop.wait()
        if stats_path is not None:
            data = snapshot(plane)
            data["events"] = [type(event).__name__ for event in events]
            stats_path.write_text(json.dumps(data, indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vpnrouter.netio.manual")
    parser.add_argument("config", type=Path)
    parser.add_argument("--stats", type=Path, default=None)
    args = parser.parse_args(argv)
    raw = json.loads(args.config.read_text())
    asyncio.run(run(raw, args.stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
