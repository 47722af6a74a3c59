"""NAT traversal (RFC 3947/3948): NAT-D, floating to 4500, UDP-encapsulated ESP, keepalives,
the draft vendor IDs, and following a peer that floats although no NAT was detected
(strongSwan's kernel-libipsec)."""

from dataclasses import replace
from ipaddress import IPv4Network

from ikepair import FLOW_2611, FLOW_3640, NAT_PUBLIC, VPN2611, VPN3640, Pair, seed_2611, seed_3640

from vpnrouter.ike.events import ChildSaUp, IkeSaUp
from vpnrouter.ike.policy import PreSharedKey
from vpnrouter.wire import vendor_ids
from vpnrouter.wire.constants import EncapsulationMode, PayloadType
from vpnrouter.wire.header import decode_header
from vpnrouter.wire.message import decode_message, encode_message
from vpnrouter.wire.payloads import NatDPayload, VendorIdPayload

NAT_T_MARKER = b"\x00\x00\x00\x00"


def behind_nat_pair() -> Pair:
    """vpn3640 (node a) behind a NAT initiates to vpn2611 (node b, dynamic map, wildcard key)."""
    responder = seed_2611()
    responder = replace(
        responder, preshared_keys=(PreSharedKey("cisco123", IPv4Network("0.0.0.0/0")),)
    )
    return Pair(seed_3640(), responder, addr_a=VPN3640, addr_b=VPN2611, a_behind_nat=True)


def start(pair: Pair) -> None:
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_3640, pair.now)
    pair.pump()


def test_initiator_behind_nat_floats_and_uses_udp_encapsulation() -> None:
    pair = behind_nat_pair()
    start(pair)
    assert "My hash no match -  this node inside NAT" in pair.a.log_text()
    assert "His hash no match - this node outside NAT" in pair.b.log_text()
    (ike_a,) = pair.a.of(IkeSaUp)
    (ike_b,) = pair.b.of(IkeSaUp)
    assert ike_a.nat_t and ike_b.nat_t
    assert (ike_a.local_port, ike_a.peer_port) == (4500, 4500)
    assert (ike_b.local_port, ike_b.peer, ike_b.peer_port) == (4500, NAT_PUBLIC, 31001)
    (a,) = pair.a.of(ChildSaUp)
    (b,) = pair.b.of(ChildSaUp)
    assert a.inbound == b.outbound and a.outbound == b.inbound
    assert a.encapsulation is not None and b.encapsulation is not None
    assert (a.encapsulation.local_port, a.encapsulation.remote_port) == (4500, 4500)
    assert (b.encapsulation.local_port, b.encapsulation.remote_port) == (4500, 31001)
    assert a.encapsulation.mode == b.encapsulation.mode == EncapsulationMode.UDP_TUNNEL
    assert (b.map_name, b.map_seq) == ("clientmap", 10)  # the dynamic entry
    # MM5 onwards from port 4500, as bare ISAKMP messages: the RFC 3948 non-ESP marker is
    # netio's (it adds it on sending and strips it on receiving)
    a_sent = [(d, sport) for s, d, _, sport in pair.trace if s == "a"]
    assert [sport for _, sport in a_sent] == [500, 500, 4500, 4500, 4500]
    assert all(decode_header(d).length == len(d) for d, _ in a_sent)
    assert not any(d.startswith(NAT_T_MARKER) for d, _ in a_sent)
    (row,) = pair.b.engine.isakmp_sas(pair.now)
    assert row.nat_t and row.nat_peer_behind and not row.nat_local_behind


def test_keepalives_only_from_the_side_behind_nat() -> None:
    pair = behind_nat_pair()
    start(pair)
    pair.advance(61)
    keepalives = [(s, dest, sport) for s, d, dest, sport in pair.trace if d == b"\xff"]
    assert keepalives == [("a", (VPN2611, 4500), 4500)] * 3
    assert pair.a.engine.counters["keepalives"] == 3
    assert len(pair.b.of(ChildSaUp)) == 1  # keepalives disturb nothing


