"""Real strongSwan 5.9.8 / vpnc 0.5.3 / ike-scan 1.9.5 traffic (see data/strongswan_vpnc.txt)."""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from wire_samples import SEED_POLICY_10

from vpnrouter.wire import (
    AttributePayload,
    DecodeError,
    DeletePayload,
    IdPayload,
    KePayload,
    NatDPayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    SaPayload,
    VendorIdPayload,
    decode_header,
    decode_message,
    decode_payloads,
    encode_message,
    encode_payloads,
    find_attribute,
)
from vpnrouter.wire.constants import (
    HEADER_SIZE,
    AuthMethod,
    CfgAttr,
    CfgMessageType,
    ExchangeType,
    IdType,
    NotifyType,
    Phase1Attr,
    ProtocolId,
)
from vpnrouter.wire.header import Header
from vpnrouter.wire.identity import id_value
from vpnrouter.wire.vendor_ids import describe

DATA = Path(__file__).parent / "data" / "strongswan_vpnc.txt"


def _load() -> dict[str, tuple[str, bytes]]:
    records: dict[str, tuple[str, bytes]] = {}
    for line in DATA.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        kind, name, hexdata = line.split()
        records[name] = (kind, bytes.fromhex(hexdata))
    return records


RECORDS = _load()
DATAGRAMS = sorted(n for n, (kind, _) in RECORDS.items() if kind == "datagram")
PLAINS = sorted(n for n, (kind, _) in RECORDS.items() if kind == "plain8")


def _datagram(name: str) -> bytes:
    return RECORDS[name][1]


def _plain(name: str) -> tuple[Payload, ...]:
    return decode_payloads(8, RECORDS[name][1], trailing_ok=True).payloads


def test_the_capture_file_has_what_the_tests_use() -> None:
    assert len(DATAGRAMS) == 19 and len(PLAINS) == 13


@pytest.mark.parametrize("name", DATAGRAMS)
def test_every_datagram_decodes_and_cleartext_ones_re_encode_byte_for_byte(name: str) -> None:
    data = _datagram(name)
    header = decode_header(data)
    assert header.major_version == 1 and header.length == len(data)
    if header.encrypted:
        assert (len(data) - HEADER_SIZE) % 8 == 0  # 3DES-CBC blocks
        with pytest.raises(DecodeError, match="encrypted"):
            decode_message(data)
        return
    message = decode_message(data)
    assert b"".join(message.raw) == data[HEADER_SIZE:]
    assert encode_message(header, message.payloads) == data


@pytest.mark.parametrize("name", PLAINS)
def test_every_decrypted_body_decodes_and_re_encodes(name: str) -> None:
    data = RECORDS[name][1]
    decoded = decode_payloads(8, data, trailing_ok=True)
    assert encode_payloads(decoded.payloads) + decoded.trailing == data
    assert b"".join(decoded.raw) + decoded.trailing == data
    if decoded.trailing:
        with pytest.raises(DecodeError, match="after the last payload"):
            decode_payloads(8, data)


def test_ike_scan_encodes_the_seed_policy_exactly_like_we_do() -> None:
    message = decode_message(_datagram("ike-scan-frame1"))
    assert message.header.exchange_type == ExchangeType.MAIN
    assert message.payloads == (SEED_POLICY_10,)
    assert message.raw[0] == encode_payloads([SEED_POLICY_10])


def test_strongswan_answers_the_seed_policy_with_its_own_attribute_order() -> None:
    sa, *vids = decode_message(_datagram("strongswan-frame2")).payloads
    assert isinstance(sa, SaPayload)
    (transform,) = sa.proposals[0].transforms
    values = {attr.type: attr.as_int() for attr in transform.attributes}
    assert values == {1: 1, 2: 1, 3: 1, 4: 1, 11: 1, 12: 86400}
    assert [describe(v.data) for v in vids if isinstance(v, VendorIdPayload)] == [
        "XAUTH",
        "Dead Peer Detection v1.0",
    ]


def test_strongswan_sends_a_small_life_duration_as_tv() -> None:
    sa = decode_message(_datagram("strongswan-frame4")).payloads[0]
    assert isinstance(sa, SaPayload)
    attrs = sa.proposals[0].transforms[0].attributes
    life = next(a for a in attrs if a.type == Phase1Attr.LIFE_DURATION)
    assert life.is_tv and life.as_int() == 28800


def test_vpnc_aggressive_mode_offer() -> None:
    message = decode_message(_datagram("vpnc-frame5"))
    assert message.header.exchange_type == ExchangeType.AGGRESSIVE
    sa, ke, nonce, ident, *vids = message.payloads
    assert isinstance(sa, SaPayload) and isinstance(ident, IdPayload)
    assert isinstance(ke, KePayload) and len(ke.data) == 128  # MODP-1024 public value
    assert isinstance(nonce, NoncePayload) and 8 <= len(nonce.data) <= 256
    (proposal,) = sa.proposals
    assert len(proposal.transforms) == 24
    auths = {t.attributes[4].as_int() for t in proposal.transforms}
    assert auths == {AuthMethod.PRE_SHARED_KEY, AuthMethod.XAUTH_INIT_PRESHARED}
    assert ident.id_type == IdType.KEY_ID and id_value(ident) == b"3000client"
    names = [describe(v.data) for v in vids if isinstance(v, VendorIdPayload)]
    assert names[:3] == ["XAUTH", "Cisco Unity", "RFC 3947 NAT-T"]
    assert "draft-ietf-ipsec-nat-t-ike-02\\n" in names


