"""Real vpnc 0.5.3 traffic (tests/wire/data/strongswan_vpnc.txt) against our responder:
vpnc's aggressive mode message 1 gets an answer vpnc accepts; vpnc's Mode Config request and
quick mode offer are answered the way vpnc parses them."""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from ranet import Host, Net, add_client, connect, seed_group, seed_net, split_acl

from vpnrouter.ike.exchanges import mode_config, proxy, unity
from vpnrouter.ike.policy import ESP_3DES, ESP_AUTH_MD5
from vpnrouter.ike.proposals import select_esp
from vpnrouter.ike.sa import IkeSa, Phase1State
from vpnrouter.wire import (
    AttributePayload,
    HashPayload,
    IdPayload,
    KePayload,
    NatDPayload,
    NoncePayload,
    NotifyPayload,
    SaPayload,
    VendorIdPayload,
    decode_message,
    decode_payloads,
)
from vpnrouter.wire import vendor_ids as vid
from vpnrouter.wire.constants import CfgAttr, ExchangeType, IdType, NotifyType, PayloadType

CAPTURE = Path(__file__).parents[1] / "wire" / "data" / "strongswan_vpnc.txt"
RECORDS = {
    name: bytes.fromhex(data)
    for kind, name, data in (
        line.split() for line in CAPTURE.read_text().splitlines() if line and line[0] != "#"
    )
}

VPNC = ("10.201.0.2", 500)
AM1 = RECORDS["vpnc-frame5"]
# The payload types vpnc 0.5.3 accepts in message 2 (do_phase1_am_packet2); anything else
# makes it give up with INVALID-PAYLOAD-TYPE.
VPNC_AM2_TYPES = {
    PayloadType.SA,
    PayloadType.ID,
    PayloadType.KE,
    PayloadType.NONCE,
    PayloadType.HASH,
    PayloadType.CERT,
    PayloadType.SIG,
    PayloadType.VID,
    PayloadType.NAT_D,
    PayloadType.NAT_D_DRAFT,
    PayloadType.N,
}


def plain(name: str) -> tuple[object, ...]:
    return decode_payloads(8, RECORDS[name], trailing_ok=True).payloads


def answer_vpnc() -> tuple[Net, Host, bytes]:
    net = seed_net()
    router = net.hosts["vpn2611"]
    router.engine.receive_datagram(AM1, VPNC, 500, 0.0)
    (out,) = router.engine.datagrams_to_send(0.0)
    router.drain()
    assert out.addr == VPNC and out.local_port == 500
    return net, router, out.data


def test_vpnc_message_1_gets_an_answer_vpnc_accepts() -> None:
    _, _, am2 = answer_vpnc()
    message = decode_message(am2)
    header = message.header
    assert header.exchange_type == ExchangeType.AGGRESSIVE
    assert header.flags == 0 and header.message_id == 0  # vpnc rejects anything else
    assert header.icookie == decode_message(AM1).header.icookie and any(header.rcookie)
    types = [p.payload_type for p in message.payloads]
    assert set(types) <= VPNC_AM2_TYPES
    assert types.index(PayloadType.SA) < types.index(PayloadType.NAT_D)  # vpnc needs SA first
    sa, ke, nonce, ident, hash_r = message.payloads[:5]
    assert isinstance(sa, SaPayload) and isinstance(ke, KePayload)
    assert isinstance(nonce, NoncePayload) and isinstance(ident, IdPayload)
    assert isinstance(hash_r, HashPayload) and len(hash_r.data) == 20  # SHA
    assert len(ke.data) == 128  # MODP group 2, as vpnc's KE
    assert ident.id_type == IdType.IPV4_ADDR


def test_the_chosen_transform_is_vpncs_3des_sha_xauth_one_echoed_unchanged() -> None:
    _, router, am2 = answer_vpnc()
    (offer,) = [p for p in decode_message(AM1).payloads if isinstance(p, SaPayload)]
    (reply,) = [p for p in decode_message(am2).payloads if isinstance(p, SaPayload)]
    (proposal,) = reply.proposals
    (chosen,) = proposal.transforms
    assert chosen in offer.proposals[0].transforms
    values = {a.type: a.as_int() for a in chosen.attributes}
    assert (values[1], values[2], values[3], values[4]) == (5, 2, 65001, 2)  # 3DES SHA XAUTH g2
    text = router.log_text()
    assert "Checking ISAKMP transform 6 against priority 3 policy" in text
    assert "ISAKMP:      auth XAUTHInitPreShared" in text
    assert "Authentication by xauth preshared" in text
    assert "found peer pre-shared key matching 3000client" in text


