"""A client renewing its phase 1 (new aggressive mode and XAuth, no Mode Config: vpnc, the
Cisco VPN Client) is told the new ISAKMP SA's lifetime once XAuth is through, in a protected
RESPONDER-LIFETIME notify (RFC 2407 4.6.3.1): vpnc 0.5.3 forwards nothing until it gets one
(vpnc.c rekey_phase1). A first connection, which asks for Mode Config, gets none."""

from ikepair import VPN2611
from ranet import add_client, connect, seed_net
from test_remote_access_reauth import LIFETIME, RENEWAL, Answering

from vpnrouter.ike.events import IkeSaUp

NOTICE = "NOTIFY RESPONDER_LIFETIME protocol 1"


def test_the_renewed_sa_brings_a_lifetime_notice_after_xauth() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, lifetime=LIFETIME)
    router = net.hosts["vpn2611"]
    assert NOTICE not in router.log_text()  # a first connection: Mode Config follows XAuth
    net.advance(RENEWAL + 5, Answering(net, client))
    renewed = client.of(IkeSaUp)[-1]
    assert renewed.replaces is not None and renewed.peer == VPN2611
    sent = [line for line in router.log_text().splitlines() if f"sending {NOTICE}" in line]
    assert len(sent) == 1, router.log_text()
    assert f"processing {NOTICE}" in client.log_text()
