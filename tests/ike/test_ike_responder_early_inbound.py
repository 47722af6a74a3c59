"""As quick mode responder we accept ESP on the new inbound SPI from QM2 on (RFC 2409 5.5:
the initiator has the keys once it has QM2 and may send before QM3 reaches us): the engine
emits ``InboundSaUp`` with QM2 and completes the pair (``ChildSaUp``, outbound included) only
when HASH(3) authenticated the initiator; without QM3 the inbound SA is taken back
(``InboundSaDown``) and was never shown as a pair.
"""

from ikepair import FLOW_2611, Hook, Pair, seed_2611, seed_3640

from vpnrouter.ike.events import ChildSaUp, Event, InboundSaDown, InboundSaUp, NegotiationFailed
from vpnrouter.wire.constants import ExchangeType

SOFT = 3240  # 90 % of the default 3600 s: the initiator (a) rekeys
RETRANSMITS_OVER = int(seed_2611().retransmit.total()) + 1  # seconds: a quick mode gave up
COMMIT = 0x02


def is_qm3(data: bytes) -> bool:
    """QM3 is the only quick mode message without SA and nonce: shorter than 100 bytes."""
    return data[18] == ExchangeType.QUICK and len(data) < 100


def drop_qm3_from_a(times: int) -> Hook:
    """Lose the initiator's first ``times`` QM3s (the responder retransmits QM2 for them)."""
    left = [times]

    def hook(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes | None:
        if sender == "a" and is_qm3(data) and left[0] > 0:
            left[0] -= 1
            return None
        return data

    return hook


def established() -> Pair:
    pair = Pair(seed_2611(), seed_3640())
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    return pair


def position(events: list[Event], kind: type[InboundSaUp | ChildSaUp], spi: int) -> int:
    for i, event in enumerate(events):
        if isinstance(event, kind) and event.inbound.spi == spi:
            return i
    raise AssertionError(f"no {kind.__name__} for spi {spi:08x}")


def test_responder_accepts_inbound_from_qm2_and_completes_the_pair_at_qm3() -> None:
    pair = Pair(seed_2611(), seed_3640())
    pair.hook = drop_qm3_from_a(1)
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    # the initiator has its pair; the responder only its inbound SA, not shown as a pair
    (a_up,) = pair.a.of(ChildSaUp)
    (early,) = pair.b.of(InboundSaUp)
    assert not pair.b.of(ChildSaUp)
    assert early.inbound == a_up.outbound  # same SPI and keys as the initiator sends with
    assert pair.b.engine.ipsec_sas(pair.now) == []
    assert (early.map_name, early.map_seq, early.lifetime_seconds) == ("mymap", 10, 3600)
    # the initiator's first packets on the new SA are not "unknown SPI": no INVALID-SPI
    assert not pair.b.engine.unknown_spi(early.inbound.spi, pair.a.addr, None, pair.now)
    pair.advance(3)  # QM2 retransmitted, QM3 sent again and now delivered
    (b_up,) = pair.b.of(ChildSaUp)
    assert b_up.inbound == early.inbound and b_up.outbound == a_up.inbound
    assert position(pair.b.events, InboundSaUp, early.inbound.spi) < position(
        pair.b.events, ChildSaUp, early.inbound.spi
    )
    (row,) = pair.b.engine.ipsec_sas(pair.now)
    assert row.inbound_spi == early.inbound.spi and row.state == "ACTIVE"
    assert not pair.b.of(InboundSaDown) and not pair.b.of(NegotiationFailed)


def test_initiator_emits_no_early_inbound_event() -> None:
    pair = established()
    assert not pair.a.of(InboundSaUp)
    (early,) = pair.b.of(InboundSaUp)
    (up,) = pair.b.of(ChildSaUp)
    assert early.inbound == up.inbound


def test_without_qm3_the_early_inbound_sa_is_withdrawn_and_never_a_pair() -> None:
    pair = Pair(seed_2611(), seed_3640())
    pair.hook = drop_qm3_from_a(100)
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    (early,) = pair.b.of(InboundSaUp)
    for _ in range(RETRANSMITS_OVER):
        pair.advance(1)
        assert pair.b.engine.ipsec_sas(pair.now) == []
    (gone,) = pair.b.of(InboundSaDown)
    assert gone.inbound_spi == early.inbound.spi
    assert gone.reason == "Death by retransmission P2"
    assert not pair.b.of(ChildSaUp)
    (failed,) = pair.b.of(NegotiationFailed)
    assert failed.phase == 2
    assert "retransmitting phase 2 QM_IDLE" in pair.b.log_text()


def test_rekey_answered_shows_only_the_old_pair_until_qm3() -> None:
    pair = established()
    (old_b,) = pair.b.of(ChildSaUp)
    pair.hook = drop_qm3_from_a(1)
    pair.advance(SOFT + 1)
    new_a = pair.a.of(ChildSaUp)[1]  # the initiator switched to the new pair
    early = pair.b.of(InboundSaUp)[1]
    assert early.inbound == new_a.outbound
    assert len(pair.b.of(ChildSaUp)) == 1
    rows = pair.b.engine.ipsec_sas(pair.now)
    assert [(r.inbound_spi, r.state) for r in rows] == [(old_b.inbound.spi, "ACTIVE")]
    pair.advance(3)
    new_b = pair.b.of(ChildSaUp)[1]
    assert new_b.inbound == early.inbound
    assert new_b.replaces == (old_b.inbound.spi, old_b.outbound.spi)
    states = {r.inbound_spi: r.state for r in pair.b.engine.ipsec_sas(pair.now)}
    assert states == {old_b.inbound.spi: "REKEYED", new_b.inbound.spi: "ACTIVE"}
    assert not pair.b.of(InboundSaDown)


def test_commit_bit_still_confirmed_after_qm3_with_the_early_inbound_sa() -> None:
    pair = Pair(seed_2611(), seed_3640())

    def set_commit(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes:
        if data[18] == ExchangeType.QUICK and len(data) > 100:  # QM1 and QM2, not QM3
            return data[:19] + bytes([data[19] | COMMIT]) + data[20:]
        return data

    pair.hook = set_commit
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    (early,) = pair.b.of(InboundSaUp)
    (up,) = pair.b.of(ChildSaUp)
    assert early.inbound == up.inbound
    assert "processing NOTIFY CONNECTED" in pair.a.log_text()
