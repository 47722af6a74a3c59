"""Structural rules inside SA/proposal/transform, Delete, NAT-OA and the explicit limits."""

from __future__ import annotations

import pytest
from wire_samples import SAMPLES, SEED_POLICY_10

from vpnrouter.wire import (
    AttributePayload,
    DataAttribute,
    DecodeError,
    EncodeError,
    HashPayload,
    Proposal,
    SaPayload,
    Transform,
    decode_payloads,
    encode_payloads,
)
from vpnrouter.wire.constants import (
    MAX_ATTRIBUTES,
    MAX_PAYLOADS,
    MAX_PROPOSALS,
    MAX_SPIS,
    PayloadType,
)

SA = PayloadType.SA


def _sa_wire(payload: SaPayload) -> bytearray:
    return bytearray(encode_payloads([payload]))


# Offsets inside the encoded SEED_POLICY_10 chain: generic header 0-3, DOI 4-7, situation 8-11,
# proposal header 12-19 (next, reserved, length, number, protocol, SPI size, # transforms),
# transform header 20-27 (next, reserved, length, number, ID, reserved x2), attributes 28-.
PROPOSAL_NEXT, PROPOSAL_COUNT, TRANSFORM_NEXT = 12, 19, 20


def test_seed_sa_offsets_are_where_the_tests_expect() -> None:
    wire = _sa_wire(SEED_POLICY_10)
    assert wire[PROPOSAL_NEXT] == 0 and wire[PROPOSAL_COUNT] == 1 and wire[TRANSFORM_NEXT] == 0


def test_transform_count_larger_than_carried_is_rejected() -> None:
    wire = _sa_wire(SEED_POLICY_10)
    wire[PROPOSAL_COUNT] = 2
    with pytest.raises(DecodeError, match="transform 1/2 has next payload 0"):
        decode_payloads(SA, bytes(wire))
    wire[TRANSFORM_NEXT] = PayloadType.TRANSFORM
    with pytest.raises(DecodeError, match="announces 2 transforms, carries 1"):
        decode_payloads(SA, bytes(wire))


def test_transform_count_smaller_than_carried_is_rejected() -> None:
    wire = _sa_wire(SEED_POLICY_10)
    wire[PROPOSAL_COUNT] = 0
    with pytest.raises(DecodeError, match="end of proposal"):
        decode_payloads(SA, bytes(wire))


def test_last_transform_must_say_no_next_payload() -> None:
    wire = _sa_wire(SEED_POLICY_10)
    wire[TRANSFORM_NEXT] = PayloadType.TRANSFORM
    with pytest.raises(DecodeError, match="next payload 3"):
        decode_payloads(SA, bytes(wire))


def test_proposal_next_payload_must_be_proposal_or_none() -> None:
    wire = _sa_wire(SEED_POLICY_10)
    wire[PROPOSAL_NEXT] = PayloadType.TRANSFORM
    with pytest.raises(DecodeError, match="followed by payload type 3"):
        decode_payloads(SA, bytes(wire))
    wire[PROPOSAL_NEXT] = PayloadType.PROPOSAL
    with pytest.raises(DecodeError, match="missing"):
        decode_payloads(SA, bytes(wire))


def test_proposal_and_transform_lengths_below_their_headers_are_rejected() -> None:
    sa = SaPayload((Proposal(1, 1, b"", (Transform(1, 1, ()),)),))
    wire = _sa_wire(sa)
    bad = bytearray(wire)
    bad[14:16] = (7).to_bytes(2, "big")
    with pytest.raises(DecodeError, match="proposal length 7"):
        decode_payloads(SA, bytes(bad))
    bad = bytearray(wire)
    bad[22:24] = (7).to_bytes(2, "big")
    with pytest.raises(DecodeError, match="transform length 7"):
        decode_payloads(SA, bytes(bad))


def test_labeled_domain_situation_is_refused() -> None:
    wire = _sa_wire(SaPayload((), situation=0x03))
    with pytest.raises(DecodeError, match="labeled-domain"):
        decode_payloads(SA, bytes(wire))
    other_doi = SaPayload((), doi=0, situation=0x03)
    assert decode_payloads(SA, encode_payloads([other_doi])).payloads == (other_doi,)


