"""Diffie-Hellman groups for IKEv1: MODP 1, 2 (RFC 2409 section 6), 5, 14, 15, 16 (RFC 3526)
and ECP 19, 20 (RFC 5903).

Sans-I/O: private values come from an injected ``random_bytes(n) -> bytes`` callable; nothing
here reads the system random generator. MODP arithmetic is Python's ``pow`` (``cryptography``
deprecates finite-field DH and its key loading is slow); ECP uses ``cryptography``'s ``ec``.

Wire encodings: a MODP public value is g^x mod p, big-endian, left-padded with zeros to the
length of the prime (RFC 2409 section 5), and so is the shared secret g^xy. An ECP public value
is x | y, each coordinate padded to the field size, and the shared secret is the x coordinate
of the shared point only (RFC 5903 section 7).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric import ec

from vpnrouter.crypto.errors import InvalidPublicValue, UnsupportedAlgorithm

RandomBytes = Callable[[int], bytes]
"""The injected randomness source: ``random_bytes(n)`` returns ``n`` random bytes."""


def _hex(text: str) -> int:
    return int(text.replace(" ", ""), 16)


# RFC 2409 section 6.1 (group 1, 768 bits) and 6.2 (group 2, 1024 bits); RFC 3526 sections
# 2 (group 5, 1536), 3 (group 14, 2048), 4 (group 15, 3072), 5 (group 16, 4096). Each prime is
# 2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + c); the generator is 2.
_MODP_1: Final = _hex(
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74"
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437"
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A63A3620 FFFFFFFF FFFFFFFF"
)
_MODP_2: Final = _hex(
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74"
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437"
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381 FFFFFFFF FFFFFFFF"
)
_MODP_5: Final = _hex(
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74"
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437"
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05"
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB"
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA237327 FFFFFFFF FFFFFFFF"
)
_MODP_14: Final = _hex(
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74"
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437"
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05"
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB"
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718"
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AACAA68 FFFFFFFF FFFFFFFF"
)
_MODP_15: Final = _hex(
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74"
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437"
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05"
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB"
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718"
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33"
    "A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7"
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864"
    "D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2"
    "08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A93AD2CA FFFFFFFF FFFFFFFF"
)
_MODP_16: Final = _hex(
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74"
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437"
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05"
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB"
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718"
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33"
    "A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7"
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864"
    "D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2"
    "08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7"
    "88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8"
    "DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2"
    "233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9"
    "93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34063199 FFFFFFFF FFFFFFFF"
)

# Private exponent length for MODP groups. RFC 3526 section 8 estimates an exponent of 2x the
# group's symmetric strength suffices (at most 480 bits for the 4096-bit group); 512 bits
# covers every group here and keeps group 15/16 exponentiation affordable.
MODP_PRIVATE_LEN: Final = 64
# Extra random bytes drawn before reducing modulo the group order, so the reduction's bias is
# below 2**-64.
_EXTRA_BYTES: Final = 8


@dataclass(frozen=True, slots=True)
class DhKeyPair:
    """Our half of one exchange: ``private`` (big-endian exponent/scalar) and ``public``
    (the KE payload's key exchange data, already in wire encoding)."""

    group_id: int
    private: bytes
    public: bytes

    def __repr__(self) -> str:  # keep the private value out of logs
        return f"DhKeyPair(group={self.group_id}, public={self.public[:8].hex()}...)"


class DhGroup(ABC):
    """One IKE Diffie-Hellman group (RFC 2409 App. A, attribute 4)."""

    group_id: int
    name: str
    public_len: int
    """Length of the KE payload data (RFC 2409 section 5: padded to the group's size)."""
    shared_len: int
    """Length of g^xy as it enters SKEYID / KEYMAT."""

    def generate(self, random_bytes: RandomBytes) -> DhKeyPair:
        """Draw a private value from ``random_bytes`` and compute the public value."""
        return self.keypair_from_private(self._draw_private(random_bytes))

    @abstractmethod
    def _draw_private(self, random_bytes: RandomBytes) -> bytes: ...

    @abstractmethod
    def keypair_from_private(self, private: bytes) -> DhKeyPair:
        """The key pair for a given private value (known-answer tests, deterministic runs)."""

    @abstractmethod
    def shared_secret(self, keypair: DhKeyPair, peer_public: bytes) -> bytes:
        """g^xy from our key pair and the peer's KE data; raises InvalidPublicValue."""

    def _check_keypair(self, keypair: DhKeyPair) -> None:
        if keypair.group_id != self.group_id:
            raise ValueError(f"key pair of group {keypair.group_id} used with {self.name}")


class ModpGroup(DhGroup):
    """RFC 2409 section 6 / RFC 3526: g^x mod p with generator 2, values padded to len(p)."""

    def __init__(self, group_id: int, prime: int, generator: int = 2) -> None:
        self.group_id = group_id
        self.prime = prime
        self.generator = generator
        self.public_len = (prime.bit_length() + 7) // 8
        self.shared_len = self.public_len
        self.name = f"modp{prime.bit_length()}"

    def _draw_private(self, random_bytes: RandomBytes) -> bytes:
        raw = random_bytes(MODP_PRIVATE_LEN + _EXTRA_BYTES)
        if len(raw) != MODP_PRIVATE_LEN + _EXTRA_BYTES:
            raise ValueError("random_bytes returned the wrong number of bytes")
        # x in [2, 2^512 - 1]: never 0 or 1, far below p - 1 for every group here.
        x = int.from_bytes(raw, "big") % ((1 << (8 * MODP_PRIVATE_LEN)) - 2) + 2
        return x.to_bytes(MODP_PRIVATE_LEN, "big")

    def keypair_from_private(self, private: bytes) -> DhKeyPair:
        x = int.from_bytes(private, "big")
        if not 1 < x < self.prime - 1:
            raise ValueError(f"{self.name}: private exponent out of range")
        y = pow(self.generator, x, self.prime)
        return DhKeyPair(self.group_id, bytes(private), y.to_bytes(self.public_len, "big"))

    def shared_secret(self, keypair: DhKeyPair, peer_public: bytes) -> bytes:
        """RFC 2409 section 5: g^xy = (g^y)^x mod p, left-padded to the prime's length.

        The peer's value must be exactly ``public_len`` bytes and 1 < y < p - 1 (rejects the
        trivial subgroup {1, p-1} and out-of-range values; RFC 2412 App. E / SP 800-56A).
        """
        self._check_keypair(keypair)
        if len(peer_public) != self.public_len:
            raise InvalidPublicValue(
                f"{self.name}: public value is {len(peer_public)} bytes, expected {self.public_len}"
            )
        y = int.from_bytes(peer_public, "big")
        if not 1 < y < self.prime - 1:
            raise InvalidPublicValue(f"{self.name}: public value out of range")
        z = pow(y, int.from_bytes(keypair.private, "big"), self.prime)
        return z.to_bytes(self.shared_len, "big")


class EcpGroup(DhGroup):
    """RFC 5903: ECDH over NIST P-256 (group 19) and P-384 (group 20).

    Public value: x | y (section 7), each ``coord_len`` bytes; shared secret: x only.
    """

    def __init__(self, group_id: int, curve: ec.EllipticCurve, order: int) -> None:
        self.group_id = group_id
        self.curve = curve
        self.order = order
        self.coord_len = (curve.key_size + 7) // 8
        self.public_len = 2 * self.coord_len
        self.shared_len = self.coord_len
        self.name = f"ecp{curve.key_size}"

    def _draw_private(self, random_bytes: RandomBytes) -> bytes:
        raw = random_bytes(self.coord_len + _EXTRA_BYTES)
        if len(raw) != self.coord_len + _EXTRA_BYTES:
            raise ValueError("random_bytes returned the wrong number of bytes")
        # FIPS 186-4 B.4.1 (extra random bits): d = (c mod (n - 1)) + 1, so 1 <= d < n.
        d = int.from_bytes(raw, "big") % (self.order - 1) + 1
        return d.to_bytes(self.coord_len, "big")

    def _private_key(self, private: bytes) -> ec.EllipticCurvePrivateKey:
        d = int.from_bytes(private, "big")
        if not 0 < d < self.order:
            raise ValueError(f"{self.name}: private scalar out of range")
        return ec.derive_private_key(d, self.curve)

    def keypair_from_private(self, private: bytes) -> DhKeyPair:
        numbers = self._private_key(private).public_key().public_numbers()
        public = numbers.x.to_bytes(self.coord_len, "big") + numbers.y.to_bytes(
            self.coord_len, "big"
        )
        return DhKeyPair(self.group_id, bytes(private), public)

    def shared_secret(self, keypair: DhKeyPair, peer_public: bytes) -> bytes:
        """RFC 5903 sections 7 and 9: the peer's x | y must be a point on the curve (checked
        by OpenSSL when the point is loaded); the result is the x coordinate of d * Q."""
        self._check_keypair(keypair)
        if len(peer_public) != self.public_len:
            raise InvalidPublicValue(
                f"{self.name}: public value is {len(peer_public)} bytes, expected {self.public_len}"
            )
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(
                self.curve, b"\x04" + bytes(peer_public)
            )
        except ValueError as exc:
            raise InvalidPublicValue(f"{self.name}: public value is not on the curve") from exc
        return self._private_key(keypair.private).exchange(ec.ECDH(), peer)


# FIPS 186-4 D.1.2.3 / D.1.2.4: the order n of the base point of P-256 and P-384.
_P256_ORDER: Final = _hex("FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD A7179E84 F3B9CAC2 FC632551")
_P384_ORDER: Final = _hex(
    "FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF C7634D81 F4372DDF"
    "581A0DB2 48B0A77A ECEC196A CCC52973"
)

_GROUPS: Final[dict[int, DhGroup]] = {
    1: ModpGroup(1, _MODP_1),
    2: ModpGroup(2, _MODP_2),
    5: ModpGroup(5, _MODP_5),
    14: ModpGroup(14, _MODP_14),
    15: ModpGroup(15, _MODP_15),
    16: ModpGroup(16, _MODP_16),
    19: EcpGroup(19, ec.SECP256R1(), _P256_ORDER),
    20: EcpGroup(20, ec.SECP384R1(), _P384_ORDER),
}

SUPPORTED_GROUPS: Final = tuple(_GROUPS)


def get_group(group_id: int) -> DhGroup:
    """RFC 2409 App. A attribute 4 (Group Description) -> the group."""
    group = _GROUPS.get(group_id)
    if group is None:
        raise UnsupportedAlgorithm(f"Diffie-Hellman group {group_id} is not supported")
    return group
