"""Snapshots with the seed document's values, and an in-memory RouterBackend.

The values are those of the seed's ``show crypto isakmp sa``, ``show crypto ipsec sa`` and
``show crypto engine connection active`` for vpn2611 and vpn3640 (Cisco document 'Configuring
IPSec Router-to-Router (LAN-to-LAN) and Cisco VPN Client' (seed), IOS 12.2); the running
configurations are the seed's (examples/seed/) as our parser reads and renders them.
``FakeBackend`` is a test double for the transport only: it hands out a snapshot and records
what the shell asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from vpnrouter.cli.shell.session import BackendError
from vpnrouter.cli.shell.snapshot import (
    ConfigRef,
    Diagnosis,
    EspSa,
    FlowCounters,
    IkeSa,
    InterfaceInfo,
    IpsecFlow,
    LocalPool,
    PoolLease,
    RouterInfo,
    Snapshot,
)
from vpnrouter.config import parse, render

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"

ESP_3DES, HMAC_MD5 = 3, 1
DES, TDES, MD5, SHA, PSK, XAUTH_INIT_PSK = 1, 5, 1, 2, 1, 65001


def running_config(name: str) -> str:
    text = (ROOT / "examples" / "seed" / f"{name}.cfg").read_text()
    return render(parse(text, f"{name}.cfg").config)


def esp(spi: int, conn_id: int, flow_id: int, kb: int, sec: int, packets: int = 0) -> EspSa:
    return EspSa(
        spi=spi,
        conn_id=conn_id,
        flow_id=flow_id,
        encryption=ESP_3DES,
        auth=HMAC_MD5,
        remaining_kilobytes=kb,
        remaining_seconds=float(sec),
        packets=packets,
        last_seq=packets,
    )


def interfaces(outside: str, inside: str, crypto_map: str) -> tuple[InterfaceInfo, ...]:
    return (
        InterfaceInfo("Ethernet0/0", f"{outside}/24", "eth0", crypto_map),
        InterfaceInfo("Ethernet0/1", f"{inside}/24", "eth1"),
    )


def vpn2611() -> Snapshot:
    router = RouterInfo(
        hostname="vpn2611",
        software_version="0.1.0",
        ios_version="12.2",
        uptime=3900.0,
        platform="Linux 6.1.0 x86_64, Python 3.11.7",
        image="/usr/local/bin/vpnrouter",
        config_file="/etc/vpnrouter/vpn2611.cfg",
        interfaces=(*interfaces("172.18.124.159", "10.10.10.1", "clientmap"),
                    InterfaceInfo("Serial0/0", None, None, None, up=False)),
    )  # fmt: skip
    ike = (
        IkeSa(
            conn_id=5, dst="172.18.124.159", src="172.18.124.199", state="QM_IDLE",
            local="172.18.124.159", peer="172.18.124.199", interface="Ethernet0/0",
            encryption=DES, hash=MD5, auth=PSK, group=1, lifetime=86400, remaining=85062.0,
            established=1338.0,
        ),
        IkeSa(
            conn_id=6, dst="172.18.124.159", src="64.102.55.142", state="QM_IDLE",
            local="172.18.124.159", peer="64.102.55.142", interface="Ethernet0/0",
            encryption=TDES, hash=SHA, auth=XAUTH_INIT_PSK, group=2, lifetime=86400,
            remaining=86283.0, capabilities=("C", "X"), username="cisco",
            group_name="3000client", assigned_address="14.1.1.106", established=117.0,
        ),
    )  # fmt: skip
    lan = IpsecFlow(
        interface="Ethernet0/0", map_name="clientmap", map_seq=1,
        local_address="172.18.124.159", peer="172.18.124.199",
        local_net="10.10.10.0/24", remote_net="10.10.20.0/24",
        counters=FlowCounters(encaps=4, encrypt=4, digest=4, decaps=4, decrypt=4, verify=4),
        ike_conn_id=5,
        inbound=(esp(0x7B7B2015, 2000, 1, 4607999, 1182, 4),),
        outbound=(esp(0x892741BC, 2001, 2, 4607999, 1182, 4),),
    )  # fmt: skip
    client_host = IpsecFlow(
        interface="Ethernet0/0", map_name="clientmap", map_seq=10,
        local_address="172.18.124.159", peer="64.102.55.142",
        local_net="172.18.124.159/32", remote_net="14.1.1.106/32", origin_is_acl=False,
        ike_conn_id=6,
        inbound=(esp(0xC4483102, 2002, 3, 4608000, 3484),),
        outbound=(esp(0x81F39EFA, 2003, 4, 4608000, 3484),),
    )  # fmt: skip
    client_any = IpsecFlow(
        interface="Ethernet0/0", map_name="clientmap", map_seq=10,
        local_address="172.18.124.159", peer="64.102.55.142",
        local_net="0.0.0.0/0", remote_net="14.1.1.106/32", origin_is_acl=False,
        counters=FlowCounters(encaps=4, encrypt=4, digest=4, decaps=20, decrypt=20, verify=20),
        ike_conn_id=6,
        inbound=(esp(0x5209917C, 2004, 5, 4607998, 3474, 9),
                 esp(0xDE6C99C0, 2006, 7, 4607998, 3493, 79)),
        outbound=(esp(0x58886878, 2005, 6, 4608000, 3474),
                  esp(0xB7F84138, 2007, 8, 4607999, 3486, 4)),
    )  # fmt: skip
    pool = LocalPool("ippool", "14.1.1.100", "14.1.1.200", (PoolLease("14.1.1.106", "cisco"),))
    return Snapshot(
        router=router,
        ike_sas=ike,
        ipsec=(lan, client_host, client_any),
        pools=(pool,),
        running_config=running_config("vpn2611"),
        diagnoses=vpn2611_diagnoses(),
    )


def vpn2611_diagnoses() -> tuple[Diagnosis, ...]:
    """What vpn2611's router says of its two peers (``show crypto isakmp diagnose``)."""
    lan = Diagnosis(
        peer="172.18.124.199", verdict="up", conn_id=5, state="QM_IDLE",
        text="phase 1 with 172.18.124.199 is up (QM_IDLE, conn-id 5, DES/MD5/group 1 by policy"
        " 10), with 1 IPsec SA pair: 10.10.10.0/24 <-> 10.10.20.0/24 (crypto map clientmap 1)."
        " Nothing failed.",
        config=(ConfigRef(61, "crypto isakmp policy 10"),
                ConfigRef(70, "crypto isakmp key ***** address 172.18.124.199 no-xauth"),
                ConfigRef(114, "crypto map clientmap 1 ipsec-isakmp")),
    )  # fmt: skip
    client = Diagnosis(
        peer="64.102.55.142", verdict="up", conn_id=6, state="QM_IDLE",
        text="phase 1 with 64.102.55.142 is up (QM_IDLE, conn-id 6, 3DES/SHA/group 2 by policy"
        " 3) for client group 3000client, user cisco, address 14.1.1.106, with 3 IPsec SA"
        " pairs: 172.18.124.159/32 <-> 14.1.1.106/32 (crypto map clientmap 10) and"
        " 0.0.0.0/0 <-> 14.1.1.106/32 (crypto map clientmap 10). Nothing failed.",
        config=(ConfigRef(51, "crypto isakmp policy 3"),
                ConfigRef(79, "crypto isakmp client configuration group 3000client")),
    )  # fmt: skip
    return (lan, client)


