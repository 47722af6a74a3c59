"""ISAKMP header and whole messages (RFC 2408 3.1, length rule of 5.1)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from wire_samples import SAMPLES, SEED_POLICY_10

from vpnrouter.wire import (
    DecodeError,
    EncodeError,
    Header,
    decode_header,
    decode_message,
    encode_header,
    encode_message,
    encode_payloads,
)
from vpnrouter.wire.constants import HEADER_SIZE, MAX_MESSAGE_SIZE, ExchangeType, HeaderFlag

ICOOKIE = bytes.fromhex("0102030405060708")
RCOOKIE = bytes.fromhex("1112131415161718")

# Quick mode, encrypted, message ID 0xdeadbeef, 28 + 4 bytes: every field at a known offset.
QUICK_HEADER_HEX = (
    "0102030405060708"  # initiator cookie
    "1112131415161718"  # responder cookie
    "08"  # next payload: HASH
    "10"  # version 1.0
    "20"  # exchange type: quick mode (32)
    "01"  # flags: encryption
    "deadbeef"  # message ID
    "00000020"  # length 32
)


def test_header_known_answer() -> None:
    header = Header(ICOOKIE, RCOOKIE, ExchangeType.QUICK, 8, HeaderFlag.ENCRYPTION, 0xDEADBEEF, 32)
    assert encode_header(header).hex() == QUICK_HEADER_HEX
    assert decode_header(bytes.fromhex(QUICK_HEADER_HEX) + bytes(4)) == header
    assert header.encrypted and not header.commit and not header.auth_only


def test_version_nibbles_and_flags_are_kept_for_the_exchange_code_to_judge() -> None:
    data = bytearray(bytes.fromhex(QUICK_HEADER_HEX) + bytes(4))
    data[17] = 0x21  # version 2.1
    data[19] = 0x06  # commit + auth-only
    header = decode_header(bytes(data))
    assert (header.major_version, header.minor_version) == (2, 1)
    assert header.commit and header.auth_only and not header.encrypted
    assert encode_header(header) == bytes(data[:HEADER_SIZE])


@pytest.mark.parametrize("size", range(HEADER_SIZE))
def test_short_header_is_a_decode_error(size: int) -> None:
    with pytest.raises(DecodeError):
        decode_header(bytes.fromhex(QUICK_HEADER_HEX)[:size])


@pytest.mark.parametrize("delta", [-1, +1])
def test_header_length_must_equal_datagram_length(delta: int) -> None:
    data = bytes.fromhex(QUICK_HEADER_HEX) + bytes(4 + delta)
    with pytest.raises(DecodeError, match="header length 32"):
        decode_header(data)


def test_oversized_datagram_is_refused_before_parsing() -> None:
    big = bytearray(MAX_MESSAGE_SIZE + 1)
    big[24:28] = len(big).to_bytes(4, "big")
    with pytest.raises(DecodeError, match="exceeds"):
        decode_header(bytes(big))


def test_encode_header_validates_fields() -> None:
    good = Header(ICOOKIE, RCOOKIE, ExchangeType.MAIN)
    assert len(encode_header(good)) == HEADER_SIZE
    for bad in (
        replace(good, icookie=b"short"),
        replace(good, rcookie=bytes(9)),
        replace(good, length=27),
        replace(good, length=MAX_MESSAGE_SIZE + 1),
        replace(good, exchange_type=256),
        replace(good, message_id=1 << 32),
        replace(good, major_version=16),
    ):
        with pytest.raises(EncodeError):
            encode_header(bad)


def test_encode_message_fills_next_payload_and_length() -> None:
    header = Header(ICOOKIE, bytes(8), ExchangeType.MAIN, next_payload=99, length=0)
    payloads = [SEED_POLICY_10, SAMPLES["vid"]]
    data = encode_message(header, payloads)
    body = encode_payloads(payloads)
    assert data[HEADER_SIZE:] == body
    message = decode_message(data)
    assert message.header == replace(header, next_payload=1, length=HEADER_SIZE + len(body))
    assert message.payloads == tuple(payloads)
    assert b"".join(message.raw) == body


def test_message_without_payloads() -> None:
    data = encode_message(Header(ICOOKIE, RCOOKIE, ExchangeType.INFORMATIONAL), [])
    assert len(data) == HEADER_SIZE and data[16] == 0
    assert decode_message(data).payloads == ()


def test_decode_message_refuses_encrypted_messages() -> None:
    with pytest.raises(DecodeError, match="encrypted"):
        decode_message(bytes.fromhex(QUICK_HEADER_HEX) + bytes(4))


def test_every_truncation_of_a_message_is_a_decode_error() -> None:
    data = encode_message(
        Header(ICOOKIE, bytes(8), ExchangeType.AGGRESSIVE),
        [SEED_POLICY_10, SAMPLES["ke"], SAMPLES["nonce"], SAMPLES["id_fqdn_udp500"]],
    )
    for cut in range(len(data)):
        truncated = data[:cut]
        with pytest.raises(DecodeError):
            decode_message(truncated)
        if cut >= HEADER_SIZE:  # the same with the header length made consistent
            fixed = truncated[:24] + cut.to_bytes(4, "big") + truncated[28:]
            with pytest.raises(DecodeError):
                decode_message(fixed)


def test_extra_byte_after_a_message_is_a_decode_error() -> None:
    data = encode_message(Header(ICOOKIE, bytes(8), ExchangeType.MAIN), [SEED_POLICY_10])
    longer = data[:24] + (len(data) + 1).to_bytes(4, "big") + data[28:] + b"\x00"
    with pytest.raises(DecodeError, match="after the last payload"):
        decode_message(longer)
