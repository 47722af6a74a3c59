"""ike.proposals: IOS-order phase-1 matching, lifetimes, ESP proposal matching."""

import pytest

from vpnrouter.ike.errors import ProtocolError
from vpnrouter.ike.policy import (
    AUTH_PRE_SHARE,
    ENCR_3DES,
    ENCR_AES,
    ESP_3DES,
    ESP_AES,
    ESP_AUTH_MD5,
    ESP_AUTH_SHA,
    ESP_AUTH_SHA256,
    HASH_MD5,
    HASH_SHA256,
    IsakmpPolicy,
    TransformSet,
)
from vpnrouter.ike.proposals import (
    accept_esp_reply,
    accept_phase1_reply,
    esp_sa_payload,
    parse_esp_transform,
    phase1_sa_payload,
    select_esp,
    select_phase1,
)
from vpnrouter.wire.constants import EncapsulationMode, NotifyType
from vpnrouter.wire.message import decode_payloads, encode_payloads
from vpnrouter.wire.payloads import Proposal, SaPayload

P3 = IsakmpPolicy(3, encryption=ENCR_3DES, auth=AUTH_PRE_SHARE, group=2)
P10 = IsakmpPolicy(10, hash=HASH_MD5, auth=AUTH_PRE_SHARE)
MODERN = IsakmpPolicy(
    1, encryption=ENCR_AES, key_length=256, hash=HASH_SHA256, auth=AUTH_PRE_SHARE, group=14
)
MYSET = TransformSet("myset", ESP_3DES, esp_auth=ESP_AUTH_MD5, ios_names="esp-3des esp-md5-hmac")
AES128 = TransformSet("a128", ESP_AES, esp_auth=ESP_AUTH_SHA)
AES256 = TransformSet("a256", ESP_AES, 256, esp_auth=ESP_AUTH_SHA256)


def roundtrip(sa: SaPayload) -> SaPayload:
    decoded = decode_payloads(1, encode_payloads([sa])).payloads[0]
    assert isinstance(decoded, SaPayload)
    return decoded


def test_seed_pair_matches_policy_10_after_rejecting_transform_1() -> None:
    offer = roundtrip(phase1_sa_payload([P3, P10]))  # vpn2611 offers 3 then 10
    lines: list[str] = []
    choice = select_phase1(offer, [P10], "ISAKMP (0:1)", lines.append)
    assert choice.suite.priority == 10
    assert (choice.suite.encryption, choice.suite.hash, choice.suite.group) == (1, 1, 1)
    assert choice.proposal.transforms == (offer.proposals[0].transforms[1],)
    assert "ISAKMP (0:1): Checking ISAKMP transform 1 against priority 10 policy" in lines
    assert "ISAKMP (0:1): Encryption algorithm offered does not match policy!" in lines
    assert "ISAKMP (0:1): atts are not acceptable. Next payload is 3" in lines
    assert "ISAKMP (0:1): Checking ISAKMP transform 2 against priority 10 policy" in lines
    assert "ISAKMP:      encryption DES-CBC" in lines
    assert "ISAKMP:      hash MD5" in lines
    assert "ISAKMP:      default group 1" in lines
    assert "ISAKMP:      auth pre-share" in lines
    assert lines[-1] == "ISAKMP (0:1): atts are acceptable. Next payload is 0"


def test_responder_takes_first_peer_transform_matching_any_policy() -> None:
    # Peer offers 10 first, 3 second; we have both: the peer's order decides (IOS behaviour).
    offer = roundtrip(phase1_sa_payload([P10, P3]))
    choice = select_phase1(offer, [P3, P10], "ISAKMP (0:1)", lambda _: None)
    assert choice.suite.priority == 10


def test_no_common_policy_is_no_proposal_chosen() -> None:
    lines: list[str] = []
    with pytest.raises(ProtocolError) as err:
        select_phase1(roundtrip(phase1_sa_payload([MODERN])), [P10], "T", lines.append)
    assert err.value.notify == NotifyType.NO_PROPOSAL_CHOSEN
    assert lines[-1] == "T: no offers accepted!"
    assert "ISAKMP:      keylength of 256" in lines


