"""The client half re-authenticates before its phase 1 expires, as the Cisco VPN Client does:
a new aggressive mode and XAuth with the same group, no Mode Config; the IPsec SAs, the
address and the configuration stay, the old ISAKMP SA is deleted once the new one is
authenticated; vpn2611 keeps one pool address for the client."""

from ipaddress import IPv4Address

from ikepair import VPN2611
from ranet import GROUP, GROUP_KEY, PASSWORD, USER, Host, Net, add_client, connect, seed_net

from vpnrouter.ike.events import (
    ChildSaDown,
    ChildSaUp,
    ClientDisconnected,
    IkeSaDown,
    IkeSaUp,
    ModeConfigReceived,
    XauthFailed,
    XauthRequested,
)

LIFETIME = 600  # the client proposes it, vpn2611 (86400) accepts the shorter one
RENEWAL = LIFETIME * 0.9  # IkePolicy.rekey_margin


class Answering:
    """A step for ``Net.advance``: answer the XAuth requests that come after the first
    connection's (a refused password brings the next request at once)."""

    def __init__(self, net: Net, client: Host, password: str = PASSWORD) -> None:
        self.net, self.client, self.password = net, client, password
        self.answered = len(client.of(XauthRequested))

    def __call__(self) -> None:
        for _ in range(5):
            if len(self.client.of(XauthRequested)) <= self.answered:
                return
            self.answered += 1
            if self.client.engine.provide_xauth(USER, self.password, self.net.now):
                self.net.pump()


def connected() -> tuple[Net, Host, int]:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    first = connect(net, client, lifetime=LIFETIME)
    return net, client, first


def active_rows(host: Host, net: Net) -> list:  # type: ignore[type-arg]
    return [r for r in host.engine.isakmp_sas(net.now) if r.status == "ACTIVE"]


def test_new_phase_1_with_xauth_before_expiry_keeps_sas_and_address() -> None:
    net, client, first = connected()
    router = net.hosts["vpn2611"]
    (pair,) = client.of(ChildSaUp)
    net.advance(RENEWAL - 1)
    assert len(client.of(IkeSaUp)) == 1
    net.advance(2, Answering(net, client))
    # both SAs for a while: the gateway may still be moving the IPsec SAs to the new one
    assert len(active_rows(client, net)) == 2 and not client.of(IkeSaDown)
    net.advance(3)
    ups = client.of(IkeSaUp)
    assert [u.replaces for u in ups] == [None, first]
    assert [(e.conn_id, e.fields) for e in client.of(XauthRequested)][1] == (
        ups[1].conn_id,
        ("username", "password"),
    )
    # the old phase 1 is gone on both sides, the IPsec SAs and the address are not
    assert [d.conn_id for d in client.of(IkeSaDown)] == [first]
    assert len(router.of(IkeSaDown)) == 1
    assert not client.of(ChildSaDown) and not router.of(ChildSaDown)
    assert len(client.of(ModeConfigReceived)) == 1 and not router.of(ClientDisconnected)
    (row,) = active_rows(router, net)
    assert row.state == "QM_IDLE" and row.assigned_address == IPv4Address("14.1.1.100")
    assert row.username == USER and row.xauth == "done"
    assert [lease.address for lease in router.engine.aaa.pools.leases()] == [  # type: ignore[union-attr]
        IPv4Address("14.1.1.100")
    ]
    (ours,) = active_rows(client, net)
    assert ours.conn_id == ups[1].conn_id
    assert [p.inbound_spi for p in client.engine.ipsec_sas(net.now)] == [pair.inbound.spi]


def test_renewals_repeat_and_the_gateway_rekeys_over_the_newest() -> None:
    net, client, _ = connected()
    router = net.hosts["vpn2611"]
    net.advance(3700, Answering(net, client))
    # six renewals in 3700 s, each one replacing the one before it
    ups = client.of(IkeSaUp)
    assert len(ups) == 7
    assert [u.replaces for u in ups[1:]] == [u.conn_id for u in ups[:-1]]
    assert len(active_rows(router, net)) == 1 and len(active_rows(client, net)) == 1
    # the IPsec pair (3600 s) was rekeyed over the current phase 1, with the same address
    rekeyed = [u for u in client.of(ChildSaUp) if u.replaces is not None]
    assert rekeyed and all(
        u.selector.local.network_address == IPv4Address("14.1.1.100") for u in rekeyed
    )
    assert not router.of(ClientDisconnected)


def test_refused_renewal_leaves_the_old_sa_until_it_expires() -> None:
    net, client, first = connected()
    router = net.hosts["vpn2611"]
    net.advance(RENEWAL + 1, Answering(net, client, "changed-password"))
    assert [f.attempts_left for f in client.of(XauthFailed)] == [None, None, 0]
    renewal = client.of(IkeSaUp)[1].conn_id
    assert [d.conn_id for d in client.of(IkeSaDown)] == [renewal]
    assert [r.conn_id for r in active_rows(client, net)] == [first]
    net.advance(LIFETIME - RENEWAL)
    assert [d.conn_id for d in client.of(IkeSaDown)] == [renewal, first]
    assert not active_rows(router, net)
    # the IPsec SAs outlive the ISAKMP SA (RFC 2409); the client's flow disconnects
    assert not client.of(ChildSaDown)


def test_no_renewal_of_a_phase_1_still_waiting_for_the_login() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    engine = client.engine
    engine.initiate_remote_access(VPN2611, GROUP, GROUP_KEY, net.now, lifetime=60)
    net.pump()
    assert len(client.of(XauthRequested)) == 1  # nobody answers (vpn2611 waits 62 s)
    net.advance(56)  # past 90 % of 60 s
    assert len(client.of(IkeSaUp)) == 1
    assert [r.xauth for r in active_rows(client, net)] == ["pending"]
