"""The ISAKMP header (RFC 2408 3.1).

::

    Initiator Cookie (8) | Responder Cookie (8) | Next Payload (1) | MjVer:4 MnVer:4 (1)
    | Exchange Type (1) | Flags (1) | Message ID (4) | Length (4, whole message)

RFC 2408 5.1: a message whose header length differs from the datagram length is rejected, so
:func:`decode_header` takes the whole datagram and checks that.
"""

from __future__ import annotations

from dataclasses import dataclass

from .buffer import Buffer, push_fixed, push_uint8, push_uint32
from .constants import COOKIE_SIZE, HEADER_SIZE, MAX_MESSAGE_SIZE, HeaderFlag
from .errors import DecodeError, EncodeError

ZERO_COOKIE = bytes(COOKIE_SIZE)


@dataclass(frozen=True)
class Header:
    """An ISAKMP header. ``length`` is the whole message (header included)."""

    icookie: bytes
    rcookie: bytes
    exchange_type: int
    next_payload: int = 0
    flags: int = 0
    message_id: int = 0
    length: int = HEADER_SIZE
    major_version: int = 1
    minor_version: int = 0

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & HeaderFlag.ENCRYPTION)

    @property
    def commit(self) -> bool:
        return bool(self.flags & HeaderFlag.COMMIT)

    @property
    def auth_only(self) -> bool:
        return bool(self.flags & HeaderFlag.AUTH_ONLY)


def decode_header(data: bytes) -> Header:
    """Decode the header of a whole ISAKMP datagram (RFC 2408 3.1, length checked per 5.1).

    Version numbers, flags and exchange types are returned as received: judging them (e.g.
    INVALID-MAJOR-VERSION) belongs to the exchange code.
    """
    if len(data) > MAX_MESSAGE_SIZE:
        raise DecodeError(f"datagram of {len(data)} bytes exceeds {MAX_MESSAGE_SIZE}")
    buf = Buffer(data)
    icookie = buf.pull_bytes(COOKIE_SIZE, "ISAKMP header")
    rcookie = buf.pull_bytes(COOKIE_SIZE, "ISAKMP header")
    next_payload = buf.pull_uint8("ISAKMP header")
    version = buf.pull_uint8("ISAKMP header")
    exchange_type = buf.pull_uint8("ISAKMP header")
    flags = buf.pull_uint8("ISAKMP header")
    message_id = buf.pull_uint32("ISAKMP header")
    length = buf.pull_uint32("ISAKMP header")
    if length != len(data):
        raise DecodeError(f"header length {length} but datagram has {len(data)} bytes")
    return Header(
        icookie=icookie,
        rcookie=rcookie,
        exchange_type=exchange_type,
        next_payload=next_payload,
        flags=flags,
        message_id=message_id,
        length=length,
        major_version=version >> 4,
        minor_version=version & 0x0F,
    )


def encode_header(header: Header) -> bytes:
    """Encode ``header`` as it is (see :func:`.message.encode_message` to fill length/next)."""
    if not HEADER_SIZE <= header.length <= MAX_MESSAGE_SIZE:
        raise EncodeError(f"message length {header.length} out of range")
    if not (0 <= header.major_version <= 0xF and 0 <= header.minor_version <= 0xF):
        raise EncodeError("ISAKMP version out of range")
    out = bytearray()
    push_fixed(out, header.icookie, COOKIE_SIZE, "initiator cookie")
    push_fixed(out, header.rcookie, COOKIE_SIZE, "responder cookie")
    push_uint8(out, header.next_payload, "next payload")
    out.append(header.major_version << 4 | header.minor_version)
    push_uint8(out, header.exchange_type, "exchange type")
    push_uint8(out, header.flags, "flags")
    push_uint32(out, header.message_id, "message ID")
    push_uint32(out, header.length, "length")
    return bytes(out)
