"""IKEv1 key derivation and authentication hashes (RFC 2409 sections 5 and App. B).

Notation as in RFC 2409 section 3.2: ``_b`` means the body of a payload without its generic
header (Ni_b is the nonce data, SAi_b the whole SA payload body of the initiator's first
message, IDii_b the ID payload body with ID type, protocol, port and data). Cookies
(CKY-I, CKY-R) are the 8-byte header SPIs, message IDs enter as 4 bytes in network order.
Every function is a pure computation over bytes; ``prf`` is the negotiated
:class:`~vpnrouter.crypto.prf.Prf`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple

from vpnrouter.crypto.prf import Prf as Prf  # re-exported: the type every function here takes

# RFC 2407 section 4.4.1: IPsec DOI protocol identifiers, as KEYMAT's "protocol" octet.
PROTO_IPSEC_AH: Final = 2
PROTO_IPSEC_ESP: Final = 3
PROTO_IPCOMP: Final = 4

_MAX_OUTPUT: Final = 255 * 64  # far above any key a negotiated SA can need


def _mid(message_id: int) -> bytes:
    if not 0 <= message_id <= 0xFFFFFFFF:
        raise ValueError(f"message ID {message_id} does not fit 32 bits")
    return message_id.to_bytes(4, "big")


def _check_cookie(name: str, cookie: bytes) -> None:
    if len(cookie) != 8:
        raise ValueError(f"{name} must be 8 bytes, got {len(cookie)}")


# RFC 2409 section 5: SKEYID = prf(pre-shared-key, Ni_b | Nr_b) for pre-shared keys.
def skeyid_psk(prf: Prf, psk: bytes, ni_b: bytes, nr_b: bytes) -> bytes:
    """SKEYID for pre-shared key authentication (main and aggressive mode, XAuth PSK)."""
    return prf.compute(psk, ni_b + nr_b)


# RFC 2409 section 5: SKEYID = prf(Ni_b | Nr_b, g^xy) for signatures.
def skeyid_sig(prf: Prf, ni_b: bytes, nr_b: bytes, g_xy: bytes) -> bytes:
    """SKEYID for signature authentication (RSA-SIG, hybrid modes)."""
    return prf.compute(ni_b + nr_b, g_xy)


class SkeyIds(NamedTuple):
    """SKEYID_d (keys for non-ISAKMP SAs), SKEYID_a (ISAKMP authentication), SKEYID_e
    (ISAKMP encryption), each ``prf.size`` bytes."""

    d: bytes
    a: bytes
    e: bytes

    def __repr__(self) -> str:
        return "SkeyIds(<secret>)"


# RFC 2409 section 5:
#   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
#   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
#   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
def derive_skeyids(prf: Prf, skeyid: bytes, g_xy: bytes, cky_i: bytes, cky_r: bytes) -> SkeyIds:
    """The three phase-1 keys from SKEYID and the shared secret (constants are one octet)."""
    _check_cookie("CKY-I", cky_i)
    _check_cookie("CKY-R", cky_r)
    tail = g_xy + cky_i + cky_r
    d = prf.compute(skeyid, tail + b"\x00")
    a = prf.compute(skeyid, d + tail + b"\x01")
    e = prf.compute(skeyid, a + tail + b"\x02")
    return SkeyIds(d, a, e)


# RFC 2409 App. B: if SKEYID_e is shorter than the cipher key, Ka = K1 | K2 | K3 | ...
# with K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1), K3 = prf(SKEYID_e, K2); otherwise the
# key is the first key_len bytes of SKEYID_e.
def encryption_key(prf: Prf, skeyid_e: bytes, key_len: int) -> bytes:
    """The phase-1 encryption key (e.g. 3DES or AES-256 with MD5/SHA1 needs the expansion)."""
    if not 0 <= key_len <= _MAX_OUTPUT:
        raise ValueError(f"key length {key_len} out of range")
    if len(skeyid_e) >= key_len:
        return skeyid_e[:key_len]
    out = b""
    block = b"\x00"
    while len(out) < key_len:
        block = prf.compute(skeyid_e, block)
        out += block
    return out[:key_len]


# RFC 2409 section 5:
#   HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
#   HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
def hash_i(
    prf: Prf,
    skeyid: bytes,
    *,
    g_xi: bytes,
    g_xr: bytes,
    cky_i: bytes,
    cky_r: bytes,
    sa_i_b: bytes,
    id_ii_b: bytes,
) -> bytes:
    """The initiator's authenticating hash (main mode message 5, aggressive mode 3)."""
    _check_cookie("CKY-I", cky_i)
    _check_cookie("CKY-R", cky_r)
    return prf.compute(skeyid, g_xi + g_xr + cky_i + cky_r + sa_i_b + id_ii_b)


def hash_r(
    prf: Prf,
    skeyid: bytes,
    *,
    g_xi: bytes,
    g_xr: bytes,
    cky_i: bytes,
    cky_r: bytes,
    sa_i_b: bytes,
    id_ir_b: bytes,
) -> bytes:
    """The responder's authenticating hash (main mode message 6, aggressive mode 2).

    Arguments are named from the initiator's point of view; the order swap of RFC 2409
    section 5 (g^xr first, CKY-R first) happens here. SAi_b is the initiator's SA either way.
    """
    _check_cookie("CKY-I", cky_i)
    _check_cookie("CKY-R", cky_r)
    return prf.compute(skeyid, g_xr + g_xi + cky_r + cky_i + sa_i_b + id_ir_b)