def test_the_vendor_ids_vpnc_needs_and_nat_discovery() -> None:
    _, _, am2 = answer_vpnc()
    message = decode_message(am2)
    vids = [p.data for p in message.payloads if isinstance(p, VendorIdPayload)]
    for needed in (vid.CISCO_UNITY, vid.XAUTH, vid.DPD, vid.NATT_RFC3947):
        assert needed in vids
    assert vid.FRAGMENTATION not in vids  # we do not reassemble IKE fragments
    natd = [p.data for p in message.payloads if isinstance(p, NatDPayload)]
    header = message.header

    def digest(addr: str, port: int) -> bytes:  # RFC 3947 3.2 with the agreed hash (SHA)
        data = header.icookie + header.rcookie + IPv4Address(addr).packed + port.to_bytes(2, "big")
        return hashlib.sha1(data).digest()

    # vpnc compares the first with its own address/port, the second with ours
    assert natd == [digest(*VPNC), digest("172.18.124.159", 500)]


def test_router_waits_for_message_3_and_repeats_message_2() -> None:
    _, router, am2 = answer_vpnc()
    (row,) = router.engine.isakmp_sas(0.0)
    assert row.state == "AG_INIT_EXCH" and row.group_name == "3000client" and row.aggressive
    router.engine.receive_datagram(AM1, VPNC, 500, 1.0)
    (again,) = router.engine.datagrams_to_send(1.0)
    assert again.data == am2
    assert router.engine.counters["duplicates"] == 1
    assert len(router.engine.isakmp_sas(1.0)) == 1


def _requested(name: str) -> AttributePayload:
    attr = plain(name)[1]
    assert isinstance(attr, AttributePayload)
    return attr


def test_vpnc_mode_config_request_is_answered_in_the_forms_vpnc_parses() -> None:
    request = _requested("strongswan-received-6")
    types = tuple(a.type for a in request.attributes)
    group = seed_group(acl=split_acl("10.10.10.0/24"), acl_name="150", banner="Welcome")
    reply = unity.answer(types, group, IPv4Address("14.1.1.100"), "Cisco IOS")
    by_type: dict[int, list[bytes | int]] = {}
    for attr in reply.attributes:
        by_type.setdefault(attr.type, []).append(attr.value)
    assert by_type[CfgAttr.INTERNAL_IP4_ADDRESS] == [bytes([14, 1, 1, 100])]
    assert by_type[CfgAttr.INTERNAL_IP4_NETMASK] == [bytes([255] * 4)]
    assert by_type[CfgAttr.INTERNAL_IP4_DNS] == [bytes([10, 10, 10, 10])]
    assert by_type[CfgAttr.INTERNAL_IP4_NBNS] == [bytes([10, 10, 10, 20])]
    assert by_type[CfgAttr.UNITY_DEF_DOMAIN] == [b"cisco.com"]
    assert by_type[CfgAttr.UNITY_BANNER] == [b"Welcome"]
    assert by_type[CfgAttr.UNITY_PFS] == [0] and by_type[CfgAttr.UNITY_SAVE_PASSWD] == [0]
    split = by_type[CfgAttr.UNITY_SPLIT_INCLUDE][0]
    assert split == bytes([10, 10, 10, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0])  # 14-byte entry
    # declined by leaving them out: firewall type, split DNS (none), DDNS host name
    for absent in (CfgAttr.UNITY_FW_TYPE, CfgAttr.UNITY_SPLIT_DNS, CfgAttr.UNITY_DDNS_HOSTNAME):
        assert absent not in by_type
    assert all(v != b"" for values in by_type.values() for v in values)  # vpnc rejects empty
    assert CfgAttr.APPLICATION_VERSION in by_type  # vpnc sent its version: we answer ours


