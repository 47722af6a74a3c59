"""Hypothesis: no input makes the ISAKMP codec raise anything but DecodeError."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_wire_roundtrip import messages

from vpnrouter.wire import (
    AttributePayload,
    DecodeError,
    IdPayload,
    Payload,
    SaPayload,
    VendorIdPayload,
    decode_header,
    decode_message,
    decode_payloads,
)
from vpnrouter.wire.constants import HEADER_SIZE
from vpnrouter.wire.identity import id_value
from vpnrouter.wire.vendor_ids import describe

T = TypeVar("T")


def _only_decode_errors(call: Callable[[], T]) -> T | None:
    try:
        return call()
    except DecodeError:
        return None


def _touch(payloads: tuple[Payload, ...]) -> None:
    """Read the typed views of what was decoded: they may raise DecodeError only."""
    for payload in payloads:
        if isinstance(payload, IdPayload):
            _only_decode_errors(partial(id_value, payload))
        elif isinstance(payload, AttributePayload):
            for attr in payload.attributes:
                _only_decode_errors(attr.as_int)
        elif isinstance(payload, SaPayload):
            for proposal in payload.proposals:
                for transform in proposal.transforms:
                    for attr in transform.attributes:
                        _only_decode_errors(attr.as_int)
        elif isinstance(payload, VendorIdPayload):
            assert describe(payload.data)


@settings(max_examples=1000)
@given(st.binary(max_size=200))
def test_random_bytes_into_decode_header_and_message(data: bytes) -> None:
    _only_decode_errors(lambda: decode_header(data))
    message = _only_decode_errors(lambda: decode_message(data))
    if message is not None:
        _touch(message.payloads)


@settings(max_examples=1000)
@given(st.integers(0, 255), st.binary(max_size=300), st.booleans())
def test_random_bytes_into_decode_payloads(first: int, body: bytes, trailing_ok: bool) -> None:
    decoded = _only_decode_errors(lambda: decode_payloads(first, body, trailing_ok=trailing_ok))
    if decoded is not None:
        _touch(decoded.payloads)


@st.composite
def mutated_messages(draw: st.DrawFn) -> bytes:
    """A valid message with a few bytes flipped, inserted or removed (length kept consistent)."""
    data = bytearray(draw(messages()))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete"]))
        pos = draw(st.integers(HEADER_SIZE, max(HEADER_SIZE, len(data))))
        if kind == "flip" and pos < len(data):
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[pos:pos] = bytes([draw(st.integers(0, 255))])
        elif kind == "delete" and pos < len(data):
            del data[pos]
    if draw(st.booleans()):
        data[24:28] = len(data).to_bytes(4, "big")
    return bytes(data)


@settings(max_examples=700, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_messages())
def test_mutated_valid_messages(data: bytes) -> None:
    message = _only_decode_errors(lambda: decode_message(data))
    if message is not None:
        _touch(message.payloads)
    body = data[HEADER_SIZE:]
    for trailing_ok in (False, True):
        _only_decode_errors(partial(decode_payloads, data[16], body, trailing_ok=trailing_ok))
