"""INVALID-SPI (RFC 2408 3.14.1, IOS "invalid SPI recovery"): ESP on an SPI we do not know
makes us tell the peer, protected, over the ISAKMP SA we have with it (rate-limited); the peer
deletes the pair whose outbound SPI that is, so that its traffic negotiates a new one."""

from ikepair import FLOW_2611, VPN2611, VPN3640, Pair, seed_2611, seed_3640

from vpnrouter.ike.events import ChildSaDown, ChildSaUp, IkeSaUp
from vpnrouter.wire.constants import ExchangeType, NotifyType, ProtocolId
from vpnrouter.wire.header import Header
from vpnrouter.wire.message import encode_message
from vpnrouter.wire.payloads import NotifyPayload


def established() -> Pair:
    pair = Pair(seed_2611(), seed_3640())
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    return pair


def informationals(pair: Pair, sender: str) -> list[bytes]:
    return [d for s, d, _, _ in pair.trace if s == sender and d[18] == ExchangeType.INFORMATIONAL]


def test_esp_on_a_pair_the_peer_lost_is_reported_and_the_pair_renegotiated() -> None:
    """vpn3640 deleted the pair but its Delete was lost: vpn2611 keeps sending on it. The ESP
    arriving on the unknown SPI makes vpn3640 send INVALID-SPI; vpn2611 deletes the pair and
    the next packet of interesting traffic negotiates a new one."""
    pair = established()
    (pair_a,) = pair.a.of(ChildSaUp)
    pair.hook = lambda sender, data, dest, sport: None if sender == "b" else data
    assert pair.b.engine.delete_child_sa(pair.now, spi=pair_a.outbound.spi) == 1
    pair.pump()
    pair.hook = None
    assert not pair.a.of(ChildSaDown)  # the Delete was lost
    # ESP from vpn2611 on its outbound SPI reaches vpn3640's data plane: UnknownSpi
    assert pair.b.engine.unknown_spi(pair_a.outbound.spi, VPN2611, None, pair.now)
    pair.pump()
    assert len(informationals(pair, "b")) == 2  # the lost Delete, then the notify
    assert "sending NOTIFY INVALID_SPI protocol 3" in pair.b.log_text()
    (down,) = pair.a.of(ChildSaDown)
    assert down.inbound_spi == pair_a.inbound.spi and down.reason == "peer reported invalid SPI"
    assert pair.a.engine.ipsec_sas(pair.now) == []
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    assert len(pair.a.of(ChildSaUp)) == 2 and len(pair.b.of(ChildSaUp)) == 2


def test_invalid_spi_notifies_are_rate_limited_and_need_an_isakmp_sa() -> None:
    pair = established()
    assert pair.b.engine.unknown_spi(0x11111111, VPN2611, None, pair.now)
    assert not pair.b.engine.unknown_spi(0x22222222, VPN2611, None, pair.now + 0.5)
    pair.pump()
    assert len(informationals(pair, "b")) == 1
    assert pair.b.engine.unknown_spi(0x22222222, VPN2611, None, pair.now + 1.0)
    # a notify naming an SPI that is none of ours changes nothing
    pair.pump()
    assert "INVALID_SPI for spi 22222222: no such SA, ignored" in pair.a.log_text()
    assert not pair.a.of(ChildSaDown) and len(pair.a.engine.ipsec_sas(pair.now)) == 1
    # no ISAKMP SA with that peer: nothing to send it over (IOS logs only)
    assert not pair.b.engine.unknown_spi(0x33333333, "192.0.2.99", None, pair.now + 5)
    pair.a.engine.delete_ike_sa(pair.now + 5)
    pair.pump()
    assert not pair.b.engine.unknown_spi(0x44444444, VPN2611, None, pair.now + 10)


def test_no_invalid_spi_for_the_spi_of_a_quick_mode_in_progress() -> None:
    """The initiator uses its new pair from QM2 on; its first ESP may overtake QM3 at the
    responder, whose data plane does not know the SPI yet. That is not an invalid SPI."""
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    limit = old.lifetime_kilobytes * 1024
    qm = []

    def hold_qm3(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes | None:
        if sender == "a" and data[18] == ExchangeType.QUICK:
            qm.append(data)
            if len(qm) == 2:
                return None  # QM3 still on its way
        return data

    pair.hook = hold_qm3
    pair.a.engine.report_traffic(old.outbound.spi, int(limit * 0.91), pair.now)
    pair.pump()
    new = pair.a.of(ChildSaUp)[-1]
    assert len(pair.b.of(ChildSaUp)) == 1  # vpn3640 waits for QM3
    assert not pair.b.engine.unknown_spi(new.outbound.spi, VPN2611, None, pair.now)
    pair.pump()
    assert informationals(pair, "b") == []


def test_an_unprotected_invalid_spi_changes_nothing() -> None:
    """DESIGN.md principle 2: anyone can send a clear-text notify with the cookies seen on
    the wire; only a protected one (HASH(1) verified) deletes the pair."""
    pair = established()
    (pair_a,) = pair.a.of(ChildSaUp)
    (ike,) = pair.a.of(IkeSaUp)
    forged = encode_message(
        Header(ike.icookie, ike.rcookie, ExchangeType.INFORMATIONAL, message_id=0x01020304),
        [
            NotifyPayload(
                NotifyType.INVALID_SPI,
                ProtocolId.IPSEC_ESP,
                pair_a.outbound.spi.to_bytes(4, "big"),
            )
        ],
    )
    pair.a.engine.receive_datagram(forged, (VPN3640, 500), 500, pair.now)
    pair.pump()
    assert "(unprotected, ignored)" in pair.a.log_text()
    assert not pair.a.of(ChildSaDown) and len(pair.a.engine.ipsec_sas(pair.now)) == 1