def test_vpnc_does_not_ask_for_backup_servers_so_none_are_sent() -> None:
    """vpnc 0.5.3 names Unity BACKUP_SERVER (0x7009) but neither asks for it nor reads it
    (vpnc.c: only "unknown attribute" at debug 2): a group's backup-gateway list goes only
    to clients that ask, as one comma-separated text (what the Cisco client keeps in its
    profile's BackupServer=, and what a host name needs; vpnrouter's client reads it)."""
    request = _requested("strongswan-received-6")
    types = tuple(a.type for a in request.attributes)
    assert CfgAttr.UNITY_BACKUP_SERVERS == 0x7009 and CfgAttr.UNITY_BACKUP_SERVERS not in types
    group = seed_group(backup_servers=("172.18.124.200", "vpn2.cisco.com"))
    reply = unity.answer(types, group, IPv4Address("14.1.1.100"), "Cisco IOS")
    assert all(a.type != CfgAttr.UNITY_BACKUP_SERVERS for a in reply.attributes)
    asked = unity.answer((*types, CfgAttr.UNITY_BACKUP_SERVERS), group, None, "Cisco IOS")
    (servers,) = [a for a in asked.attributes if a.type == CfgAttr.UNITY_BACKUP_SERVERS]
    assert not servers.is_tv and servers.value == b"172.18.124.200,vpn2.cisco.com"


def test_strongswan_mode_config_reply_read_by_the_client_half() -> None:
    reply = _requested("strongswan-sent-7")
    sa = IkeSa(7, True, "10.201.0.2", 500, "10.201.0.1", 500, bytes(8), 0.0, Phase1State.I_AM1)
    config = mode_config.parse(sa, reply.attributes)
    assert config.address == IPv4Address("14.1.1.100") and config.conn_id == 7
    assert config.dns == (IPv4Address("10.10.10.10"),) and config.domain == "cisco.com"
    assert config.split_include == (IPv4Network("10.10.10.0/24"),)
    selectors = mode_config.client_selectors(config)
    assert [(s.local, s.remote) for s in selectors] == [
        (IPv4Network("14.1.1.100/32"), IPv4Network("10.10.10.0/24"))
    ]


def test_vpnc_quick_mode_offer_matches_myset_on_the_dynamic_entry() -> None:
    payloads = plain("strongswan-received-8")
    offer = next(p for p in payloads if isinstance(p, SaPayload))
    ids = [p for p in payloads if isinstance(p, IdPayload)]
    sa = IkeSa(1, False, "10.201.0.1", 4500, "10.201.0.2", 4500, bytes(8), 0.0, Phase1State.R_AM1)
    selector = proxy.proposed_selector(sa, ids)
    assert selector.remote == IPv4Network("14.1.1.100/32")
    assert selector.local == IPv4Network("0.0.0.0/0")
    net = seed_net()
    dynamic = net.hosts["vpn2611"].engine.policy.crypto_maps[1]
    notes: list[str] = []
    choice = select_esp(offer, dynamic.transform_sets, None, True, "t", notes.append)
    assert choice is not None
    assert (choice.offer.transform_id, choice.offer.auth) == (ESP_3DES, ESP_AUTH_MD5)
    assert choice.offer.encap == 3  # UDP tunnel (RFC 3947): vpnc floated to 4500
    assert choice.offer.life_seconds == 2147483  # vpnc's; the router answers RESPONDER-LIFETIME


def test_message_2_tells_vpnc_our_shorter_phase_1_lifetime() -> None:
    _, router, am2 = answer_vpnc()
    notifies = [p for p in decode_message(am2).payloads if isinstance(p, NotifyPayload)]
    (lifetime,) = notifies
    assert lifetime.notify_type == NotifyType.RESPONDER_LIFETIME
    assert lifetime.protocol_id == 1 and len(lifetime.spi) == 16
    # life type seconds, duration 86400 (vpnc offered 2147483)
    assert lifetime.data == bytes.fromhex("800b0001") + bytes.fromhex("000c000400015180")
    assert router.engine.isakmp_sas(0.0)[0].lifetime == 86400


def test_our_client_takes_the_gateways_shorter_lifetime() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, lifetime=2147483)
    (row,) = client.engine.isakmp_sas(net.now)
    assert row.lifetime == 86400
