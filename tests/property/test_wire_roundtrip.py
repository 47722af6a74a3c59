"""Hypothesis: any valid message encodes, decodes to equal objects and re-encodes byte for byte.

The strategies here (one per payload kind, and whole messages) are reused by test_wire_fuzz.py.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vpnrouter.wire import (
    AttributePayload,
    CertPayload,
    CertRequestPayload,
    DataAttribute,
    DeletePayload,
    HashPayload,
    Header,
    IdPayload,
    KePayload,
    NatDPayload,
    NatOaPayload,
    NoncePayload,
    NotifyPayload,
    Payload,
    Proposal,
    SaPayload,
    SigPayload,
    Transform,
    UnknownPayload,
    VendorIdPayload,
    decode_message,
    decode_payloads,
    encode_message,
    encode_payload,
    encode_payloads,
)
from vpnrouter.wire.constants import HEADER_SIZE, Doi, HeaderFlag, PayloadType, Situation

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
blob = st.binary(max_size=48)

attributes = st.builds(
    DataAttribute, st.integers(0, 0x7FFF), st.one_of(u16, st.binary(max_size=24))
)
attribute_lists = st.lists(attributes, max_size=6).map(tuple)
transforms = st.builds(Transform, u8, u8, attribute_lists)
proposals = st.builds(
    Proposal, u8, u8, st.binary(max_size=16), st.lists(transforms, max_size=4).map(tuple)
)
sa_payloads = st.builds(SaPayload, st.lists(proposals, max_size=3).map(tuple), u32, u32).filter(
    lambda sa: sa.doi != Doi.IPSEC or not sa.situation & (Situation.SECRECY | Situation.INTEGRITY)
)
delete_payloads = st.integers(0, 16).flatmap(
    lambda size: st.builds(
        DeletePayload,
        u8,
        st.just(size),
        st.lists(st.binary(min_size=size, max_size=size), max_size=5).map(tuple),
        u32,
    )
)
nat_oa_payloads = st.one_of(
    st.builds(NatOaPayload, st.just(1), st.binary(min_size=4, max_size=4), st.booleans()),
    st.builds(NatOaPayload, st.just(5), st.binary(min_size=16, max_size=16), st.booleans()),
)
UNKNOWN_TYPES = sorted(set(range(1, 256)) - {int(t) for t in PayloadType})

payloads: st.SearchStrategy[Payload] = st.one_of(
    sa_payloads,
    st.builds(KePayload, blob),
    st.builds(IdPayload, u8, blob, u8, u16),
    st.builds(CertPayload, u8, blob),
    st.builds(CertRequestPayload, u8, blob),
    st.builds(HashPayload, blob),
    st.builds(SigPayload, blob),
    st.builds(NoncePayload, blob),
    st.builds(NotifyPayload, u16, u8, st.binary(max_size=16), blob, u32),
    delete_payloads,
    st.builds(VendorIdPayload, blob),
    st.builds(AttributePayload, u8, u16, attribute_lists),
    st.builds(NatDPayload, blob, st.booleans()),
    nat_oa_payloads,
    st.builds(UnknownPayload, st.sampled_from(UNKNOWN_TYPES), blob),
)
payload_lists = st.lists(payloads, max_size=8)
headers = st.builds(
    Header,
    st.binary(min_size=8, max_size=8),
    st.binary(min_size=8, max_size=8),
    u8,
    u8,
    u8.map(lambda flags: flags & ~HeaderFlag.ENCRYPTION),
    u32,
    st.just(HEADER_SIZE),
    st.integers(0, 15),
    st.integers(0, 15),
)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """A valid unencrypted ISAKMP message."""
    return encode_message(draw(headers), draw(payload_lists))


@settings(max_examples=400)
@given(payload_lists)
def test_payload_chains_round_trip(chain: list[Payload]) -> None:
    wire = encode_payloads(chain)
    first = chain[0].payload_type if chain else PayloadType.NONE
    decoded = decode_payloads(first, wire)
    assert list(decoded.payloads) == chain
    assert encode_payloads(decoded.payloads) == wire
    assert b"".join(decoded.raw) == wire
    for i, raw in enumerate(decoded.raw):
        following = chain[i + 1].payload_type if i + 1 < len(chain) else PayloadType.NONE
        assert raw == encode_payload(chain[i], following)


@settings(max_examples=300)
@given(headers, payload_lists)
def test_messages_round_trip(header: Header, chain: list[Payload]) -> None:
    data = encode_message(header, chain)
    message = decode_message(data)
    assert message.header.length == len(data)
    assert message.payloads == tuple(chain)
    assert encode_message(message.header, message.payloads) == data


@settings(max_examples=200)
@given(payload_lists, st.binary(max_size=16))
def test_trailing_bytes_are_returned_when_allowed(chain: list[Payload], padding: bytes) -> None:
    wire = encode_payloads(chain)
    first = chain[0].payload_type if chain else PayloadType.NONE
    decoded = decode_payloads(first, wire + padding, trailing_ok=True)
    assert list(decoded.payloads) == chain and decoded.trailing == padding
