"""Rekeying before expiry: phase 2 by time and by volume, phase 1 by time; the new SAs are
installed before the old ones go."""

from dataclasses import replace

from ikepair import FLOW_2611, Node, Pair, seed_2611, seed_3640

from vpnrouter.ike.events import ChildSaDown, ChildSaUp, Event, IkeSaDown, IkeSaUp
from vpnrouter.ike.policy import IkePolicy
from vpnrouter.wire.constants import ExchangeType


def established(policy_a: IkePolicy | None = None, policy_b: IkePolicy | None = None) -> Pair:
    pair = Pair(policy_a or seed_2611(), policy_b or seed_3640())
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    return pair


def index(events: list[Event], wanted: Event) -> int:
    return next(i for i, e in enumerate(events) if e == wanted)


def test_phase2_rekeyed_by_time_before_it_expires() -> None:
    pair = established()
    (old_a,) = pair.a.of(ChildSaUp)
    pair.advance(3239)
    assert len(pair.a.of(ChildSaUp)) == 1
    pair.advance(2)  # 90% of 3600 s
    new_a = pair.a.of(ChildSaUp)[1]
    new_b = pair.b.of(ChildSaUp)[1]
    assert new_a.inbound == new_b.outbound and new_a.inbound != old_a.inbound
    assert new_a.replaces == (old_a.inbound.spi, old_a.outbound.spi)
    assert new_b.replaces == (old_a.outbound.spi, old_a.inbound.spi)
    assert len(pair.a.engine.ipsec_sas(pair.now)) == 2  # old still valid until it expires
    assert {r.state for r in pair.a.engine.ipsec_sas(pair.now)} == {"ACTIVE", "REKEYED"}
    pair.advance(400)  # past 3600 s
    (down_a,) = pair.a.of(ChildSaDown)
    (down_b,) = pair.b.of(ChildSaDown)
    assert down_a.inbound_spi == old_a.inbound.spi and down_b.outbound_spi == old_a.inbound.spi
    assert index(pair.a.events, new_a) < index(pair.a.events, down_a)
    # the responder did not rekey the superseded pair a second time
    assert len(pair.b.of(ChildSaUp)) == 2 and len(pair.a.of(ChildSaUp)) == 2
    ((row_a,), (row_b,)) = pair.a.engine.ipsec_sas(pair.now), pair.b.engine.ipsec_sas(pair.now)
    assert row_a.inbound_spi == new_a.inbound.spi and row_b.inbound_spi == new_b.inbound.spi


def test_phase2_rekeyed_by_volume_and_removed_at_the_hard_limit() -> None:
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    limit = old.lifetime_kilobytes * 1024
    pair.a.engine.report_traffic(old.outbound.spi, int(limit * 0.5), pair.now)
    pair.pump()
    assert len(pair.a.of(ChildSaUp)) == 1
    pair.a.engine.report_traffic(old.outbound.spi, int(limit * 0.91), pair.now)
    pair.pump()
    new = pair.a.of(ChildSaUp)[1]
    assert new.replaces == (old.inbound.spi, old.outbound.spi)
    pair.a.engine.report_traffic(old.inbound.spi, limit, pair.now)
    pair.pump()
    (down_a,) = pair.a.of(ChildSaDown)
    assert down_a.reason == "volume lifetime expired"
    (down_b,) = pair.b.of(ChildSaDown)
    assert down_b.reason == "deleted by peer" and down_b.outbound_spi == old.inbound.spi
    assert len(pair.b.engine.ipsec_sas(pair.now)) == 1


