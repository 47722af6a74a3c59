"""The data-plane driver's packet logic with fake descriptors (no root, no sockets).

Covers what the router relies on: SPD verdicts on TUN packets (protect / acquire / bypass /
discard), fragmentation before encryption and ICMP fragmentation-needed, MSS clamping, the
RFC 3948 demultiplexing of UDP 4500 (IKE with the non-ESP marker, ESP, keepalive), unknown
SPIs, lifetime events, SA removal, and the manual-keying config parser.
"""

from __future__ import annotations

import os
import struct
from ipaddress import IPv4Address
from typing import Any

import pytest

from vpnrouter.esp.codec import encapsulate
from vpnrouter.esp.ipv4 import FLAG_DF, build_header, checksum, flow_key
from vpnrouter.esp.sa import Direction, Drop, EspSa, Lifetime, LifetimeState, UdpEncap
from vpnrouter.esp.spd import Action, Policy, Selector
from vpnrouter.netio import manual
from vpnrouter.netio.events import Acquire, DataplaneEvent, IkeDatagram, SaLifetime, UnknownSpi
from vpnrouter.netio.loop import Dataplane, DataplaneConfig, DfBit
from vpnrouter.netio.udp import NON_ESP_MARKER, Kind, classify

LOCAL = IPv4Address("172.18.124.159")
PEER = "172.18.124.199"
OUT_SEL = Selector.of("10.10.10.0/24", "10.10.20.0/24")


class FakeTun:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, packet: bytes) -> bool:
        self.written.append(packet)
        return True

    def fileno(self) -> int:
        return -1


class FakeSocket:
    """Stands in for RawEspSocket, RawIpSender and UdpEndpoint."""

    def __init__(self, port: int = 0, inbox: list[tuple[bytes, Any]] | None = None) -> None:
        self.port = port
        self.local = LOCAL
        self.sent: list[tuple[bytes, Any]] = []
        self.inbox = inbox or []

    def send(self, payload: bytes, peer: Any = None) -> bool:
        self.sent.append((payload, peer))
        return True

    def send_ike(self, message: bytes, peer: tuple[str, int]) -> bool:
        return self.send((NON_ESP_MARKER if self.port == 4500 else b"") + message, peer)

    def recv(self) -> tuple[bytes, Any] | None:
        return self.inbox.pop(0) if self.inbox else None

    def fileno(self) -> int:
        return -1


def make_sa(direction: Direction, spi: int, **kw: Any) -> EspSa:
    selector = OUT_SEL if direction is Direction.OUTBOUND else OUT_SEL.reversed()
    defaults: dict[str, Any] = {
        "spi": spi,
        "direction": direction,
        "transform_id": 12,
        "key_len_bits": 128,
        "enc_key": bytes(range(16)),
        "auth_alg": 2,
        "auth_key": bytes(range(20)),
        "local": LOCAL,
        "remote": IPv4Address(PEER),
        "selector": selector,
        "tag": "mymap 10",
    }
    defaults.update(kw)
    return EspSa(**defaults)


class Harness:
    def __init__(self, **config: Any) -> None:
        self.events: list[DataplaneEvent] = []
        self.now = 1000.0
        self.plane = Dataplane(
            DataplaneConfig(local=LOCAL, **config), self.events.append, clock=lambda: self.now
        )
        self.tun = FakeTun()
        self.raw = FakeSocket()
        self.icmp = FakeSocket()
        self.udp = {500: FakeSocket(500), 4500: FakeSocket(4500)}
        self.plane._tun = self.tun  # type: ignore[assignment]
        self.plane._raw = self.raw  # type: ignore[assignment]
        self.plane._icmp = self.icmp  # type: ignore[assignment]
        self.plane._udp = self.udp  # type: ignore[assignment]
        self.plane.set_policies([Policy(OUT_SEL, Action.PROTECT, "mymap 10")])

    def pair(self, **kw: Any) -> tuple[EspSa, EspSa]:
        out, inb = (
            make_sa(Direction.OUTBOUND, 0x1001, **kw),
            make_sa(Direction.INBOUND, 0x2002, **kw),
        )
        self.plane.add_sa_pair(out, inb)
        return out, inb


