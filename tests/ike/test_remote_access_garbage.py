"""Garbage during remote access (DESIGN.md principles 2 and 4): random bytes, messages with a
client's cookies in every exchange type (aggressive, transaction...), mutated and truncated
copies of real RA messages. Nothing raises, nothing moves: XAuth still completes, the pool
lease and the SAs stay, and new quick modes still work afterwards (IV chains intact)."""

import struct
from ipaddress import IPv4Address

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ranet import PASSWORD, USER, Host, Net, add_client, connect, seed_net

from vpnrouter.ike.events import (
    ChildSaDown,
    ChildSaUp,
    ClientDisconnected,
    IkeSaDown,
    ModeConfigReceived,
)

SETTINGS = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CLIENT = "64.102.55.142"


def router(net: Net) -> Host:
    return net.hosts["vpn2611"]


def cookie_messages(icookie: bytes, rcookie: bytes) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        exchange = draw(st.sampled_from([2, 4, 5, 6, 32, draw(st.integers(0, 255))]))
        flags = draw(st.integers(0, 7))
        mid = draw(st.integers(0, 0xFFFFFFFF))
        next_payload = draw(st.sampled_from([0, 1, 4, 5, 8, 11, 12, 13, 14, 20, 130]))
        body = draw(st.binary(max_size=240))
        if draw(st.booleans()):
            body = body[: len(body) - len(body) % 8]
        header = (
            icookie
            + rcookie
            + struct.pack("!BBBBII", next_payload, 0x10, exchange, flags, mid, 28 + len(body))
        )
        return header + body

    return build()


def garbage(net: Net) -> st.SearchStrategy[tuple[bytes, bool, int]]:
    (row,) = [r for r in router(net).engine.isakmp_sas(net.now) if r.conn_id == 1]
    captured = [d for _, d, _, _ in net.trace if len(d) > 4]
    data = st.one_of(
        st.binary(max_size=300),
        cookie_messages(row.icookie, row.rcookie),
        st.builds(
            lambda m, pos, b: m[: pos % len(m)] + bytes([b]) + m[pos % len(m) + 1 :],
            st.sampled_from(captured),
            st.integers(0, 10_000),
            st.integers(0, 255),
        ),
        st.builds(lambda m, cut: m[:cut], st.sampled_from(captured), st.integers(0, 500)),
    )
    return st.tuples(data, st.booleans(), st.sampled_from([500, 4500]))


def undisturbed(net: Net, client: Host, children: int) -> None:
    for node in (router(net), client):
        assert node.engine.counters.get("internal_errors", 0) == 0
        assert not node.of(IkeSaDown) and not node.of(ChildSaDown)
        # (a mutated copy of message 1 is a new negotiation: other rows may appear)
        (row,) = [r for r in node.engine.isakmp_sas(net.now) if r.conn_id == 1]
        assert row.status == "ACTIVE" and row.state == "QM_IDLE"
        assert len(node.engine.ipsec_sas(net.now)) == children
    assert not router(net).of(ClientDisconnected)


def feed(net: Net, client: Host, data: bytes, to_router: bool, port: int) -> None:
    if to_router:
        router(net).engine.receive_datagram(data, (CLIENT, port), port, net.now)
    else:
        client.engine.receive_datagram(data, ("172.18.124.159", port), port, net.now)
    net.pump()


def test_garbage_while_the_client_is_connected() -> None:
    net = seed_net()
    client = add_client(net, "c1", CLIENT)
    connect(net, client)
    leases = router(net).engine.aaa.pools.leases()  # type: ignore[union-attr]

    @SETTINGS
    @given(garbage(net))
    def run(case: tuple[bytes, bool, int]) -> None:
        feed(net, client, *case)
        undisturbed(net, client, 1)

    run()
    assert router(net).engine.aaa.pools.leases() == leases  # type: ignore[union-attr]
    assert router(net).engine.counters["malformed"] > 0
    # keys and IV chains intact: the gateway rekeys the client's pair over the same SA
    (child,) = router(net).of(ChildSaUp)
    router(net).engine.sa_lifetime_reached(child.inbound.spi, False, net.now)
    net.pump()
    assert len(client.of(ChildSaUp)) == 2 and len(router(net).of(ChildSaUp)) == 2


def test_garbage_while_the_user_types_the_password() -> None:
    net = seed_net()
    client = add_client(net, "c1", CLIENT)
    connect(net, client, passwords=[])

    @SETTINGS
    @given(garbage(net))
    def run(case: tuple[bytes, bool, int]) -> None:
        feed(net, client, *case)
        for node in (router(net), client):
            assert node.engine.counters.get("internal_errors", 0) == 0
            assert not node.of(IkeSaDown)

    run()
    assert client.engine.provide_xauth(USER, PASSWORD, net.now)
    net.pump()
    (config,) = client.of(ModeConfigReceived)
    assert config.address == IPv4Address("14.1.1.100")
    assert len(client.of(ChildSaUp)) == 1
