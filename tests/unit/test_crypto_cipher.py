"""Known answers for DES, 3DES and AES-CBC, and the IKE/ESP algorithm tables.

Vectors (vectors/cbc_ciphers.json): RFC 3602 section 4 cases 1-4, NIST SP 800-38A F.2.1/
F.2.3/F.2.5 (AES-128/192/256), FIPS 81 table C1 (DES-CBC), NESSIE DES set 8, NIST 3DES MMT
examples and the NIST SP 800-67 Rev. 1 TDEA example.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vpnrouter.crypto import cipher
from vpnrouter.crypto.errors import UnsupportedAlgorithm

VECTORS = Path(__file__).parent / "vectors"


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((VECTORS / "cbc_ciphers.json").read_text())["cases"]
    return cases


CASES = _cases()


def _ike_spec(case: dict[str, Any]) -> cipher.CipherSpec:
    key_bytes = len(case["key"]) // 2
    if case["alg"] == "aes":
        return cipher.for_ike(cipher.ENCR_AES_CBC, key_bytes * 8)
    if case["alg"] == "des":
        return cipher.for_ike(cipher.ENCR_DES_CBC)
    return cipher.for_ike(cipher.ENCR_3DES_CBC)


def _esp_spec(case: dict[str, Any]) -> cipher.CipherSpec:
    key_bytes = len(case["key"]) // 2
    if case["alg"] == "aes":
        return cipher.for_esp(cipher.ESP_AES, key_bytes * 8)
    if case["alg"] == "des":
        return cipher.for_esp(cipher.ESP_DES)
    return cipher.for_esp(cipher.ESP_3DES)


def test_vectors_cover_every_cipher_and_key_size() -> None:
    seen = {(c["alg"], len(c["key"]) // 2) for c in CASES}
    assert seen == {("aes", 16), ("aes", 24), ("aes", 32), ("des", 8), ("3des", 24)}
    assert any("RFC 3602" in c["source"] for c in CASES)
    assert any("FIPS 81" in c["source"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["source"][:60])
@pytest.mark.parametrize("table", [_ike_spec, _esp_spec], ids=["ike", "esp"])
def test_cbc_known_answer(case: dict[str, Any], table: Any) -> None:
    spec: cipher.CipherSpec = table(case)
    c = spec.new(bytes.fromhex(case["key"]))
    iv, plain, ct = (bytes.fromhex(case[k]) for k in ("iv", "plain", "cipher"))
    assert c.encrypt(iv, plain) == ct
    assert c.decrypt(iv, ct) == plain


def test_keyed_cipher_is_reusable_across_packets() -> None:
    case = next(c for c in CASES if "case #2" in c["source"])
    c = cipher.for_esp(cipher.ESP_AES, 128).new(bytes.fromhex(case["key"]))
    iv, plain, ct = (bytes.fromhex(case[k]) for k in ("iv", "plain", "cipher"))
    for _ in range(3):
        assert c.encrypt(iv, plain) == ct
        c.encrypt(bytes(16), bytes(32))  # another packet in between does not disturb it
        assert c.decrypt(iv, ct) == plain


def test_sizes() -> None:
    assert cipher.for_ike(cipher.ENCR_DES_CBC).key_size == 8
    assert cipher.for_ike(cipher.ENCR_3DES_CBC).key_size == 24
    for bits in (128, 192, 256):
        spec = cipher.for_ike(cipher.ENCR_AES_CBC, bits)
        assert (spec.key_size, spec.block_size, spec.iv_size) == (bits // 8, 16, 16)
    des = cipher.for_esp(cipher.ESP_DES)
    assert (des.key_size, des.block_size, des.iv_size) == (8, 8, 8)
    null = cipher.for_esp(cipher.ESP_NULL)
    assert (null.key_size, null.block_size, null.iv_size) == (0, 1, 0)


def test_des_weak_keys_and_parity_bits_are_accepted() -> None:
    des = cipher.for_ike(cipher.ENCR_DES_CBC)
    block = bytes.fromhex("0123456789abcdef")
    # FIPS 74 section 3.6: 0101010101010101 is weak, so E_K(E_K(x)) = x. OpenSSL's EDE3 key
    # setup does not reject it; key derivation never has to redraw.
    weak = des.new(bytes.fromhex("0101010101010101"))
    assert weak.encrypt(bytes(8), weak.encrypt(bytes(8), block)) == block
    # Semi-weak pair 01FE01FE01FE01FE / FE01FE01FE01FE01: E_K1(E_K2(x)) = x.
    k1 = des.new(bytes.fromhex("01fe01fe01fe01fe"))
    k2 = des.new(bytes.fromhex("fe01fe01fe01fe01"))
    assert k1.encrypt(bytes(8), k2.encrypt(bytes(8), block)) == block
    # The low bit of each byte is parity and is ignored: 0001020304050607 (even parity)
    # behaves as 0101030305050707.
    fixed = des.new(bytes.fromhex("0101030305050707"))
    raw = des.new(bytes.fromhex("0001020304050607"))
    assert fixed.encrypt(bytes(8), block) == raw.encrypt(bytes(8), block)


def test_single_des_is_one_des_encryption_not_3des_with_zero_keys() -> None:
    # FIPS 81 table B1 (ECB): key 0123456789abcdef, "Now is t" -> 3fa40e8a984d4815.
    des = cipher.for_esp(cipher.ESP_DES).new(bytes.fromhex("0123456789abcdef"))
    assert des.encrypt(bytes(8), b"Now is t").hex() == "3fa40e8a984d4815"


def test_null_cipher_passes_data_through() -> None:
    null = cipher.for_esp(cipher.ESP_NULL).new(b"")
    assert null.encrypt(b"", b"abc") == b"abc"
    assert null.decrypt(b"", b"abc") == b"abc"
    with pytest.raises(ValueError):
        null.encrypt(b"\x00", b"abc")


def test_partial_blocks_and_bad_iv_are_refused() -> None:
    aes = cipher.for_esp(cipher.ESP_AES, 128).new(bytes(16))
    with pytest.raises(ValueError, match="whole blocks"):
        aes.decrypt(bytes(16), bytes(17))
    with pytest.raises(ValueError, match="IV"):
        aes.encrypt(bytes(8), bytes(16))
    with pytest.raises(ValueError, match="16-byte key"):
        cipher.for_esp(cipher.ESP_AES, 128).new(bytes(24))


@pytest.mark.parametrize(
    ("encr", "bits"),
    [
        (cipher.ENCR_AES_CBC, None),  # RFC 3602 5.3: AES needs the key length attribute
        (cipher.ENCR_AES_CBC, 64),
        (cipher.ENCR_3DES_CBC, 128),
        (cipher.ENCR_DES_CBC, 56),
        (2, None),  # IDEA
        (3, None),  # Blowfish
    ],
)
def test_unsupported_ike_ciphers(encr: int, bits: int | None) -> None:
    with pytest.raises(UnsupportedAlgorithm):
        cipher.for_ike(encr, bits)


@pytest.mark.parametrize(
    ("transform", "bits"),
    [(cipher.ESP_AES, None), (cipher.ESP_AES, 512), (cipher.ESP_NULL, 128), (1, None), (4, None)],
)
def test_unsupported_esp_transforms(transform: int, bits: int | None) -> None:
    with pytest.raises(UnsupportedAlgorithm):
        cipher.for_esp(transform, bits)


def test_fixed_key_ciphers_accept_their_own_length_attribute() -> None:
    assert cipher.for_ike(cipher.ENCR_3DES_CBC, 192).key_size == 24
    assert cipher.for_esp(cipher.ESP_DES, 64).key_size == 8


@pytest.mark.parametrize(
    ("transform", "bits"), [(cipher.ESP_AES, 128), (cipher.ESP_AES, 256), (cipher.ESP_3DES, None)]
)
def test_reused_contexts_match_a_fresh_cbc_per_packet(transform: int, bits: int | None) -> None:
    # CbcCipher keeps one OpenSSL context per direction and fixes up the first block for each
    # packet's IV; compare with an independent fresh CBC context per packet, interleaving
    # directions, sizes, empty inputs and refused calls.
    rng = random.Random(4303)
    spec = cipher.for_esp(transform, bits)
    key = rng.randbytes(spec.key_size)
    c = spec.new(key)

    def reference(iv: bytes, data: bytes, encrypt: bool) -> bytes:
        alg = algorithms.AES(key) if transform == cipher.ESP_AES else TripleDES(key)
        ctx = Cipher(alg, modes.CBC(iv))
        op = ctx.encryptor() if encrypt else ctx.decryptor()
        return op.update(data) + op.finalize()

    bs = spec.block_size
    for _ in range(200):
        iv = rng.randbytes(bs)
        data = rng.randbytes(bs * rng.randint(0, 20))
        if rng.random() < 0.5:
            assert c.encrypt(iv, data) == reference(iv, data, True)
        else:
            assert c.decrypt(iv, data) == reference(iv, data, False)
        if rng.random() < 0.1:
            with pytest.raises(ValueError):
                c.decrypt(iv, data + b"x")