def test_peer_floats_without_nat_detected_and_we_follow() -> None:
    """Node a's view of MM4 is tampered so it believes in a NAT (like kernel-libipsec, which
    always floats); node b sees honest hashes, no NAT, and must follow a to port 4500."""
    pair = Pair(seed_2611(), seed_3640())

    def fake_nat(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes:
        if sender != "b" or sport != 500 or data[18] != 2:
            return data
        message = decode_message(data)
        if not any(isinstance(p, NatDPayload) for p in message.payloads):
            return data
        payloads = [
            NatDPayload(bytes(len(p.data)), p.draft) if isinstance(p, NatDPayload) else p
            for p in message.payloads
        ]
        return encode_message(message.header, payloads)

    pair.hook = fake_nat
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    assert "No NAT Found for self or peer" in pair.b.log_text()
    assert "peer floated to port 4500" in pair.b.log_text()
    (a,) = pair.a.of(ChildSaUp)
    (b,) = pair.b.of(ChildSaUp)
    assert a.inbound == b.outbound
    assert b.encapsulation is not None
    assert (b.encapsulation.local_port, b.encapsulation.remote_port) == (4500, 4500)
    assert b.encapsulation.mode == EncapsulationMode.UDP_TUNNEL
    assert pair.b.of(IkeSaUp)[0].nat_t


def test_draft_vendor_ids_use_draft_numbers() -> None:
    """An initiator that only speaks draft-03: NAT-D is payload 130, UDP-Tunnel is 61443."""
    pair = behind_nat_pair()

    def drafts_only(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes:
        if sender != "a" or sport != 500 or data[8:16] != bytes(8):
            return data
        message = decode_message(data)
        payloads = [
            p
            for p in message.payloads
            if not (isinstance(p, VendorIdPayload) and p.data != vendor_ids.NATT_DRAFT_03)
        ]
        return encode_message(message.header, payloads)

    pair.hook = drafts_only
    start(pair)
    from_b = [d for s, d, _, _ in pair.trace if s == "b"]
    mm2, mm4 = decode_message(from_b[0]), decode_message(from_b[1])
    assert VendorIdPayload(vendor_ids.NATT_DRAFT_03) in mm2.payloads
    assert [p.payload_type for p in mm4.payloads].count(PayloadType.NAT_D_DRAFT) == 2
    (a,) = pair.a.of(ChildSaUp)
    (b,) = pair.b.of(ChildSaUp)
    assert a.encapsulation is not None and b.encapsulation is not None
    assert a.encapsulation.mode == EncapsulationMode.UDP_TUNNEL_DRAFT
    assert b.encapsulation.mode == EncapsulationMode.UDP_TUNNEL_DRAFT


def test_nat_traversal_disabled_means_no_vids_and_no_float() -> None:
    pair = Pair(seed_2611(nat_traversal=False), seed_3640())
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    mm1 = decode_message(pair.trace[0][1])
    assert all(
        not vendor_ids.is_natt(p.data) for p in mm1.payloads if isinstance(p, VendorIdPayload)
    )
    (b,) = pair.b.of(ChildSaUp)
    assert b.encapsulation is None
    assert all(sport == 500 for _, _, _, sport in pair.trace)
    assert VPN3640 in {dest[0] for _, _, dest, _ in pair.trace}


def test_the_engine_takes_and_emits_bare_isakmp_messages_on_4500() -> None:
    """netio owns the RFC 3948 framing of port 4500: the engine's datagrams are bare ISAKMP
    messages with the local port (a keepalive is a request, not bytes), and what it receives
    is a bare message; a datagram still carrying the marker is not ISAKMP."""
    pair = behind_nat_pair()
    start(pair)
    a_4500 = [d for s, d, _, sport in pair.trace if s == "a" and sport == 4500]
    assert a_4500 and all(decode_header(d).length == len(d) for d in a_4500)
    # a datagram as it is on the wire, marker included, is malformed to the engine
    before = pair.b.engine.counters.get("malformed", 0)
    pair.b.engine.receive_datagram(NAT_T_MARKER + a_4500[0], (NAT_PUBLIC, 31001), 4500, pair.now)
    assert pair.b.engine.counters["malformed"] == before + 1
    assert len(pair.a.of(ChildSaUp)) == len(pair.b.of(ChildSaUp)) == 1
    # a NAT keepalive leaves the engine as a request (netio writes the 0xFF byte)
    when = pair.a.engine.get_timer()
    assert when is not None and when <= pair.now + 20
    pair.a.engine.handle_timer(when)
    (keepalive,) = pair.a.engine.datagrams_to_send(when)
    assert keepalive.keepalive and keepalive.data == b""
    assert (keepalive.addr, keepalive.local_port) == ((VPN2611, 4500), 4500)
