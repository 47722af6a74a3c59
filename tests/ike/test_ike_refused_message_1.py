"""An error notify answering our message 1 ends the negotiation at once (IOS, strongSwan):
before any keys exist nothing can be authenticated, so an unprotected error notify for our
initiator cookie is honoured while we still wait for message 2 (MM_NO_STATE, AG_NO_STATE).
In any later state an unprotected notify changes nothing (DESIGN.md principle 2)."""

from dataclasses import replace

import pytest
from ikepair import VPN3640, Pair, seed_2611, seed_3640, start
from ranet import add_client, connect, seed_net

from vpnrouter.ike.events import IkeSaUp, NegotiationFailed
from vpnrouter.ike.policy import AUTH_PRE_SHARE, ENCR_AES, HASH_SHA256, IsakmpPolicy
from vpnrouter.ike.sa import ZERO_COOKIE
from vpnrouter.wire.constants import ExchangeType, NotifyType, ProtocolId
from vpnrouter.wire.header import Header, decode_header
from vpnrouter.wire.message import encode_message
from vpnrouter.wire.payloads import NotifyPayload

MODERN = IsakmpPolicy(
    5, encryption=ENCR_AES, key_length=256, hash=HASH_SHA256, auth=AUTH_PRE_SHARE, group=14
)
REFUSED = 'deleting SA reason "Informational (in) state 1" state (I) MM_NO_STATE'


def sent_by(pair: Pair, sender: str) -> list[bytes]:
    return [d for s, d, _, _ in pair.trace if s == sender]


def test_no_proposal_chosen_for_main_mode_1_ends_the_sa_at_once() -> None:
    # vpn3640 only has AES-256/SHA-256/group 14: it refuses both of vpn2611's policies
    pair = Pair(seed_2611(), replace(seed_3640(), isakmp_policies=(MODERN,)))
    start(pair)
    assert "sending NOTIFY NO_PROPOSAL_CHOSEN protocol 1 (unprotected)" in pair.b.log_text()
    log = pair.a.log_text()
    assert (
        "ISAKMP (0:1): processing NOTIFY NO_PROPOSAL_CHOSEN protocol 1 spi 0, message ID = 0" in log
    )
    assert REFUSED in log
    assert "(unprotected, ignored)" not in log
    (failed,) = pair.a.of(NegotiationFailed)
    assert (failed.phase, failed.notify) == (1, NotifyType.NO_PROPOSAL_CHOSEN)
    assert failed.reason == "Informational (in) state 1"
    entry = pair.a.engine.policy.crypto_maps[0]
    assert (failed.map_name, failed.map_seq) == (entry.map_name, entry.seq)
    (row,) = pair.a.engine.isakmp_sas(pair.now)
    assert (row.status, row.state, row.initiator) == ("FAILED", "MM_NO_STATE", True)
    assert row.peer_notify == "NO_PROPOSAL_CHOSEN" and row.failure == "Informational (in) state 1"
    assert row.offered == (3, 10)
    # nothing more goes out: message 1 was sent once, and the failed SA lingers for show
    pair.advance(120)
    assert len(sent_by(pair, "a")) == 1 and "retransmits" not in pair.a.engine.counters
    (row,) = pair.a.engine.isakmp_sas(pair.now)
    assert row.status == "FAILED"


def test_a_lost_refusal_is_repeated_from_the_cache_for_the_retransmitted_message_1() -> None:
    pair = Pair(seed_2611(), replace(seed_3640(), isakmp_policies=(MODERN,)))
    lost: list[bytes] = []

    def lose_the_first_answer(sender: str, data: bytes, dest: object, sport: int) -> bytes | None:
        if sender == "b" and not lost:
            lost.append(data)
            return None
        return data

    pair.hook = lose_the_first_answer
    start(pair)
    assert not pair.a.of(NegotiationFailed)  # still waiting: it retransmits message 1
    pair.advance(5)
    (failed,) = pair.a.of(NegotiationFailed)
    assert failed.notify == NotifyType.NO_PROPOSAL_CHOSEN
    mm1 = sent_by(pair, "a")
    assert len(mm1) == 2 and len(set(mm1)) == 1
    answers = sent_by(pair, "b")
    assert len(answers) == 2 and len(set(answers)) == 1
    assert pair.b.engine.counters["duplicates"] == 1
    pair.advance(120)
    assert len(sent_by(pair, "a")) == 2


def forged(icookie: bytes, rcookie: bytes, notify: NotifyPayload) -> bytes:
    header = Header(icookie, rcookie, ExchangeType.INFORMATIONAL, message_id=0x5EED)
    return encode_message(header, [notify])


def silent_peer_pair() -> tuple[Pair, bytes]:
    """vpn2611 has sent main mode 1; vpn3640 hears nothing. Returns our initiator cookie."""
    pair = Pair(seed_2611(), seed_3640())
    pair.hook = lambda sender, data, dest, sport: None
    start(pair)
    (mm1,) = sent_by(pair, "a")
    return pair, decode_header(mm1).icookie