def test_lower_lifetime_wins_both_ways() -> None:
    short = IsakmpPolicy(10, hash=HASH_MD5, auth=AUTH_PRE_SHARE, lifetime=3600)
    choice = select_phase1(roundtrip(phase1_sa_payload([P10])), [short], "T", lambda _: None)
    assert choice.suite.lifetime == 3600
    choice = select_phase1(roundtrip(phase1_sa_payload([short])), [P10], "T", lambda _: None)
    assert choice.suite.lifetime == 3600
    # initiator side: the echoed transform carries the lifetime it offered.
    reply = SaPayload((choice.proposal,))
    assert accept_phase1_reply(roundtrip(reply), [short]).lifetime == 3600


def test_initiator_rejects_changed_or_multiple_transforms() -> None:
    offer = phase1_sa_payload([P3, P10])
    with pytest.raises(ProtocolError):
        accept_phase1_reply(offer, [P3, P10])  # two transforms back
    other = phase1_sa_payload([MODERN]).proposals[0]
    with pytest.raises(ProtocolError) as err:
        accept_phase1_reply(SaPayload((other,)), [P3, P10])
    assert err.value.notify == NotifyType.NO_PROPOSAL_CHOSEN


def test_esp_proposals_one_per_transform_set_with_lifetimes() -> None:
    sa = roundtrip(esp_sa_payload([AES128, AES256], b"\x11\x22\x33\x44", None, 3600, 4608000, 14))
    assert [p.number for p in sa.proposals] == [1, 2]
    assert all(p.spi == b"\x11\x22\x33\x44" for p in sa.proposals)
    offer = parse_esp_transform(sa.proposals[1].transforms[0])
    assert (offer.transform_id, offer.key_length, offer.auth) == (ESP_AES, 256, ESP_AUTH_SHA256)
    assert (offer.life_seconds, offer.life_kilobytes, offer.group) == (3600, 4608000, 14)
    assert offer.encap == EncapsulationMode.TUNNEL


def test_select_esp_first_offered_that_matches_and_pfs_rules() -> None:
    sa = roundtrip(esp_sa_payload([AES128, AES256], b"\x00\x00\x10\x00", None, 3600, 4608000, 14))
    lines: list[str] = []
    choice = select_esp(sa, [AES256], 14, False, "T", lines.append)
    assert choice is not None and choice.transform_set is AES256 and choice.proposal.number == 2
    assert "ISAKMP:      authenticator is HMAC-SHA256" in lines
    # our entry has no PFS: accept the initiator's group (IOS)
    assert select_esp(sa, [AES128], None, False, "T", lambda _: None) is not None
    # we require PFS group 2: no match
    assert select_esp(sa, [AES128], 2, False, "T", lambda _: None) is None
    no_pfs = esp_sa_payload([MYSET], b"\x00\x00\x10\x00", None, 3600, 4608000, None)
    assert select_esp(no_pfs, [MYSET], 2, False, "T", lambda _: None) is None
    assert select_esp(no_pfs, [AES128], None, False, "T", lambda _: None) is None


def test_udp_tunnel_needs_nat_t_and_both_numbers_accepted() -> None:
    for mode in (EncapsulationMode.UDP_TUNNEL, EncapsulationMode.UDP_TUNNEL_DRAFT):
        sa = esp_sa_payload([MYSET], b"\x00\x00\x10\x00", mode, 3600, 4608000, None)
        assert select_esp(sa, [MYSET], None, False, "T", lambda _: None) is None
        choice = select_esp(sa, [MYSET], None, True, "T", lambda _: None)
        assert choice is not None and choice.offer.encap == mode


def test_anded_proposals_are_skipped() -> None:
    base = esp_sa_payload([MYSET], b"\x00\x00\x10\x00", None, 3600, 4608000, None).proposals[0]
    ah = Proposal(1, 2, b"\x00\x00\x10\x01", base.transforms)
    assert select_esp(SaPayload((ah, base)), [MYSET], None, False, "T", lambda _: None) is None


def test_accept_esp_reply_checks_pfs_and_spi() -> None:
    reply = esp_sa_payload([MYSET], b"\xaa\xbb\xcc\xdd", None, 3600, 4608000, None)
    assert accept_esp_reply(reply, [AES128, MYSET], None, False).transform_set is MYSET
    with pytest.raises(ProtocolError):
        accept_esp_reply(reply, [MYSET], 2, False)
    bad_spi = SaPayload((Proposal(1, 3, b"\x01", reply.proposals[0].transforms),))
    with pytest.raises(ProtocolError):
        accept_esp_reply(bad_spi, [MYSET], None, False)