# RFC 2409 section 5.5: HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])
def qm_hash1(prf: Prf, skeyid_a: bytes, message_id: int, payloads: bytes) -> bytes:
    """Quick mode HASH(1): ``payloads`` is every payload after HASH, generic headers included,
    exactly as on the wire."""
    return prf.compute(skeyid_a, _mid(message_id) + payloads)


# RFC 2409 section 5.5: HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])
def qm_hash2(prf: Prf, skeyid_a: bytes, message_id: int, ni_b: bytes, payloads: bytes) -> bytes:
    """Quick mode HASH(2): the initiator's nonce body, then the responder's payloads after HASH."""
    return prf.compute(skeyid_a, _mid(message_id) + ni_b + payloads)


# RFC 2409 section 5.5: HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
def qm_hash3(prf: Prf, skeyid_a: bytes, message_id: int, ni_b: bytes, nr_b: bytes) -> bytes:
    """Quick mode HASH(3), with its leading single zero octet."""
    return prf.compute(skeyid_a, b"\x00" + _mid(message_id) + ni_b + nr_b)


# RFC 2409 section 5.7: HASH(1) = prf(SKEYID_a, M-ID | N/D); draft-dukes-ike-mode-cfg
# section 3.3 (and XAuth, draft-beaulieu-ike-xauth) use the same form over the attribute
# payload: HASH = prf(SKEYID_a, M-ID | ATTR).
def informational_hash(prf: Prf, skeyid_a: bytes, message_id: int, payloads: bytes) -> bytes:
    """HASH of an informational or transaction (Mode Config / XAuth) exchange message."""
    return prf.compute(skeyid_a, _mid(message_id) + payloads)


# RFC 2409 section 5.5:
#   KEYMAT = prf(SKEYID_d, protocol | SPI | Ni_b | Nr_b)                 (no PFS)
#   KEYMAT = prf(SKEYID_d, g(qm)^xy | protocol | SPI | Ni_b | Nr_b)      (PFS)
# expanded as K1 | K2 | ..., K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
# K2 = prf(SKEYID_d, K1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), ...
def keymat(
    prf: Prf,
    skeyid_d: bytes,
    protocol: int,
    spi: bytes,
    ni_b: bytes,
    nr_b: bytes,
    length: int,
    g_qm: bytes | None = None,
) -> bytes:
    """``length`` bytes of key material for the SA whose (inbound) SPI is ``spi``.

    Each direction has its own KEYMAT: the SA a peer receives on is keyed with the SPI that
    peer chose. Nonces stay in initiator, responder order for both directions.
    """
    if not 0 <= protocol <= 0xFF:
        raise ValueError(f"protocol {protocol} does not fit one octet")
    if not 0 <= length <= _MAX_OUTPUT:
        raise ValueError(f"KEYMAT length {length} out of range")
    seed = (g_qm or b"") + bytes([protocol]) + spi + ni_b + nr_b
    out = b""
    block = b""
    while len(out) < length:
        block = prf.compute(skeyid_d, block + seed)
        out += block
    return out[:length]


class ChildKeys(NamedTuple):
    """One direction's ESP/AH keys: the encryption key is taken from the start of KEYMAT and
    the authentication key from the bytes after it (the split IKEv1 implementations use;
    checked against strongSwan's keymat_v1.c in tests/unit/test_crypto_keymat.py)."""

    encryption: bytes
    integrity: bytes

    def __repr__(self) -> str:
        return "ChildKeys(<secret>)"


def child_keys(
    prf: Prf,
    skeyid_d: bytes,
    protocol: int,
    spi: bytes,
    ni_b: bytes,
    nr_b: bytes,
    enc_len: int,
    auth_len: int,
    g_qm: bytes | None = None,
) -> ChildKeys:
    """RFC 2409 section 5.5 KEYMAT split into the cipher key and the HMAC key.

    Sizes come from ``CipherSpec.key_size`` and ``IntegritySpec.key_size``."""
    km = keymat(prf, skeyid_d, protocol, spi, ni_b, nr_b, enc_len + auth_len, g_qm)
    return ChildKeys(km[:enc_len], km[enc_len:])


@dataclass(frozen=True, slots=True, repr=False)
class Phase1Keys:
    """Everything RFC 2409 section 5 and App. B derive for one ISAKMP SA."""

    skeyid: bytes
    skeyid_d: bytes
    skeyid_a: bytes
    skeyid_e: bytes
    enc_key: bytes

    def __repr__(self) -> str:
        return "Phase1Keys(<secret>)"


def derive_phase1(
    prf: Prf, skeyid: bytes, g_xy: bytes, cky_i: bytes, cky_r: bytes, enc_key_len: int
) -> Phase1Keys:
    """RFC 2409 section 5 + App. B in one call, from SKEYID (see skeyid_psk / skeyid_sig)."""
    ids = derive_skeyids(prf, skeyid, g_xy, cky_i, cky_r)
    return Phase1Keys(skeyid, ids.d, ids.a, ids.e, encryption_key(prf, ids.e, enc_key_len))
