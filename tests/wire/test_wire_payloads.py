"""Every payload: round trip, truncation at every offset, one extra byte (RFC 2408 3.2-3.16)."""

from __future__ import annotations

import pytest
from wire_samples import SAMPLES, STRUCTURED

from vpnrouter.wire import (
    DecodeError,
    EncodeError,
    Payload,
    decode_payloads,
    encode_payload,
    encode_payloads,
)
from vpnrouter.wire.constants import PayloadType

NAMES = sorted(SAMPLES)


def _chain(payload: Payload) -> bytes:
    return encode_payloads([payload])


@pytest.mark.parametrize("name", NAMES)
def test_round_trip(name: str) -> None:
    payload = SAMPLES[name]
    wire = _chain(payload)
    decoded = decode_payloads(payload.payload_type, wire)
    assert decoded.payloads == (payload,)
    assert decoded.raw == (wire,)
    assert decoded.trailing == b""
    assert encode_payloads(decoded.payloads) == wire


@pytest.mark.parametrize("name", NAMES)
def test_generic_header_length_counts_the_whole_payload(name: str) -> None:
    wire = _chain(SAMPLES[name])
    assert wire[0] == PayloadType.NONE
    assert int.from_bytes(wire[2:4], "big") == len(wire)


@pytest.mark.parametrize("trailing_ok", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_truncation_at_every_offset_is_a_decode_error(name: str, trailing_ok: bool) -> None:
    payload = SAMPLES[name]
    wire = _chain(payload)
    for cut in range(len(wire)):
        with pytest.raises(DecodeError):
            decode_payloads(payload.payload_type, wire[:cut], trailing_ok=trailing_ok)


@pytest.mark.parametrize("name", NAMES)
def test_one_extra_byte_after_the_chain(name: str) -> None:
    payload = SAMPLES[name]
    wire = _chain(payload) + b"\x5a"
    with pytest.raises(DecodeError, match="after the last payload"):
        decode_payloads(payload.payload_type, wire)
    decoded = decode_payloads(payload.payload_type, wire, trailing_ok=True)
    assert decoded.payloads == (payload,)
    assert decoded.trailing == b"\x5a"
    assert decoded.raw == (wire[:-1],)


def _resize_body(wire: bytes, delta: int) -> bytes:
    """The payload with its length field moved by ``delta`` and the body grown/shrunk to match."""
    body = wire[4:] + b"\x00" if delta > 0 else wire[4:-1]
    return wire[:2] + (4 + len(body)).to_bytes(2, "big") + body


def _opaque_value(payload: Payload) -> bytes:
    value = getattr(payload, "data", None)
    if value is None:
        value = getattr(payload, "authority")  # noqa: B009 - CertRequestPayload
    assert isinstance(value, bytes)
    return value


@pytest.mark.parametrize("name", NAMES)
def test_one_extra_byte_inside_the_payload(name: str) -> None:
    payload = SAMPLES[name]
    wire = _resize_body(_chain(payload), +1)
    if isinstance(payload, STRUCTURED):
        with pytest.raises(DecodeError):
            decode_payloads(payload.payload_type, wire)
        return
    # Opaque tails (KE, HASH, notify data, ID data...) take the byte: the length decides.
    (decoded,) = decode_payloads(payload.payload_type, wire).payloads
    assert type(decoded) is type(payload)
    assert _opaque_value(decoded) == _opaque_value(payload) + b"\x00"


@pytest.mark.parametrize("name", NAMES)
def test_one_byte_short_inside_the_payload(name: str) -> None:
    payload = SAMPLES[name]
    wire = _resize_body(_chain(payload), -1)
    if isinstance(payload, STRUCTURED) or not _opaque_value(payload):
        with pytest.raises(DecodeError):
            decode_payloads(payload.payload_type, wire)
        return
    (decoded,) = decode_payloads(payload.payload_type, wire).payloads
    assert _opaque_value(decoded) == _opaque_value(payload)[:-1]


def test_chain_of_every_sample_round_trips_with_raw_slices() -> None:
    payloads = [SAMPLES[name] for name in NAMES]
    wire = encode_payloads(payloads)
    decoded = decode_payloads(payloads[0].payload_type, wire)
    assert list(decoded.payloads) == payloads
    assert b"".join(decoded.raw) == wire
    for i, raw in enumerate(decoded.raw):
        following = payloads[i + 1].payload_type if i + 1 < len(payloads) else 0
        assert raw == encode_payload(payloads[i], following)
        assert raw[0] == following


def test_reserved_byte_of_generic_header_is_ignored_on_receipt() -> None:
    wire = bytearray(_chain(SAMPLES["hash"]))
    wire[1] = 0xFF
    assert decode_payloads(PayloadType.HASH, bytes(wire)).payloads == (SAMPLES["hash"],)


def test_payload_length_below_generic_header_is_rejected() -> None:
    with pytest.raises(DecodeError, match="below 4"):
        decode_payloads(PayloadType.HASH, b"\x00\x00\x00\x03")


def test_proposal_or_transform_at_message_level_is_rejected() -> None:
    for payload_type in (PayloadType.PROPOSAL, PayloadType.TRANSFORM):
        with pytest.raises(DecodeError, match="outside an SA"):
            decode_payloads(payload_type, b"\x00\x00\x00\x08\x01\x01\x00\x00")


def test_empty_chain() -> None:
    assert decode_payloads(PayloadType.NONE, b"").payloads == ()
    with pytest.raises(DecodeError):
        decode_payloads(PayloadType.NONE, b"\x00")
    assert decode_payloads(PayloadType.NONE, b"\x00\x00", trailing_ok=True).trailing == b"\x00\x00"
    assert encode_payloads([]) == b""


def test_encode_rejects_values_that_do_not_fit() -> None:
    from vpnrouter.wire import DeletePayload, IdPayload, NatOaPayload

    with pytest.raises(EncodeError):
        encode_payloads([DeletePayload(3, 4, (b"\x01\x02\x03",))])
    with pytest.raises(EncodeError):
        encode_payloads([IdPayload(1, b"\x01\x02\x03\x04", port=70000)])
    with pytest.raises(EncodeError):
        encode_payloads([NatOaPayload(2, b"x")])
    with pytest.raises(EncodeError):
        encode_payloads([NatOaPayload(1, b"\x01\x02\x03")])
    with pytest.raises(EncodeError):
        encode_payloads([SAMPLES["hash"]] * 65)
