"""Byte buffers for the ISAKMP codec: pull (decode) and push (encode).

Every multi-byte integer of RFC 2408 is in network byte order. :class:`Buffer` reads with bounds
checks and raises :class:`DecodeError` on underrun; :meth:`Buffer.pull_block` hands out a
sub-buffer of an exact length so a length field bounds everything parsed inside it, and
:meth:`Buffer.expect_end` enforces that the block was consumed exactly.
"""

from __future__ import annotations

from .errors import DecodeError, EncodeError


class Buffer:
    """A read cursor over immutable bytes."""

    __slots__ = ("_data", "_end", "_pos")

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self._data = bytes(data)
        self._pos = start
        self._end = len(self._data) if end is None else end

    @property
    def position(self) -> int:
        return self._pos

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    def eof(self) -> bool:
        return self._pos >= self._end

    def _take(self, n: int, what: str) -> int:
        if n < 0 or self._pos + n > self._end:
            raise DecodeError(f"truncated {what}: need {n} bytes, {self.remaining} left")
        start = self._pos
        self._pos += n
        return start

    def pull_uint8(self, what: str = "uint8") -> int:
        start = self._take(1, what)
        return self._data[start]

    def pull_uint16(self, what: str = "uint16") -> int:
        start = self._take(2, what)
        return int.from_bytes(self._data[start : start + 2], "big")

    def pull_uint32(self, what: str = "uint32") -> int:
        start = self._take(4, what)
        return int.from_bytes(self._data[start : start + 4], "big")

    def pull_bytes(self, n: int, what: str = "bytes") -> bytes:
        start = self._take(n, what)
        return self._data[start : start + n]

    def pull_rest(self) -> bytes:
        start = self._take(self.remaining, "rest")
        return self._data[start : self._end]

    def pull_block(self, n: int, what: str = "block") -> Buffer:
        """Take the next ``n`` bytes as a sub-buffer (raises if fewer are left)."""
        start = self._take(n, what)
        return Buffer(self._data, start, start + n)

    def skip(self, n: int, what: str = "reserved") -> None:
        self._take(n, what)

    def expect_end(self, what: str) -> None:
        """Raise unless every byte of this buffer was consumed."""
        if self._pos != self._end:
            raise DecodeError(f"{self.remaining} unexpected bytes at the end of {what}")


def push_uint8(out: bytearray, value: int, what: str = "uint8") -> None:
    if not 0 <= value <= 0xFF:
        raise EncodeError(f"{what} out of range: {value}")
    out.append(value)


def push_uint16(out: bytearray, value: int, what: str = "uint16") -> None:
    if not 0 <= value <= 0xFFFF:
        raise EncodeError(f"{what} out of range: {value}")
    out += value.to_bytes(2, "big")


def push_uint32(out: bytearray, value: int, what: str = "uint32") -> None:
    if not 0 <= value <= 0xFFFFFFFF:
        raise EncodeError(f"{what} out of range: {value}")
    out += value.to_bytes(4, "big")


def push_fixed(out: bytearray, value: bytes, size: int, what: str) -> None:
    """Append ``value``, which must be exactly ``size`` bytes long."""
    if len(value) != size:
        raise EncodeError(f"{what} must be {size} bytes, got {len(value)}")
    out += value