def test_phase1_rekeyed_before_expiry_and_the_old_one_deleted() -> None:
    short_a = replace(
        seed_2611(),
        isakmp_policies=tuple(replace(p, lifetime=1000) for p in seed_2611().isakmp_policies),
    )
    short_b = replace(
        seed_3640(),
        isakmp_policies=tuple(replace(p, lifetime=1000) for p in seed_3640().isakmp_policies),
    )
    pair = established(short_a, short_b)
    pair.advance(901)
    up_a = pair.a.of(IkeSaUp)
    assert len(up_a) == 2 and up_a[1].replaces == up_a[0].conn_id
    (down_b,) = pair.b.of(IkeSaDown)
    assert down_b.reason == "Receive delete from peer"
    (down_a,) = pair.a.of(IkeSaDown)
    assert down_a.reason == "rekeyed"
    assert not pair.a.of(ChildSaDown) and not pair.b.of(ChildSaDown)
    rows = {r.conn_id: r.status for r in pair.a.engine.isakmp_sas(pair.now)}
    assert rows == {1: "DELETED", 2: "ACTIVE"}
    # the new ISAKMP SA carries the next quick mode
    pair.a.engine.delete_child_sa(pair.now)
    pair.pump()
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    assert pair.a.of(ChildSaUp)[-1].ike_conn_id == 2


def test_responder_lifetime_notify_lowers_the_initiators_lifetime() -> None:
    policy_b = replace(seed_3640(), ipsec_lifetime_seconds=1200, ipsec_lifetime_kilobytes=10000)
    pair = established(None, policy_b)
    (a,) = pair.a.of(ChildSaUp)
    (b,) = pair.b.of(ChildSaUp)
    assert (a.lifetime_seconds, a.lifetime_kilobytes) == (1200, 10000)
    assert (b.lifetime_seconds, b.lifetime_kilobytes) == (1200, 10000)
    assert "processing NOTIFY" not in pair.a.log_text()  # carried in QM2, not informational


def test_lower_initiator_lifetime_is_taken_by_the_responder() -> None:
    entry = replace(seed_2611().crypto_maps[0], lifetime_seconds=900)
    policy_a = replace(seed_2611(), crypto_maps=(entry, seed_2611().crypto_maps[1]))
    pair = established(policy_a)
    (b,) = pair.b.of(ChildSaUp)
    assert b.lifetime_seconds == 900


def test_data_plane_lifetime_signals() -> None:
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    pair.a.engine.sa_lifetime_reached(12345, False, pair.now)  # unknown SPI: ignored
    pair.a.engine.sa_lifetime_reached(old.inbound.spi, False, pair.now)
    pair.pump()
    assert pair.a.of(ChildSaUp)[1].replaces == (old.inbound.spi, old.outbound.spi)
    pair.a.engine.sa_lifetime_reached(old.outbound.spi, True, pair.now)
    pair.pump()
    assert [d.inbound_spi for d in pair.a.of(ChildSaDown)] == [old.inbound.spi]
    assert [d.outbound_spi for d in pair.b.of(ChildSaDown)] == [old.inbound.spi]


def test_responder_with_the_shorter_lifetime_rekeys_phase1_itself() -> None:
    short_b = replace(
        seed_3640(),
        isakmp_policies=tuple(replace(p, lifetime=1000) for p in seed_3640().isakmp_policies),
    )
    pair = established(None, short_b)
    assert pair.a.of(IkeSaUp)[0].algorithms.lifetime == 86400
    assert pair.b.of(IkeSaUp)[0].algorithms.lifetime == 1000
    pair.advance(951)  # 95% of the responder's 1000 s
    up_b = pair.b.of(IkeSaUp)
    assert len(up_b) == 2 and up_b[1].initiator and up_b[1].replaces == up_b[0].conn_id
    assert pair.a.of(IkeSaDown)[0].reason == "Receive delete from peer"
    assert [r.status for r in pair.a.engine.isakmp_sas(pair.now)] == ["DELETED", "ACTIVE"]
    assert not pair.a.of(ChildSaDown)


def test_dynamic_entry_pairs_are_not_rekeyed_without_an_isakmp_sa() -> None:
    """vpn2611 answered on its dynamic map entry; when the ISAKMP SA is gone it waits for the
    peer instead of initiating (IOS cannot initiate on a dynamic crypto map)."""
    from ikepair import FLOW_3640

    from vpnrouter.ike.policy import CryptoMapEntry

    dynamic_only = replace(
        seed_2611(),
        crypto_maps=tuple(e for e in seed_2611().crypto_maps if e.dynamic),
    )
    pair = Pair(dynamic_only, seed_3640())
    entry: CryptoMapEntry = pair.b.engine.policy.crypto_maps[0]
    assert pair.b.engine.initiate(entry, FLOW_3640, pair.now)
    pair.pump()
    (a_child,) = pair.a.of(ChildSaUp)
    assert a_child.map_seq == 10
    pair.a.engine.delete_ike_sa(pair.now)
    pair.b.engine.delete_ike_sa(pair.now)
    pair.pump()
    pair.a.engine.sa_lifetime_reached(a_child.inbound.spi, False, pair.now)
    pair.pump()
    assert len(pair.a.of(IkeSaUp)) == 1 and len(pair.a.of(ChildSaUp)) == 1
    assert "dynamic map entry: not initiating" in pair.a.log_text()


