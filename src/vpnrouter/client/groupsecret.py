"""The Cisco VPN Client's obfuscation of ``enc_GroupPwd`` and ``enc_UserPassword`` in ``.pcf``.

Source: the public algorithm as vpnc documents it in ``cisco-decrypt.c`` / ``decrypt-utils.c``
(``deobfuscate``; Maurice Massar, after the reverse engineering published by
evilscientists.de in November 2005). It is obfuscation, not protection: the key is derived
from bytes stored beside the ciphertext, so anyone holding the profile holds the password.

Layout of the value (upper-case hexadecimal in the profile)::

    h1 (20 bytes) | h4 (20 bytes) | ciphertext (a multiple of 8 bytes, at least one block)

- ``h1`` is a random-looking header (the Cisco client takes SHA-1 of a date string; any 20
  bytes will do, we draw them from the injected random generator).
- The 3DES-EDE key is ``SHA1(h1 with its last byte + 1) | SHA1(h1 with its last byte + 3)[:4]``
  (byte arithmetic modulo 256; DES parity bits are ignored).
- The cipher is 3DES-CBC with IV = ``h1[:8]``.
- ``h4 = SHA1(ciphertext)``, a checksum of the stored ciphertext (it detects damage, not
  forgery: it has no key).
- The plaintext is padded to the block size with PKCS#7-style bytes (``n`` bytes of value
  ``n``, a whole block when the length is already a multiple of 8): both published profiles
  used as known answers in ``tests/client/test_pcf_groupsecret.py`` carry that padding
  (``02 02`` and eight ``08``). vpnc strips ``last byte`` bytes without checking them; we
  check them and say so when they are wrong.

The text inside is taken as UTF-8 (what ``vpnclient`` writes) and falls back to Latin-1 for
profiles written by the Windows client in an 8-bit code page.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
from collections.abc import Callable
from typing import Final

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

HEADER_SIZE: Final = 20  # h1
CHECK_SIZE: Final = 20  # h4 = SHA1(ciphertext)
BLOCK_SIZE: Final = 8  # 3DES
KEY_SIZE: Final = 24  # 3DES-EDE3
IV_SIZE: Final = 8
# Explicit limit (DESIGN.md principle 2): Cisco's group passwords are at most 32 characters;
# anything much longer is not a profile value.
MAX_SECRET_BYTES: Final = 256
MIN_VALUE_BYTES: Final = HEADER_SIZE + CHECK_SIZE + BLOCK_SIZE
MAX_VALUE_BYTES: Final = HEADER_SIZE + CHECK_SIZE + MAX_SECRET_BYTES + BLOCK_SIZE


class GroupSecretError(ValueError):
    """An ``enc_GroupPwd``/``enc_UserPassword`` value that cannot be decrypted, and why."""


def derive_key(h1: bytes) -> bytes:
    """The 24-byte 3DES key of a value whose header is ``h1`` (vpnc ``deobfuscate``)."""
    if len(h1) != HEADER_SIZE:
        raise ValueError(f"the header is {HEADER_SIZE} bytes, not {len(h1)}")
    plus_one = h1[:-1] + bytes([(h1[-1] + 1) % 256])
    plus_three = h1[:-1] + bytes([(h1[-1] + 3) % 256])
    return hashlib.sha1(plus_one).digest() + hashlib.sha1(plus_three).digest()[:4]


def _cipher(h1: bytes) -> Cipher[modes.CBC]:
    return Cipher(TripleDES(derive_key(h1)), modes.CBC(h1[:IV_SIZE]))


def _unhex(value: str) -> bytes:
    text = value.strip()
    if not text:
        raise GroupSecretError("the value is empty")
    if len(text) % 2:
        raise GroupSecretError(f"the value has an odd number of hex digits ({len(text)})")
    try:
        return binascii.unhexlify(text)
    except binascii.Error:
        raise GroupSecretError("the value is not hexadecimal") from None


def decrypt(value: str) -> bytes:
    """The secret bytes inside an ``enc_GroupPwd`` value (hex text as in the profile).

    Raises :class:`GroupSecretError` for a value that is not hex, has a wrong length, whose
    SHA-1 check does not match its ciphertext (edited or truncated), or whose padding is wrong
    (a right checksum but wrong padding: the header was changed).
    """
    data = _unhex(value)
    if len(data) < MIN_VALUE_BYTES:
        raise GroupSecretError(
            f"the value is {len(data)} bytes, shorter than the {MIN_VALUE_BYTES} of a header, "
            "its check and one block"
        )
    if len(data) > MAX_VALUE_BYTES:
        raise GroupSecretError(f"the value is {len(data)} bytes, over {MAX_VALUE_BYTES}")
    h1 = data[:HEADER_SIZE]
    h4 = data[HEADER_SIZE : HEADER_SIZE + CHECK_SIZE]
    ciphertext = data[HEADER_SIZE + CHECK_SIZE :]
    if len(ciphertext) % BLOCK_SIZE:
        raise GroupSecretError(
            f"the ciphertext is {len(ciphertext)} bytes, not a multiple of {BLOCK_SIZE}"
        )
    if not hmac.compare_digest(hashlib.sha1(ciphertext).digest(), h4):
        raise GroupSecretError("its SHA-1 check does not match (the value was edited or cut)")
    decryptor = _cipher(h1).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= BLOCK_SIZE or padded[-pad:] != bytes([pad]) * pad:
        raise GroupSecretError("the padding is wrong after decryption (the header was changed)")
    return padded[:-pad]


def decrypt_text(value: str) -> str:
    """:func:`decrypt` as text: UTF-8, or Latin-1 when the bytes are not UTF-8."""
    secret = decrypt(value)
    try:
        return secret.decode("utf-8")
    except UnicodeDecodeError:
        return secret.decode("latin-1")


def encrypt(secret: bytes | str, random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """Obfuscate ``secret`` the Cisco way; upper-case hex as the Cisco client writes it.

    ``random_bytes(20)`` supplies the header ``h1`` (inject a fixed one for known answers).
    """
    data = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if len(data) > MAX_SECRET_BYTES:
        raise ValueError(f"the secret is {len(data)} bytes, over {MAX_SECRET_BYTES}")
    h1 = random_bytes(HEADER_SIZE)
    if len(h1) != HEADER_SIZE:
        raise ValueError(f"random_bytes returned {len(h1)} bytes, not {HEADER_SIZE}")
    pad = BLOCK_SIZE - len(data) % BLOCK_SIZE
    encryptor = _cipher(h1).encryptor()
    ciphertext = encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()
    h4 = hashlib.sha1(ciphertext).digest()
    return (h1 + h4 + ciphertext).hex().upper()
