"""Cisco "type 7" password obfuscation (``username NAME password 7 ...``).

Type 7 is a Vigenère-like XOR with a fixed, publicly known key: it hides a password from
shoulder-surfing only. The first two decimal digits are the offset into the key; every following
pair of hex digits is one character XORed with the key byte at that offset plus its position.

Public API: ``decode(text) -> str`` (raises ``ValueError`` on malformed input) and
``encode(password, offset=2) -> str``.
"""

from __future__ import annotations

_KEY = b"dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"


def decode(text: str) -> str:
    if len(text) < 2 or len(text) % 2 or not text.isascii():
        raise ValueError("type 7 text must be an even number of characters")
    if not text[:2].isdigit():
        raise ValueError("type 7 text must start with a two-digit offset")
    offset = int(text[:2])
    if offset > 15:
        raise ValueError("type 7 offset must be 0..15")
    try:
        data = bytes.fromhex(text[2:])
    except ValueError as exc:
        raise ValueError("type 7 text must be hexadecimal after the offset") from exc
    plain = bytes(byte ^ _KEY[(offset + i) % len(_KEY)] for i, byte in enumerate(data))
    try:
        return plain.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ValueError("type 7 text does not decode to ASCII") from exc


def encode(password: str, offset: int = 2) -> str:
    if not 0 <= offset <= 15:
        raise ValueError("type 7 offset must be 0..15")
    data = password.encode("ascii")
    body = bytes(byte ^ _KEY[(offset + i) % len(_KEY)] for i, byte in enumerate(data))
    return f"{offset:02d}" + body.hex().upper()
