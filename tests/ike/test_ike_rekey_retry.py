"""A rekey we started that fails (error notify, no answer, its phase 1 failed) is tried
again with a new quick mode (new message ID) after a bounded back-off while the old pair
still has lifetime left and is still the current one (:mod:`vpnrouter.ike.rekey_retry`).
"""

from dataclasses import replace

from ikepair import FLOW_2611, MYSET, Pair, seed_2611, seed_3640

from vpnrouter.ike import rekey_retry
from vpnrouter.ike.events import ChildSaDown, ChildSaUp, InboundSaDown, NegotiationFailed
from vpnrouter.ike.policy import ESP_AES, ESP_AUTH_SHA, IkePolicy, TransformSet
from vpnrouter.wire.constants import ExchangeType, NotifyType

SOFT = 3240  # 90 % of the default 3600 s: the initiator (a) rekeys
RETRANSMITS_OVER = int(seed_2611().retransmit.total()) + 1  # seconds: a quick mode gave up


def is_qm1(data: bytes) -> bool:
    return data[18] == ExchangeType.QUICK and len(data) >= 100 and data[19] & 1


def established() -> Pair:
    pair = Pair(seed_2611(), seed_3640())
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    return pair


AES_ONLY = TransformSet("aesonly", ESP_AES, 128, esp_auth=ESP_AUTH_SHA, ios_names="esp-aes")


def refusing(policy: IkePolicy) -> IkePolicy:
    """The same policy with a transform set the peer (3DES/MD5 only) cannot accept."""
    (entry,) = policy.crypto_maps
    return replace(policy, crypto_maps=(replace(entry, transform_sets=(AES_ONLY,)),))


def quick_modes_started(log: str) -> int:
    return log.count("beginning Quick Mode exchange")


def test_rekey_refused_by_an_error_notify_is_retried_and_succeeds() -> None:
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    pair.b.engine.update_policy(refusing(seed_3640()))
    pair.advance(SOFT + 1)
    (failed,) = pair.a.of(NegotiationFailed)
    assert failed.notify == NotifyType.NO_PROPOSAL_CHOSEN
    assert len(pair.a.of(ChildSaUp)) == 1
    text = pair.a.log_text()
    assert f"rekey of spi 0x{old.inbound.spi:08X} with {pair.b.addr} failed" in text
    assert "retrying in 2 s (attempt 2 of 5)" in text
    pair.b.engine.update_policy(seed_3640())  # the peer accepts again
    pair.advance(rekey_retry.RETRY_FIRST)
    assert quick_modes_started(pair.a.log_text()) == 3  # first SA, refused rekey, retry
    new_a, new_b = pair.a.of(ChildSaUp)[1], pair.b.of(ChildSaUp)[1]
    assert new_a.replaces == (old.inbound.spi, old.outbound.spi)
    assert new_a.inbound == new_b.outbound and new_a.outbound == new_b.inbound
    states = {r.inbound_spi: r.state for r in pair.a.engine.ipsec_sas(pair.now)}
    assert states == {old.inbound.spi: "REKEYED", new_a.inbound.spi: "ACTIVE"}
    # no further attempts, and the old pair ends at its lifetime, after its successor was up
    pair.advance(400)
    assert quick_modes_started(pair.a.log_text()) == 3
    assert [d.inbound_spi for d in pair.a.of(ChildSaDown)] == [old.inbound.spi]


