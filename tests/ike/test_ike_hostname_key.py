"""``crypto isakmp key KEY hostname NAME`` in the engine: an aggressive-mode initiator that
identifies itself with ID_FQDN NAME is authenticated with that key; client groups come first."""

from ikepair import VPN2611
from ranet import Host, Net, add_client, seed_group, seed_net

from vpnrouter.ike.events import IkeSaUp, NegotiationFailed
from vpnrouter.ike.policy import HostnameKey, IkePolicy
from vpnrouter.wire.constants import IdType

FQDN = "vpn.example.net"
KEY = "fqdn-only-Key-93"


def router(net: Net) -> Host:
    return net.hosts["vpn2611"]


def start(net: Net, name: str, key: str, id_type: IdType = IdType.FQDN) -> Host:
    peer = add_client(net, "peer", "198.51.100.2", policy=IkePolicy())
    peer.engine.initiate_remote_access(VPN2611, name, key, net.now, id_type=id_type)
    net.pump()
    return peer


def test_fqdn_identity_authenticated_with_the_hostname_key() -> None:
    net = seed_net(hostname_keys=(HostnameKey(KEY, "VPN.Example.NET", no_xauth=True),))
    peer = start(net, FQDN, KEY)
    assert len(peer.of(IkeSaUp)) == 1
    (row,) = router(net).engine.isakmp_sas(net.now)
    assert (row.peer_id, row.aggressive, row.group_name) == (FQDN, True, "")
    assert row.xauth == ""  # no-xauth: the crypto map's XAuth is not asked of this peer
    assert f"found peer pre-shared key matching hostname {FQDN}" in router(net).log_text()
    assert KEY not in router(net).log_text()


def test_a_wrong_key_fails_and_a_key_id_never_matches_a_hostname_key() -> None:
    net = seed_net(hostname_keys=(HostnameKey(KEY, FQDN, no_xauth=True),))
    assert start(net, FQDN, "not-the-key").of(IkeSaUp) == []
    net = seed_net(hostname_keys=(HostnameKey(KEY, FQDN, no_xauth=True),))
    start(net, FQDN, KEY, IdType.KEY_ID)
    failures = router(net).of(NegotiationFailed)
    assert failures and "client group 'vpn.example.net' is not configured" in failures[0].reason


def test_a_client_group_of_the_same_name_comes_first() -> None:
    net = seed_net(
        group=seed_group(name=FQDN, key="group-key"),
        hostname_keys=(HostnameKey(KEY, FQDN, no_xauth=True),),
    )
    assert start(net, FQDN, KEY).of(IkeSaUp) == []
    net = seed_net(
        group=seed_group(name=FQDN, key="group-key"),
        hostname_keys=(HostnameKey(KEY, FQDN, no_xauth=True),),
    )
    start(net, FQDN, "group-key")
    (row,) = router(net).engine.isakmp_sas(net.now)
    assert row.group_name == FQDN
