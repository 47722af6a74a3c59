"""ISAKMP payloads as frozen dataclasses, with a pull_x/push_x codec per payload body.

The 4-byte generic payload header (RFC 2408 3.2) is handled by :mod:`.message`; the functions here
read/write the body only. ``pull_x(buf)`` must consume ``buf`` exactly (the caller checks with
:meth:`Buffer.expect_end`); every nested length (proposal, transform, attribute, SPI) is bounded by
its enclosing block. Numeric fields are plain ``int`` so unknown values survive a round trip.
"""

from __future__ import annotations

from dataclasses import dataclass

from .attributes import DataAttribute, pull_attributes, push_attributes
from .buffer import Buffer, push_fixed, push_uint8, push_uint16, push_uint32
from .constants import (
    MAX_PROPOSALS,
    MAX_SPIS,
    MAX_TRANSFORMS,
    Doi,
    IdType,
    PayloadType,
    ProtocolId,
    Situation,
)
from .errors import DecodeError, EncodeError

PROPOSAL_HEADER_SIZE = 8  # RFC 2408 3.5: generic header + proposal #, protocol, SPI size, # xforms
TRANSFORM_HEADER_SIZE = 8  # RFC 2408 3.6: generic header + transform #, transform ID, reserved


# --- SA / proposal / transform (RFC 2408 3.4-3.6, RFC 2407 4.6.1) --------------------------------