def packet(
    size: int = 84,
    src: str = "10.10.10.10",
    dst: str = "10.10.20.10",
    proto: int = 1,
    df: bool = False,
) -> bytes:
    body = bytes(i & 0xFF for i in range(size - 20))
    return (
        build_header(
            src=IPv4Address(src).packed,
            dst=IPv4Address(dst).packed,
            protocol=proto,
            payload_len=len(body),
            ident=7,
            flags_offset=FLAG_DF if df else 0,
        )
        + body
    )


def peer_sa(direction: Direction, spi: int) -> EspSa:
    """The peer's view: its outbound SA is our inbound one (same SPI and keys)."""
    selector = OUT_SEL.reversed() if direction is Direction.OUTBOUND else OUT_SEL
    return make_sa(direction, spi, selector=selector, local=IPv4Address(PEER), remote=LOCAL)


def test_protected_packet_leaves_as_esp_to_the_peer() -> None:
    h = Harness()
    out, _ = h.pair()
    h.plane.process_outbound(packet())
    assert len(h.raw.sent) == 1
    esp, peer = h.raw.sent[0]
    assert peer == PEER and esp[:4] == (0x1001).to_bytes(4, "big")
    assert out.counters.encaps == 1 and h.plane.stats.esp_out == 1
    # the peer can open it
    from vpnrouter.esp.codec import decapsulate

    assert decapsulate(peer_sa(Direction.INBOUND, 0x1001), esp) == packet()


def test_no_sa_means_acquire_once_per_holddown_and_nothing_sent() -> None:
    h = Harness()
    for _ in range(3):
        h.plane.process_outbound(packet())
    assert h.raw.sent == [] and h.udp[4500].sent == []
    assert h.plane.stats.drops[Drop.NO_SA] == 3
    assert h.plane.stats.acquire_drops["mymap 10"] == 3
    assert len(h.events) == 1 and isinstance(h.events[0], Acquire)
    acquire = h.events[0]
    assert acquire.policy.tag == "mymap 10"
    assert (str(acquire.src), str(acquire.dst)) == ("10.10.10.10", "10.10.20.10")
    h.now += 5
    h.plane.process_outbound(packet())
    assert len(h.events) == 2


def test_unmatched_and_discarded_traffic_is_dropped_not_sent() -> None:
    h = Harness()
    h.plane.set_policies(
        [
            Policy(Selector.of("10.10.10.66/32", "0.0.0.0/0"), Action.DISCARD),
            Policy(OUT_SEL, Action.PROTECT),
        ]
    )
    h.plane.process_outbound(packet(src="10.10.10.66"))
    h.plane.process_outbound(packet(src="192.168.0.1"))
    h.plane.process_outbound(b"\x60" + bytes(50))
    assert h.raw.sent == []
    assert h.plane.stats.drops == {Drop.POLICY_DISCARD: 1, Drop.POLICY_BYPASS: 1, Drop.NOT_IPV4: 1}


def test_udp_encapsulated_sa_sends_from_port_4500() -> None:
    h = Harness()
    h.pair(encap=UdpEncap(4500, 31337))
    h.plane.process_outbound(packet())
    assert h.raw.sent == []
    esp, peer = h.udp[4500].sent[0]
    assert peer == (PEER, 31337) and esp[:4] == (0x1001).to_bytes(4, "big")


def test_oversized_packet_without_df_is_fragmented_before_encryption() -> None:
    h = Harness()
    out, _ = h.pair()
    h.plane.process_outbound(packet(1500))
    assert len(h.raw.sent) == 2
    assert out.counters.encaps == 2
    assert all(len(esp) + 20 <= 1500 for esp, _ in h.raw.sent)


def test_oversized_packet_with_df_gets_icmp_frag_needed() -> None:
    h = Harness()
    out, _ = h.pair()
    limit = out.max_inner(1500)
    big = packet(1500, df=True)
    h.plane.process_outbound(big)
    assert h.raw.sent == []
    assert out.counters.drops[Drop.FRAG_NEEDED] == 1 and out.counters.send_errors == 1
    icmp, _ = h.icmp.sent[0]
    assert icmp[16:20] == IPv4Address("10.10.10.10").packed
    assert icmp[20:22] == b"\x03\x04" and int.from_bytes(icmp[26:28], "big") == limit
    assert h.plane.stats.icmp_sent == 1


