"""A client goes away: it disconnects (Delete payloads), it vanishes (DPD, RFC 3706), or its
ISAKMP SA expires; its SAs go and its pool address comes back exactly once."""

from ipaddress import IPv4Address

from ranet import Host, Net, add_client, connect, seed_net

from vpnrouter.ike.events import (
    ChildSaDown,
    ChildSaUp,
    ClientDisconnected,
    IkeSaDown,
    ModeConfigReceived,
)
from vpnrouter.ike.exchanges import informational
from vpnrouter.ike.policy import DpdPolicy, IkePolicy
from vpnrouter.wire.constants import ProtocolId
from vpnrouter.wire.payloads import DeletePayload

A = IPv4Address
PERIODIC = DpdPolicy(10, 2, periodic=True)


def router(net: Net) -> Host:
    return net.hosts["vpn2611"]


def leases(net: Net) -> list[IPv4Address]:
    aaa = router(net).engine.aaa
    assert aaa is not None
    return [lease.address for lease in aaa.pools.leases()]


def test_disconnect_deletes_everything_and_frees_the_address() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    assert leases(net) == [A("14.1.1.100")]
    assert client.engine.disconnect(net.now) == 1
    net.pump()
    (child_down,) = router(net).of(ChildSaDown)
    assert child_down.reason == "deleted by peer"
    (ike_down,) = router(net).of(IkeSaDown)
    assert ike_down.reason == "Receive delete from peer"
    (gone,) = router(net).of(ClientDisconnected)
    assert (gone.address, gone.username, gone.group) == (A("14.1.1.100"), "cisco", "3000client")
    assert leases(net) == []
    assert not router(net).engine.ipsec_sas(net.now)
    assert "Disconnected: " in router(net).log_text()
    assert client.of(ChildSaDown) and client.of(IkeSaDown)
    # the address is handed out again
    again = add_client(net, "c2", "64.102.55.150")
    connect(net, again)
    assert again.of(ModeConfigReceived)[0].address == A("14.1.1.100")


def test_clear_crypto_sa_then_isakmp_on_the_router() -> None:
    net = seed_net()
    connect(net, add_client(net, "c1", "64.102.55.142"))
    assert router(net).engine.delete_child_sa(net.now) == 1
    net.pump()
    assert leases(net) == [A("14.1.1.100")]  # the ISAKMP SA still holds it
    assert router(net).engine.delete_ike_sa(net.now) == 1
    net.pump()
    assert leases(net) == [] and len(router(net).of(ClientDisconnected)) == 1


def test_vanished_client_is_found_dead_by_periodic_dpd() -> None:
    net = seed_net(dpd=PERIODIC)
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    net.advance(60)  # alive: R-U-THERE answered every 10 seconds
    assert not router(net).of(IkeSaDown)
    assert "DPD/R_U_THERE_ACK sequence" in router(net).log_text()
    client.gone = True
    net.advance(60)
    (down,) = router(net).of(IkeSaDown)
    assert down.reason == "DPD: peer not responding"
    assert [c.reason for c in router(net).of(ChildSaDown)] == ["DPD: peer not responding"]
    (gone,) = router(net).of(ClientDisconnected)
    assert gone.address == A("14.1.1.100") and leases(net) == []
    text = router(net).log_text()
    assert "DPD retransmit 5 of 5" in text
    assert "%VPNROUTER-5-DPD_DEAD: Peer 64.102.55.142 did not answer" in text
    dead_at = [e for e in router(net).events if isinstance(e, IkeSaDown)]
    assert dead_at  # between 10 s of silence and 5 retries 2 s apart


def test_on_demand_dpd_asks_only_after_sending_traffic() -> None:
    net = seed_net(dpd=DpdPolicy(10, 2))
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    client.gone = True
    net.advance(120)
    assert not router(net).of(IkeSaDown)  # idle both ways: nothing to worry about
    (child,) = router(net).of(ChildSaUp)
    router(net).engine.report_traffic(child.outbound.spi, 1500, net.now)
    net.advance(40)
    assert router(net).of(IkeSaDown)[0].reason == "DPD: peer not responding"
    assert leases(net) == []


def test_inbound_traffic_is_a_sign_of_life() -> None:
    net = seed_net(dpd=DpdPolicy(10, 2))
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    client.gone = True
    (child,) = router(net).of(ChildSaUp)
    sent = received = 0
    for _ in range(12):
        sent += 1000
        received += 1000
        router(net).engine.report_traffic(child.outbound.spi, sent, net.now)
        router(net).engine.report_traffic(child.inbound.spi, received, net.now)
        net.advance(5)
    assert not router(net).of(IkeSaDown)
    assert "R_U_THERE sequence" not in router(net).log_text()


def test_client_detects_a_dead_gateway() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142", policy=IkePolicy(dpd=PERIODIC))
    connect(net, client)
    router(net).gone = True
    net.advance(60)
    assert client.of(IkeSaDown)[0].reason == "DPD: peer not responding"
    assert client.of(ChildSaDown) and not client.engine.ipsec_sas(net.now)


def test_expired_isakmp_sa_keeps_the_address_until_the_ipsec_sas_end() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, lifetime=600)
    (ike,) = router(net).engine.isakmp_sas(net.now)
    assert ike.lifetime == 600
    net.advance(601)
    assert router(net).of(IkeSaDown)[0].reason == "lifetime expired"
    assert leases(net) == [A("14.1.1.100")]  # its IPsec SAs still use it
    assert not router(net).of(ClientDisconnected)
    net.advance(3600)
    (gone,) = router(net).of(ClientDisconnected)
    assert gone.reason == "lifetime expired" and leases(net) == []


def _delete_from_client(net: Net, client: Host, spis: tuple[int, ...]) -> None:
    ctx = client.engine._ctx
    payload = DeletePayload(ProtocolId.IPSEC_ESP, 4, tuple(s.to_bytes(4, "big") for s in spis))
    informational._send_protected(ctx, ctx.table.ike[1], [payload])
    net.pump()


def test_a_delete_may_name_either_spi_of_the_pair() -> None:
    for order in ("ours", "vpnc", "strongswan"):
        net = seed_net()
        client = add_client(net, "c1", "64.102.55.142")
        connect(net, client)
        (pair,) = router(net).of(ChildSaUp)
        spis = {
            "ours": (pair.outbound.spi,),  # RFC 2408: the SPI the sender receives on
            "vpnc": (pair.outbound.spi, pair.inbound.spi),  # vpnc lists both
            "strongswan": (pair.inbound.spi,),  # strongSwan after a failed install
        }[order]
        _delete_from_client(net, client, spis)
        assert [d.reason for d in router(net).of(ChildSaDown)] == ["deleted by peer"], order
        assert "unknown spi" not in router(net).log_text()