@dataclass(frozen=True)
class Transform:
    """RFC 2408 3.6 Transform payload (only ever inside a proposal)."""

    number: int
    transform_id: int
    attributes: tuple[DataAttribute, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """RFC 2408 3.5 Proposal payload (only ever inside an SA payload)."""

    number: int
    protocol_id: int
    spi: bytes
    transforms: tuple[Transform, ...]


@dataclass(frozen=True)
class SaPayload:
    """RFC 2408 3.4 Security Association payload with the IPsec DOI situation (RFC 2407 4.6.1)."""

    proposals: tuple[Proposal, ...]
    doi: int = Doi.IPSEC
    situation: int = Situation.IDENTITY_ONLY

    @property
    def payload_type(self) -> int:
        return PayloadType.SA


def _pull_transform(buf: Buffer) -> tuple[int, Transform]:
    next_type = buf.pull_uint8("transform next payload")
    buf.skip(1)
    length = buf.pull_uint16("transform length")
    if length < TRANSFORM_HEADER_SIZE:
        raise DecodeError(f"transform length {length} below {TRANSFORM_HEADER_SIZE}")
    block = buf.pull_block(length - 4, "transform")
    number = block.pull_uint8()
    transform_id = block.pull_uint8()
    block.skip(2)
    attributes = pull_attributes(block, "transform")
    return next_type, Transform(number, transform_id, attributes)


def _pull_proposal(buf: Buffer) -> tuple[int, Proposal]:
    next_type = buf.pull_uint8("proposal next payload")
    buf.skip(1)
    length = buf.pull_uint16("proposal length")
    if length < PROPOSAL_HEADER_SIZE:
        raise DecodeError(f"proposal length {length} below {PROPOSAL_HEADER_SIZE}")
    block = buf.pull_block(length - 4, "proposal")
    number = block.pull_uint8()
    protocol_id = block.pull_uint8()
    spi_size = block.pull_uint8()
    count = block.pull_uint8()
    spi = block.pull_bytes(spi_size, "proposal SPI")
    transforms: list[Transform] = []
    for index in range(count):
        if block.eof():
            raise DecodeError(f"proposal announces {count} transforms, carries {index}")
        t_next, transform = _pull_transform(block)
        last = index == count - 1
        if t_next != (PayloadType.NONE if last else PayloadType.TRANSFORM):
            raise DecodeError(f"transform {index + 1}/{count} has next payload {t_next}")
        transforms.append(transform)
    block.expect_end("proposal")
    return next_type, Proposal(number, protocol_id, spi, tuple(transforms))


def pull_sa(buf: Buffer) -> SaPayload:
    """RFC 2408 3.4: DOI, situation, then proposals chained by their next-payload field."""
    doi = buf.pull_uint32("SA DOI")
    situation = buf.pull_uint32("SA situation")
    if doi == Doi.IPSEC and situation & (Situation.SECRECY | Situation.INTEGRITY):
        raise DecodeError("labeled-domain situations (RFC 2407 4.6.1) are not supported")
    proposals: list[Proposal] = []
    while not buf.eof():
        if len(proposals) >= MAX_PROPOSALS:
            raise DecodeError(f"more than {MAX_PROPOSALS} proposals")
        next_type, proposal = _pull_proposal(buf)
        proposals.append(proposal)
        if next_type == PayloadType.NONE:
            break
        if next_type != PayloadType.PROPOSAL:
            raise DecodeError(f"proposal followed by payload type {next_type}")
        if buf.eof():
            raise DecodeError("proposal announces a next proposal that is missing")
    return SaPayload(tuple(proposals), doi, situation)


def _push_transform(out: bytearray, t: Transform, last: bool) -> None:
    body = bytearray()
    push_uint8(body, t.number, "transform number")
    push_uint8(body, t.transform_id, "transform ID")
    body += b"\x00\x00"
    push_attributes(body, t.attributes)
    push_uint8(out, PayloadType.NONE if last else PayloadType.TRANSFORM)
    out.append(0)
    push_uint16(out, 4 + len(body), "transform length")
    out += body


def _push_proposal(out: bytearray, p: Proposal, last: bool) -> None:
    if len(p.transforms) > MAX_TRANSFORMS:
        raise EncodeError(f"more than {MAX_TRANSFORMS} transforms in one proposal")
    body = bytearray()
    push_uint8(body, p.number, "proposal number")
    push_uint8(body, p.protocol_id, "protocol ID")
    push_uint8(body, len(p.spi), "SPI size")
    push_uint8(body, len(p.transforms), "number of transforms")
    body += p.spi
    for i, t in enumerate(p.transforms):
        _push_transform(body, t, i == len(p.transforms) - 1)
    push_uint8(out, PayloadType.NONE if last else PayloadType.PROPOSAL)
    out.append(0)
    push_uint16(out, 4 + len(body), "proposal length")
    out += body


def push_sa(out: bytearray, p: SaPayload) -> None:
    if len(p.proposals) > MAX_PROPOSALS:
        raise EncodeError(f"more than {MAX_PROPOSALS} proposals")
    push_uint32(out, p.doi, "DOI")
    push_uint32(out, p.situation, "situation")
    for i, proposal in enumerate(p.proposals):
        _push_proposal(out, proposal, i == len(p.proposals) - 1)


# --- payloads that are one opaque value (RFC 2408 3.7, 3.11-3.13, 3.16; RFC 3947 3.2) ------------


@dataclass(frozen=True)
class KePayload:
    """RFC 2408 3.7 Key Exchange payload (the DH public value)."""

    data: bytes

    @property
    def payload_type(self) -> int:
        return PayloadType.KE


@dataclass(frozen=True)
class HashPayload:
    """RFC 2408 3.11 Hash payload."""

    data: bytes

    @property
    def payload_type(self) -> int:
        return PayloadType.HASH


@dataclass(frozen=True)
class SigPayload:
    """RFC 2408 3.12 Signature payload."""

    data: bytes

    @property
    def payload_type(self) -> int:
        return PayloadType.SIG


@dataclass(frozen=True)
class NoncePayload:
    """RFC 2408 3.13 Nonce payload."""

    data: bytes

    @property
    def payload_type(self) -> int:
        return PayloadType.NONCE


@dataclass(frozen=True)
class VendorIdPayload:
    """RFC 2408 3.16 Vendor ID payload (see :mod:`.vendor_ids`)."""

    data: bytes

    @property
    def payload_type(self) -> int:
        return PayloadType.VID


@dataclass(frozen=True)
class NatDPayload:
    """RFC 3947 3.2 NAT-D payload: HASH(CKY-I | CKY-R | IP | Port); ``draft`` selects type 130."""

    data: bytes
    draft: bool = False

    @property
    def payload_type(self) -> int:
        return PayloadType.NAT_D_DRAFT if self.draft else PayloadType.NAT_D


# --- ID (RFC 2408 3.8, RFC 2407 4.6.2) ----------------------------------------------------------


@dataclass(frozen=True)
class IdPayload:
    """RFC 2407 4.6.2 Identification payload (see :mod:`.identity` for typed values)."""

    id_type: int
    data: bytes
    protocol: int = 0
    port: int = 0

    @property
    def payload_type(self) -> int:
        return PayloadType.ID


def pull_id(buf: Buffer) -> IdPayload:
    id_type = buf.pull_uint8("ID type")
    protocol = buf.pull_uint8("ID protocol")
    port = buf.pull_uint16("ID port")
    return IdPayload(id_type, buf.pull_rest(), protocol, port)


def push_id(out: bytearray, p: IdPayload) -> None:
    push_uint8(out, p.id_type, "ID type")
    push_uint8(out, p.protocol, "ID protocol")
    push_uint16(out, p.port, "ID port")
    out += p.data


# --- CERT / CR (RFC 2408 3.9, 3.10) -------------------------------------------------------------


@dataclass(frozen=True)
class CertPayload:
    """RFC 2408 3.9 Certificate payload (kept as bytes; not interpreted by the codec)."""

    encoding: int
    data: bytes

    @property
    def payload_type(self) -> int:
        return PayloadType.CERT


@dataclass(frozen=True)
class CertRequestPayload:
    """RFC 2408 3.10 Certificate Request payload."""

    encoding: int
    authority: bytes = b""

    @property
    def payload_type(self) -> int:
        return PayloadType.CR


def pull_cert(buf: Buffer) -> CertPayload:
    return CertPayload(buf.pull_uint8("certificate encoding"), buf.pull_rest())


def push_cert(out: bytearray, p: CertPayload) -> None:
    push_uint8(out, p.encoding, "certificate encoding")
    out += p.data


def pull_cr(buf: Buffer) -> CertRequestPayload:
    return CertRequestPayload(buf.pull_uint8("certificate type"), buf.pull_rest())


def push_cr(out: bytearray, p: CertRequestPayload) -> None:
    push_uint8(out, p.encoding, "certificate type")
    out += p.authority


# --- Notification (RFC 2408 3.14) and Delete (RFC 2408 3.15) -------------------------------------


@dataclass(frozen=True)
class NotifyPayload:
    """RFC 2408 3.14 Notification payload (DPD, RFC 3706: SPI = CKY-I|CKY-R, data = sequence)."""

    notify_type: int
    protocol_id: int = ProtocolId.ISAKMP
    spi: bytes = b""
    data: bytes = b""
    doi: int = Doi.IPSEC

    @property
    def payload_type(self) -> int:
        return PayloadType.N


def pull_notify(buf: Buffer) -> NotifyPayload:
    doi = buf.pull_uint32("notify DOI")
    protocol_id = buf.pull_uint8("notify protocol")
    spi_size = buf.pull_uint8("notify SPI size")
    notify_type = buf.pull_uint16("notify type")
    spi = buf.pull_bytes(spi_size, "notify SPI")
    return NotifyPayload(notify_type, protocol_id, spi, buf.pull_rest(), doi)


def push_notify(out: bytearray, p: NotifyPayload) -> None:
    push_uint32(out, p.doi, "DOI")
    push_uint8(out, p.protocol_id, "protocol ID")
    push_uint8(out, len(p.spi), "SPI size")
    push_uint16(out, p.notify_type, "notify type")
    out += p.spi
    out += p.data


@dataclass(frozen=True)
class DeletePayload:
    """RFC 2408 3.15 Delete payload: every SPI is ``spi_size`` bytes (16 for ISAKMP cookies)."""

    protocol_id: int
    spi_size: int
    spis: tuple[bytes, ...]
    doi: int = Doi.IPSEC

    @property
    def payload_type(self) -> int:
        return PayloadType.D


def pull_delete(buf: Buffer) -> DeletePayload:
    doi = buf.pull_uint32("delete DOI")
    protocol_id = buf.pull_uint8("delete protocol")
    spi_size = buf.pull_uint8("delete SPI size")
    count = buf.pull_uint16("delete SPI count")
    if count > MAX_SPIS:
        raise DecodeError(f"delete payload with {count} SPIs (limit {MAX_SPIS})")
    spis = tuple(buf.pull_bytes(spi_size, "delete SPI") for _ in range(count))
    return DeletePayload(protocol_id, spi_size, spis, doi)


def push_delete(out: bytearray, p: DeletePayload) -> None:
    if len(p.spis) > MAX_SPIS:
        raise EncodeError(f"more than {MAX_SPIS} SPIs")
    push_uint32(out, p.doi, "DOI")
    push_uint8(out, p.protocol_id, "protocol ID")
    push_uint8(out, p.spi_size, "SPI size")
    push_uint16(out, len(p.spis), "number of SPIs")
    for spi in p.spis:
        push_fixed(out, spi, p.spi_size, "SPI")


# --- Attribute payload (draft-dukes-ike-mode-cfg 3.2) -------------------------------------------


@dataclass(frozen=True)
class AttributePayload:
    """Mode Config / XAuth ATTR payload: type (REQUEST/REPLY/SET/ACK), identifier, attributes."""

    cfg_type: int
    identifier: int
    attributes: tuple[DataAttribute, ...] = ()

    @property
    def payload_type(self) -> int:
        return PayloadType.ATTR


def pull_attr(buf: Buffer) -> AttributePayload:
    cfg_type = buf.pull_uint8("ATTR type")
    buf.skip(1)
    identifier = buf.pull_uint16("ATTR identifier")
    return AttributePayload(cfg_type, identifier, pull_attributes(buf, "ATTR payload"))


def push_attr(out: bytearray, p: AttributePayload) -> None:
    push_uint8(out, p.cfg_type, "ATTR type")
    out.append(0)
    push_uint16(out, p.identifier, "ATTR identifier")
    push_attributes(out, p.attributes)


# --- NAT-OA (RFC 3947 5.2; the draft payload 131 has the same body) -----------------------------

_NAT_OA_ADDRESS_SIZE: dict[int, int] = {IdType.IPV4_ADDR: 4, IdType.IPV6_ADDR: 16}


@dataclass(frozen=True)
class NatOaPayload:
    """RFC 3947 5.2 NAT-OA payload: ID type (IPV4_ADDR or IPV6_ADDR) and the original address."""

    id_type: int
    address: bytes
    draft: bool = False

    @property
    def payload_type(self) -> int:
        return PayloadType.NAT_OA_DRAFT if self.draft else PayloadType.NAT_OA


def pull_nat_oa(buf: Buffer, draft: bool) -> NatOaPayload:
    id_type = buf.pull_uint8("NAT-OA ID type")
    size = _NAT_OA_ADDRESS_SIZE.get(id_type)
    if size is None:
        raise DecodeError(f"NAT-OA with ID type {id_type} (must be IPV4_ADDR or IPV6_ADDR)")
    buf.skip(3)
    return NatOaPayload(id_type, buf.pull_bytes(size, "NAT-OA address"), draft)


def push_nat_oa(out: bytearray, p: NatOaPayload) -> None:
    size = _NAT_OA_ADDRESS_SIZE.get(p.id_type)
    if size is None:
        raise EncodeError(f"NAT-OA ID type {p.id_type} is not IPV4_ADDR or IPV6_ADDR")
    push_uint8(out, p.id_type, "NAT-OA ID type")
    out += b"\x00\x00\x00"
    push_fixed(out, p.address, size, "NAT-OA address")


# --- anything else (RFC 2408 5.1 leaves the reaction to the exchange code) ----------------------


@dataclass(frozen=True)
class UnknownPayload:
    """A payload of a type this codec does not interpret, kept with its body."""

    type: int
    data: bytes

    @property
    def payload_type(self) -> int:
        return self.type


Payload = (
    SaPayload
    | KePayload
    | IdPayload
    | CertPayload
    | CertRequestPayload
    | HashPayload
    | SigPayload
    | NoncePayload
    | NotifyPayload
    | DeletePayload
    | VendorIdPayload
    | AttributePayload
    | NatDPayload
    | NatOaPayload
    | UnknownPayload
)

__all__ = [
    "AttributePayload",
    "CertPayload",
    "CertRequestPayload",
    "DeletePayload",
    "HashPayload",
    "IdPayload",
    "KePayload",
    "NatDPayload",
    "NatOaPayload",
    "NoncePayload",
    "NotifyPayload",
    "Payload",
    "Proposal",
    "SaPayload",
    "SigPayload",
    "Transform",
    "UnknownPayload",
    "VendorIdPayload",
]
