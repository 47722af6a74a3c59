"""Payload chains and whole messages (RFC 2408 3.1-3.2).

A message body is a chain of payloads, each introduced by the generic payload header::

    Next Payload (1) | RESERVED (1) | Payload Length (2, header included)

:func:`decode_payloads` walks the chain from the header's next-payload value, bounds every body by
its length field and hands back each payload's exact wire bytes (``raw``) alongside the decoded
objects, because HASH_I/HASH_R (RFC 2409 5) and the quick-mode/informational HASHes (RFC 2409
5.5, 5.7) are computed over the bytes as received. The RESERVED byte is ignored on receipt
(RFC 2408 3.2 asks senders to zero it) and zeroed on sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import assert_never

from .buffer import Buffer, push_uint8, push_uint16
from .constants import GENERIC_HEADER_SIZE, HEADER_SIZE, MAX_MESSAGE_SIZE, MAX_PAYLOADS, PayloadType
from .errors import DecodeError, EncodeError
from .header import Header, decode_header, encode_header
from .payloads import (
    AttributePayload,
    CertPayload,
    CertRequestPayload,
    DeletePayload,
    HashPayload,
    IdPayload,
    KePayload,
    NatDPayload,
    NatOaPayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    SaPayload,
    SigPayload,
    UnknownPayload,
    VendorIdPayload,
    pull_attr,
    pull_cert,
    pull_cr,
    pull_delete,
    pull_id,
    pull_nat_oa,
    pull_notify,
    pull_sa,
    push_attr,
    push_cert,
    push_cr,
    push_delete,
    push_id,
    push_nat_oa,
    push_notify,
    push_sa,
)


@dataclass(frozen=True)
class DecodedPayloads:
    """Decoded payloads, each one's wire bytes (generic header included) and any trailing bytes."""

    payloads: tuple[Payload, ...]
    raw: tuple[bytes, ...]
    trailing: bytes = b""


@dataclass(frozen=True)
class Message:
    """An unencrypted ISAKMP message as decoded by :func:`decode_message`."""

    header: Header
    payloads: tuple[Payload, ...]
    raw: tuple[bytes, ...]


def pull_payload(payload_type: int, buf: Buffer) -> Payload:
    """Decode one payload body of ``payload_type`` (the generic header already read)."""
    match payload_type:
        case PayloadType.SA:
            return pull_sa(buf)
        case PayloadType.KE:
            return KePayload(buf.pull_rest())
        case PayloadType.ID:
            return pull_id(buf)
        case PayloadType.CERT:
            return pull_cert(buf)
        case PayloadType.CR:
            return pull_cr(buf)
        case PayloadType.HASH:
            return HashPayload(buf.pull_rest())
        case PayloadType.SIG:
            return SigPayload(buf.pull_rest())
        case PayloadType.NONCE:
            return NoncePayload(buf.pull_rest())
        case PayloadType.N:
            return pull_notify(buf)
        case PayloadType.D:
            return pull_delete(buf)
        case PayloadType.VID:
            return VendorIdPayload(buf.pull_rest())
        case PayloadType.ATTR:
            return pull_attr(buf)
        case PayloadType.NAT_D | PayloadType.NAT_D_DRAFT:
            return NatDPayload(buf.pull_rest(), draft=payload_type == PayloadType.NAT_D_DRAFT)
        case PayloadType.NAT_OA | PayloadType.NAT_OA_DRAFT:
            return pull_nat_oa(buf, draft=payload_type == PayloadType.NAT_OA_DRAFT)
        case PayloadType.PROPOSAL | PayloadType.TRANSFORM:
            raise DecodeError(f"payload type {payload_type} outside an SA payload")
        case _:
            return UnknownPayload(payload_type, buf.pull_rest())


def push_payload_body(out: bytearray, payload: Payload) -> None:
    """Encode the body of one payload (no generic header)."""
    match payload:
        case SaPayload():
            push_sa(out, payload)
        case IdPayload():
            push_id(out, payload)
        case CertPayload():
            push_cert(out, payload)
        case CertRequestPayload():
            push_cr(out, payload)
        case NotifyPayload():
            push_notify(out, payload)
        case DeletePayload():
            push_delete(out, payload)
        case AttributePayload():
            push_attr(out, payload)
        case NatOaPayload():
            push_nat_oa(out, payload)
        case (
            KePayload()
            | HashPayload()
            | SigPayload()
            | NoncePayload()
            | VendorIdPayload()
            | NatDPayload()
            | UnknownPayload()
        ):
            out += payload.data
        case _:
            assert_never(payload)