def active(pair: Pair) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(inbound, outbound) SPIs of each side's ACTIVE pairs."""
    return tuple(  # type: ignore[return-value]
        [
            (r.inbound_spi, r.outbound_spi)
            for r in n.engine.ipsec_sas(pair.now)
            if r.state == "ACTIVE"
        ]
        for n in (pair.a, pair.b)
    )


def current(node: Node) -> tuple[int, int]:
    """The pair a side's data plane sends on: the newest one installed and not removed."""
    gone = {d.inbound_spi for d in node.of(ChildSaDown)}
    up = [e for e in node.of(ChildSaUp) if e.inbound.spi not in gone]
    return (up[-1].inbound.spi, up[-1].outbound.spi)


def collide(pair: Pair) -> ChildSaUp:
    """Both sides count the same bytes and reach the soft volume limit of the first pair at
    the same moment: each rekeys it, the two quick modes cross, two new pairs come up."""
    (old,) = pair.a.of(ChildSaUp)
    limit = old.lifetime_kilobytes * 1024
    pair.a.engine.report_traffic(old.outbound.spi, int(limit * 0.91), pair.now)
    pair.b.engine.report_traffic(old.inbound.spi, int(limit * 0.91), pair.now)
    pair.pump()
    assert len(pair.a.of(ChildSaUp)) == len(pair.b.of(ChildSaUp)) == 3
    return old


def test_simultaneous_rekey_keeps_one_active_pair_on_each_side() -> None:
    """After the collision each side has exactly one ACTIVE pair: the one its data plane
    sends on (installed last), which is the one it rekeys at the soft limit. When the peer
    ends that pair (for the peer it was the superseded one, and it reached its hard limit
    there) the other new pair is ACTIVE again: never only REKEYED pairs left, which nobody
    rekeys and which run out with traffic on them."""
    pair = established()
    old = collide(pair)
    limit = old.lifetime_kilobytes * 1024
    ([mine], [theirs]) = active(pair)
    assert mine == current(pair.a) and theirs == current(pair.b)
    assert theirs != (mine[1], mine[0])  # each side sends on the pair the other initiated
    # for b the pair a sends on is a superseded one: b ends it at its hard limit
    pair.b.engine.report_traffic(mine[1], limit, pair.now)
    pair.pump()
    assert pair.a.of(ChildSaDown)[-1].inbound_spi == mine[0]
    ([survivor], [theirs_now]) = active(pair)
    assert survivor == (theirs[1], theirs[0]) and theirs_now == theirs
    assert "is the current SA again" in pair.a.log_text()
    # the survivor carries a's traffic and is rekeyed at its soft limit
    pair.a.engine.report_traffic(survivor[1], int(limit * 0.91), pair.now)
    pair.pump()
    newest = pair.a.of(ChildSaUp)[-1]
    assert newest.replaces == survivor
    assert active(pair)[0] == [(newest.inbound.spi, newest.outbound.spi)]


def test_simultaneous_soft_lifetime_signals_from_both_data_planes() -> None:
    """The data planes' soft-limit signals (either SPI of the pair) arrive at once on both
    sides: the same collision, one ACTIVE pair on each side, the one it sends on."""
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    pair.a.engine.sa_lifetime_reached(old.outbound.spi, False, pair.now)
    pair.b.engine.sa_lifetime_reached(old.outbound.spi, False, pair.now)
    pair.pump()
    assert active(pair) == ([current(pair.a)], [current(pair.b)])
    assert (old.inbound.spi, old.outbound.spi) not in active(pair)[0]


