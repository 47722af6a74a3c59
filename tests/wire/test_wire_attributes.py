"""Data attributes, TV and TLV (RFC 2408 3.3; classes from RFC 2409 App. A, RFC 2407 4.5)."""

from __future__ import annotations

import pytest

from vpnrouter.wire import (
    DataAttribute,
    DecodeError,
    EncodeError,
    cfg_attribute,
    find_attribute,
    ipsec_attribute,
    make_attribute,
    phase1_attribute,
)
from vpnrouter.wire.attributes import pull_attribute, pull_attributes, push_attribute
from vpnrouter.wire.buffer import Buffer
from vpnrouter.wire.constants import CfgAttr, IpsecAttr, Phase1Attr


def _encode(attr: DataAttribute) -> bytes:
    out = bytearray()
    push_attribute(out, attr)
    return bytes(out)


def test_tv_known_answer() -> None:
    # AF=1 | type 1 (encryption), value 5 (3DES)
    assert _encode(phase1_attribute(Phase1Attr.ENCRYPTION, 5)) == bytes.fromhex("80010005")


def test_tlv_life_duration_known_answer() -> None:
    # AF=0 | type 12 (life duration), length 4, 86400 = 0x00015180
    attr = phase1_attribute(Phase1Attr.LIFE_DURATION, 86400)
    assert attr == DataAttribute(12, b"\x00\x01\x51\x80")
    assert _encode(attr) == bytes.fromhex("000c000400015180")
    assert attr.as_int() == 86400
    assert pull_attribute(Buffer(_encode(attr))) == attr


def test_variable_types_are_tlv_even_when_small() -> None:
    assert phase1_attribute(Phase1Attr.LIFE_DURATION, 3600).value == b"\x00\x00\x0e\x10"
    assert ipsec_attribute(IpsecAttr.SA_LIFE_DURATION, 3600).value == b"\x00\x00\x0e\x10"
    assert ipsec_attribute(IpsecAttr.SA_LIFE_DURATION, 1 << 40).value == (1 << 40).to_bytes(
        8, "big"
    )


def test_basic_types_fall_back_to_tlv_when_too_large() -> None:
    assert phase1_attribute(Phase1Attr.KEY_LENGTH, 256).value == 256
    assert phase1_attribute(Phase1Attr.KEY_LENGTH, 70000).value == (70000).to_bytes(4, "big")
    assert make_attribute(1, 0xFFFF, basic=True).value == 0xFFFF
    assert make_attribute(1, 0x10000, basic=True).value == b"\x00\x01\x00\x00"


def test_cfg_attributes_basic_only_for_xauth_type_status_and_unity_flags() -> None:
    assert cfg_attribute(CfgAttr.XAUTH_STATUS, 1) == DataAttribute(16527, 1)
    assert cfg_attribute(CfgAttr.UNITY_PFS, 2) == DataAttribute(28679, 2)
    assert cfg_attribute(CfgAttr.INTERNAL_ADDRESS_EXPIRY, 60).value == b"\x00\x00\x00\x3c"
    assert cfg_attribute(CfgAttr.XAUTH_USER_NAME, b"cisco").value == b"cisco"


def test_empty_tlv_is_a_mode_config_request_slot() -> None:
    attr = DataAttribute(CfgAttr.INTERNAL_IP4_ADDRESS, b"")
    assert _encode(attr) == bytes.fromhex("00010000")
    assert pull_attribute(Buffer(bytes.fromhex("00010000"))) == attr
    assert attr.as_int() == 0


def test_as_int_and_as_bytes() -> None:
    assert DataAttribute(1, 7).as_bytes() == b"\x00\x07"
    assert DataAttribute(1, b"\x01\x02").as_int() == 0x0102
    with pytest.raises(DecodeError, match="too long"):
        DataAttribute(2, bytes(9)).as_int()


@pytest.mark.parametrize(
    "wire", ["", "80", "8001", "800100", "0001", "000100", "00010002", "0001000201"]
)
def test_truncated_attributes_are_decode_errors(wire: str) -> None:
    with pytest.raises(DecodeError):
        pull_attributes(Buffer(bytes.fromhex(wire)) if wire else Buffer(b"\x00"), "t")


def test_attributes_fill_their_block_exactly() -> None:
    attrs = pull_attributes(Buffer(bytes.fromhex("80010005000c000400015180")), "t")
    assert attrs == (DataAttribute(1, 5), DataAttribute(12, b"\x00\x01\x51\x80"))
    assert pull_attributes(Buffer(b""), "t") == ()


@pytest.mark.parametrize(
    "attr",
    [
        DataAttribute(0x8000, 1),
        DataAttribute(-1, 1),
        DataAttribute(1, 0x10000),
        DataAttribute(1, -1),
        DataAttribute(1, bytes(0x10000)),
    ],
)
def test_unencodable_attributes(attr: DataAttribute) -> None:
    with pytest.raises(EncodeError):
        _encode(attr)


def test_negative_and_huge_values_cannot_be_built() -> None:
    with pytest.raises(EncodeError):
        phase1_attribute(Phase1Attr.LIFE_DURATION, -1)
    with pytest.raises(EncodeError):
        phase1_attribute(Phase1Attr.LIFE_DURATION, 1 << 64)


def test_find_attribute() -> None:
    attrs = (DataAttribute(1, 5), DataAttribute(2, 1), DataAttribute(1, 7))
    assert find_attribute(attrs, 1) == DataAttribute(1, 5)
    assert find_attribute(attrs, 3) is None
