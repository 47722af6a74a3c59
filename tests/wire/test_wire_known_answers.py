"""Known-answer bytes, written out field by field from RFC 2408/2407/3947 and the mode-cfg draft.

The seed SA is also byte-identical to what ike-scan 1.9.5 sent for
``--trans="(1=1,2=1,3=1,4=1,11=1,12=0x00015180)"`` (frame 1 of data/strongswan_vpnc.txt).
"""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address

from wire_samples import SEED_POLICY_10

from vpnrouter.wire import (
    AttributePayload,
    DataAttribute,
    DeletePayload,
    NatDPayload,
    NotifyPayload,
    cfg_attribute,
    decode_payloads,
    encode_payload,
    encode_payloads,
)
from vpnrouter.wire.constants import CfgAttr, CfgMessageType, NotifyType, PayloadType, ProtocolId

SEED_SA_HEX = (
    "00 00 0038 "  # generic header: no next payload, reserved, length 56
    "00000001"  # DOI: IPsec
    "00000001"  # situation: SIT_IDENTITY_ONLY
    "00 00 002c "  # proposal: last, reserved, length 44
    "01 01 00 01 "  # proposal #1, PROTO_ISAKMP, SPI size 0, 1 transform
    "00 00 0024 "  # transform: last, reserved, length 36
    "01 01 0000 "  # transform #1, KEY_IKE, reserved
    "80010001"  # TV encryption = DES-CBC
    "80020001"  # TV hash = MD5
    "80030001"  # TV auth = pre-shared key
    "80040001"  # TV group = 1 (MODP 768)
    "800b0001"  # TV life type = seconds
    "000c000400015180"  # TLV life duration, 4 bytes, 86400
)


def test_main_mode_sa_with_the_seed_policy() -> None:
    assert encode_payloads([SEED_POLICY_10]) == bytes.fromhex(SEED_SA_HEX)
    assert decode_payloads(PayloadType.SA, bytes.fromhex(SEED_SA_HEX)).payloads == (SEED_POLICY_10,)


def test_nat_d_payload() -> None:
    # RFC 3947 3.2: HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash (MD5 here).
    icookie, rcookie = bytes.fromhex("0102030405060708"), bytes(8)
    digest = hashlib.md5(icookie + rcookie + IPv4Address("172.18.124.159").packed + b"\x01\xf4")
    payload = NatDPayload(digest.digest())
    assert encode_payload(payload, PayloadType.NAT_D).hex() == "14000014" + digest.hexdigest()
    draft = NatDPayload(digest.digest(), draft=True)
    wire = encode_payloads([draft, payload])
    assert wire[:4].hex() == "14000014"  # next payload 20 (RFC), length 20
    assert decode_payloads(PayloadType.NAT_D_DRAFT, wire).payloads == (draft, payload)


def test_delete_with_two_esp_spis() -> None:
    payload = DeletePayload(
        ProtocolId.IPSEC_ESP, 4, (bytes.fromhex("f2a1121e"), bytes.fromhex("1942fa82"))
    )
    expected = (
        "00 00 0014 "  # generic header, length 20
        "00000001"  # DOI IPsec
        "03 04 0002 "  # PROTO_IPSEC_ESP, SPI size 4, 2 SPIs
        "f2a1121e"
        "1942fa82"
    )
    assert encode_payloads([payload]) == bytes.fromhex(expected)
    assert decode_payloads(PayloadType.D, bytes.fromhex(expected)).payloads == (payload,)


def test_mode_config_reply_with_the_pool_address() -> None:
    payload = AttributePayload(
        CfgMessageType.REPLY,
        0x0014,
        (cfg_attribute(CfgAttr.INTERNAL_IP4_ADDRESS, IPv4Address("14.1.1.100").packed),),
    )
    expected = (
        "00 00 0010 "  # generic header, length 16
        "02 00 0014 "  # CFG_REPLY, reserved, identifier 20
        "0001 0004 0e010164 "  # TLV INTERNAL_IP4_ADDRESS, 4 bytes, 14.1.1.100
    )
    assert encode_payloads([payload]) == bytes.fromhex(expected)
    (decoded,) = decode_payloads(PayloadType.ATTR, bytes.fromhex(expected)).payloads
    assert decoded == payload
    assert isinstance(decoded, AttributePayload)
    assert IPv4Address(decoded.attributes[0].as_bytes()) == IPv4Address("14.1.1.100")


def test_xauth_request_with_empty_slots_and_status() -> None:
    request = AttributePayload(
        CfgMessageType.REQUEST,
        0,
        (
            DataAttribute(CfgAttr.XAUTH_USER_NAME, b""),
            DataAttribute(CfgAttr.XAUTH_USER_PASSWORD, b""),
        ),
    )
    # draft-beaulieu-ike-xauth-02: XAUTH-USER-NAME 16521 = 0x4089, USER-PASSWORD 0x408a
    assert encode_payloads([request]).hex() == "000000100100000040890000408a0000"
    status = AttributePayload(CfgMessageType.SET, 0, (cfg_attribute(CfgAttr.XAUTH_STATUS, 1),))
    # XAUTH-STATUS 16527 = 0x408f, TV: 0xc08f
    assert encode_payloads([status]).hex() == "0000000c03000000c08f0001"


def test_dpd_r_u_there() -> None:
    cookies = bytes.fromhex("01020304050607081112131415161718")
    payload = NotifyPayload(
        NotifyType.R_U_THERE, ProtocolId.ISAKMP, cookies, bytes.fromhex("0000002a")
    )
    expected = (
        "00 00 0020 "  # generic header, length 32
        "00000001"  # DOI IPsec
        "01 10 8d28 "  # PROTO_ISAKMP, SPI size 16, R-U-THERE 36136
        + cookies.hex()
        + "0000002a"  # sequence number 42
    )
    assert encode_payloads([payload]) == bytes.fromhex(expected)
    assert decode_payloads(PayloadType.N, bytes.fromhex(expected)).payloads == (payload,)
