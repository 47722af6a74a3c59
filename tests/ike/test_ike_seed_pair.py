"""The seed pair (vpn2611 <-> vpn3640) comes up both ways with matching keys."""

from ikepair import (
    FLOW_2611,
    FLOW_3640,
    NET_2611,
    NET_3640,
    VPN2611,
    VPN3640,
    Pair,
    seed_2611,
    seed_3640,
)

from vpnrouter.ike.events import ChildSaUp, IkeSaUp, LogLine, NegotiationFailed
from vpnrouter.ike.policy import ESP_3DES, ESP_AUTH_MD5


def bring_up(initiator: str, seed: int = 1) -> Pair:
    pair = Pair(seed_2611(), seed_3640(), seed=seed)
    node = pair.node(initiator)
    entry = node.engine.policy.crypto_maps[0]
    flow = FLOW_2611 if initiator == "a" else FLOW_3640
    assert node.engine.initiate(entry, flow, pair.now)
    pair.pump()
    return pair


def assert_crossed(a: ChildSaUp, b: ChildSaUp) -> None:
    assert a.inbound == b.outbound
    assert a.outbound == b.inbound
    assert a.inbound.enc_key == b.outbound.enc_key and len(a.inbound.enc_key) == 24
    assert a.inbound.auth_key == b.outbound.auth_key and len(a.inbound.auth_key) == 16
    assert a.inbound.enc_key != a.outbound.enc_key


def test_vpn2611_initiates_main_mode_and_quick_mode() -> None:
    pair = bring_up("a")
    (ike_a,) = pair.a.of(IkeSaUp)
    (ike_b,) = pair.b.of(IkeSaUp)
    assert ike_a.initiator and not ike_b.initiator
    assert (ike_a.icookie, ike_a.rcookie) == (ike_b.icookie, ike_b.rcookie)
    # vpn3640 only has policy 10: DES/MD5/group 1 after rejecting vpn2611's policy 3
    assert ike_a.algorithms == ike_b.algorithms
    assert ike_a.algorithms.policy_priority == 10
    assert (ike_a.algorithms.encryption, ike_a.algorithms.hash, ike_a.algorithms.group) == (1, 1, 1)
    assert ike_a.algorithms.lifetime == 86400
    (child_a,) = pair.a.of(ChildSaUp)
    (child_b,) = pair.b.of(ChildSaUp)
    assert_crossed(child_a, child_b)
    assert child_a.inbound.transform_id == ESP_3DES and child_a.inbound.auth_alg == ESP_AUTH_MD5
    assert (child_a.selector.local, child_a.selector.remote) == (NET_2611, NET_3640)
    assert child_b.selector == child_a.selector.mirror()
    assert (child_a.map_name, child_a.map_seq) == ("clientmap", 1)
    assert (child_b.map_name, child_b.map_seq) == ("mymap", 10)
    assert child_a.encapsulation is None and child_a.mode == "tunnel"
    assert (child_a.lifetime_seconds, child_a.lifetime_kilobytes) == (3600, 4608000)
    assert child_a.transform_names == "esp-3des esp-md5-hmac"
    assert not pair.a.of(NegotiationFailed) and not pair.b.of(NegotiationFailed)


def test_vpn3640_initiates_and_vpn2611_uses_its_static_entry() -> None:
    pair = bring_up("b")
    (child_a,) = pair.a.of(ChildSaUp)
    (child_b,) = pair.b.of(ChildSaUp)
    assert_crossed(child_a, child_b)
    assert child_b.initiator and not child_a.initiator
    # static entry clientmap 1 is chosen before the dynamic entry clientmap 10
    assert (child_a.map_name, child_a.map_seq) == ("clientmap", 1)
    assert (child_a.selector.local, child_a.selector.remote) == (NET_2611, NET_3640)