OTHER_COOKIE = bytes(range(1, 9))


@pytest.mark.parametrize(
    ("rcookie", "spi"),
    [(ZERO_COOKIE, b""), (OTHER_COOKIE, b""), (OTHER_COOKIE, None)],
    ids=["zero-rcookie-no-spi", "peer-rcookie-no-spi", "peer-rcookie-cookie-pair-spi"],
)
def test_an_error_notify_for_our_cookie_is_honoured_in_mm_no_state(
    rcookie: bytes, spi: bytes | None
) -> None:
    pair, icookie = silent_peer_pair()
    spi = icookie + rcookie if spi is None else spi
    notify = NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN, ProtocolId.ISAKMP, spi)
    pair.a.engine.receive_datagram(forged(icookie, rcookie, notify), (VPN3640, 500), 500, pair.now)
    pair.a.drain()
    assert "message ID = 24301" in pair.a.log_text() and REFUSED in pair.a.log_text()
    (row,) = pair.a.engine.isakmp_sas(pair.now)
    assert row.status == "FAILED"


@pytest.mark.parametrize(
    "notify",
    [
        # a status notify, not an error (RFC 2408 3.14.1: 16384 and up)
        NotifyPayload(NotifyType.INITIAL_CONTACT, ProtocolId.ISAKMP, b""),
        # an error about an IPsec SA, not about this ISAKMP SA
        NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN, ProtocolId.IPSEC_ESP, b"\x00\x00\x01\x00"),
        # an error naming somebody else's cookies
        NotifyPayload(NotifyType.NO_PROPOSAL_CHOSEN, ProtocolId.ISAKMP, OTHER_COOKIE * 2),
    ],
    ids=["status-type", "esp-protocol", "other-cookie-spi"],
)
def test_other_unprotected_notifies_in_mm_no_state_change_nothing(notify: NotifyPayload) -> None:
    pair, icookie = silent_peer_pair()
    datagram = forged(icookie, ZERO_COOKIE, notify)
    pair.a.engine.receive_datagram(datagram, (VPN3640, 500), 500, pair.now)
    pair.a.drain()
    assert "(unprotected, ignored)" in pair.a.log_text()
    assert not pair.a.of(NegotiationFailed)
    (row,) = pair.a.engine.isakmp_sas(pair.now)
    assert (row.status, row.state) == ("ACTIVE", "MM_NO_STATE")


def test_a_spoofed_no_proposal_chosen_after_main_mode_2_changes_nothing() -> None:
    """Once the responder has answered, its cookie is known and we are in MM_SA_SETUP: an
    unprotected NO-PROPOSAL-CHOSEN with the right cookies (anyone on the path sees them) is
    logged and ignored; the main mode goes on and completes."""
    pair = Pair(seed_2611(), seed_3640())
    held: list[bytes] = []

    def hold_main_mode_3(sender: str, data: bytes, dest: object, sport: int) -> bytes | None:
        if sender == "a" and len(sent_by(pair, "a")) == 2:
            held.append(data)
            return None
        return data

    pair.hook = hold_main_mode_3
    start(pair)
    assert held
    (row,) = pair.a.engine.isakmp_sas(pair.now)
    assert row.state == "MM_SA_SETUP"
    header = decode_header(held[0])
    notify = NotifyPayload(
        NotifyType.NO_PROPOSAL_CHOSEN, ProtocolId.ISAKMP, header.icookie + header.rcookie
    )
    spoofed = forged(header.icookie, header.rcookie, notify)
    pair.a.engine.receive_datagram(spoofed, (VPN3640, 500), 500, pair.now)
    pair.a.drain()
    assert (
        "processing NOTIFY NO_PROPOSAL_CHOSEN protocol 1 from 172.18.124.199 (unprotected,"
        " ignored)" in pair.a.log_text()
    )
    assert REFUSED not in pair.a.log_text() and not pair.a.of(NegotiationFailed)
    pair.hook = None
    pair.advance(5)  # main mode 3 is retransmitted and the exchange completes
    assert pair.a.of(IkeSaUp) and pair.b.of(IkeSaUp)
    assert not pair.a.of(NegotiationFailed)


def test_a_refused_aggressive_mode_1_ends_the_client_at_once() -> None:
    """The gateway does not know the client's group: INVALID-ID-INFORMATION, in the clear,
    for aggressive mode 1; the client ends in AG_NO_STATE without retransmitting."""
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, group="nosuchgroup")
    (failed,) = client.of(NegotiationFailed)
    assert (failed.phase, failed.notify) == (1, NotifyType.INVALID_ID_INFORMATION)
    assert 'reason "Informational (in) state 1" state (I) AG_NO_STATE' in client.log_text()
    (row,) = client.engine.isakmp_sas(net.now)
    assert (row.status, row.state) == ("FAILED", "AG_NO_STATE")
    net.advance(120)
    assert len([d for s, d, _, _ in net.trace if s == "c1"]) == 1
