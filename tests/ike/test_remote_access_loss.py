"""Remote access over a lossy path: every message is lost the first time it is sent (message 3
included, which has no answer of its own), and the connection still comes up the same way;
a client renewing its phase 1 keeps its pool address."""

from ipaddress import IPv4Address

from ranet import PASSWORD, USER, Net, add_client, connect, seed_net

from vpnrouter.ike.events import (
    ChildSaUp,
    ClientConnected,
    ClientDisconnected,
    IkeSaDown,
    IkeSaUp,
    ModeConfigReceived,
    XauthRequested,
)
from vpnrouter.ike.policy import ClientMapConfig

A = IPv4Address


def drop_first_copies(net: Net) -> set[bytes]:
    seen: set[bytes] = set()

    def hook(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes | None:
        if data in seen or len(data) == 1:  # NAT keepalives are not retransmitted
            return data
        seen.add(data)
        return None

    net.hook = hook
    return seen


def run_lossy(net: Net) -> None:
    client = net.hosts["c1"]
    client.engine.initiate_remote_access("172.18.124.159", "3000client", "cisco123", net.now)
    answered = 0

    def answer() -> None:
        nonlocal answered
        if len(client.of(XauthRequested)) > answered:
            answered += 1
            assert client.engine.provide_xauth(USER, PASSWORD, net.now)

    net.pump()
    net.advance(120, answer)


def test_every_first_transmission_lost_with_xauth() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    drop_first_copies(net)
    run_lossy(net)
    assert len(client.of(XauthRequested)) == 1  # the gateway's repeats did not ask again
    (config,) = client.of(ModeConfigReceived)
    assert config.address == A("14.1.1.100")
    assert len(client.of(ChildSaUp)) == 1 and len(net.hosts["vpn2611"].of(ChildSaUp)) == 1
    assert len(net.hosts["vpn2611"].of(ClientConnected)) == 1


def test_lost_message_3_without_xauth_is_recovered_by_the_resent_message_2() -> None:
    net = seed_net(client_maps=(ClientMapConfig("clientmap", address="respond"),))
    client = add_client(net, "c1", "64.102.55.142")
    drop_first_copies(net)
    run_lossy(net)
    assert "retransmitting phase 1 AG_INIT_EXCH" in net.hosts["vpn2611"].log_text()
    assert net.hosts["vpn2611"].of(IkeSaUp) and client.of(ChildSaUp)


def test_phase_1_renewal_keeps_the_address() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    first = connect(net, client)
    second = connect(net, client)  # a new aggressive mode + XAuth from the same client
    assert first != second
    assert [c.address for c in client.of(ModeConfigReceived)] == [A("14.1.1.100")] * 2
    router = net.hosts["vpn2611"]
    assert router.engine.aaa.pools.leases()[0].address == A("14.1.1.100")  # type: ignore[union-attr]
    assert len(router.engine.aaa.pools.leases()) == 1  # type: ignore[union-attr]
    client.engine.delete_ike_sa(net.now, conn_id=first)
    net.pump()
    assert router.of(IkeSaDown) and not router.of(ClientDisconnected)
    rows = [r for r in router.engine.isakmp_sas(net.now) if r.status == "ACTIVE"]
    assert [r.assigned_address for r in rows] == [A("14.1.1.100")]