def test_df_bit_clear_encapsulates_anyway() -> None:
    h = Harness(df_bit=DfBit.CLEAR)
    h.pair()
    h.plane.process_outbound(packet(1500, df=True))
    assert len(h.raw.sent) == 1 and h.icmp.sent == []


def tcp_syn(mss: int) -> bytes:
    segment = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 6 << 4, 0x02, 65535, 0, 0)
    segment += struct.pack("!BBH", 2, 4, mss) + b"\x00" * 4
    src, dst = IPv4Address("10.10.10.10").packed, IPv4Address("10.10.20.10").packed
    csum = checksum(src + dst + struct.pack("!BBH", 0, 6, len(segment)) + segment)
    segment = segment[:16] + csum.to_bytes(2, "big") + segment[18:]
    return build_header(src=src, dst=dst, protocol=6, payload_len=len(segment)) + segment


def test_mss_is_clamped_on_the_way_out() -> None:
    h = Harness()
    out, _ = h.pair()
    h.plane.process_outbound(tcp_syn(1460))
    from vpnrouter.esp.codec import decapsulate

    inner = decapsulate(peer_sa(Direction.INBOUND, 0x1001), h.raw.sent[0][0])
    assert isinstance(inner, bytes)
    assert struct.unpack("!H", inner[42:44])[0] == out.max_inner(1500) - 40


def test_inbound_esp_is_decapsulated_into_the_tun() -> None:
    h = Harness()
    _, inb = h.pair()
    sender = peer_sa(Direction.OUTBOUND, 0x2002)
    reply = packet(src="10.10.20.10", dst="10.10.10.10")
    esp = encapsulate(sender, reply, os.urandom)
    assert isinstance(esp, bytes)
    h.plane.process_inbound(esp, PEER, None)
    assert h.tun.written == [reply]
    assert inb.counters.decaps == 1
    h.plane.process_inbound(esp, PEER, None)  # replayed
    assert inb.counters.replay_failures == 1 and len(h.tun.written) == 1


def test_unknown_spi_is_counted_and_reported_rate_limited() -> None:
    h = Harness()
    h.pair()
    for _ in range(3):
        h.plane.process_inbound(b"\x00\x00\x99\x99" + bytes(60), PEER, 4500)
    h.plane.process_inbound(b"\x00\x00", PEER, None)
    assert h.plane.stats.drops == {Drop.UNKNOWN_SPI: 3, Drop.TRUNCATED: 1}
    assert h.events == [UnknownSpi(0x9999, PEER, 4500)]


def test_udp_4500_demultiplexing() -> None:
    assert classify(b"\xff", 4500) == (Kind.KEEPALIVE, b"")
    assert classify(NON_ESP_MARKER + b"ike-message!", 4500) == (Kind.IKE, b"ike-message!")
    assert classify(b"\x00\x00\x10\x01" + bytes(20), 4500)[0] is Kind.ESP
    assert classify(b"\x00\x00\x00", 4500)[0] is Kind.INVALID
    assert classify(NON_ESP_MARKER + b"x" * 30, 500) == (Kind.IKE, NON_ESP_MARKER + b"x" * 30)


def test_udp_reader_routes_ike_esp_and_keepalives() -> None:
    h = Harness()
    _, inb = h.pair(encap=UdpEncap(4500, 4500))
    esp = encapsulate(
        peer_sa(Direction.OUTBOUND, 0x2002), packet(src="10.10.20.1", dst="10.10.10.1"), os.urandom
    )
    assert isinstance(esp, bytes)
    h.udp[4500].inbox = [
        (NON_ESP_MARKER + b"isakmp", (PEER, 4500)),
        (b"\xff", (PEER, 4500)),
        (esp, (PEER, 4500)),
        (b"\x01", (PEER, 4500)),
    ]
    h.udp[500].inbox = [(b"main mode", (PEER, 500))]
    h.plane._on_udp(h.udp[4500])  # type: ignore[arg-type]
    h.plane._on_udp(h.udp[500])  # type: ignore[arg-type]
    assert h.events == [
        IkeDatagram(b"isakmp", (PEER, 4500), 4500, str(LOCAL)),
        IkeDatagram(b"main mode", (PEER, 500), 500, str(LOCAL)),
    ]
    assert h.plane.stats.keepalives_in == 1 and inb.counters.decaps == 1
    assert h.plane.stats.drops[Drop.TRUNCATED] == 1