def vpn3640() -> Snapshot:
    router = RouterInfo(
        hostname="vpn3640",
        software_version="0.1.0",
        ios_version="12.2",
        uptime=1250.0,
        interfaces=interfaces("172.18.124.199", "10.10.20.1", "mymap"),
    )
    ike = IkeSa(
        conn_id=4, dst="172.18.124.159", src="172.18.124.199", state="QM_IDLE",
        local="172.18.124.199", peer="172.18.124.159", initiator=True, interface=None,
        encryption=DES, hash=MD5, auth=PSK, group=1, lifetime=86400, remaining=85137.0,
        established=1263.0,
    )  # fmt: skip
    flow = IpsecFlow(
        interface="Ethernet0/0", map_name="mymap", map_seq=10,
        local_address="172.18.124.199", peer="172.18.124.159",
        local_net="10.10.20.0/24", remote_net="10.10.10.0/24",
        counters=FlowCounters(encaps=4, encrypt=4, digest=4, decaps=4, decrypt=4, verify=4,
                              send_errors=11),
        ike_conn_id=4,
        inbound=(esp(0x892741BC, 940, 1, 4607998, 1237, 4),),
        outbound=(esp(0x7B7B2015, 941, 2, 4607999, 1237, 4),),
    )  # fmt: skip
    return Snapshot(
        router=router, ike_sas=(ike,), ipsec=(flow,), running_config=running_config("vpn3640")
    )


def with_version(snap: Snapshot, version: str | None) -> Snapshot:
    """The same router speaking another dialect."""
    return dataclasses.replace(snap, router=dataclasses.replace(snap.router, ios_version=version))


class FakeBackend:
    """Hands out ``snap``; records clears and debug switches; ``debug_lines`` replays
    ``lines``. ``fail`` makes every call raise BackendError (an unreachable router)."""

    def __init__(self, snap: Snapshot, lines: tuple[str, ...] = ()) -> None:
        self.snap = snap
        self.lines = lines
        self.calls: list[tuple[str, object]] = []
        self.debug: set[str] = set()
        self.fail: str | None = None

    def _check(self) -> None:
        if self.fail is not None:
            raise BackendError(self.fail)

    def snapshot(self) -> Snapshot:
        self._check()
        router = dataclasses.replace(self.snap.router, debug=tuple(sorted(self.debug)))
        return dataclasses.replace(self.snap, router=router)

    def clear_sa(self, peer: str | None) -> None:
        self._check()
        self.calls.append(("clear_sa", peer))

    def clear_isakmp(self, conn_id: int | None) -> None:
        self._check()
        self.calls.append(("clear_isakmp", conn_id))

    def set_debug(self, facility: str, on: bool) -> None:
        self._check()
        self.calls.append(("debug", (facility, on)))
        if facility == "all":
            self.debug.clear()
        elif on:
            self.debug.add(facility)
        else:
            self.debug.discard(facility)

    def debug_lines(self) -> Iterator[str]:
        self._check()
        yield from self.lines
