"""MD5-crypt (``$1$salt$hash``), the hash behind IOS ``username NAME secret 5 ...``.

The algorithm is Poul-Henning Kamp's FreeBSD ``crypt_md5`` (1994), which IOS uses for
``enable secret`` / ``username ... secret`` type 5; the output alphabet is ``./0-9A-Za-z``.
Known answers are checked against ``openssl passwd -1`` in tests/aaa.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

MAGIC: Final = "$1$"
ALPHABET: Final = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MAX_SALT: Final = 8
ROUNDS: Final = 1000
# Which bytes of the final digest go into each group of four output characters.
_GROUPS: Final = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))


def _to64(value: int, count: int) -> str:
    out = []
    for _ in range(count):
        out.append(ALPHABET[value & 0x3F])
        value >>= 6
    return "".join(out)


def _initial(password: bytes, salt: bytes) -> bytes:
    alternate = hashlib.md5(password + salt + password).digest()
    ctx = hashlib.md5(password + MAGIC.encode() + salt)
    length = len(password)
    while length > 0:
        ctx.update(alternate[: min(16, length)])
        length -= 16
    length = len(password)
    while length:
        ctx.update(b"\x00" if length & 1 else password[:1])
        length >>= 1
    return ctx.digest()


# FreeBSD crypt_md5: 1000 rounds mixing the password, the salt and the previous digest.
def md5_crypt(password: str, salt: str) -> str:
    """``$1$<salt>$<22 characters>`` for ``password`` (salt truncated to 8 characters)."""
    salt = salt.removeprefix(MAGIC).split("$", 1)[0][:MAX_SALT]
    pw, sb = password.encode(), salt.encode()
    digest = _initial(pw, sb)
    for i in range(ROUNDS):
        ctx = hashlib.md5()
        ctx.update(pw if i & 1 else digest)
        if i % 3:
            ctx.update(sb)
        if i % 7:
            ctx.update(pw)
        ctx.update(digest if i & 1 else pw)
        digest = ctx.digest()
    groups = ((digest[a] << 16) | (digest[b] << 8) | digest[c] for a, b, c in _GROUPS)
    text = "".join(_to64(value, 4) for value in groups)
    return f"{MAGIC}{salt}${text}{_to64(digest[11], 2)}"


def verify(password: str, hashed: str) -> bool:
    """Does ``password`` produce ``hashed`` (``$1$salt$...``)? Constant-time comparison."""
    if not hashed.startswith(MAGIC) or hashed.count("$") != 3:
        return False
    salt = hashed[len(MAGIC) :].split("$", 1)[0]
    return hmac.compare_digest(md5_crypt(password, salt).encode(), hashed.encode())