def test_rekey_without_an_answer_is_retried_with_a_new_message_id() -> None:
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    lost: list[bytes] = []

    def lose_rekey_qm1(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes | None:
        if sender == "a" and is_qm1(data) and (not lost or data[20:24] == lost[0][20:24]):
            lost.append(data)
            return None
        return data

    pair.hook = lose_rekey_qm1
    pair.advance(SOFT + RETRANSMITS_OVER)
    (failed,) = pair.a.of(NegotiationFailed)
    assert failed.reason == "Death by retransmission P2"
    assert len(lost) == 6  # QM1 and its 5 retransmissions, all with one message ID
    pair.advance(rekey_retry.RETRY_FIRST)
    new_a, new_b = pair.a.of(ChildSaUp)[1], pair.b.of(ChildSaUp)[1]
    assert new_a.replaces == (old.inbound.spi, old.outbound.spi)
    assert new_a.inbound == new_b.outbound
    assert not pair.b.of(InboundSaDown)
    assert pair.a.log_text().count("IPSEC(sa_request): rekeying SA") == 2


def test_rekey_retries_back_off_and_are_bounded() -> None:
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    pair.b.engine.update_policy(refusing(seed_3640()))
    pair.advance(SOFT)  # the rekey starts and is refused at once
    delays = [rekey_retry.RETRY_FIRST * 2**n for n in range(rekey_retry.MAX_RETRIES)]
    for delay in delays:
        assert f"retrying in {delay:g} s" in pair.a.log_text()
        before = quick_modes_started(pair.a.log_text())
        pair.advance(delay - 0.5)
        assert quick_modes_started(pair.a.log_text()) == before  # not early
        pair.advance(0.5)
        assert quick_modes_started(pair.a.log_text()) == before + 1
    attempts = 1 + rekey_retry.MAX_RETRIES
    assert len(pair.a.of(NegotiationFailed)) == attempts
    assert "no more attempts, the SA ends in" in pair.a.log_text()
    # nothing more from us; the pair stays current (the peer's own rekey, due at 95 % of
    # the lifetime, may still replace it)
    pair.advance(3419 - pair.now)
    assert quick_modes_started(pair.a.log_text()) == 1 + attempts
    (row,) = pair.a.engine.ipsec_sas(pair.now)
    assert (row.inbound_spi, row.state) == (old.inbound.spi, "ACTIVE")


def test_no_retry_when_the_peer_replaced_the_pair_meanwhile() -> None:
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    pair.b.engine.update_policy(refusing(seed_3640()))
    pair.advance(SOFT + 1)
    assert len(pair.a.of(NegotiationFailed)) == 1
    # before our retry is due, the peer (again accepting) rekeys the pair itself
    pair.b.engine.update_policy(seed_3640())
    pair.b.engine.sa_lifetime_reached(old.outbound.spi, False, pair.now)
    pair.pump()
    assert len(pair.a.of(ChildSaUp)) == 2 and not pair.a.of(ChildSaUp)[1].initiator
    pair.advance(rekey_retry.RETRY_FIRST + 1)
    assert quick_modes_started(pair.a.log_text()) == 2  # first SA, the refused rekey
    assert len(pair.a.of(ChildSaUp)) == 2


def test_rekey_retry_uses_myset_again() -> None:
    """The retried quick mode offers the crypto map entry's transform sets as before."""
    pair = established()
    pair.b.engine.update_policy(refusing(seed_3640()))
    pair.advance(SOFT + 1)
    pair.b.engine.update_policy(seed_3640())
    pair.advance(rekey_retry.RETRY_FIRST)
    new_a = pair.a.of(ChildSaUp)[1]
    assert new_a.transform_names == MYSET.display()


def test_rekey_whose_phase_1_failed_is_retried() -> None:
    """No ISAKMP SA left when the pair is due: the rekey needs main mode first; when that
    phase 1 dies by retransmission, the rekey is still tried again."""
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    assert pair.a.engine.delete_ike_sa(pair.now) == 1  # clear crypto isakmp: pairs stay
    pair.pump()
    silent = [True]

    def peer_silent(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes | None:
        return None if silent[0] and sender == "b" else data

    pair.hook = peer_silent
    pair.advance(SOFT + RETRANSMITS_OVER)
    (failed,) = pair.a.of(NegotiationFailed)
    assert failed.phase == 1 and failed.reason == "Death by retransmission P1"
    assert "failed (phase 1: Death by retransmission P1); retrying in 2 s" in pair.a.log_text()
    silent[0] = False
    pair.advance(rekey_retry.RETRY_FIRST)
    new_a, new_b = pair.a.of(ChildSaUp)[1], pair.b.of(ChildSaUp)[1]
    assert new_a.replaces == (old.inbound.spi, old.outbound.spi)
    assert new_a.inbound == new_b.outbound
    assert pair.a.log_text().count("beginning Main Mode") == 3  # first, failed, retried