def decode_payloads(first_type: int, body: bytes, *, trailing_ok: bool = False) -> DecodedPayloads:
    """Decode the payload chain of a message body (RFC 2408 3.2).

    ``trailing_ok=True`` accepts bytes after the last payload (the CBC padding of a decrypted
    body, RFC 2409 5.3); they are returned in ``trailing``. Otherwise the chain must end exactly
    at the end of ``body``. Raises :class:`DecodeError` and nothing else.
    """
    if len(body) > MAX_MESSAGE_SIZE:
        raise DecodeError(f"body of {len(body)} bytes exceeds {MAX_MESSAGE_SIZE}")
    buf = Buffer(body)
    payloads: list[Payload] = []
    raw: list[bytes] = []
    next_type = first_type
    while next_type != PayloadType.NONE:
        if len(payloads) >= MAX_PAYLOADS:
            raise DecodeError(f"more than {MAX_PAYLOADS} payloads")
        start = buf.position
        following = buf.pull_uint8("generic payload header")
        buf.skip(1, "generic payload header")
        length = buf.pull_uint16("generic payload header")
        if length < GENERIC_HEADER_SIZE:
            raise DecodeError(f"payload length {length} below {GENERIC_HEADER_SIZE}")
        block = buf.pull_block(length - GENERIC_HEADER_SIZE, f"payload type {next_type}")
        payloads.append(pull_payload(next_type, block))
        block.expect_end(f"payload type {next_type}")
        raw.append(body[start : start + length])
        next_type = following
    trailing = buf.pull_rest()
    if trailing and not trailing_ok:
        raise DecodeError(f"{len(trailing)} bytes after the last payload")
    return DecodedPayloads(tuple(payloads), tuple(raw), trailing)


def encode_payload(payload: Payload, next_type: int) -> bytes:
    """One payload with its generic header; ``next_type`` is the following payload's type."""
    body = bytearray()
    push_payload_body(body, payload)
    out = bytearray()
    push_uint8(out, next_type, "next payload")
    out.append(0)
    push_uint16(out, GENERIC_HEADER_SIZE + len(body), "payload length")
    out += body
    return bytes(out)


def encode_payloads(payloads: Sequence[Payload]) -> bytes:
    """Encode a payload chain with every next-payload field filled (the last one NONE)."""
    if len(payloads) > MAX_PAYLOADS:
        raise EncodeError(f"more than {MAX_PAYLOADS} payloads")
    out = bytearray()
    for i, payload in enumerate(payloads):
        following = payloads[i + 1].payload_type if i + 1 < len(payloads) else PayloadType.NONE
        out += encode_payload(payload, following)
    return bytes(out)


def first_payload_type(payloads: Sequence[Payload]) -> int:
    """The header's next-payload value for this chain (NONE when empty)."""
    return payloads[0].payload_type if payloads else PayloadType.NONE


def encode_message(header: Header, payloads: Sequence[Payload]) -> bytes:
    """An unencrypted message: ``header`` with next-payload and length filled, then the chain."""
    body = encode_payloads(payloads)
    filled = replace(
        header, next_payload=first_payload_type(payloads), length=HEADER_SIZE + len(body)
    )
    return encode_header(filled) + body


def decode_message(data: bytes) -> Message:
    """Decode an unencrypted message (header + payload chain, nothing after it).

    For encrypted messages use :func:`decode_header`, decrypt ``data[HEADER_SIZE:]``, then
    :func:`decode_payloads` with ``trailing_ok=True``.
    """
    header = decode_header(data)
    if header.encrypted:
        raise DecodeError("message is encrypted; decrypt the body and use decode_payloads")
    decoded = decode_payloads(header.next_payload, data[HEADER_SIZE:])
    return Message(header, decoded.payloads, decoded.raw)