def _nat_d_hash(header: Header, ip: str) -> bytes:
    # RFC 3947 3.2: HASH(CKY-I | CKY-R | IP | Port); the negotiated hash here is MD5.
    data = header.icookie + header.rcookie + IPv4Address(ip).packed + (500).to_bytes(2, "big")
    return hashlib.md5(data).digest()


def test_nat_d_hashes_match_rfc_3947() -> None:
    header = decode_header(_datagram("strongswan-frame6"))
    payloads = decode_message(_datagram("strongswan-frame6")).payloads
    sent = [p.data for p in payloads if isinstance(p, NatDPayload)]
    gateway, client = _nat_d_hash(header, "10.201.0.1"), _nat_d_hash(header, "10.201.0.2")
    # strongSwan's first NAT-D is the peer's address; its own one is deliberately wrong because
    # kernel-libipsec makes charon fake a NAT to force UDP encapsulation.
    assert len(sent) == 2 and sent[0] == client and gateway not in sent
    from_vpnc = [p.data for p in _plain("strongswan-received-1") if isinstance(p, NatDPayload)]
    assert from_vpnc == [gateway, client]


def test_initial_contact_and_nat_d_in_the_encrypted_third_message() -> None:
    payloads = _plain("strongswan-received-1")
    notify = next(p for p in payloads if isinstance(p, NotifyPayload))
    assert notify.notify_type == NotifyType.INITIAL_CONTACT
    assert notify.protocol_id == ProtocolId.ISAKMP and len(notify.spi) == 16
    assert sum(isinstance(p, NatDPayload) for p in payloads) == 2


def test_xauth_round() -> None:
    request = _plain("strongswan-sent-2")[1]
    reply = _plain("strongswan-received-3")[1]
    status = _plain("strongswan-sent-4")[1]
    assert isinstance(request, AttributePayload) and isinstance(reply, AttributePayload)
    assert isinstance(status, AttributePayload)
    assert request.cfg_type == CfgMessageType.REQUEST
    user = find_attribute(reply.attributes, CfgAttr.XAUTH_USER_NAME)
    assert user is not None and user.as_bytes() == b"cisco"
    assert status.cfg_type == CfgMessageType.SET
    assert status.attributes == (find_attribute(status.attributes, CfgAttr.XAUTH_STATUS),)
    assert status.attributes[0].is_tv and status.attributes[0].as_int() == 1


def test_mode_config_reply_from_strongswan() -> None:
    request = _plain("strongswan-received-6")[1]
    reply = _plain("strongswan-sent-7")[1]
    assert isinstance(request, AttributePayload) and isinstance(reply, AttributePayload)
    version = find_attribute(request.attributes, CfgAttr.APPLICATION_VERSION)
    assert version is not None and version.as_bytes().startswith(b"Cisco Systems VPN Client")
    assert reply.cfg_type == CfgMessageType.REPLY and reply.identifier == request.identifier
    address = find_attribute(reply.attributes, CfgAttr.INTERNAL_IP4_ADDRESS)
    assert address is not None and IPv4Address(address.as_bytes()) == IPv4Address("14.1.1.100")
    domain = find_attribute(reply.attributes, CfgAttr.UNITY_DEF_DOMAIN)
    assert domain is not None and domain.as_bytes() == b"cisco.com"
    split = find_attribute(reply.attributes, CfgAttr.UNITY_SPLIT_INCLUDE)
    assert split is not None and split.as_bytes()[:8] == bytes([10, 10, 10, 0, 255, 255, 255, 0])


def test_quick_mode_identities() -> None:
    payloads = _plain("strongswan-received-8")
    ids = [id_value(p) for p in payloads if isinstance(p, IdPayload)]
    assert ids == [IPv4Address("14.1.1.100"), IPv4Network("0.0.0.0/0")]
    sa = next(p for p in payloads if isinstance(p, SaPayload))
    assert {p.protocol_id for p in sa.proposals} == {ProtocolId.IPSEC_ESP}
    assert all(len(p.spi) == 4 for p in sa.proposals)


def test_vpnc_deletes_two_esp_spis_then_the_isakmp_sa() -> None:
    (_, esp), (_, isakmp) = _plain("strongswan-received-12"), _plain("strongswan-received-13")
    assert isinstance(esp, DeletePayload) and isinstance(isakmp, DeletePayload)
    assert esp.protocol_id == ProtocolId.IPSEC_ESP and len(esp.spis) == 2
    assert isakmp.protocol_id == ProtocolId.ISAKMP and isakmp.spi_size == 16
    raw = decode_payloads(8, RECORDS["strongswan-received-12"][1], trailing_ok=True).raw[1]
    assert raw == encode_payloads([esp])
