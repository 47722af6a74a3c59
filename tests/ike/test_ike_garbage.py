"""Garbage from the network never raises out of the engine and never disturbs an
established SA (DESIGN.md principles 2 and 4)."""

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ikepair import FLOW_2611, VPN2611, VPN3640, Pair, seed_2611, seed_3640

from vpnrouter.ike.events import ChildSaDown, ChildSaUp, IkeSaDown

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def established() -> Pair:
    pair = Pair(seed_2611(), seed_3640())
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    assert len(pair.a.of(ChildSaUp)) == 1 and len(pair.b.of(ChildSaUp)) == 1
    return pair


def headers_for(pair: Pair) -> st.SearchStrategy[bytes]:
    """Messages that carry the established SA's cookies, so they reach the exchange code."""
    (row,) = pair.a.engine.isakmp_sas(pair.now)

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        exchange = draw(st.sampled_from([2, 4, 5, 6, 32, 33, draw(st.integers(0, 255))]))
        flags = draw(st.integers(0, 7))
        mid = draw(st.integers(0, 0xFFFFFFFF))
        next_payload = draw(st.sampled_from([0, 1, 5, 8, 11, 12, 13, 20, 130, 255]))
        body = draw(st.binary(max_size=200))
        if draw(st.booleans()):
            body = body[: len(body) - len(body) % 8]  # whole cipher blocks
        length = 28 + len(body)
        header = (
            row.icookie
            + row.rcookie
            + struct.pack("!BBBBII", next_payload, 0x10, exchange, flags, mid, length)
        )
        return header + body

    return build()


def check_undisturbed(pair: Pair) -> None:
    for node in (pair.a, pair.b):
        assert node.engine.counters.get("internal_errors", 0) == 0
        assert not node.of(IkeSaDown) and not node.of(ChildSaDown)
        established = [r for r in node.engine.isakmp_sas(pair.now) if r.conn_id == 1]
        assert established[0].state == "QM_IDLE" and established[0].status == "ACTIVE"
        assert len(node.engine.ipsec_sas(pair.now)) == 1


def test_garbage_never_raises_and_leaves_the_sa_alone() -> None:
    pair = established()
    captured = [d for _, d, _, _ in pair.trace]

    @SETTINGS
    @given(
        data=st.one_of(
            st.binary(max_size=300),
            headers_for(pair),
            st.builds(
                lambda msg, pos, byte: (
                    msg[: pos % len(msg)] + bytes([byte]) + msg[pos % len(msg) + 1 :]
                ),
                st.sampled_from(captured),
                st.integers(0, 10_000),
                st.integers(0, 255),
            ),
            st.builds(lambda msg, cut: msg[:cut], st.sampled_from(captured), st.integers(0, 400)),
        ),
        to_a=st.booleans(),
        port=st.sampled_from([500, 4500]),
        marker=st.booleans(),
    )
    def feed(data: bytes, to_a: bool, port: int, marker: bool) -> None:
        if port == 4500 and marker:
            data = b"\x00\x00\x00\x00" + data
        node, src = (pair.a, VPN3640) if to_a else (pair.b, VPN2611)
        node.engine.receive_datagram(data, (src, port), port, pair.now)
        pair.pump()
        check_undisturbed(pair)

    feed()
    # the IV chains and keys are intact: a new quick mode still works both ways
    pair.a.engine.delete_child_sa(pair.now)
    pair.pump()
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    new_a, new_b = pair.a.of(ChildSaUp)[-1], pair.b.of(ChildSaUp)[-1]
    assert new_a.inbound == new_b.outbound and new_a.ike_conn_id == 1
    assert pair.a.engine.counters["malformed"] + pair.b.engine.counters["malformed"] > 0


def test_timers_survive_garbage_filled_tables() -> None:
    pair = established()
    for i in range(50):
        junk = bytes([i]) * 8 + bytes(8) + bytes([1, 0x10, 2, 0]) + bytes(4) + struct.pack("!I", 28)
        pair.b.engine.receive_datagram(junk, ("203.0.113.9", 500), 500, pair.now)
    pair.pump()
    pair.advance(4000)
    for node in (pair.a, pair.b):
        assert node.engine.counters.get("internal_errors", 0) == 0
    assert len(pair.a.of(ChildSaUp)) == 2  # rekeyed at 90% as usual
