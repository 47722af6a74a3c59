"""enc_GroupPwd: the Cisco VPN Client obfuscation as vpnc's cisco-decrypt documents it.

Known answers: two values published with Cisco-written profiles and three of ours, all
checked with Debian vpnc's cisco-decrypt (sources in pcf_samples.py); random values of ours
are also decrypted by cisco-decrypt in every run (scripts/install.sh installs vpnc).
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pcf_samples import (
    EMPTY_ENC,
    EMPTY_HEADER,
    HELPGO_ENC,
    HELPGO_PLAIN,
    SEED_ENC,
    SEED_HEADER,
    SEED_PLAIN,
    UIT_ENC,
    UIT_PLAIN,
    WRAP_ENC,
    WRAP_HEADER,
    WRAP_PLAIN,
)

from vpnrouter.client import groupsecret
from vpnrouter.client.groupsecret import GroupSecretError, decrypt, decrypt_text, encrypt


def fixed(header: bytes):  # type: ignore[no-untyped-def]
    def random_bytes(n: int) -> bytes:
        assert n == len(header)
        return header

    return random_bytes


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (UIT_ENC, UIT_PLAIN),
        (HELPGO_ENC, HELPGO_PLAIN),
        (SEED_ENC, SEED_PLAIN),
        (WRAP_ENC, WRAP_PLAIN),
        (EMPTY_ENC, ""),
    ],
    ids=["uit-published", "helpgo-published-full-block-pad", "seed", "header-ff-wraps", "empty"],
)
def test_decrypt_known_answers(value: str, plain: str) -> None:
    assert decrypt_text(value) == plain
    assert decrypt(value.lower()) == plain.encode()


@pytest.mark.parametrize(
    ("header", "plain", "value"),
    [
        (SEED_HEADER, SEED_PLAIN, SEED_ENC),
        (WRAP_HEADER, WRAP_PLAIN, WRAP_ENC),
        (EMPTY_HEADER, "", EMPTY_ENC),
    ],
)
def test_encrypt_known_answers(header: bytes, plain: str, value: str) -> None:
    assert encrypt(plain, fixed(header)) == value


def test_published_value_reencrypts_byte_for_byte() -> None:
    # Same header + same plaintext -> the Cisco client's own bytes: padding and layout agree.
    header = bytes.fromhex(UIT_ENC[:40])
    assert encrypt(UIT_PLAIN, fixed(header)) == UIT_ENC
    header = bytes.fromhex(HELPGO_ENC[:40])
    assert encrypt(HELPGO_PLAIN, fixed(header)) == HELPGO_ENC


def test_key_derivation_changes_only_the_last_header_byte() -> None:
    h1 = bytes(range(19)) + b"\xfe"
    key = groupsecret.derive_key(h1)
    assert key[:20] == hashlib.sha1(bytes(range(19)) + b"\xff").digest()
    assert key[20:] == hashlib.sha1(bytes(range(19)) + b"\x01").digest()[:4]  # 0xfe + 3 wraps
    assert len(key) == 24


def test_value_layout() -> None:
    value = encrypt("x" * 9, fixed(SEED_HEADER))
    data = bytes.fromhex(value)
    assert value == value.upper()
    assert data[:20] == SEED_HEADER
    assert len(data) == 20 + 20 + 16  # 9 bytes pad to 16
    assert data[20:40] == hashlib.sha1(data[40:]).digest()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=groupsecret.MAX_SECRET_BYTES), st.binary(min_size=20, max_size=20))
def test_encrypt_decrypt_round_trip(secret: bytes, header: bytes) -> None:
    assert decrypt(encrypt(secret, fixed(header))) == secret


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_text_round_trip(secret: str) -> None:
    assert decrypt_text(encrypt(secret)) == secret


def test_latin1_fallback_for_windows_code_page_bytes() -> None:
    value = encrypt(b"caf\xe9", fixed(SEED_HEADER))  # cp1252 "café": not UTF-8
    assert decrypt_text(value) == "café"


def test_cisco_decrypt_reads_ours() -> None:
    assert shutil.which("cisco-decrypt"), (
        "vpnc's cisco-decrypt is missing: install the Debian package vpnc (scripts/install.sh does)"
    )
    rng = random.Random(2005)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$%&*+-.:@_~"
    for length in [1, 7, 8, 9, 15, 16, 17, 31, 32, 33]:
        secret = "".join(rng.choice(alphabet) for _ in range(length))
        value = encrypt(secret, rng.randbytes)
        out = subprocess.run(
            ["cisco-decrypt", value], capture_output=True, text=True, check=True, timeout=10
        )
        assert out.stdout == secret + "\n"


# --- damaged values ----------------------------------------------------------------------


def flip_hex(value: str, byte_index: int) -> str:
    data = bytearray(bytes.fromhex(value))
    data[byte_index] ^= 0x01
    return data.hex().upper()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (flip_hex(SEED_ENC, 45), "its SHA-1 check does not match (the value was edited or cut)"),
        (flip_hex(SEED_ENC, 25), "its SHA-1 check does not match (the value was edited or cut)"),
        (SEED_ENC[:-16], "its SHA-1 check does not match (the value was edited or cut)"),
        (
            flip_hex(SEED_ENC, 19),
            "the padding is wrong after decryption (the header was changed)",
        ),
        (
            flip_hex(SEED_ENC, 0),
            "the padding is wrong after decryption (the header was changed)",
        ),
        (SEED_ENC[:-2], "the ciphertext is 15 bytes, not a multiple of 8"),
        (SEED_ENC[:-1], "the value has an odd number of hex digits (111)"),
        (SEED_ENC[:-4] + "ZZZZ", "the value is not hexadecimal"),
        ("", "the value is empty"),
        (
            SEED_ENC[:80],
            "the value is 40 bytes, shorter than the 48 of a header, its check and one block",
        ),
        ("00" * 400, "the value is 400 bytes, over 304"),
    ],
    ids=[
        "ciphertext-bit",
        "check-bit",
        "truncated-block",
        "header-last-byte",
        "header-iv-byte",
        "partial-block",
        "odd-hex",
        "not-hex",
        "empty",
        "too-short",
        "too-long",
    ],
)
def test_damaged_values_are_rejected(value: str, message: str) -> None:
    with pytest.raises(GroupSecretError) as info:
        decrypt(value)
    assert str(info.value) == message


def test_padding_check_covers_every_pad_byte() -> None:
    # A right checksum over a ciphertext whose plaintext ends ...02 03: vpnc would cut 3
    # bytes; we refuse. Build it by encrypting unpadded bytes ourselves.
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    h1 = SEED_HEADER
    cipher = Cipher(TripleDES(groupsecret.derive_key(h1)), modes.CBC(h1[:8])).encryptor()
    ciphertext = cipher.update(b"abcde\x02\x02\x03") + cipher.finalize()
    value = (h1 + hashlib.sha1(ciphertext).digest() + ciphertext).hex()
    with pytest.raises(GroupSecretError, match="padding is wrong"):
        decrypt(value)


def test_encrypt_limits() -> None:
    with pytest.raises(ValueError, match="over 256"):
        encrypt(b"x" * 257)
    with pytest.raises(ValueError, match="returned 8 bytes"):
        encrypt("x", lambda n: b"\x00" * 8)
