"""ike.policy: IOS defaults, key lookup, selectors, responder entry order."""

from ipaddress import IPv4Address, IPv4Network

from vpnrouter.ike.policy import (
    ENCR_AES,
    ENCR_DES,
    HASH_SHA,
    CryptoMapEntry,
    Flow,
    IkePolicy,
    IsakmpPolicy,
    PreSharedKey,
    RetransmitPolicy,
    TrafficSelector,
)


def sel(local: str, remote: str, **kw: int) -> TrafficSelector:
    return TrafficSelector(IPv4Network(local), IPv4Network(remote), **kw)


def test_isakmp_policy_defaults_are_ios_defaults() -> None:
    p = IsakmpPolicy(priority=10)
    assert (p.encryption, p.hash, p.auth, p.group, p.lifetime) == (ENCR_DES, HASH_SHA, 3, 1, 86400)
    assert p.effective_key_length() is None
    assert IsakmpPolicy(1, encryption=ENCR_AES).effective_key_length() == 128
    assert IsakmpPolicy(1, encryption=ENCR_AES, key_length=256).effective_key_length() == 256


def test_preshared_key_lookup_prefers_most_specific() -> None:
    policy = IkePolicy(
        preshared_keys=(
            PreSharedKey("wild", IPv4Network("0.0.0.0/0")),
            PreSharedKey("net", IPv4Network("172.18.124.0/24")),
            PreSharedKey("host", IPv4Network("172.18.124.199/32")),
        )
    )
    assert policy.find_key("172.18.124.199").key == "host"  # type: ignore[union-attr]
    assert policy.find_key("172.18.124.1").key == "net"  # type: ignore[union-attr]
    assert policy.find_key("8.8.8.8").key == "wild"  # type: ignore[union-attr]
    assert policy.find_key("not-an-address") is None
    assert IkePolicy().find_key("1.2.3.4") is None


def test_key_never_in_repr() -> None:
    assert "cisco123" not in repr(PreSharedKey("cisco123", IPv4Network("1.1.1.1/32")))


def test_selector_mirror_contains_and_matches() -> None:
    acl = sel("10.10.10.0/24", "10.10.20.0/24")
    assert acl.mirror() == sel("10.10.20.0/24", "10.10.10.0/24")
    assert acl.contains(sel("10.10.10.5/32", "10.10.20.0/25"))
    assert not acl.contains(sel("10.10.0.0/16", "10.10.20.0/24"))
    assert acl.matches(Flow("10.10.10.7", "10.10.20.9", 1))
    assert not acl.matches(Flow("10.10.20.9", "10.10.10.7", 1))
    tcp = sel("10.0.0.0/8", "192.168.0.0/16", protocol=6, remote_port=80)
    assert tcp.matches(Flow("10.1.1.1", "192.168.1.1", 6, 3333, 80))
    assert not tcp.matches(Flow("10.1.1.1", "192.168.1.1", 17, 3333, 80))
    assert acl.ios_text() == ("10.10.10.0/255.255.255.0/0/0", "10.10.20.0/255.255.255.0/0/0")


def test_responder_order_static_by_seq_then_dynamic() -> None:
    dyn = CryptoMapEntry("clientmap", 10, dynamic=True, dynamic_map="dynmap", dynamic_seq=10)
    s20 = CryptoMapEntry("clientmap", 20, peers=(IPv4Address("1.1.1.1"),))
    s1 = CryptoMapEntry("clientmap", 1, peers=(IPv4Address("1.1.1.2"),))
    policy = IkePolicy(crypto_maps=(dyn, s20, s1))
    assert policy.entries_in_responder_order() == (s1, s20, dyn)


def test_retransmit_backoff_is_capped() -> None:
    r = RetransmitPolicy()
    assert [r.interval(n) for n in range(6)] == [2, 4, 8, 16, 16, 16]
    assert r.total() == 62


def test_transform_set_display_falls_back_to_ios_syntax() -> None:
    from vpnrouter.ike.policy import ESP_3DES, ESP_AES, ESP_AUTH_MD5, ESP_AUTH_SHA256, TransformSet

    assert TransformSet("t", ESP_3DES, esp_auth=ESP_AUTH_MD5).display() == "esp-3des esp-md5-hmac"
    aes = TransformSet("t", ESP_AES, 256, esp_auth=ESP_AUTH_SHA256)
    assert aes.display() == "esp-aes 256 esp-sha256-hmac"
    assert TransformSet("t", ESP_AES, ios_names="given").display() == "given"
