"""From the real IKE engines to the show commands: the seed pair comes up in memory (vpn3640
initiates, as in the seed), ESP SAs are built from the ChildSaUp keys and carry packets, and
``from_engine`` turns the engines' rows and the SAs' counters into snapshots that print what
the seed's routers printed (same shape, same cross-matching SPIs and counters)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import replace
from ipaddress import IPv4Address

from ikepair import FLOW_3640, VPN2611, VPN3640, Pair, seed_2611, seed_3640
from shellfakes import FakeBackend, running_config

from vpnrouter.cli.shell.from_engine import ike_sa, ipsec_flows
from vpnrouter.cli.shell.grammar import ENABLE
from vpnrouter.cli.shell.session import Session
from vpnrouter.cli.shell.snapshot import InterfaceInfo, RouterInfo, Snapshot
from vpnrouter.esp.codec import decapsulate, encapsulate
from vpnrouter.esp.ipv4 import build_header
from vpnrouter.esp.sa import Direction, EspSa, Lifetime
from vpnrouter.esp.spd import Action, Policy, PortRange, Selector
from vpnrouter.ike.events import ChildSaUp
from vpnrouter.netio.loop import Dataplane, DataplaneConfig
from vpnrouter.router.snapshot import SendErrorBaseline


def dataplane(event: ChildSaUp) -> dict[tuple[int, bool], EspSa]:
    sel = event.selector
    outbound_sel = Selector(
        sel.local, sel.remote, sel.protocol, PortRange.single(sel.local_port),
        PortRange.single(sel.remote_port),
    )  # fmt: skip
    made: dict[tuple[int, bool], EspSa] = {}
    for keys, direction, selector in (
        (event.outbound, Direction.OUTBOUND, outbound_sel),
        (event.inbound, Direction.INBOUND, outbound_sel.reversed()),
    ):
        made[(keys.spi, direction is Direction.INBOUND)] = EspSa(
            spi=keys.spi, direction=direction, transform_id=keys.transform_id,
            key_len_bits=keys.key_length, enc_key=keys.enc_key, auth_alg=keys.auth_alg,
            auth_key=keys.auth_key, local=IPv4Address(event.local),
            remote=IPv4Address(event.peer), selector=selector,
            lifetime=Lifetime(event.lifetime_seconds, event.lifetime_kilobytes), created=0.0,
        )  # fmt: skip
    return made


def packet(src: str, dst: str) -> bytes:
    payload = bytes(64)
    header = build_header(
        src=IPv4Address(src).packed, dst=IPv4Address(dst).packed, protocol=1,
        payload_len=len(payload),
    )  # fmt: skip
    return header + payload


def snapshot_of(
    pair: Pair,
    name: str,
    sas: dict[tuple[int, bool], EspSa],
    acquire_drops: Mapping[str, int] | None = None,
) -> Snapshot:
    node = pair.node(name)
    hostname, crypto_map, addr = (
        ("vpn2611", "clientmap", VPN2611) if name == "a" else ("vpn3640", "mymap", VPN3640)
    )
    engine = node.engine
    ike = tuple(
        ike_sa(row, pair.now, interface="Ethernet0/0") for row in engine.isakmp_sas(pair.now)
    )
    flows = ipsec_flows(
        engine.ipsec_sas(pair.now),
        lambda spi, inbound: sas.get((spi, inbound)),
        interface="Ethernet0/0",
        acl_tags={f"{crypto_map} {1 if name == 'a' else 10}"},
        acquire_drops=acquire_drops,
    )
    router = RouterInfo(
        hostname=hostname, software_version="0.1.0", ios_version="12.2",
        interfaces=(InterfaceInfo("Ethernet0/0", f"{addr}/24", crypto_map=crypto_map),),
    )  # fmt: skip
    return Snapshot(router, ike_sas=ike, ipsec=flows, running_config=running_config(hostname))


def test_engine_rows_render_like_the_seed() -> None:
    pair = Pair(seed_2611(), seed_3640(), seed=7)
    entry = pair.b.engine.policy.crypto_maps[0]
    assert pair.b.engine.initiate(entry, FLOW_3640, pair.now)
    pair.pump()
    (up_a,) = pair.a.of(ChildSaUp)
    (up_b,) = pair.b.of(ChildSaUp)
    sas_a, sas_b = dataplane(up_a), dataplane(up_b)
    out_b = sas_b[(up_b.outbound.spi, False)]
    in_a = sas_a[(up_a.inbound.spi, True)]
    for _ in range(4):  # vpn3640 -> vpn2611, like the seed's pings
        sealed = encapsulate(out_b, packet("10.10.20.5", "10.10.10.5"), os.urandom)
        assert isinstance(sealed, bytes)
        assert isinstance(decapsulate(in_a, sealed), bytes)

    s2611 = Session(FakeBackend(snapshot_of(pair, "a", sas_a)), privilege=ENABLE)
    s3640 = Session(FakeBackend(snapshot_of(pair, "b", sas_b)), privilege=ENABLE)
    for session in (s2611, s3640):
        lines = session.run_command("show crypto isakmp sa").splitlines()
        assert lines[1].split()[:3] == [VPN2611, VPN3640, "QM_IDLE"]  # dst, src: 3640 began

    text_a = s2611.run_command("show crypto ipsec sa")
    text_b = s3640.run_command("show crypto ipsec sa")
    assert "Crypto map tag: clientmap, local addr. 172.18.124.159" in text_a
    assert "(10.10.10.0/255.255.255.0/0/0)" in text_a and "PERMIT, flags={origin_is_acl,}" in text_a
    assert "#pkts decaps: 4, #pkts decrypt: 4, #pkts verify 4" in text_a
    assert "#pkts encaps: 4, #pkts encrypt: 4, #pkts digest 4" in text_b
    # the SPIs cross: what vpn3640 sends with is what vpn2611 receives on
    assert f"current outbound spi: {up_b.outbound.spi:X}" in text_b
    assert f"spi: 0x{up_b.outbound.spi:X}({up_b.outbound.spi})" in text_a.split("outbound esp")[0]
    assert "transform: esp-3des esp-md5-hmac ," in text_a
    assert "sa timing: remaining key lifetime (k/sec): (4608000/3600)" in text_a

    engine_a = s2611.run_command("show crypto engine connections active").splitlines()
    assert [row.split()[-3:] for row in engine_a[1:]] == [
        ["HMAC_MD5+DES_56_CB", "0", "0"],
        ["HMAC_MD5+3DES_56_C", "0", "4"],
        ["HMAC_MD5+3DES_56_C", "0", "0"],
    ]
    assert "Session status: UP-ACTIVE" in s3640.run_command("show crypto session")


def test_packets_dropped_before_the_sa_existed_are_send_errors_until_cleared() -> None:
    """The seed's vpn3640: its first pings found no SA (the data plane dropped them and
    asked for one); once the tunnel is up its flow shows them as ``#send errors 11``, in
    both dialects and in ``| json``; ``clear crypto sa`` starts the count again from 0."""
    plane = Dataplane(DataplaneConfig(local=IPv4Address(VPN3640)), lambda event: None)
    plane.set_policies([Policy(Selector.of("10.10.20.0/24", "10.10.10.0/24"), Action.PROTECT,
                               "mymap 10", IPv4Address(VPN2611))])  # fmt: skip
    for _ in range(11):
        plane.process_outbound(packet("10.10.20.5", "10.10.10.5"))
    assert plane.stats.acquire_drops == {"mymap 10": 11}
    pair = Pair(seed_2611(), seed_3640(), seed=7)
    assert pair.b.engine.initiate(pair.b.engine.policy.crypto_maps[0], FLOW_3640, pair.now)
    pair.pump()
    (up_b,) = pair.b.of(ChildSaUp)
    sas_b = dataplane(up_b)
    baseline = SendErrorBaseline()

    def shown() -> Snapshot:
        return snapshot_of(pair, "b", sas_b, baseline.since_clear(plane.stats.acquire_drops))

    legacy = shown()
    (flow,) = legacy.ipsec
    assert flow.counters.send_errors == 11 and flow.counters.encaps == 0
    ios15 = replace(legacy, router=replace(legacy.router, ios_version="15.1"))
    for snap in (legacy, ios15):
        session = Session(FakeBackend(snap), privilege=ENABLE)
        text = session.run_command("show crypto ipsec sa")
        assert "    #send errors 11, #recv errors 0" in text.splitlines()
        found = json.loads(session.run_command("show crypto ipsec sa | json"))
        assert [f["counters"]["send_errors"] for f in found["ipsec_sa"]] == [11]
    # vpn2611 dropped nothing: its flow has no send errors
    (up_a,) = pair.a.of(ChildSaUp)
    (flow_a,) = snapshot_of(pair, "a", dataplane(up_a), {"mymap 10": 11}).ipsec
    assert flow_a.counters.send_errors == 0

    baseline.clear(plane.stats.acquire_drops, {"othermap 5"})  # another peer's entries only
    assert shown().ipsec[0].counters.send_errors == 11
    baseline.clear(plane.stats.acquire_drops)  # clear crypto sa
    assert shown().ipsec[0].counters.send_errors == 0
    text = Session(FakeBackend(shown()), privilege=ENABLE).run_command("show crypto ipsec sa")
    assert "    #send errors 0, #recv errors 0" in text.splitlines()
    for _ in range(2):  # traffic after the clear, before the new SAs: counted afresh
        plane.process_outbound(packet("10.10.20.5", "10.10.10.5"))
    assert plane.stats.acquire_drops == {"mymap 10": 13}  # the data plane's own figure grows
    assert shown().ipsec[0].counters.send_errors == 2
    baseline.clear(plane.stats.acquire_drops, {"mymap 10"})  # clear crypto sa peer 172.18.124.159
    assert shown().ipsec[0].counters.send_errors == 0


def test_flows_are_shown_on_the_interface_of_their_local_address() -> None:
    """A crypto map on two interfaces: each flow's ``interface:`` block is the one whose
    address the SA uses; an interface without SAs still gets its (empty) block."""
    pair = Pair(seed_2611(), seed_3640(), seed=7)
    assert pair.b.engine.initiate(pair.b.engine.policy.crypto_maps[0], FLOW_3640, pair.now)
    pair.pump()
    (up_a,) = pair.a.of(ChildSaUp)
    sas = dataplane(up_a)
    engine = pair.a.engine
    flows = ipsec_flows(
        engine.ipsec_sas(pair.now),
        lambda spi, inbound: sas.get((spi, inbound)),
        interface="Ethernet0/0",
        interfaces={"192.0.2.1": "Ethernet0/0", VPN2611: "Ethernet1/0"},
        acl_tags={"clientmap 1"},
    )
    assert [flow.interface for flow in flows] == ["Ethernet1/0"]
    router = RouterInfo(
        hostname="vpn2611", software_version="0.1.0", ios_version="12.2",
        interfaces=(
            InterfaceInfo("Ethernet0/0", "192.0.2.1/24", crypto_map="clientmap"),
            InterfaceInfo("Ethernet1/0", f"{VPN2611}/24", crypto_map="clientmap"),
        ),
    )  # fmt: skip
    snap = Snapshot(router, ipsec=flows, running_config=running_config("vpn2611"))
    session = Session(FakeBackend(snap), privilege=ENABLE)
    text = session.run_command("show crypto ipsec sa")
    first, second = text.split("interface: ")[1:]
    assert first.startswith("Ethernet0/0\n    Crypto map tag: clientmap, local addr. 192.0.2.1")
    assert "pkts encaps" not in first
    assert second.startswith(f"Ethernet1/0\n    Crypto map tag: clientmap, local addr. {VPN2611}")
    assert f"local crypto endpt.: {VPN2611}, remote crypto endpt.: {VPN3640}" in second