def test_proposal_limit() -> None:
    proposal = Proposal(1, 1, b"", ())
    ok = SaPayload((proposal,) * MAX_PROPOSALS)
    assert decode_payloads(SA, encode_payloads([ok])).payloads == (ok,)
    with pytest.raises(EncodeError):
        encode_payloads([SaPayload((proposal,) * (MAX_PROPOSALS + 1))])
    # build the over-limit SA by hand: one more proposal appended to a valid chain
    wire = bytearray(encode_payloads([ok]))
    last = len(wire) - 8
    wire[last] = PayloadType.PROPOSAL
    wire += b"\x00\x00\x00\x08\x01\x01\x00\x00"
    wire[2:4] = len(wire).to_bytes(2, "big")
    with pytest.raises(DecodeError, match="more than 64 proposals"):
        decode_payloads(SA, bytes(wire))


def test_attribute_limit() -> None:
    attrs = tuple(DataAttribute(1, i) for i in range(MAX_ATTRIBUTES))
    ok = AttributePayload(2, 1, attrs)
    assert decode_payloads(PayloadType.ATTR, encode_payloads([ok])).payloads == (ok,)
    with pytest.raises(EncodeError):
        encode_payloads([AttributePayload(2, 1, (*attrs, DataAttribute(1, 0)))])
    wire = bytearray(encode_payloads([ok])) + b"\x80\x01\x00\x00"
    wire[2:4] = len(wire).to_bytes(2, "big")
    with pytest.raises(DecodeError, match="more than 512 attributes"):
        decode_payloads(PayloadType.ATTR, bytes(wire))


def test_payload_limit() -> None:
    payloads = [HashPayload(b"")] * MAX_PAYLOADS
    wire = encode_payloads(payloads)
    assert len(decode_payloads(PayloadType.HASH, wire).payloads) == MAX_PAYLOADS
    longer = bytearray(wire)
    longer[len(longer) - 4] = PayloadType.HASH
    longer += b"\x00\x00\x00\x04"
    with pytest.raises(DecodeError, match="more than 64 payloads"):
        decode_payloads(PayloadType.HASH, bytes(longer))


def test_delete_spi_count_limit_and_exact_size() -> None:
    body = (1).to_bytes(4, "big") + bytes([3, 4]) + (MAX_SPIS + 1).to_bytes(2, "big")
    body += bytes(4 * (MAX_SPIS + 1))
    wire = b"\x00\x00" + (4 + len(body)).to_bytes(2, "big") + body
    with pytest.raises(DecodeError, match="257 SPIs"):
        decode_payloads(PayloadType.D, wire)
    short = encode_payloads([SAMPLES["delete_esp"]])[:-1]
    short = short[:2] + len(short).to_bytes(2, "big") + short[4:]
    with pytest.raises(DecodeError, match="truncated delete SPI"):
        decode_payloads(PayloadType.D, short)


def test_nat_oa_id_type_must_be_an_address() -> None:
    wire = bytearray(encode_payloads([SAMPLES["nat_oa"]]))
    wire[4] = 2  # ID_FQDN
    with pytest.raises(DecodeError, match="NAT-OA with ID type 2"):
        decode_payloads(PayloadType.NAT_OA, bytes(wire))
    wire[4] = 5  # IPv6 type with an IPv4-sized address
    with pytest.raises(DecodeError):
        decode_payloads(PayloadType.NAT_OA, bytes(wire))


def test_nat_payload_types_follow_the_draft_flag() -> None:
    for name, expected in (
        ("nat_d", 20),
        ("nat_d_draft", 130),
        ("nat_oa", 21),
        ("nat_oa_draft_v6", 131),
    ):
        payload = SAMPLES[name]
        assert payload.payload_type == expected
        chain = encode_payloads([HashPayload(b"h"), payload])
        assert chain[0] == expected
        assert decode_payloads(8, chain).payloads[1] == payload


def test_more_than_255_transforms_cannot_be_encoded() -> None:
    proposal = Proposal(1, 1, b"", (Transform(1, 1, ()),) * 256)
    with pytest.raises(EncodeError, match="255 transforms"):
        encode_payloads([SaPayload((proposal,))])