def test_send_ike_adds_the_marker_only_on_4500() -> None:
    h = Harness()
    assert h.plane.send_ike(b"msg", (PEER, 500), 500)
    assert h.plane.send_ike(b"msg", (PEER, 4500), 4500)
    assert not h.plane.send_ike(b"msg", (PEER, 4500), 4501)
    assert h.udp[500].sent == [(b"msg", (PEER, 500))]
    assert h.udp[4500].sent == [(NON_ESP_MARKER + b"msg", (PEER, 4500))]
    assert h.plane.stats.ike_out == 2


def test_housekeeping_reports_lifetimes_once_and_sends_keepalives() -> None:
    h = Harness(nat_keepalive_interval=20.0)
    out, _ = h.pair(
        lifetime=Lifetime(seconds=100, kilobytes=0), created=1000.0, encap=UdpEncap(4500, 4500)
    )
    h.plane.housekeeping(1050.0)
    assert h.events == []
    assert h.udp[4500].sent == [(b"\xff", (PEER, 4500))]
    h.plane.housekeeping(1091.0)
    h.plane.housekeeping(1092.0)
    assert h.events == [
        SaLifetime(0x1001, False, LifetimeState.SOFT),
        SaLifetime(0x2002, True, LifetimeState.SOFT),
    ]
    h.plane.housekeeping(1100.0)
    assert h.events[2:] == [
        SaLifetime(0x1001, False, LifetimeState.HARD),
        SaLifetime(0x2002, True, LifetimeState.HARD),
    ]
    # the expired SA no longer carries traffic: new packets ask IKE for a fresh one
    h.plane.process_outbound(packet())
    assert out.counters.encaps == 0
    assert isinstance(h.events[-1], Acquire)


def test_kilobyte_expiry_in_the_packet_path_leads_to_acquire() -> None:
    h = Harness()
    out, _ = h.pair(lifetime=Lifetime(seconds=0, kilobytes=1))
    for _ in range(3):
        h.plane.process_outbound(packet(600))
    assert out.counters.encaps == 1
    assert out.counters.drops[Drop.EXPIRED] == 1
    assert h.plane.stats.drops[Drop.NO_SA] == 1
    assert isinstance(h.events[-1], Acquire)


def test_kilobyte_soft_limit_is_reported_by_the_packet_that_crosses_it_once() -> None:
    """Volume lifetimes are checked on the packet path (RFC 4301 4.4.2.1): the packet that
    crosses 90 % of the kilobytes raises SOFT at once (rekey now, not at the next
    housekeeping tick), once; the one that would go past the limit raises HARD with the SA's
    count at the limit, so that the engine sees the limit reached."""
    h = Harness()
    out, inb = h.pair(lifetime=Lifetime(seconds=0, kilobytes=10))  # soft at 9216 bytes
    for _ in range(8):
        h.plane.process_outbound(packet(1000))
    assert h.events == []
    h.plane.process_outbound(packet(1000))  # 9000 bytes
    assert h.events == []
    h.plane.process_outbound(packet(1000))  # 10000 bytes: past the soft limit
    assert h.events == [SaLifetime(0x1001, False, LifetimeState.SOFT)]
    h.plane.housekeeping(h.now)
    assert h.events == [SaLifetime(0x1001, False, LifetimeState.SOFT)]  # once
    h.plane.process_outbound(packet(240))  # exactly at the limit: still carried
    assert out.counters.encaps == 11 and len(h.events) == 1
    h.plane.process_outbound(packet(84))
    assert h.events[1] == SaLifetime(0x1001, False, LifetimeState.HARD)
    assert out.counters.octets == 10 * 1024 and out.remaining_kilobytes() == 0
    assert out.counters.drops[Drop.EXPIRED] == 1
    h.plane.housekeeping(h.now)
    h.plane.process_outbound(packet(84))  # unbound: the next packet acquires
    assert [type(e) for e in h.events[2:]] == [Acquire]
    # inbound too
    sender = peer_sa(Direction.OUTBOUND, 0x2002)
    for _ in range(10):
        reply = packet(1000, src="10.10.20.10", dst="10.10.10.10")
        esp = encapsulate(sender, reply, os.urandom)
        assert isinstance(esp, bytes)
        h.plane.process_inbound(esp, PEER, None)
    assert h.events[3:] == [SaLifetime(0x2002, True, LifetimeState.SOFT)]
    assert inb.counters.decaps == 10