def test_ios_style_logs_and_no_secret_in_them() -> None:
    pair = bring_up("a")
    responder = pair.b.log_text()
    assert "%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is ON" in responder
    assert "ISAKMP (0:1): Checking ISAKMP transform 1 against priority 10 policy" in responder
    assert "ISAKMP (0:1): atts are acceptable. Next payload is 0" in responder
    assert "ISAKMP (0:1): SA has been authenticated with 172.18.124.159" in responder
    assert "ISAKMP (0:1): Checking IPSec proposal 1" in responder
    assert "ISAKMP:      SA life duration (basic) of 3600" in responder
    assert "ISAKMP:      SA life duration (VPI) of  0x0 0x46 0x50 0x0" in responder
    initiator = pair.a.log_text()
    assert "ISAKMP (0:1): beginning Main Mode exchange" in initiator
    assert "IPSEC(sa_request)" in initiator
    (child,) = pair.a.of(ChildSaUp)
    for text in (initiator, responder):
        assert "cisco123" not in text
        assert child.inbound.enc_key.hex() not in text
        assert child.outbound.auth_key.hex() not in text
    facilities = {e.facility for node in (pair.a, pair.b) for e in node.of(LogLine)}
    assert "secrets" not in facilities


def test_secrets_level_shows_keys_only_when_enabled() -> None:
    pair = Pair(seed_2611(), seed_3640())
    pair.a.engine.set_secrets_logging(True)
    pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    (child,) = pair.a.of(ChildSaUp)
    secrets = [e.text for e in pair.a.of(LogLine) if e.facility == "secrets"]
    assert any(child.inbound.enc_key.hex() in line for line in secrets)
    assert child.inbound.enc_key.hex() not in pair.b.log_text()


def test_byte_for_byte_reproducible() -> None:
    one = bring_up("a", seed=7)
    two = bring_up("a", seed=7)
    other = bring_up("a", seed=8)
    assert one.trace == two.trace
    assert one.trace != other.trace
    assert [d for _, d, _, _ in one.trace][:1] == [d for _, d, _, _ in two.trace][:1]


def test_repeated_acquires_are_ignored() -> None:
    pair = Pair(seed_2611(), seed_3640())
    entry = pair.a.engine.policy.crypto_maps[0]
    assert pair.a.engine.initiate(entry, FLOW_2611, pair.now)
    assert not pair.a.engine.initiate(entry, FLOW_2611, pair.now)
    pair.pump()
    assert len(pair.a.of(ChildSaUp)) == 1
    # an SA is in place: the router should not acquire, and if it does nothing happens
    assert not pair.a.engine.initiate(entry, FLOW_2611, pair.now)
    # traffic outside the ACL does not start anything
    from vpnrouter.ike.policy import Flow

    assert not pair.a.engine.initiate(entry, Flow("192.0.2.1", "10.10.20.5"), pair.now)


def test_show_snapshots() -> None:
    pair = bring_up("a")
    (row,) = pair.a.engine.isakmp_sas(pair.now)
    assert (row.dst, row.src, row.state, row.status) == (VPN3640, VPN2611, "QM_IDLE", "ACTIVE")
    assert row.conn_id == 1 and row.encryption == 1 and row.hash == 1 and row.group == 1
    assert row.remaining == 86400 and not row.nat_t
    (peer_row,) = pair.b.engine.isakmp_sas(pair.now)
    assert (peer_row.dst, peer_row.src) == (VPN3640, VPN2611)
    (ipsec,) = pair.a.engine.ipsec_sas(pair.now + 100)
    (child,) = pair.a.of(ChildSaUp)
    assert (ipsec.inbound_spi, ipsec.outbound_spi) == (child.inbound.spi, child.outbound.spi)
    assert (ipsec.map_name, ipsec.map_seq, ipsec.peer) == ("clientmap", 1, VPN3640)
    assert ipsec.remaining_seconds == 3500 and ipsec.state == "ACTIVE"
    assert ipsec.transform_names == "esp-3des esp-md5-hmac"


def test_log_facilities_and_severities() -> None:
    pair = bring_up("a")
    lines = pair.a.of(LogLine) + pair.b.of(LogLine)
    by_text = {line.text.split("\n")[0]: line for line in lines}
    on = by_text["%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is ON"]
    assert (on.facility, on.severity) == ("log", 6)
    request = next(line for line in lines if line.text.startswith("IPSEC(sa_request)"))
    assert request.facility == "ipsec" and request.severity == 7
    checking = next(line for line in lines if "Checking ISAKMP transform" in line.text)
    assert checking.facility == "isakmp"
    pair.b.engine.receive_datagram(b"junk", (VPN2611, 500), 500, pair.now)
    pair.b.drain()
    bad = next(line for line in pair.b.of(LogLine) if "IKMP_BAD_MESSAGE" in line.text)
    assert (bad.facility, bad.severity) == ("log", 4)
