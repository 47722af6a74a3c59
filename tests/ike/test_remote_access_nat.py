"""Several VPN clients behind one NAT address (distinct source ports): each has its own
ISAKMP SA (found by cookies), address, IPsec SAs and UDP-encapsulated ports; initial contact,
deletes and rekeys reach only the client they are about."""

import random
from ipaddress import IPv4Address

from ranet import NAT_PUBLIC, Host, Net, add_client, connect, seed_net

from vpnrouter.ike.engine import IkeEngine
from vpnrouter.ike.events import (
    ChildSaDown,
    ChildSaUp,
    ClientDisconnected,
    IkeSaDown,
    IkeSaUp,
    ModeConfigReceived,
)
from vpnrouter.ike.policy import IkePolicy

A = IPv4Address


def router(net: Net) -> Host:
    return net.hosts["vpn2611"]


def two_behind_nat() -> tuple[Net, Host, Host]:
    net = seed_net()
    first = add_client(net, "c1", "192.168.1.10", nat=NAT_PUBLIC)
    second = add_client(net, "c2", "192.168.1.11", nat=NAT_PUBLIC)
    connect(net, first)
    connect(net, second, user="alice", passwords=["Wonder-Land-7"])
    return net, first, second


def test_each_client_behind_the_nat_has_its_own_everything() -> None:
    net, first, second = two_behind_nat()
    assert first.of(ModeConfigReceived)[0].address == A("14.1.1.100")
    assert second.of(ModeConfigReceived)[0].address == A("14.1.1.101")
    rows = router(net).engine.isakmp_sas(net.now)
    assert {r.peer for r in rows} == {NAT_PUBLIC}
    assert len({r.peer_port for r in rows}) == 2 and all(r.nat_t for r in rows)
    assert {r.username for r in rows} == {"cisco", "alice"}
    children = router(net).of(ChildSaUp)
    assert len(children) == 2
    ports = {c.encapsulation.remote_port for c in children if c.encapsulation is not None}
    assert len(ports) == 2 and all(c.encapsulation is not None for c in children)
    assert children[0].inbound.enc_key != children[1].inbound.enc_key
    for client, child in ((first, children[0]), (second, children[1])):
        (mine,) = client.of(ChildSaUp)
        assert mine.outbound == child.inbound and mine.inbound == child.outbound
        assert mine.encapsulation is not None and mine.encapsulation.local_port == 4500
    # clients behind the NAT send RFC 3948 keepalives; the router does not
    net.advance(25)
    assert first.engine.counters["keepalives"] >= 1
    assert router(net).engine.counters.get("keepalives", 0) == 0


def test_one_client_leaving_does_not_touch_the_other() -> None:
    net, first, second = two_behind_nat()
    first.engine.disconnect(net.now)
    net.pump()
    (gone,) = router(net).of(ClientDisconnected)
    assert gone.address == A("14.1.1.100")
    assert not second.of(ChildSaDown) and not second.of(IkeSaDown)
    left = router(net).engine.ipsec_sas(net.now)
    assert [c.client_address for c in left] == [A("14.1.1.101")]
    assert len([r for r in router(net).engine.isakmp_sas(net.now) if r.status == "ACTIVE"]) == 1


def test_initial_contact_replaces_only_the_restarted_client() -> None:
    net, first, second = two_behind_nat()
    # vpnc restarts on the same machine: same private address and port, same NAT mapping
    first.engine = IkeEngine(IkePolicy(), [first.addr], random.Random(99).randbytes)
    first.events.clear()
    connect(net, first)
    assert "Process initial contact" in router(net).log_text()
    downs = router(net).of(IkeSaDown)
    assert [d.reason for d in downs] == ["Receive initial contact"]
    assert [c.reason for c in router(net).of(ChildSaDown)] == ["initial contact"]
    assert [g.address for g in router(net).of(ClientDisconnected)] == [A("14.1.1.100")]
    # the restarted client gets the freed address; the other one keeps everything
    assert first.of(ModeConfigReceived)[0].address == A("14.1.1.100")
    assert not second.of(ChildSaDown) and not second.of(IkeSaDown)
    active = [c for c in router(net).engine.ipsec_sas(net.now) if c.state == "ACTIVE"]
    assert sorted(str(c.client_address) for c in active) == ["14.1.1.100", "14.1.1.101"]


def test_router_rekey_and_delete_go_to_the_right_client() -> None:
    net, first, second = two_behind_nat()
    theirs = [c for c in router(net).of(ChildSaUp) if c.client_address == A("14.1.1.101")]
    router(net).engine.sa_lifetime_reached(theirs[0].inbound.spi, False, net.now)
    net.pump()
    assert len(second.of(ChildSaUp)) == 2 and len(first.of(ChildSaUp)) == 1
    mine = [c for c in router(net).of(ChildSaUp) if c.client_address == A("14.1.1.100")]
    assert router(net).engine.delete_child_sa(net.now, spi=mine[0].inbound.spi) == 1
    net.pump()
    assert len(first.of(ChildSaDown)) == 1 and not second.of(ChildSaDown)
    assert len(router(net).of(IkeSaUp)) == 2


def test_invalid_spi_goes_to_the_client_behind_the_nat_that_sent_the_esp() -> None:
    """UDP-encapsulated ESP on an unknown SPI from NAT port P: the INVALID-SPI notify goes
    over the ISAKMP SA of the client at P, not over another one behind the same address."""
    net, first, second = two_behind_nat()
    rows = router(net).engine.isakmp_sas(net.now)
    port = next(r.peer_port for r in rows if r.username == "alice")
    before = len(net.trace)
    assert router(net).engine.unknown_spi(0x5A5A5A5A, NAT_PUBLIC, port, net.now)
    net.pump()
    sent = [(s, dest) for s, _, dest, _ in net.trace[before:] if s == "vpn2611"]
    assert sent == [("vpn2611", (NAT_PUBLIC, port))]
    assert "INVALID_SPI for spi 5a5a5a5a: no such SA, ignored" in second.log_text()
    assert "INVALID_SPI" not in first.log_text()