def test_remove_sa_and_rekey_overlap() -> None:
    h = Harness()
    old_out, old_in = h.pair()
    new_out = make_sa(Direction.OUTBOUND, 0x3003)
    new_in = make_sa(Direction.INBOUND, 0x4004)
    h.plane.add_sa_pair(new_out, new_in)
    h.plane.process_outbound(packet())
    assert new_out.counters.encaps == 1 and old_out.counters.encaps == 0
    assert h.plane.find_sa(0x2002, Direction.INBOUND) is old_in  # still accepts in-flight packets
    assert h.plane.remove_sa(0x2002) == [old_in]
    assert h.plane.remove_sa(0x1001, Direction.OUTBOUND) == [old_out]
    assert h.plane.remove_sa(0x1001) == []
    assert h.plane.remove_sa(0x3003) == [new_out]
    h.plane.process_outbound(packet())
    assert isinstance(h.events[-1], Acquire)
    assert [sa.spi for sa in h.plane.inbound_sas] == [0x4004]


def test_add_sa_pair_refuses_swapped_directions() -> None:
    h = Harness()
    with pytest.raises(ValueError):
        h.plane.add_sa_pair(make_sa(Direction.INBOUND, 0x1001), make_sa(Direction.OUTBOUND, 0x2002))


def test_manual_config_parsing() -> None:
    raw = {
        "local": "172.18.124.159",
        "tun": {"name": "vpn7", "mtu": 1400, "address": "10.255.0.1/32"},
        "df_bit": "clear",
        "ike_ports": [4500],
        "policies": [
            {
                "src": "10.10.10.0/24",
                "dst": "10.10.20.0/24",
                "protocol": 6,
                "dst_port": [1, 1023],
                "action": "bypass",
                "peer": "172.18.124.199",
            }
        ],
    }
    config = manual.parse_config(raw)
    assert (config.tun_name, config.tun_mtu, str(config.tun_address)) == (
        "vpn7",
        1400,
        "10.255.0.1/32",
    )
    assert config.df_bit is DfBit.CLEAR and config.ike_ports == (4500,)
    (policy,) = manual.parse_policies(raw["policies"])  # type: ignore[arg-type]
    assert policy.action is Action.BYPASS and str(policy.peer) == "172.18.124.199"
    assert policy.selector.dst_port.lo == 1 and policy.selector.dst_port.hi == 1023
    raw_sa = {
        "spi": 4097,
        "transform": 3,
        "enc_key": "11" * 24,
        "auth": 1,
        "auth_key": "22" * 16,
        "remote": "172.18.124.199",
        "selector": {"src": "10.10.10.0/24", "dst": "10.10.20.0/24"},
        "encap": [4500, 4500],
        "lifetime": {"seconds": 60},
    }
    sa = manual.parse_sa(raw_sa, Direction.OUTBOUND, LOCAL, 5.0)
    assert sa.encap == UdpEncap(4500, 4500) and sa.lifetime.seconds == 60 and sa.created == 5.0
    assert flow_key(packet()) is not None and sa.selector.matches(flow_key(packet()))  # type: ignore[arg-type]


def test_early_inbound_sa_decrypts_before_its_pair_and_the_pair_keeps_it() -> None:
    """Quick mode responder: the new inbound SA accepts from QM2 on while we still send on
    the old pair; the completed pair keeps that very SA (counters, replay window)."""
    h = Harness()
    old_out, _ = h.pair()
    early = make_sa(Direction.INBOUND, 0x4004)
    h.plane.add_inbound_sa(early)
    reply = packet(src="10.10.20.10", dst="10.10.10.10")
    esp = encapsulate(peer_sa(Direction.OUTBOUND, 0x4004), reply, os.urandom)
    assert isinstance(esp, bytes)
    h.plane.process_inbound(esp, PEER, None)
    assert h.tun.written == [reply] and early.counters.decaps == 1
    assert h.plane.stats.drops == {}
    h.plane.process_outbound(packet())
    assert old_out.counters.encaps == 1  # nothing bound to the half-installed pair
    new_out = make_sa(Direction.OUTBOUND, 0x3003)
    h.plane.add_sa_pair(new_out, make_sa(Direction.INBOUND, 0x4004))
    assert h.plane.find_sa(0x4004, Direction.INBOUND) is early
    h.plane.process_inbound(esp, PEER, None)  # a replay: the window is the early SA's
    assert early.counters.replay_failures == 1 and len(h.tun.written) == 1
    h.plane.process_outbound(packet())
    assert new_out.counters.encaps == 1 and old_out.counters.encaps == 1


