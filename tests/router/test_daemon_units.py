"""router.daemon pieces that need no network: ChildSaUp -> ESP SA pair, JSON snapshots."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network

from vpnrouter.esp.codec import decapsulate, encapsulate
from vpnrouter.esp.ipv4 import build_header
from vpnrouter.esp.sa import Direction, UdpEncap
from vpnrouter.ike.events import ChildSaUp, EspKeys, UdpEncapsulation
from vpnrouter.ike.policy import TrafficSelector
from vpnrouter.router.daemon import esp_pair, jsonable


def ip_packet(src: str, dst: str) -> bytes:
    header = build_header(
        src=IPv4Address(src).packed, dst=IPv4Address(dst).packed, protocol=1, payload_len=8
    )
    return header + bytes(8)


def child_up(encap: UdpEncapsulation | None, swap: bool = False) -> ChildSaUp:
    a = EspKeys(0x1000, 12, 128, 2, bytes(range(16)), bytes(range(20)))
    b = EspKeys(0x2000, 12, 128, 2, bytes(range(1, 17)), bytes(range(1, 21)))
    selector = TrafficSelector(IPv4Network("10.10.10.0/24"), IPv4Network("10.10.20.0/24"))
    local, peer = "172.18.124.159", "172.18.124.199"
    if swap:
        a, b, local, peer = b, a, peer, local
        selector = selector.mirror()
    return ChildSaUp(
        local=local,
        peer=peer,
        inbound=a,
        outbound=b,
        selector=selector,
        mode="tunnel",
        encapsulation=encap,
        lifetime_seconds=3600,
        lifetime_kilobytes=4608000,
        map_name="clientmap",
        map_seq=1,
        transform_names="esp-aes esp-sha-hmac",
        pfs_group=None,
        ike_conn_id=1,
        initiator=True,
    )


def test_esp_pair_directions_selectors_and_encap() -> None:
    out, inb = esp_pair(child_up(UdpEncapsulation(4500, 4500, 3)), now=5.0)
    assert (out.spi, out.direction, inb.spi, inb.direction) == (
        0x2000,
        Direction.OUTBOUND,
        0x1000,
        Direction.INBOUND,
    )
    assert str(out.selector.src_net) == "10.10.10.0/24" and str(inb.selector.src_net) == (
        "10.10.20.0/24"
    )
    assert out.encap == inb.encap == UdpEncap(4500, 4500)
    assert out.tag == "clientmap 1" and out.created == 5.0 and out.lifetime.seconds == 3600
    assert (out.local, out.remote) == (IPv4Address("172.18.124.159"), IPv4Address("172.18.124.199"))
    plain, _ = esp_pair(child_up(None), now=0.0)
    assert plain.encap is None


def test_the_two_sides_pairs_interoperate() -> None:
    ours_out, ours_in = esp_pair(child_up(None), now=0.0)
    peer_out, peer_in = esp_pair(child_up(None, swap=True), now=0.0)
    packet = ip_packet("10.10.10.10", "10.10.20.10")
    esp = encapsulate(ours_out, packet, lambda n: bytes(n))
    assert isinstance(esp, bytes)
    assert decapsulate(peer_in, esp) == packet
    back = encapsulate(peer_out, ip_packet("10.10.20.10", "10.10.10.10"), lambda n: bytes(n))
    assert isinstance(back, bytes)
    assert isinstance(decapsulate(ours_in, back), bytes)


def test_jsonable_snapshot() -> None:
    event = child_up(UdpEncapsulation(4500, 4501, 3))
    data = jsonable(event)
    json.dumps(data)
    assert data["selector"]["local"] == "10.10.10.0/24"
    assert data["encapsulation"] == {"local_port": 4500, "remote_port": 4501, "mode": 3}
    assert data["inbound"]["enc_key"] == bytes(range(16)).hex()


def test_esp_on_an_unknown_spi_is_logged_and_handed_to_the_engine() -> None:
    """%CRYPTO-4-RECVD_PKT_INV_SPI, then the engine decides about the INVALID-SPI notify
    (it needs an ISAKMP SA with the peer), and what it queued is sent."""
    import io
    from pathlib import Path

    from vpnrouter.config import load
    from vpnrouter.netio.events import UnknownSpi
    from vpnrouter.router.daemon import Router
    from vpnrouter.router.ioslog import IosLogger
    from vpnrouter.router.policy_builder import build

    seed = Path(__file__).resolve().parents[2] / "examples" / "seed" / "vpn2611.cfg"
    out = io.StringIO()
    router = Router(
        build(load(seed).config),
        IosLogger(out, frozenset(), lambda: 0.0),
        socket_path=Path("/nonexistent/vpnrouter.sock"),
    )
    calls: list[tuple[object, ...]] = []

    class Engine:
        def unknown_spi(self, spi: int, peer: str, peer_port: int | None, now: float) -> bool:
            calls.append(("unknown_spi", spi, peer, peer_port))
            return True

    class Link:
        def service(self, schedule: bool = True) -> None:
            calls.append(("service",))

    router._engine = Engine()  # type: ignore[assignment]
    router._link = Link()  # type: ignore[assignment]
    router._on_dataplane(UnknownSpi(0x1234ABCD, "172.18.124.199", 4500))
    assert calls == [("unknown_spi", 0x1234ABCD, "172.18.124.199", 4500), ("service",)]
    assert "%CRYPTO-4-RECVD_PKT_INV_SPI" in out.getvalue()
    assert "spi=0x1234ABCD(305441741), srcaddr=172.18.124.199" in out.getvalue()