def test_crossing_quick_modes_installed_in_either_order_leave_one_active_pair() -> None:
    """Our own rekey's answer may come after the peer's quick mode finished: the pair it
    installs then supersedes the peer's one too (before, both stayed ACTIVE)."""
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    limit = old.lifetime_kilobytes * 1024
    lost: list[bytes] = []

    def lose_first_quick_mode_answer(
        sender: str, data: bytes, dest: tuple[str, int], sport: int
    ) -> bytes | None:
        if sender == "b" and data[18] == ExchangeType.QUICK and not lost:
            lost.append(data)
            return None
        return data

    pair.hook = lose_first_quick_mode_answer
    pair.a.engine.report_traffic(old.outbound.spi, int(limit * 0.91), pair.now)
    pair.pump()  # a's QM1 answered, the answer lost
    pair.b.engine.report_traffic(old.inbound.spi, int(limit * 0.91), pair.now)
    pair.pump()  # b's quick mode completes first
    assert len(pair.a.of(ChildSaUp)) == 2
    pair.advance(3)  # a retransmits, b answers again: a's own pair comes up last
    assert len(pair.a.of(ChildSaUp)) == len(pair.b.of(ChildSaUp)) == 3
    assert pair.a.of(ChildSaUp)[-1].replaces == (old.inbound.spi, old.outbound.spi)
    assert active(pair) == ([current(pair.a)], [current(pair.b)])


def test_the_newest_surviving_pair_becomes_active_when_the_active_one_is_deleted() -> None:
    """A peer may delete the pair we consider current (e.g. it could not install it) while
    an older one still runs: that one must be ACTIVE again, and rekeyed when it is due,
    rather than left REKEYED until it expires with traffic on it."""
    pair = established()
    (old,) = pair.a.of(ChildSaUp)
    pair.advance(3241)  # the initiator (a) rekeys at 90 %
    new = pair.a.of(ChildSaUp)[1]
    assert active(pair)[0] == [(new.inbound.spi, new.outbound.spi)]
    pair.b.engine.delete_child_sa(pair.now, spi=new.outbound.spi)
    pair.pump()
    assert active(pair) == (
        [(old.inbound.spi, old.outbound.spi)],
        [(old.outbound.spi, old.inbound.spi)],
    )
    pair.advance(1)  # past its soft lifetime already: rekeyed at once
    latest = pair.a.of(ChildSaUp)[-1]
    assert latest.replaces == (old.inbound.spi, old.outbound.spi) and latest != new
    ([mine], [theirs]) = active(pair)
    assert mine == (latest.inbound.spi, latest.outbound.spi) == (theirs[1], theirs[0])
    pair.advance(400)  # the old pair expires; traffic stays on the new one
    assert active(pair) == ([mine], [theirs])


def test_a_pair_that_ends_before_its_successor_hands_back_to_the_previous_one() -> None:
    """The current pair reached its hard limit while its rekey was still under way: the
    previous pair (still valid, REKEYED) carries the traffic again, and the quick mode in
    flight replaces it; no second rekey is started for it."""
    pair = established()
    (first,) = pair.a.of(ChildSaUp)
    limit = first.lifetime_kilobytes * 1024
    pair.a.engine.report_traffic(first.outbound.spi, int(limit * 0.91), pair.now)
    pair.pump()
    second = pair.a.of(ChildSaUp)[1]

    def lose_quick_mode(
        sender: str, data: bytes, dest: tuple[str, int], sport: int
    ) -> bytes | None:
        return None if sender == "a" and data[18] == ExchangeType.QUICK else data

    pair.hook = lose_quick_mode
    pair.a.engine.report_traffic(second.outbound.spi, int(limit * 0.91), pair.now)
    pair.pump()
    pair.hook = None
    pair.a.engine.sa_lifetime_reached(second.outbound.spi, True, pair.now)
    pair.pump()
    assert active(pair)[0] == [(first.inbound.spi, first.outbound.spi)]
    pair.a.engine.report_traffic(first.outbound.spi, int(limit * 0.95), pair.now)  # in use
    pair.pump()
    assert pair.a.log_text().count("rekeying SA") == 2  # the first's rekey, the second's
    pair.advance(3)  # the lost quick mode is retransmitted
    third = pair.a.of(ChildSaUp)[-1]
    assert len(pair.a.of(ChildSaUp)) == 3 and third.replaces == (
        first.inbound.spi,
        first.outbound.spi,
    )
    assert pair.a.log_text().count("rekeying SA") == 2
    ([mine], [theirs]) = active(pair)
    assert mine == (third.inbound.spi, third.outbound.spi) == (theirs[1], theirs[0])