def test_early_inbound_sa_alone_protects_nothing_and_can_be_withdrawn() -> None:
    h = Harness()
    early = make_sa(Direction.INBOUND, 0x4004)
    h.plane.add_inbound_sa(early)
    h.plane.process_outbound(packet())
    assert isinstance(h.events[-1], Acquire) and h.raw.sent == []
    assert h.plane.remove_sa(0x4004, Direction.INBOUND) == [early]
    assert h.plane.inbound_sas == []
    with pytest.raises(ValueError):
        h.plane.add_inbound_sa(make_sa(Direction.OUTBOUND, 0x1001))


SECOND = IPv4Address("192.0.2.1")


def test_a_second_local_address_has_its_own_sockets() -> None:
    """Crypto maps on two interfaces: an SA's ESP leaves from the socket of its own local
    address (raw or UDP 4500), IKE from the address asked for, a deny line of a map leaves
    in the clear by that map's interface, and datagrams say which address they came to."""
    h = Harness(other_locals=(SECOND,), clear_devices=(("second", "eth1"),))
    raw2, clear2 = FakeSocket(), FakeSocket()
    udp2 = {500: FakeSocket(500), 4500: FakeSocket(4500)}
    for port, endpoint in udp2.items():
        endpoint.local = SECOND
        h.plane._other_udp[(str(SECOND), port)] = endpoint  # type: ignore[assignment]
    h.plane._other_raw[str(SECOND)] = raw2  # type: ignore[assignment]
    h.plane._clear_by_map["second"] = clear2  # type: ignore[assignment]
    assert h.plane.local_addresses == (LOCAL, SECOND)
    other = Selector.of("10.10.10.0/24", "10.10.30.0/24")
    h.plane.set_policies(
        [
            Policy(OUT_SEL, Action.PROTECT, "mymap 10"),
            Policy(other, Action.PROTECT, "second 20"),
            Policy(Selector.of("10.10.10.0/24", "10.10.40.0/24"), Action.BYPASS, "second 5"),
        ]
    )

    h.plane.add_sa_pair(make_sa(Direction.OUTBOUND, 0x1001, local=SECOND),
                        make_sa(Direction.INBOUND, 0x2002, local=SECOND))  # fmt: skip
    h.plane.process_outbound(packet(src="10.10.10.5", dst="10.10.20.5"))
    assert len(raw2.sent) == 1 and h.raw.sent == []
    assert raw2.sent[0][1] == PEER

    h.plane.add_sa_pair(
        make_sa(Direction.OUTBOUND, 0x3003, local=SECOND, selector=other,
                encap=UdpEncap(4500, 4500), tag="second 20"),
        make_sa(Direction.INBOUND, 0x4004, local=SECOND, selector=other.reversed(),
                tag="second 20"),
    )  # fmt: skip
    h.plane.process_outbound(packet(src="10.10.10.5", dst="10.10.30.5"))
    assert len(udp2[4500].sent) == 1 and h.udp[4500].sent == []

    assert h.plane.send_ike(b"msg", (PEER, 500), 500, str(SECOND))
    assert h.plane.send_ike(b"first", (PEER, 500), 500)
    assert udp2[500].sent == [(b"msg", (PEER, 500))]
    assert h.udp[500].sent == [(b"first", (PEER, 500))]
    assert not h.plane.send_ike(b"msg", (PEER, 500), 500, "198.51.100.99")

    udp2[500].inbox = [(b"main mode", (PEER, 500))]
    h.plane._on_udp(udp2[500])  # type: ignore[arg-type]
    assert h.events[-1] == IkeDatagram(b"main mode", (PEER, 500), 500, str(SECOND))

    h.plane.process_outbound(packet(src="10.10.10.5", dst="10.10.40.5"))
    assert len(clear2.sent) == 1 and h.plane.stats.clear_out == 1
