"""Plain and encrypted ISAKMP messages for the exchanges (RFC 2408 3.1, RFC 2409 App. B).

Encrypted bodies are CBC with the phase-1 cipher; the IV comes from the SA's
:class:`~vpnrouter.crypto.ivchain.IvChain`. Decryption never moves the chain: the exchange
commits the ciphertext only after the message's HASH verified (DESIGN.md principle 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from vpnrouter.ike.errors import ProtocolError
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.constants import HEADER_SIZE, HeaderFlag, NotifyType
from vpnrouter.wire.errors import DecodeError
from vpnrouter.wire.header import Header, encode_header
from vpnrouter.wire.message import decode_payloads, encode_message, encode_payloads
from vpnrouter.wire.payloads import HashPayload, Payload

T = TypeVar("T")


def first_of(payloads: Sequence[object], kind: type[T]) -> T:
    """The first payload of a class (the rules table guarantees presence; still checked)."""
    for payload in payloads:
        if isinstance(payload, kind):
            return payload
    raise ProtocolError(NotifyType.PAYLOAD_MALFORMED, f"missing {kind.__name__}")


@dataclass(frozen=True)
class Inbound:
    """A received message: header, decoded payloads with their raw bytes, and (if it was
    encrypted) the ciphertext to commit to the IV chain once it is authenticated."""

    header: Header
    payloads: tuple[Payload, ...]
    raw: tuple[bytes, ...]
    ciphertext: bytes = b""

    def after_hash(self) -> bytes:
        """Every payload after the leading HASH, as on the wire (RFC 2409 5.5, 5.7)."""
        return b"".join(self.raw[1:])

    def body_of(self, payload_type: int) -> bytes:
        """A payload's body as received, generic header stripped (RFC 2409 5: ``_b``)."""
        for payload, raw in zip(self.payloads, self.raw, strict=True):
            if payload.payload_type == payload_type:
                return raw[4:]
        raise ProtocolError(NotifyType.PAYLOAD_MALFORMED, f"missing payload {payload_type}")

    def hash_data(self) -> bytes:
        first = self.payloads[0] if self.payloads else None
        if not isinstance(first, HashPayload):
            raise DecodeError("message does not start with a HASH payload")
        return first.data


def decode_plain(header: Header, data: bytes) -> Inbound:
    """RFC 2408 3.1: an unencrypted message (the header was already decoded from ``data``)."""
    decoded = decode_payloads(header.next_payload, data[HEADER_SIZE:])
    return Inbound(header, decoded.payloads, decoded.raw)


# RFC 2408 3.1 (E flag) / RFC 2409 App. B: CBC over the payloads, IV from the SA's chain.
def decrypt(sa: IkeSa, header: Header, data: bytes, *, one_message: bool = False) -> Inbound:
    """Decrypt and decode without committing the IV; raises DecodeError on any failure.
    ``one_message``: an informational after phase 1, whose IV is always derived from its
    M-ID (RFC 2409 App. B), even an M-ID of 0."""
    if sa.crypto is None:
        raise DecodeError("encrypted message before keys exist")
    ciphertext = data[HEADER_SIZE:]
    block = sa.crypto.cipher.block_size
    if not ciphertext or len(ciphertext) % block:
        raise DecodeError(f"encrypted body of {len(ciphertext)} bytes is not whole blocks")
    if one_message:
        iv = sa.crypto.ivs.derived(header.message_id)
        plaintext = sa.crypto.cipher.decrypt(iv, ciphertext)
    else:
        plaintext = sa.crypto.ivs.decrypt(sa.crypto.cipher, header.message_id, ciphertext)
    decoded = decode_payloads(header.next_payload, plaintext, trailing_ok=True)
    return Inbound(header, decoded.payloads, decoded.raw, ciphertext)


def commit(sa: IkeSa, inbound: Inbound) -> None:
    """Move the IV chain past an authenticated encrypted message (principle 2)."""
    if sa.crypto is not None and inbound.ciphertext:
        sa.crypto.ivs.commit(inbound.header.message_id, inbound.ciphertext)


def _header(sa: IkeSa, exchange: int, mid: int, flags: int) -> Header:
    return Header(sa.icookie, sa.rcookie, exchange, flags=flags, message_id=mid)


def plain(sa: IkeSa, exchange: int, payloads: Sequence[Payload], mid: int = 0) -> bytes:
    return encode_message(_header(sa, exchange, mid, 0), payloads)


# RFC 2408 3.1: the body is padded to the cipher block size and encrypted; the header's
# length covers the padding. Our padding is zero bytes (receivers ignore it, RFC 2409 5.3).
def encrypted(
    sa: IkeSa,
    exchange: int,
    payloads: Sequence[Payload],
    mid: int = 0,
    flags: int = 0,
    *,
    one_message: bool = False,
) -> bytes:
    """``one_message``: an informational, encrypted under the IV derived from its M-ID alone
    and leaving no IV state behind (see :func:`decrypt`)."""
    if sa.crypto is None:
        raise RuntimeError("no phase-1 keys to encrypt with")
    body = encode_payloads(payloads)
    block = sa.crypto.cipher.block_size
    body += bytes(-len(body) % block)
    if one_message:
        ciphertext = sa.crypto.cipher.encrypt(sa.crypto.ivs.derived(mid), body)
    else:
        ciphertext = sa.crypto.ivs.encrypt(sa.crypto.cipher, mid, body)
    first = payloads[0].payload_type if payloads else 0
    header = Header(
        sa.icookie,
        sa.rcookie,
        exchange,
        next_payload=first,
        flags=flags | HeaderFlag.ENCRYPTION,
        message_id=mid,
        length=HEADER_SIZE + len(ciphertext),
    )
    return encode_header(header) + ciphertext
