"""Hash functions, the IKEv1 PRF (HMAC) and the ESP integrity algorithms.

IKEv1 negotiates a hash algorithm (RFC 2409 App. A, attribute 2) and, without a PRF
attribute, uses HMAC over that hash as the pseudo-random function (RFC 2409 section 4). The
same HMACs, truncated, are the ESP integrity algorithms of RFC 2407 section 4.5 (RFC 2403
HMAC-MD5-96, RFC 2404 HMAC-SHA-1-96, RFC 4868 HMAC-SHA-256-128/384-192/512-256).

Everything here runs on Python's ``hashlib``/``hmac`` (OpenSSL underneath). For the ESP data
path, :meth:`IntegritySpec.new` keys an HMAC once per SA; each packet costs one ``copy()`` of
the keyed state.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Final

from vpnrouter.crypto.errors import UnsupportedAlgorithm

# RFC 2409 App. A, attribute class 2 (Hash Algorithm); SHA2 values from the IANA registry
# (RFC 4868 section 2.3 refers to them for IKEv1).
HASH_MD5: Final = 1
HASH_SHA1: Final = 2
HASH_SHA2_256: Final = 4
HASH_SHA2_384: Final = 5
HASH_SHA2_512: Final = 6

# RFC 2407 section 4.5, attribute class 5 (Authentication Algorithm) for ESP.
AUTH_HMAC_MD5: Final = 1
AUTH_HMAC_SHA1: Final = 2
AUTH_HMAC_SHA2_256: Final = 5
AUTH_HMAC_SHA2_384: Final = 6
AUTH_HMAC_SHA2_512: Final = 7

_HASH_NAMES: Final[dict[int, str]] = {
    HASH_MD5: "md5",
    HASH_SHA1: "sha1",
    HASH_SHA2_256: "sha256",
    HASH_SHA2_384: "sha384",
    HASH_SHA2_512: "sha512",
}


class Prf:
    """RFC 2409 section 4: ``prf(key, msg)`` is HMAC (RFC 2104) over the negotiated hash.

    ``digest`` is the plain hash, which RFC 2409 App. B uses for the phase-1 and phase-2 IVs.
    """

    __slots__ = ("_name", "block_size", "hash_id", "size")

    def __init__(self, hash_id: int) -> None:
        name = _HASH_NAMES.get(hash_id)
        if name is None:
            raise UnsupportedAlgorithm(f"IKE hash algorithm {hash_id} is not supported")
        self.hash_id = hash_id
        self._name = name
        probe = hashlib.new(name)
        self.size: int = probe.digest_size
        self.block_size: int = probe.block_size

    @property
    def name(self) -> str:
        """The hashlib name of the hash (``md5``, ``sha1``, ``sha256``, ...)."""
        return self._name

    def compute(self, key: bytes, data: bytes) -> bytes:
        """RFC 2409 section 4 / RFC 2104: HMAC-hash(key, data), full length."""
        return hmac.digest(key, data, self._name)

    def digest(self, data: bytes) -> bytes:
        """The negotiated hash of ``data`` (RFC 2409 App. B: IV = hash(...))."""
        return hashlib.new(self._name, data).digest()

    def __repr__(self) -> str:
        return f"Prf({self._name})"


@dataclass(frozen=True, slots=True)
class IntegritySpec:
    """An ESP integrity algorithm: RFC 2403 (MD5-96), 2404 (SHA1-96), 4868 (SHA2).

    ``key_size`` is the HMAC key length the SA needs from KEYMAT (the hash output length,
    RFC 2403 section 3 / 2404 section 3 / 4868 section 2.1.1) and ``icv_size`` the truncated
    ICV length carried in each ESP packet.
    """

    auth_alg: int
    hash_name: str
    key_size: int
    icv_size: int

    def new(self, key: bytes) -> Integrity:
        """Key the HMAC once per SA."""
        return Integrity(self, key)


class Integrity:
    """A keyed ESP integrity context; reuse it for every packet of one SA."""

    __slots__ = ("_base", "icv_size", "spec")

    def __init__(self, spec: IntegritySpec, key: bytes) -> None:
        if len(key) != spec.key_size:
            raise ValueError(
                f"auth algorithm {spec.auth_alg} needs a {spec.key_size}-byte key, got {len(key)}"
            )
        self.spec = spec
        self.icv_size = spec.icv_size
        self._base: Any = hmac.new(key, digestmod=spec.hash_name)

    def compute(self, data: bytes) -> bytes:
        """RFC 4303 section 2.8: the ICV over SPI..Next Header, HMAC truncated to ``icv_size``."""
        h = self._base.copy()
        h.update(data)
        return bytes(h.digest()[: self.icv_size])

    def verify(self, data: bytes, icv: bytes) -> bool:
        """Constant-time comparison of the received ICV (DESIGN.md principle 2)."""
        return hmac.compare_digest(self.compute(data), icv)


_INTEGRITY: Final[dict[int, IntegritySpec]] = {
    AUTH_HMAC_MD5: IntegritySpec(AUTH_HMAC_MD5, "md5", 16, 12),  # RFC 2403
    AUTH_HMAC_SHA1: IntegritySpec(AUTH_HMAC_SHA1, "sha1", 20, 12),  # RFC 2404
    AUTH_HMAC_SHA2_256: IntegritySpec(AUTH_HMAC_SHA2_256, "sha256", 32, 16),  # RFC 4868
    AUTH_HMAC_SHA2_384: IntegritySpec(AUTH_HMAC_SHA2_384, "sha384", 48, 24),  # RFC 4868
    AUTH_HMAC_SHA2_512: IntegritySpec(AUTH_HMAC_SHA2_512, "sha512", 64, 32),  # RFC 4868
}


def get_integrity(auth_alg: int) -> IntegritySpec:
    """RFC 2407 section 4.5: the ESP authentication algorithm number -> its spec."""
    spec = _INTEGRITY.get(auth_alg)
    if spec is None:
        raise UnsupportedAlgorithm(f"ESP auth algorithm {auth_alg} is not supported")
    return spec


def hmac_integrity(auth_alg: int, key: bytes, data: bytes) -> bytes:
    """One-shot ICV (RFC 2403/2404/4868); per-SA code should keep ``get_integrity().new(key)``."""
    return get_integrity(auth_alg).new(key).compute(data)
