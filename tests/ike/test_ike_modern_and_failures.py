"""Modern suites with PFS, and the negotiation failures IOS users meet most."""

from dataclasses import replace
from ipaddress import IPv4Network

from ikepair import FLOW_2611, MYSET, NET_2611, NET_3640, Pair, seed_2611, seed_3640, start

from vpnrouter.ike.events import ChildSaUp, IkeSaUp, LogLine, NegotiationFailed
from vpnrouter.ike.policy import (
    AUTH_PRE_SHARE,
    ENCR_AES,
    ESP_AES,
    ESP_AUTH_SHA,
    ESP_AUTH_SHA256,
    HASH_SHA256,
    CryptoMapEntry,
    IkePolicy,
    IsakmpPolicy,
    TrafficSelector,
    TransformSet,
)
from vpnrouter.wire.constants import NotifyType

MODERN = IsakmpPolicy(
    5, encryption=ENCR_AES, key_length=256, hash=HASH_SHA256, auth=AUTH_PRE_SHARE, group=14
)
AES128_SHA = TransformSet("a128", ESP_AES, esp_auth=ESP_AUTH_SHA, ios_names="esp-aes esp-sha-hmac")
AES256_SHA256 = TransformSet(
    "a256", ESP_AES, 256, esp_auth=ESP_AUTH_SHA256, ios_names="esp-aes 256 esp-sha256-hmac"
)


def modern(policy: IkePolicy, sets: tuple[TransformSet, ...], pfs: int | None = 14) -> IkePolicy:
    entries = tuple(replace(e, transform_sets=sets, pfs_group=pfs) for e in policy.crypto_maps)
    return replace(policy, isakmp_policies=(MODERN,), crypto_maps=entries)


def test_aes256_sha256_group14_with_pfs_both_transform_sets() -> None:
    # vpn2611 proposes AES-128/SHA1 first; vpn3640 only accepts AES-256/SHA-256.
    pair = Pair(
        modern(seed_2611(), (AES128_SHA, AES256_SHA256)), modern(seed_3640(), (AES256_SHA256,))
    )
    start(pair)
    (ike,) = pair.a.of(IkeSaUp)
    assert (ike.algorithms.encryption, ike.algorithms.key_length) == (ENCR_AES, 256)
    assert (ike.algorithms.hash, ike.algorithms.group) == (HASH_SHA256, 14)
    (a,) = pair.a.of(ChildSaUp)
    (b,) = pair.b.of(ChildSaUp)
    assert a.inbound == b.outbound and a.outbound == b.inbound
    assert (a.inbound.transform_id, a.inbound.key_length) == (ESP_AES, 256)
    assert a.inbound.auth_alg == ESP_AUTH_SHA256
    assert len(a.inbound.enc_key) == 32 and len(a.inbound.auth_key) == 32
    assert a.pfs_group == b.pfs_group == 14
    assert a.transform_names == "esp-aes 256 esp-sha256-hmac"


def test_aes128_sha1_without_pfs() -> None:
    pair = Pair(modern(seed_2611(), (AES128_SHA,), None), modern(seed_3640(), (AES128_SHA,), None))
    start(pair)
    (a,) = pair.a.of(ChildSaUp)
    (b,) = pair.b.of(ChildSaUp)
    assert a.inbound == b.outbound
    assert len(a.inbound.enc_key) == 16 and len(a.inbound.auth_key) == 20
    assert a.pfs_group is None


def test_pfs_mismatch_is_no_proposal_chosen() -> None:
    pair = Pair(modern(seed_2611(), (AES128_SHA,), None), modern(seed_3640(), (AES128_SHA,), 14))
    start(pair)
    assert not pair.a.of(ChildSaUp)
    (failed,) = pair.a.of(NegotiationFailed)
    assert (failed.phase, failed.notify) == (2, NotifyType.NO_PROPOSAL_CHOSEN)


def test_wrong_preshared_key() -> None:
    pair = Pair(seed_2611(key="cisco123"), seed_3640(key="wrongkey"))
    start(pair)
    pair.advance(120)
    assert not pair.a.of(IkeSaUp) and not pair.b.of(IkeSaUp)
    assert not pair.a.of(ChildSaUp) and not pair.b.of(ChildSaUp)
    responder = pair.b.log_text()
    assert "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 172.18.124.159" in responder or (
        "%CRYPTO-4-IKMP_HASH_FAIL" in responder
    )
    (failed,) = pair.a.of(NegotiationFailed)
    assert failed.phase == 1 and failed.map_name == "clientmap"
    assert pair.b.of(NegotiationFailed)
    for node in (pair.a, pair.b):
        assert "cisco123" not in node.log_text() and "wrongkey" not in node.log_text()
    (row,) = [r for r in pair.b.engine.isakmp_sas(pair.now)]
    assert row.state == "MM_KEY_EXCH" and row.status == "FAILED"
    assert "pre-shared key" in row.failure
    # retransmitted MM5 five times, then gave up
    assert pair.a.engine.counters["retransmits"] == 5


def test_no_common_isakmp_policy() -> None:
    pair = Pair(seed_2611(), replace(seed_3640(), isakmp_policies=(MODERN,)))
    start(pair)
    responder = pair.b.log_text()
    assert "no offers accepted!" in responder
    assert "sending NOTIFY NO_PROPOSAL_CHOSEN protocol 1 (unprotected)" in responder
    initiator = pair.a.log_text()
    assert "processing NOTIFY NO_PROPOSAL_CHOSEN" in initiator
    # the refusal ends the initiator's SA at once (test_ike_refused_message_1)
    (failed,) = pair.a.of(NegotiationFailed)
    assert failed.phase == 1 and failed.notify == NotifyType.NO_PROPOSAL_CHOSEN


