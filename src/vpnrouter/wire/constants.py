"""ISAKMP/IKEv1 numbers: IANA registries plus the XAuth, Mode Config and Cisco Unity extensions.

Every field of a decoded payload is a plain ``int`` (unknown values are kept, never rejected);
these ``IntEnum`` classes name the values for comparisons and for logs (:func:`name_of`).

Sources: RFC 2408 (ISAKMP), RFC 2409 appendix A (IKE phase-1 attributes), RFC 2407 (IPsec DOI),
RFC 3947 (NAT-T), RFC 3706 (DPD), draft-ietf-ipsec-nat-t-ike-02/03 (draft NAT-T numbers),
draft-dukes-ike-mode-cfg-02 (Mode Config), draft-beaulieu-ike-xauth-02 (XAuth), and for the
Cisco Unity attributes/notifies the numbers published by strongSwan (``attributes.h``,
``notify_payload.h``), ipsec-tools racoon (``isakmp_unity.h``) and Shrew Soft (``libike``).
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

# --- explicit validation limits (DESIGN.md principle 2) ------------------------------------------
HEADER_SIZE = 28  # RFC 2408 3.1
GENERIC_HEADER_SIZE = 4  # RFC 2408 3.2
MAX_MESSAGE_SIZE = 64 * 1024  # largest ISAKMP message (header length field) we accept
MAX_PAYLOADS = 64  # payloads chained in one message
MAX_PROPOSALS = 64  # proposal payloads in one SA payload
MAX_TRANSFORMS = 255  # transforms in one proposal (the "# of transforms" field is one byte)
MAX_ATTRIBUTES = 512  # data attributes in one transform or one ATTR payload
MAX_SPIS = 256  # SPIs in one Delete payload
COOKIE_SIZE = 8  # RFC 2408 3.1
MAX_INT_ATTRIBUTE_BYTES = 8  # a TLV attribute read as an integer (life duration...) is <= 64 bits


class ExchangeType(IntEnum):
    """RFC 2408 3.1 / 4, RFC 2409 5 and 9; TRANSACTION from draft-dukes-ike-mode-cfg 3.1."""

    NONE = 0
    BASE = 1
    MAIN = 2  # Identity Protection
    AUTH_ONLY = 3
    AGGRESSIVE = 4
    INFORMATIONAL = 5
    TRANSACTION = 6  # Mode Config / XAuth
    QUICK = 32
    NEW_GROUP = 33


class HeaderFlag(IntFlag):
    """RFC 2408 3.1 flags."""

    ENCRYPTION = 0x01
    COMMIT = 0x02
    AUTH_ONLY = 0x04


class PayloadType(IntEnum):
    """RFC 2408 3.1 next-payload values; 14 from mode-cfg; 20/21 RFC 3947; 130/131 the drafts."""

    NONE = 0
    SA = 1
    PROPOSAL = 2
    TRANSFORM = 3
    KE = 4
    ID = 5
    CERT = 6
    CR = 7
    HASH = 8
    SIG = 9
    NONCE = 10
    N = 11
    D = 12
    VID = 13
    ATTR = 14  # draft-dukes-ike-mode-cfg 3.2
    NAT_D = 20  # RFC 3947 3.2
    NAT_OA = 21  # RFC 3947 5.2
    NAT_D_DRAFT = 130  # draft-ietf-ipsec-nat-t-ike-02/03
    NAT_OA_DRAFT = 131  # draft-ietf-ipsec-nat-t-ike-02/03
    FRAGMENT = 132  # Cisco IKE fragmentation (kept as UnknownPayload by this codec)


class NotifyType(IntEnum):
    """RFC 2408 3.14.1 errors and status, RFC 2407 4.6.3, RFC 3706, Cisco Unity."""

    INVALID_PAYLOAD_TYPE = 1
    DOI_NOT_SUPPORTED = 2
    SITUATION_NOT_SUPPORTED = 3
    INVALID_COOKIE = 4
    INVALID_MAJOR_VERSION = 5
    INVALID_MINOR_VERSION = 6
    INVALID_EXCHANGE_TYPE = 7
    INVALID_FLAGS = 8
    INVALID_MESSAGE_ID = 9
    INVALID_PROTOCOL_ID = 10
    INVALID_SPI = 11
    INVALID_TRANSFORM_ID = 12
    ATTRIBUTES_NOT_SUPPORTED = 13
    NO_PROPOSAL_CHOSEN = 14
    BAD_PROPOSAL_SYNTAX = 15
    PAYLOAD_MALFORMED = 16
    INVALID_KEY_INFORMATION = 17
    INVALID_ID_INFORMATION = 18
    INVALID_CERT_ENCODING = 19
    INVALID_CERTIFICATE = 20
    CERT_TYPE_UNSUPPORTED = 21
    INVALID_CERT_AUTHORITY = 22
    INVALID_HASH_INFORMATION = 23
    AUTHENTICATION_FAILED = 24
    INVALID_SIGNATURE = 25
    ADDRESS_NOTIFICATION = 26
    NOTIFY_SA_LIFETIME = 27
    CERTIFICATE_UNAVAILABLE = 28
    UNSUPPORTED_EXCHANGE_TYPE = 29
    UNEQUAL_PAYLOAD_LENGTHS = 30
    CONNECTED = 16384  # RFC 2408 3.14.1 status
    RESPONDER_LIFETIME = 24576  # RFC 2407 4.6.3.1
    REPLAY_STATUS = 24577  # RFC 2407 4.6.3.2
    INITIAL_CONTACT = 24578  # RFC 2407 4.6.3.3
    R_U_THERE = 36136  # RFC 3706 section 5
    R_U_THERE_ACK = 36137  # RFC 3706 section 5
    UNITY_HEARTBEAT = 40500  # racoon isakmp_unity.h (sent while XAuth waits for the user)
    UNITY_LOAD_BALANCE = 40501  # strongSwan notify_payload.h, Shrew Soft libike
    UNITY_GROUP_HASH = 40503  # Shrew Soft libike


class Doi(IntEnum):
    """RFC 2408 3.4 / RFC 2407 4.2."""

    ISAKMP = 0
    IPSEC = 1


class Situation(IntFlag):
    """RFC 2407 4.2."""

    IDENTITY_ONLY = 0x01
    SECRECY = 0x02
    INTEGRITY = 0x04


class ProtocolId(IntEnum):
    """RFC 2407 4.4.1."""

    RESERVED = 0
    ISAKMP = 1
    IPSEC_AH = 2
    IPSEC_ESP = 3
    IPCOMP = 4


class IsakmpTransformId(IntEnum):
    """RFC 2407 4.4.2."""

    KEY_IKE = 1


class AhTransformId(IntEnum):
    """RFC 2407 4.4.3 (SHA2 values from RFC 4868 / IANA)."""

    AH_MD5 = 2
    AH_SHA = 3
    AH_DES = 4
    AH_SHA2_256 = 5
    AH_SHA2_384 = 6
    AH_SHA2_512 = 7


class EspTransformId(IntEnum):
    """RFC 2407 4.4.4; ESP_AES RFC 3602, CTR RFC 3686, CCM RFC 4309, GCM RFC 4106."""

    ESP_DES_IV64 = 1
    ESP_DES = 2
    ESP_3DES = 3
    ESP_RC5 = 4
    ESP_IDEA = 5
    ESP_CAST = 6
    ESP_BLOWFISH = 7
    ESP_3IDEA = 8
    ESP_DES_IV32 = 9
    ESP_RC4 = 10
    ESP_NULL = 11
    ESP_AES = 12
    ESP_AES_CTR = 13
    ESP_AES_CCM_8 = 14
    ESP_AES_CCM_12 = 15
    ESP_AES_CCM_16 = 16
    ESP_AES_GCM_8 = 18
    ESP_AES_GCM_12 = 19
    ESP_AES_GCM_16 = 20


class IpcompTransformId(IntEnum):
    """RFC 2407 4.4.5."""

    IPCOMP_OUI = 1
    IPCOMP_DEFLATE = 2
    IPCOMP_LZS = 3


class IdType(IntEnum):
    """RFC 2407 4.6.2.1."""

    IPV4_ADDR = 1
    FQDN = 2
    USER_FQDN = 3
    IPV4_ADDR_SUBNET = 4
    IPV6_ADDR = 5
    IPV6_ADDR_SUBNET = 6
    IPV4_ADDR_RANGE = 7
    IPV6_ADDR_RANGE = 8
    DER_ASN1_DN = 9
    DER_ASN1_GN = 10
    KEY_ID = 11


class CertEncoding(IntEnum):
    """RFC 2408 3.9."""

    NONE = 0
    PKCS7 = 1
    PGP = 2
    DNS_SIGNED_KEY = 3
    X509_SIGNATURE = 4
    X509_KEY_EXCHANGE = 5
    KERBEROS = 6
    CRL = 7
    ARL = 8
    SPKI = 9
    X509_ATTRIBUTE = 10


# --- phase 1 (RFC 2409 appendix A) ---------------------------------------------------------------


class Phase1Attr(IntEnum):
    """RFC 2409 appendix A attribute classes (B = basic, V = variable; see PHASE1_VARIABLE)."""

    ENCRYPTION = 1
    HASH = 2
    AUTH_METHOD = 3
    GROUP_DESCRIPTION = 4
    GROUP_TYPE = 5
    GROUP_PRIME = 6
    GROUP_GENERATOR_ONE = 7
    GROUP_GENERATOR_TWO = 8
    GROUP_CURVE_A = 9
    GROUP_CURVE_B = 10
    LIFE_TYPE = 11
    LIFE_DURATION = 12
    PRF = 13
    KEY_LENGTH = 14
    FIELD_SIZE = 15
    GROUP_ORDER = 16


PHASE1_VARIABLE: frozenset[int] = frozenset(
    {
        Phase1Attr.GROUP_PRIME,
        Phase1Attr.GROUP_GENERATOR_ONE,
        Phase1Attr.GROUP_GENERATOR_TWO,
        Phase1Attr.GROUP_CURVE_A,
        Phase1Attr.GROUP_CURVE_B,
        Phase1Attr.LIFE_DURATION,
        Phase1Attr.GROUP_ORDER,
    }
)


class EncryptionAlgorithm(IntEnum):
    """RFC 2409 appendix A; AES-CBC RFC 3602, Camellia RFC 4312."""

    DES_CBC = 1
    IDEA_CBC = 2
    BLOWFISH_CBC = 3
    RC5_R16_B64_CBC = 4
    DES3_CBC = 5
    CAST_CBC = 6
    AES_CBC = 7
    CAMELLIA_CBC = 8


class HashAlgorithm(IntEnum):
    """RFC 2409 appendix A; SHA2 values RFC 4868 / IANA."""

    MD5 = 1
    SHA = 2
    TIGER = 3
    SHA2_256 = 4
    SHA2_384 = 5
    SHA2_512 = 6


class AuthMethod(IntEnum):
    """RFC 2409 appendix A; XAuth/hybrid methods from draft-beaulieu-ike-xauth-02."""

    PRE_SHARED_KEY = 1
    DSS_SIGNATURES = 2
    RSA_SIGNATURES = 3
    RSA_ENCRYPTION = 4
    RSA_REVISED_ENCRYPTION = 5
    HYBRID_INIT_RSA = 64221
    HYBRID_RESP_RSA = 64222
    HYBRID_INIT_DSS = 64223
    HYBRID_RESP_DSS = 64224
    XAUTH_INIT_PRESHARED = 65001
    XAUTH_RESP_PRESHARED = 65002
    XAUTH_INIT_DSS = 65003
    XAUTH_RESP_DSS = 65004
    XAUTH_INIT_RSA = 65005
    XAUTH_RESP_RSA = 65006
    XAUTH_INIT_RSA_ENCRYPTION = 65007
    XAUTH_RESP_RSA_ENCRYPTION = 65008
    XAUTH_INIT_RSA_REVISED_ENCRYPTION = 65009
    XAUTH_RESP_RSA_REVISED_ENCRYPTION = 65010


class GroupDescription(IntEnum):
    """RFC 2409 6 / appendix A, RFC 3526 (MODP 5, 14-18), RFC 5903 (ECP 19-21), RFC 5114."""

    MODP_768 = 1
    MODP_1024 = 2
    EC2N_155 = 3
    EC2N_185 = 4
    MODP_1536 = 5
    MODP_2048 = 14
    MODP_3072 = 15
    MODP_4096 = 16
    MODP_6144 = 17
    MODP_8192 = 18
    ECP_256 = 19
    ECP_384 = 20
    ECP_521 = 21
    MODP_2048_256 = 24


class GroupType(IntEnum):
    """RFC 2409 appendix A."""

    MODP = 1
    ECP = 2
    EC2N = 3


class LifeType(IntEnum):
    """RFC 2409 appendix A and RFC 2407 4.5 share these values."""

    SECONDS = 1
    KILOBYTES = 2


# --- phase 2 (RFC 2407 4.5) ----------------------------------------------------------------------


class IpsecAttr(IntEnum):
    """RFC 2407 4.5 SA attributes (ECN tunnel RFC 3168 9.2)."""

    SA_LIFE_TYPE = 1
    SA_LIFE_DURATION = 2
    GROUP_DESCRIPTION = 3
    ENCAPSULATION_MODE = 4
    AUTH_ALGORITHM = 5
    KEY_LENGTH = 6
    KEY_ROUNDS = 7
    COMPRESS_DICTIONARY_SIZE = 8
    COMPRESS_PRIVATE_ALGORITHM = 9
    ECN_TUNNEL = 10


IPSEC_VARIABLE: frozenset[int] = frozenset(
    {IpsecAttr.SA_LIFE_DURATION, IpsecAttr.COMPRESS_PRIVATE_ALGORITHM}
)


class EncapsulationMode(IntEnum):
    """RFC 2407 4.5; UDP modes RFC 3947 5.1; 61443/61444 draft-ietf-ipsec-nat-t-ike-02/03."""

    TUNNEL = 1
    TRANSPORT = 2
    UDP_TUNNEL = 3
    UDP_TRANSPORT = 4
    UDP_TUNNEL_DRAFT = 61443
    UDP_TRANSPORT_DRAFT = 61444


class IpsecAuthAlgorithm(IntEnum):
    """RFC 2407 4.5; SHA2 values RFC 4868 / IANA, AES-XCBC RFC 3566."""

    HMAC_MD5 = 1
    HMAC_SHA = 2
    DES_MAC = 3
    KPDK = 4
    HMAC_SHA2_256 = 5
    HMAC_SHA2_384 = 6
    HMAC_SHA2_512 = 7
    HMAC_RIPEMD = 8
    AES_XCBC_MAC = 9


# --- Mode Config / XAuth / Cisco Unity -----------------------------------------------------------


class CfgMessageType(IntEnum):
    """draft-dukes-ike-mode-cfg 3.2: the type byte of the ATTR payload."""

    RESERVED = 0
    REQUEST = 1
    REPLY = 2
    SET = 3
    ACK = 4


class CfgAttr(IntEnum):
    """Mode Config attribute types.

    1-15: draft-dukes-ike-mode-cfg 3.3; 16520-16529: draft-beaulieu-ike-xauth-02 XAUTH attributes;
    28672-28682: Cisco Unity, as published by strongSwan (attributes.h) and racoon
    (isakmp_unity.h).
    """

    INTERNAL_IP4_ADDRESS = 1
    INTERNAL_IP4_NETMASK = 2
    INTERNAL_IP4_DNS = 3
    INTERNAL_IP4_NBNS = 4
    INTERNAL_ADDRESS_EXPIRY = 5
    INTERNAL_IP4_DHCP = 6
    APPLICATION_VERSION = 7
    INTERNAL_IP6_ADDRESS = 8
    INTERNAL_IP6_NETMASK = 9
    INTERNAL_IP6_DNS = 10
    INTERNAL_IP6_NBNS = 11
    INTERNAL_IP6_DHCP = 12
    INTERNAL_IP4_SUBNET = 13
    SUPPORTED_ATTRIBUTES = 14
    INTERNAL_IP6_SUBNET = 15
    XAUTH_TYPE = 16520
    XAUTH_USER_NAME = 16521
    XAUTH_USER_PASSWORD = 16522
    XAUTH_PASSCODE = 16523
    XAUTH_MESSAGE = 16524
    XAUTH_CHALLENGE = 16525
    XAUTH_DOMAIN = 16526
    XAUTH_STATUS = 16527
    XAUTH_NEXT_PIN = 16528
    XAUTH_ANSWER = 16529
    UNITY_BANNER = 28672
    UNITY_SAVE_PASSWD = 28673
    UNITY_DEF_DOMAIN = 28674
    UNITY_SPLIT_DNS = 28675
    UNITY_SPLIT_INCLUDE = 28676
    UNITY_NATT_PORT = 28677
    UNITY_LOCAL_LAN = 28678
    UNITY_PFS = 28679
    UNITY_FW_TYPE = 28680
    UNITY_BACKUP_SERVERS = 28681
    UNITY_DDNS_HOSTNAME = 28682


# Attributes whose value is a 16-bit basic (TV) value when sent with a value (draft-beaulieu
# XAUTH-TYPE/XAUTH-STATUS; Unity save-password/NAT-T port/PFS are 16-bit per strongSwan and racoon).
CFG_BASIC: frozenset[int] = frozenset(
    {
        CfgAttr.XAUTH_TYPE,
        CfgAttr.XAUTH_STATUS,
        CfgAttr.UNITY_SAVE_PASSWD,
        CfgAttr.UNITY_NATT_PORT,
        CfgAttr.UNITY_PFS,
    }
)


class XauthType(IntEnum):
    """draft-beaulieu-ike-xauth-02 XAUTH-TYPE values."""

    GENERIC = 0
    RADIUS_CHAP = 1
    OTP = 2
    S_KEY = 3


class XauthStatus(IntEnum):
    """draft-beaulieu-ike-xauth-02 XAUTH-STATUS values."""

    FAIL = 0
    OK = 1


def name_of(enum_cls: type[IntEnum], value: int) -> str:
    """``enum_cls(value).name`` for known values, else the number (for logs)."""
    try:
        return enum_cls(value).name
    except ValueError:
        return str(value)
