"""What real peers send that our own engine does not: commit bit, extra vendor IDs, payloads
a message may not carry (checked by the rules table), INVALID-PAYLOAD-TYPE/PAYLOAD-MALFORMED
answers, and strongSwan-style initial contact."""

import struct

from ikepair import VPN2611, Pair, seed_2611, seed_3640, start

from vpnrouter.ike.events import ChildSaUp, IkeSaUp
from vpnrouter.ike.proposals import phase1_sa_payload
from vpnrouter.wire import vendor_ids
from vpnrouter.wire.constants import ExchangeType, NotifyType
from vpnrouter.wire.header import Header
from vpnrouter.wire.message import decode_message, encode_message
from vpnrouter.wire.payloads import KePayload, NotifyPayload, Payload, VendorIdPayload

COMMIT = 0x02


def test_commit_bit_in_quick_mode_is_tolerated_and_confirmed() -> None:
    pair = Pair(seed_2611(), seed_3640())

    def set_commit(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes:
        if data[18] == ExchangeType.QUICK and len(data) > 100:  # QM1 and QM2, not QM3
            return data[:19] + bytes([data[19] | COMMIT]) + data[20:]
        return data

    pair.hook = set_commit
    start(pair)
    assert len(pair.a.of(ChildSaUp)) == 1 and len(pair.b.of(ChildSaUp)) == 1
    assert "processing NOTIFY CONNECTED" in pair.a.log_text()


def test_strongswan_style_vendor_ids_are_ignored_gracefully() -> None:
    extras = [
        vendor_ids.XAUTH,
        vendor_ids.DPD,
        vendor_ids.FRAGMENTATION + bytes.fromhex("80000000"),
        vendor_ids.STRONGSWAN,
        b"\x01\x02\x03 unknown vendor",
    ]
    pair = Pair(seed_2611(), seed_3640())

    def add_vids(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes:
        if sender != "a" or data[18] != ExchangeType.MAIN or data[19] & 1:
            return data
        message = decode_message(data)
        payloads = [*message.payloads, *(VendorIdPayload(v) for v in extras)]
        return encode_message(message.header, payloads)

    pair.hook = add_vids
    start(pair)
    assert len(pair.b.of(ChildSaUp)) == 1
    text = pair.b.log_text()
    assert "vendor ID is XAUTH" in text and "vendor ID is strongSwan" in text
    assert "vendor ID is unknown (" in text


def _mm1(payloads: list[Payload]) -> bytes:
    header = Header(b"\x11" * 8, bytes(8), ExchangeType.MAIN)
    return encode_message(header, payloads)


def _answer(pair: Pair, request: bytes) -> NotifyPayload:
    pair.b.engine.receive_datagram(request, (VPN2611, 500), 500, pair.now)
    (reply,) = pair.b.engine.datagrams_to_send(pair.now)
    message = decode_message(reply.data)
    assert message.header.exchange_type == ExchangeType.INFORMATIONAL
    (notify,) = message.payloads
    assert isinstance(notify, NotifyPayload)
    return notify


def test_rules_table_answers_invalid_payload_type_and_payload_malformed() -> None:
    pair = Pair(seed_2611(), seed_3640())
    sa = phase1_sa_payload(seed_2611().isakmp_policies)
    notify = _answer(pair, _mm1([sa, KePayload(bytes(96))]))
    assert notify.notify_type == NotifyType.INVALID_PAYLOAD_TYPE
    assert notify.data == bytes([4])  # the offending payload type
    notify = _answer(pair, _mm1([sa, sa]))
    assert notify.notify_type == NotifyType.PAYLOAD_MALFORMED
    # a retransmission gets the identical answer from the cache
    pair.b.engine.receive_datagram(_mm1([sa, sa]), (VPN2611, 500), 500, pair.now)
    (again,) = pair.b.engine.datagrams_to_send(pair.now)
    assert decode_message(again.data).payloads == (notify,)
    rows = pair.b.engine.isakmp_sas(pair.now)
    assert {r.status for r in rows} == {"FAILED"} and len(rows) == 2


def test_malformed_header_and_truncated_messages_are_counted() -> None:
    pair = Pair(seed_2611(), seed_3640())
    pair.b.engine.receive_datagram(b"\x00" * 10, (VPN2611, 500), 500, pair.now)
    bad_length = b"\x11" * 8 + bytes(8) + struct.pack("!BBBBII", 1, 0x10, 2, 0, 0, 999)
    pair.b.engine.receive_datagram(bad_length, (VPN2611, 500), 500, pair.now)
    pair.b.drain()
    assert pair.b.engine.counters["malformed"] == 2
    assert "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 172.18.124.159" in pair.b.log_text()
    assert pair.b.engine.datagrams_to_send(pair.now) == []


def test_message_for_unknown_sa_is_logged_and_dropped() -> None:
    pair = Pair(seed_2611(), seed_3640())
    stray = encode_message(Header(b"\x22" * 8, b"\x33" * 8, ExchangeType.QUICK, message_id=5), [])
    pair.b.engine.receive_datagram(stray, (VPN2611, 500), 500, pair.now)
    pair.b.drain()
    assert "%CRYPTO-4-IKMP_NO_SA" in pair.b.log_text()
    assert not pair.b.of(IkeSaUp)