def test_no_common_transform_set() -> None:
    policy_b = seed_3640()
    entry_b = replace(policy_b.crypto_maps[0], transform_sets=(AES256_SHA256,))
    pair = Pair(seed_2611(), replace(policy_b, crypto_maps=(entry_b,)))
    start(pair)
    assert pair.a.of(IkeSaUp) and not pair.a.of(ChildSaUp)
    (failed,) = pair.a.of(NegotiationFailed)
    assert (failed.phase, failed.notify) == (2, NotifyType.NO_PROPOSAL_CHOSEN)
    assert "phase 2 SA not acceptable!" in pair.b.log_text()


def test_non_mirrored_proxy_ids() -> None:
    other = CryptoMapEntry(
        "mymap",
        10,
        peers=seed_3640().crypto_maps[0].peers,
        transform_sets=(MYSET,),
        acl=(TrafficSelector(IPv4Network("10.10.30.0/24"), NET_2611),),
    )
    pair = Pair(seed_2611(), replace(seed_3640(), crypto_maps=(other,)))
    start(pair)
    assert not pair.a.of(ChildSaUp)
    (failed,) = pair.a.of(NegotiationFailed)
    assert (failed.phase, failed.notify) == (2, NotifyType.INVALID_ID_INFORMATION)
    assert "proxy identities not supported" in pair.b.log_text()
    assert "%CRYPTO-6-IKMP_MODE_FAILURE: Processing of Quick mode failed" in pair.b.log_text()
    (rejected,) = pair.b.of(NegotiationFailed)
    assert (rejected.phase, rejected.notify) == (2, NotifyType.INVALID_ID_INFORMATION)


def test_subset_proxy_is_accepted_and_kept() -> None:
    narrow = TrafficSelector(IPv4Network("10.10.10.0/25"), IPv4Network("10.10.20.128/25"))
    a_policy = seed_2611()
    entry = replace(a_policy.crypto_maps[0], acl=(narrow,))
    pair = Pair(replace(a_policy, crypto_maps=(entry,)), seed_3640())
    assert pair.a.engine.initiate(entry, FLOW_2611.__class__("10.10.10.1", "10.10.20.200"), 0)
    pair.pump()
    (b,) = pair.b.of(ChildSaUp)
    assert b.selector == narrow.mirror()
    assert b.selector.local.subnet_of(NET_3640)


def test_silent_peer_retransmits_with_backoff_then_gives_up() -> None:
    pair = Pair(seed_2611(), seed_3640())
    pair.hook = lambda sender, data, dest, sport: None if sender == "a" else data
    start(pair)
    pair.advance(200)
    sent = [i for i, (s, _, _, _) in enumerate(pair.trace) if s == "a"]
    assert len(sent) == 6  # MM1 and 5 retransmissions
    lines = [e for e in pair.a.of(LogLine) if "retransmitting phase 1 MM_NO_STATE" in e.text]
    assert len(lines) == 5
    (failed,) = pair.a.of(NegotiationFailed)
    assert failed.phase == 1 and "Death by retransmission P1" in failed.reason
    (row,) = pair.a.engine.isakmp_sas(pair.now)
    assert row.state == "MM_NO_STATE" and row.status == "FAILED"
    pair.advance(400)
    assert pair.a.engine.isakmp_sas(pair.now) == []  # lingered, then removed


def test_backoff_schedule() -> None:
    pair = Pair(seed_2611(), seed_3640())
    times: list[float] = []

    def hook(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> None:
        if sender == "a":
            times.append(pair.now)
        return None

    pair.hook = hook
    start(pair)
    pair.advance(200)
    assert [round(t - times[0]) for t in times] == [0, 2, 6, 14, 30, 46]
    assert pair.a.of(NegotiationFailed)[0].map_seq == 1


def test_no_preshared_key_for_the_peer_fails_at_once() -> None:
    pair = Pair(replace(seed_2611(), preshared_keys=()), seed_3640())
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
    assert pair.trace == []  # nothing sent
    (failed,) = pair.a.of(NegotiationFailed)
    assert failed.phase == 1 and "no pre-shared key" in failed.reason
    assert "No pre-shared key with 172.18.124.199!" in pair.a.log_text()


def test_tampered_offer_is_caught_by_hash_i() -> None:
    """A man in the middle strips vpn2611's preferred transform from MM1 (a downgrade): the
    responder's SAi_b then differs from the initiator's and HASH_I cannot match (RFC 2409 5)."""
    from vpnrouter.wire.message import decode_message, encode_message
    from vpnrouter.wire.payloads import SaPayload

    pair = Pair(seed_2611(), seed_3640())

    def downgrade(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes:
        if sender != "a" or data[8:16] != bytes(8):
            return data
        message = decode_message(data)
        payloads = []
        for p in message.payloads:
            if isinstance(p, SaPayload):
                proposal = p.proposals[0]
                p = replace(p, proposals=(replace(proposal, transforms=proposal.transforms[1:]),))
            payloads.append(p)
        return encode_message(message.header, payloads)

    pair.hook = downgrade
    start(pair)
    pair.advance(120)
    assert not pair.a.of(IkeSaUp) and not pair.b.of(IkeSaUp)
    assert pair.b.engine.counters["hash_failures"] >= 1
    assert "%CRYPTO-4-IKMP_HASH_FAIL: IKE message from 172.18.124.159" in pair.b.log_text()
    (row,) = pair.b.engine.isakmp_sas(pair.now)
    assert row.status == "FAILED" and "hash check failed" in row.failure
