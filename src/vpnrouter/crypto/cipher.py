"""CBC ciphers for IKEv1 and ESP: DES, 3DES, AES-CBC 128/192/256, and NULL for ESP.

Algorithm numbers: IKE (RFC 2409 App. A, attribute 1) and ESP transform IDs (RFC 2407
section 4.4.4). The block transform comes from ``cryptography`` (OpenSSL). Single DES is
3DES-EDE with the 8-byte key repeated three times (K1 = K2 = K3 reduces EDE to one DES
encryption); ``cryptography`` keeps 3DES in ``hazmat.decrepit``. OpenSSL's EDE3 key setup
ignores the parity bits and does not reject the DES weak or semi-weak keys, so every KEYMAT
RFC 2409 derives is usable as is (RFC 2405 section 5 leaves weak-key checks optional; their
chance is 2**-52 per key).

A :class:`CipherSpec` says how many key bytes an SA needs; ``spec.new(key)`` builds the
keyed :class:`CbcCipher` once per SA and each packet only supplies its IV.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import (
    BlockCipherAlgorithm,
    Cipher,
    CipherContext,
    modes,
)
from cryptography.hazmat.primitives.ciphers.algorithms import AES

from vpnrouter.crypto.errors import UnsupportedAlgorithm

# RFC 2409 App. A, attribute class 1 (Encryption Algorithm); AES from RFC 3602 section 5.3.
ENCR_DES_CBC: Final = 1
ENCR_3DES_CBC: Final = 5
ENCR_AES_CBC: Final = 7

# RFC 2407 section 4.4.4 ESP transform identifiers; ESP_AES from RFC 3602 section 5.
ESP_DES: Final = 2
ESP_3DES: Final = 3
ESP_NULL: Final = 11
ESP_AES: Final = 12

_AES_KEY_BITS: Final = (128, 192, 256)


class CbcCipher:
    """A keyed CBC cipher (RFC 2405 DES, RFC 2451 3DES, RFC 3602 AES; RFC 2410 NULL).

    ``encrypt``/``decrypt`` take whole blocks; padding is the caller's (ISAKMP RFC 2408
    section 3.1 pads, ESP RFC 4303 section 2.4 pads). Data whose length is not a multiple of
    ``block_size`` or an IV of the wrong length raise ``ValueError``: a receiver checks the
    length first and drops the message.

    Speed: one OpenSSL CBC context per direction lives as long as the object; each call
    continues that context's chain and corrects the first block for the packet's own IV
    (CBC: C1 = E(P1 ^ IV); the context would use its previous ciphertext block C0 instead,
    so it is fed P1 ^ IV ^ C0, and on decryption D(C1) ^ C0 is turned into D(C1) ^ IV).
    That saves building a context per packet (about 3x for AES). Not thread-safe: one SA's
    cipher belongs to one event loop.
    """

    __slots__ = (
        "_algorithm",
        "_dec",
        "_dec_prev",
        "_enc",
        "_enc_prev",
        "block_size",
        "iv_size",
        "key_size",
        "name",
    )

    def __init__(self, spec: CipherSpec, key: bytes) -> None:
        if len(key) != spec.key_size:
            raise ValueError(f"{spec.name} needs a {spec.key_size}-byte key, got {len(key)}")
        self.name = spec.name
        self.key_size = spec.key_size
        self.block_size = spec.block_size
        self.iv_size = spec.iv_size
        self._algorithm: BlockCipherAlgorithm | None = (
            spec._make(key) if spec._make is not None else None
        )
        self._enc: CipherContext | None = None
        self._dec: CipherContext | None = None
        zero = bytes(self.block_size)
        self._enc_prev = zero  # the last ciphertext block each context has chained on
        self._dec_prev = zero

    def _check(self, iv: bytes, data: bytes) -> None:
        if len(iv) != self.iv_size:
            raise ValueError(f"{self.name}: IV must be {self.iv_size} bytes, got {len(iv)}")
        if len(data) % self.block_size:
            raise ValueError(f"{self.name}: {len(data)} bytes is not whole blocks")

    def encrypt(self, iv: bytes, data: bytes) -> bytes:
        """CBC-encrypt whole blocks (NULL: return ``data`` unchanged, ``iv`` must be empty)."""
        self._check(iv, data)
        if self._algorithm is None or not data:
            return bytes(data)
        if self._enc is None:
            self._enc = Cipher(self._algorithm, modes.CBC(self._enc_prev)).encryptor()
        bs = self.block_size
        first = _xor3(data[:bs], iv, self._enc_prev)
        out = self._enc.update(first + data[bs:])
        self._enc_prev = out[-bs:]
        return out

    def decrypt(self, iv: bytes, data: bytes) -> bytes:
        """CBC-decrypt whole blocks (NULL: return ``data`` unchanged, ``iv`` must be empty)."""
        self._check(iv, data)
        if self._algorithm is None or not data:
            return bytes(data)
        if self._dec is None:
            self._dec = Cipher(self._algorithm, modes.CBC(self._dec_prev)).decryptor()
        bs = self.block_size
        out = self._dec.update(data)
        first = _xor3(out[:bs], iv, self._dec_prev)
        self._dec_prev = bytes(data[-bs:])
        return first + out[bs:]

    def __repr__(self) -> str:
        return f"CbcCipher({self.name})"


def _xor3(a: bytes, b: bytes, c: bytes) -> bytes:
    n = len(a)
    x = int.from_bytes(a, "big") ^ int.from_bytes(b, "big") ^ int.from_bytes(c, "big")
    return x.to_bytes(n, "big")


@dataclass(frozen=True, slots=True)
class CipherSpec:
    """Sizes of one negotiated cipher, in bytes, and a factory for keyed instances.

    For NULL (RFC 2410) ``block_size`` is 1 and ``iv_size`` 0; ESP still aligns the trailer
    to 4 bytes (RFC 4303 section 2.4), which is the ESP codec's job.
    """

    name: str
    key_size: int
    block_size: int
    iv_size: int
    _make: Callable[[bytes], BlockCipherAlgorithm] | None

    def new(self, key: bytes) -> CbcCipher:
        """Build the keyed cipher once per SA (or per phase-1 SA)."""
        return CbcCipher(self, key)


def _des(key: bytes) -> BlockCipherAlgorithm:
    # RFC 2405: single DES as EDE3 with K1 = K2 = K3 (E_K(D_K(E_K(x))) = E_K(x)).
    return TripleDES(key * 3)


def _tdes(key: bytes) -> BlockCipherAlgorithm:
    return TripleDES(key)


def _aes(key: bytes) -> BlockCipherAlgorithm:
    return AES(key)


_DES_SPEC: Final = CipherSpec("des-cbc", 8, 8, 8, _des)
_3DES_SPEC: Final = CipherSpec("3des-cbc", 24, 8, 8, _tdes)
_NULL_SPEC: Final = CipherSpec("null", 0, 1, 0, None)


def _fixed(spec: CipherSpec, key_len_bits: int | None, alg: str) -> CipherSpec:
    # DES/3DES have a fixed key; a key length attribute, if present at all, must match it.
    if key_len_bits is not None and key_len_bits != spec.key_size * 8:
        raise UnsupportedAlgorithm(f"{alg} with key length {key_len_bits} is not supported")
    return spec


def _aes_spec(key_len_bits: int | None) -> CipherSpec:
    # RFC 3602 section 5.3: the Key Length attribute MUST be present for AES (128/192/256).
    if key_len_bits not in _AES_KEY_BITS:
        raise UnsupportedAlgorithm(f"AES-CBC with key length {key_len_bits} is not supported")
    return CipherSpec(f"aes{key_len_bits}-cbc", key_len_bits // 8, 16, 16, _aes)


def for_ike(encr_id: int, key_len_bits: int | None = None) -> CipherSpec:
    """RFC 2409 App. A attribute 1 (+ attribute 14, key length in bits) -> CipherSpec."""
    if encr_id == ENCR_DES_CBC:
        return _fixed(_DES_SPEC, key_len_bits, "DES")
    if encr_id == ENCR_3DES_CBC:
        return _fixed(_3DES_SPEC, key_len_bits, "3DES")
    if encr_id == ENCR_AES_CBC:
        return _aes_spec(key_len_bits)
    raise UnsupportedAlgorithm(f"IKE encryption algorithm {encr_id} is not supported")


def for_esp(transform_id: int, key_len_bits: int | None = None) -> CipherSpec:
    """RFC 2407 section 4.4.4 ESP transform ID (+ key length attribute 6, bits) -> CipherSpec."""
    if transform_id == ESP_DES:
        return _fixed(_DES_SPEC, key_len_bits, "ESP_DES")
    if transform_id == ESP_3DES:
        return _fixed(_3DES_SPEC, key_len_bits, "ESP_3DES")
    if transform_id == ESP_NULL:
        if key_len_bits not in (None, 0):
            raise UnsupportedAlgorithm(f"ESP_NULL with key length {key_len_bits}")
        return _NULL_SPEC
    if transform_id == ESP_AES:
        return _aes_spec(key_len_bits)
    raise UnsupportedAlgorithm(f"ESP transform {transform_id} is not supported")
