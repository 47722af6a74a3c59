"""Data attributes (RFC 2408 3.3), used by transforms and by the ATTR payload (Mode Config).

Wire format::

    |A|  Attribute Type (15 bits)  |  AF=1: Attribute Value (16 bits)      |
                                   |  AF=0: Attribute Length (16 bits)     |
    |  AF=0: Attribute Value (length bytes)                               ...

A :class:`DataAttribute` whose ``value`` is an ``int`` is the TV form (AF=1, 0..65535); one whose
``value`` is ``bytes`` is the TLV form (AF=0), so a decoded attribute re-encodes byte for byte.
:func:`make_attribute` (and :func:`phase1_attribute`, :func:`ipsec_attribute`,
:func:`cfg_attribute`) pick the form the way RFC 2409 appendix A and RFC 2407 4.5 ask: TV when
the type is basic and the value fits 16 bits, else TLV.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .buffer import Buffer, push_uint16
from .constants import (
    CFG_BASIC,
    IPSEC_VARIABLE,
    MAX_ATTRIBUTES,
    MAX_INT_ATTRIBUTE_BYTES,
    PHASE1_VARIABLE,
)
from .errors import DecodeError, EncodeError

AF_BIT = 0x8000
MAX_ATTRIBUTE_TYPE = 0x7FFF


@dataclass(frozen=True)
class DataAttribute:
    """One data attribute: ``type`` without the AF bit; ``int`` value = TV, ``bytes`` = TLV."""

    type: int
    value: int | bytes

    @property
    def is_tv(self) -> bool:
        return isinstance(self.value, int)

    def as_int(self) -> int:
        """The value as an unsigned integer (TV, or TLV of at most 8 bytes, big-endian)."""
        if isinstance(self.value, int):
            return self.value
        if len(self.value) > MAX_INT_ATTRIBUTE_BYTES:
            raise DecodeError(f"attribute {self.type}: {len(self.value)}-byte integer too long")
        return int.from_bytes(self.value, "big")

    def as_bytes(self) -> bytes:
        """The value as bytes (a TV value gives its two wire bytes)."""
        if isinstance(self.value, int):
            return self.value.to_bytes(2, "big")
        return self.value


def int_to_tlv_bytes(value: int) -> bytes:
    """Big-endian bytes for a variable integer: 4 bytes when it fits, else 8 (life durations)."""
    if value < 0:
        raise EncodeError(f"negative attribute value {value}")
    if value <= 0xFFFFFFFF:
        return value.to_bytes(4, "big")
    if value <= 0xFFFFFFFFFFFFFFFF:
        return value.to_bytes(8, "big")
    raise EncodeError(f"attribute value {value} does not fit 64 bits")


def make_attribute(attr_type: int, value: int | bytes, *, basic: bool) -> DataAttribute:
    """Build an attribute in the form RFC 2409 App. A / RFC 2407 4.5 prescribe.

    ``bytes`` values are always TLV. ``int`` values are TV when the type is ``basic`` and the
    value fits 16 bits, else TLV (4 or 8 bytes, see :func:`int_to_tlv_bytes`).
    """
    if isinstance(value, bytes):
        return DataAttribute(attr_type, value)
    if basic and 0 <= value <= 0xFFFF:
        return DataAttribute(attr_type, value)
    return DataAttribute(attr_type, int_to_tlv_bytes(value))


def phase1_attribute(attr_type: int, value: int | bytes) -> DataAttribute:
    """A phase-1 transform attribute (RFC 2409 appendix A classes B/V)."""
    return make_attribute(attr_type, value, basic=attr_type not in PHASE1_VARIABLE)


def ipsec_attribute(attr_type: int, value: int | bytes) -> DataAttribute:
    """An IPsec DOI SA attribute (RFC 2407 4.5 classes B/V)."""
    return make_attribute(attr_type, value, basic=attr_type not in IPSEC_VARIABLE)


def cfg_attribute(attr_type: int, value: int | bytes) -> DataAttribute:
    """A Mode Config / XAuth / Unity attribute (basic only for the types in CFG_BASIC)."""
    return make_attribute(attr_type, value, basic=attr_type in CFG_BASIC)


def pull_attribute(buf: Buffer) -> DataAttribute:
    """Decode one data attribute (RFC 2408 3.3)."""
    word = buf.pull_uint16("attribute type")
    attr_type = word & MAX_ATTRIBUTE_TYPE
    if word & AF_BIT:
        return DataAttribute(attr_type, buf.pull_uint16("attribute value"))
    length = buf.pull_uint16("attribute length")
    return DataAttribute(attr_type, buf.pull_bytes(length, "attribute value"))


def pull_attributes(buf: Buffer, what: str) -> tuple[DataAttribute, ...]:
    """Decode attributes until ``buf`` is exhausted (each length consumed exactly)."""
    out: list[DataAttribute] = []
    while not buf.eof():
        if len(out) >= MAX_ATTRIBUTES:
            raise DecodeError(f"more than {MAX_ATTRIBUTES} attributes in {what}")
        out.append(pull_attribute(buf))
    return tuple(out)


def push_attribute(out: bytearray, attr: DataAttribute) -> None:
    """Encode one data attribute (RFC 2408 3.3)."""
    if not 0 <= attr.type <= MAX_ATTRIBUTE_TYPE:
        raise EncodeError(f"attribute type out of range: {attr.type}")
    if isinstance(attr.value, int):
        push_uint16(out, AF_BIT | attr.type)
        push_uint16(out, attr.value, f"TV value of attribute {attr.type}")
        return
    push_uint16(out, attr.type)
    push_uint16(out, len(attr.value), f"TLV length of attribute {attr.type}")
    out += attr.value


def push_attributes(out: bytearray, attrs: Sequence[DataAttribute]) -> None:
    if len(attrs) > MAX_ATTRIBUTES:
        raise EncodeError(f"more than {MAX_ATTRIBUTES} attributes")
    for attr in attrs:
        push_attribute(out, attr)


def find_attribute(attrs: Iterable[DataAttribute], attr_type: int) -> DataAttribute | None:
    """The first attribute of ``attr_type`` or None."""
    for attr in attrs:
        if attr.type == attr_type:
            return attr
    return None
