"""One sample of every payload kind the codec knows, shared by the tests in tests/wire."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from vpnrouter.wire import (
    AttributePayload,
    CertPayload,
    CertRequestPayload,
    DeletePayload,
    HashPayload,
    IdPayload,
    KePayload,
    NatDPayload,
    NatOaPayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    SigPayload,
    Transform,
    UnknownPayload,
    VendorIdPayload,
    cfg_attribute,
    ipsec_attribute,
    phase1_attribute,
)
from vpnrouter.wire.constants import (
    AuthMethod,
    CertEncoding,
    CfgAttr,
    CfgMessageType,
    EncapsulationMode,
    EncryptionAlgorithm,
    EspTransformId,
    HashAlgorithm,
    IdType,
    IpsecAttr,
    IpsecAuthAlgorithm,
    IsakmpTransformId,
    LifeType,
    NotifyType,
    Phase1Attr,
    ProtocolId,
    XauthStatus,
)
from vpnrouter.wire.identity import id_ipv4_subnet

# vpn2611 "crypto isakmp policy 10": hash md5, authentication pre-share, IOS defaults DES,
# group 1, lifetime 86400 seconds.
SEED_POLICY_10 = SaPayload(
    (
        Proposal(
            1,
            ProtocolId.ISAKMP,
            b"",
            (
                Transform(
                    1,
                    IsakmpTransformId.KEY_IKE,
                    (
                        phase1_attribute(Phase1Attr.ENCRYPTION, EncryptionAlgorithm.DES_CBC),
                        phase1_attribute(Phase1Attr.HASH, HashAlgorithm.MD5),
                        phase1_attribute(Phase1Attr.AUTH_METHOD, AuthMethod.PRE_SHARED_KEY),
                        phase1_attribute(Phase1Attr.GROUP_DESCRIPTION, 1),
                        phase1_attribute(Phase1Attr.LIFE_TYPE, LifeType.SECONDS),
                        phase1_attribute(Phase1Attr.LIFE_DURATION, 86400),
                    ),
                ),
            ),
        ),
    )
)

# "crypto ipsec transform-set myset esp-3des esp-md5-hmac", tunnel mode, 3600 s, two proposals.
QUICK_SA = SaPayload(
    (
        Proposal(
            1,
            ProtocolId.IPSEC_ESP,
            bytes.fromhex("12345678"),
            (
                Transform(
                    1,
                    EspTransformId.ESP_3DES,
                    (
                        ipsec_attribute(IpsecAttr.SA_LIFE_TYPE, LifeType.SECONDS),
                        ipsec_attribute(IpsecAttr.SA_LIFE_DURATION, 3600),
                        ipsec_attribute(IpsecAttr.ENCAPSULATION_MODE, EncapsulationMode.TUNNEL),
                        ipsec_attribute(IpsecAttr.AUTH_ALGORITHM, IpsecAuthAlgorithm.HMAC_MD5),
                    ),
                ),
                Transform(
                    2,
                    EspTransformId.ESP_AES,
                    (
                        ipsec_attribute(IpsecAttr.KEY_LENGTH, 128),
                        ipsec_attribute(IpsecAttr.AUTH_ALGORITHM, IpsecAuthAlgorithm.HMAC_SHA),
                    ),
                ),
            ),
        ),
        Proposal(2, ProtocolId.IPSEC_AH, bytes.fromhex("9abcdef0"), (Transform(1, 2, ()),)),
    )
)

SAMPLES: dict[str, Payload] = {
    "sa_main": SEED_POLICY_10,
    "sa_quick": QUICK_SA,
    "sa_no_proposal": SaPayload(()),
    "ke": KePayload(bytes(range(96))),
    "id_subnet": id_ipv4_subnet("10.10.10.0/24"),
    "id_fqdn_udp500": IdPayload(IdType.FQDN, b"vpn2611.example", 17, 500),
    "cert": CertPayload(CertEncoding.X509_SIGNATURE, b"\x30\x82\x01\x00" + bytes(20)),
    "cr_empty": CertRequestPayload(CertEncoding.X509_SIGNATURE),
    "hash": HashPayload(bytes(range(16))),
    "sig": SigPayload(b"\x01" * 128),
    "nonce": NoncePayload(bytes(range(20))),
    "notify_dpd": NotifyPayload(
        NotifyType.R_U_THERE, ProtocolId.ISAKMP, bytes(range(16)), (7).to_bytes(4, "big")
    ),
    "notify_bare": NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN),
    "delete_esp": DeletePayload(
        ProtocolId.IPSEC_ESP, 4, (b"\x11\x11\x11\x11", b"\x22\x22\x22\x22")
    ),
    "delete_isakmp": DeletePayload(ProtocolId.ISAKMP, 16, (bytes(range(16)),)),
    "vid": VendorIdPayload(bytes.fromhex("afcad71368a1f1c96b8696fc77570100")),
    "attr_reply": AttributePayload(
        CfgMessageType.REPLY,
        0x1234,
        (
            cfg_attribute(CfgAttr.INTERNAL_IP4_ADDRESS, IPv4Address("14.1.1.100").packed),
            cfg_attribute(CfgAttr.UNITY_SAVE_PASSWD, 0),
        ),
    ),
    "attr_xauth_set": AttributePayload(
        CfgMessageType.SET, 7, (cfg_attribute(CfgAttr.XAUTH_STATUS, XauthStatus.OK),)
    ),
    "nat_d": NatDPayload(bytes(range(16))),
    "nat_d_draft": NatDPayload(bytes(range(20)), draft=True),
    "nat_oa": NatOaPayload(IdType.IPV4_ADDR, IPv4Address("192.168.1.10").packed),
    "nat_oa_draft_v6": NatOaPayload(
        IdType.IPV6_ADDR, IPv6Address("2001:db8::1").packed, draft=True
    ),
    "unknown": UnknownPayload(200, b"opaque"),
    "fragment": UnknownPayload(132, b"\x00\x01\x01\x01fragment"),
}

# Payloads whose body has inner structure: a stray or missing byte inside must be rejected.
STRUCTURED = (SaPayload, DeletePayload, NatOaPayload, AttributePayload)
