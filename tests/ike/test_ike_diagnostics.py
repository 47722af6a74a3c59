"""What the engine keeps for ``show crypto isakmp diagnose``: the peer's phase-1 offer on a
refused main mode, our own offer, the last failed quick mode with what the peer proposed,
and when an SA ended."""

from dataclasses import replace
from ipaddress import IPv4Network

from ikepair import FLOW_2611, NET_2611, NET_3640, Pair, seed_2611, seed_3640, start

from vpnrouter.ike.policy import (
    AUTH_PRE_SHARE,
    ENCR_AES,
    ENCR_DES,
    ESP_3DES,
    ESP_AES,
    ESP_AUTH_MD5,
    ESP_AUTH_SHA,
    HASH_MD5,
    HASH_SHA,
    IsakmpPolicy,
    TrafficSelector,
    TransformSet,
)
from vpnrouter.wire.constants import NotifyType

AES256 = IsakmpPolicy(7, encryption=ENCR_AES, key_length=256, hash=HASH_SHA, auth=AUTH_PRE_SHARE,
                      group=14)  # fmt: skip
AES128_SHA = TransformSet("a128", ESP_AES, esp_auth=ESP_AUTH_SHA, ios_names="esp-aes esp-sha-hmac")


def test_refused_main_mode_keeps_the_peers_offer_and_ours() -> None:
    # vpn3640 (b) only has AES-256/SHA/group 14; vpn2611 (a) offers its policies 3 and 10
    pair = Pair(seed_2611(), replace(seed_3640(), isakmp_policies=(AES256,)))
    start(pair)
    pair.advance(5)
    (theirs,) = pair.b.engine.isakmp_sas(pair.now)
    assert theirs.status == "FAILED" and theirs.state == "MM_NO_STATE"
    assert theirs.failure == "no acceptable ISAKMP transform"
    offered = [(o.encryption, o.hash, o.auth, o.group) for o in theirs.peer_offers]
    assert offered == [(5, HASH_SHA, AUTH_PRE_SHARE, 2), (ENCR_DES, HASH_MD5, AUTH_PRE_SHARE, 1)]
    assert theirs.ended == 0.0 and theirs.offered == ()
    (ours,) = pair.a.engine.isakmp_sas(pair.now)
    assert ours.offered == (3, 10) and ours.peer_offers == ()
    # the refusal of main mode 1 ended our SA at once (test_ike_refused_message_1)
    assert ours.status == "FAILED" and ours.ended == 0.0
    assert ours.peer_notify == "NO_PROPOSAL_CHOSEN"


def test_refused_quick_mode_keeps_the_proposal_on_the_isakmp_sa() -> None:
    policy_b = seed_3640()
    entry_b = replace(policy_b.crypto_maps[0], transform_sets=(AES128_SHA,))
    pair = Pair(seed_2611(), replace(policy_b, crypto_maps=(entry_b,)))
    start(pair)
    (theirs,) = pair.b.engine.isakmp_sas(pair.now)
    assert theirs.status == "ACTIVE" and theirs.state == "QM_IDLE"
    assert theirs.phase2 is not None
    assert theirs.phase2.reason == "no acceptable transform set"
    assert theirs.phase2.notify == NotifyType.NO_PROPOSAL_CHOSEN
    (offer,) = theirs.phase2.peer_offers
    assert (offer.transform_id, offer.auth) == (ESP_3DES, ESP_AUTH_MD5)
    assert theirs.phase2.peer_proxy == TrafficSelector(NET_3640, NET_2611)
    (ours,) = pair.a.engine.isakmp_sas(pair.now)
    assert ours.phase2 is not None and ours.phase2.notify == NotifyType.NO_PROPOSAL_CHOSEN
    assert ours.phase2.reason == "peer sent NO_PROPOSAL_CHOSEN"
    assert ours.phase2.peer_offers == ()


def test_refused_proxies_are_kept_and_a_later_success_clears_the_failure() -> None:
    policy_b = seed_3640()
    narrow = TrafficSelector(IPv4Network("10.10.30.0/24"), NET_2611)
    entry_b = replace(policy_b.crypto_maps[0], acl=(narrow,))
    pair = Pair(seed_2611(), replace(policy_b, crypto_maps=(entry_b,)))
    start(pair)
    (theirs,) = pair.b.engine.isakmp_sas(pair.now)
    assert theirs.phase2 is not None
    assert theirs.phase2.notify == NotifyType.INVALID_ID_INFORMATION
    assert theirs.phase2.peer_proxy == TrafficSelector(NET_3640, NET_2611)
    # the peer's operator fixes the ACL: the next quick mode succeeds and clears it
    pair.b.engine.update_policy(policy_b)
    pair.now += 5
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    (theirs,) = pair.b.engine.isakmp_sas(pair.now)
    assert theirs.phase2 is None and len(pair.b.engine.ipsec_sas(pair.now)) == 1