def test_superseded_pairs_are_deleted_once_the_peer_sends_on_a_newer_one() -> None:
    """After a rekey the old pairs are no longer used once the peer sends on the new one;
    all but the latest of them are deleted then (with a Delete) instead of lingering until
    their own end: rekeyed well before their volume runs out, the pairs of a short kilobyte
    lifetime at a high rate would otherwise pile up by the thousand. The latest stays as the
    fallback if the new one runs out before its successor is up. Traffic seen at one report
    only may still be followed by packets in flight on the old pairs: the next one decides."""
    pair = established()
    (first,) = pair.a.of(ChildSaUp)
    limit = first.lifetime_kilobytes * 1024
    pair.a.engine.report_traffic(first.outbound.spi, int(limit * 0.91), pair.now)
    pair.pump()
    second = pair.a.of(ChildSaUp)[1]
    pair.a.engine.report_traffic(second.outbound.spi, int(limit * 0.91), pair.now)
    pair.pump()
    third = pair.a.of(ChildSaUp)[2]
    pair.b.engine.report_traffic(third.outbound.spi, 1000, pair.now)  # b's inbound = a's out
    pair.pump()
    assert not pair.a.of(ChildSaDown) and not pair.b.of(ChildSaDown)
    pair.b.engine.report_traffic(third.outbound.spi, 50000, pair.now)
    pair.pump()
    (down_b,) = pair.b.of(ChildSaDown)
    (down_a,) = pair.a.of(ChildSaDown)
    assert (down_b.inbound_spi, down_b.reason) == (first.outbound.spi, "superseded")
    assert (down_a.inbound_spi, down_a.reason) == (first.inbound.spi, "deleted by peer")
    assert [(r.inbound_spi, r.state) for r in pair.a.engine.ipsec_sas(pair.now)] == [
        (second.inbound.spi, "REKEYED"),
        (third.inbound.spi, "ACTIVE"),
    ]
    # the fallback: the new pair runs out before its successor is up, the previous one
    # carries the traffic (ACTIVE again, its own rekey being under way)
    pair.a.engine.report_traffic(third.outbound.spi, int(limit * 0.91), pair.now)
    pair.a.engine.sa_lifetime_reached(third.outbound.spi, True, pair.now)
    assert active(pair)[0] == [(second.inbound.spi, second.outbound.spi)]
    pair.pump()
    fourth = pair.a.of(ChildSaUp)[-1]
    assert fourth.replaces == (second.inbound.spi, second.outbound.spi)
    assert active(pair)[0] == [(fourth.inbound.spi, fourth.outbound.spi)]


def test_traffic_on_a_superseded_pair_retires_only_older_ones() -> None:
    """After a collision each side sends on the pair it installed last, which the other side
    may count as superseded: traffic on it must not delete the other new pair."""
    pair = established()
    old = collide(pair)
    a_current, b_current = current(pair.a), current(pair.b)
    for total in (1000, 50000):  # both directions carry traffic, seen at two reports
        pair.a.engine.report_traffic(b_current[1], total, pair.now)  # a's inbound on it
        pair.b.engine.report_traffic(a_current[1], total, pair.now)
        pair.pump()
    gone = {d.inbound_spi for d in pair.a.of(ChildSaDown)}
    assert gone <= {old.inbound.spi}  # the first pair at most (kept here as the fallback)
    assert active(pair) == ([a_current], [b_current])
    for node, mine in ((pair.a, a_current), (pair.b, b_current)):
        rows = {r.inbound_spi for r in node.engine.ipsec_sas(pair.now)}
        assert mine[0] in rows and len(rows) == 3 - len(gone)
