"""A broken variant of the seed for every lint finding, each asserting the exact finding."""

from __future__ import annotations

import pytest
from config_samples import variant

from vpnrouter.config import parse
from vpnrouter.config.lint import LintReport, Severity, format_text, lint

Row = tuple[str, int, str, str, str]


def pair(edits_2611: list[tuple[str, str]], edits_3640: list[tuple[str, str]]) -> LintReport:
    return lint(
        [
            parse(variant("vpn2611.cfg", *edits_2611), "vpn2611.cfg"),
            parse(variant("vpn3640.cfg", *edits_3640), "vpn3640.cfg"),
        ]
    )


def problems(report: LintReport) -> list[Row]:
    """Errors and warnings as (file, line, severity, code, message)."""
    return [
        (f.file, f.line, f.severity.value, f.code, f.message)
        for f in report.findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    ]


L2611 = "vpn2611 (Ethernet0/0 172.18.124.159, crypto map clientmap"
L3640 = "vpn3640 (Ethernet0/0 172.18.124.199, crypto map mymap"


def test_dynamic_entry_before_static_entry() -> None:
    report = pair(
        [("crypto map clientmap 1 ipsec-isakmp", "crypto map clientmap 20 ipsec-isakmp")], []
    )
    assert problems(report) == [
        (
            "vpn2611.cfg",
            118,
            "error",
            "dynamic-entry-order",
            "crypto map clientmap 10 (dynamic dynmap) has a lower sequence number than static "
            "entry clientmap 20 (peer 172.18.124.199): the dynamic entry accepts any peer and is "
            "tried first, so those static peers fail to connect. Give the dynamic entry the "
            "highest sequence number.",
        )
    ]
    (tunnel,) = report.tunnels
    assert not tunnel.comes_up
    assert [r.code for r in tunnel.reasons] == ["dynamic-entry-order"]
    assert report.exit_status == 1


def test_dynamic_entry_order_in_a_single_config() -> None:
    assert problems(lint([parse(variant("vpn2611.cfg"))])) == []
    bad = parse(variant("vpn2611.cfg", ("clientmap 1 ipsec", "clientmap 11 ipsec")))
    assert [(row[1], row[3]) for row in problems(lint([bad]))] == [(118, "dynamic-entry-order")]


def test_missing_transform_set() -> None:
    report = pair([], [("transform-set myset esp-3des", "transform-set myset2 esp-3des")])
    assert problems(report) == [
        (
            "vpn2611.cfg",
            114,
            "error",
            "tunnel-transform-set",
            "No transform set in common: vpn2611 offers myset (esp-3des esp-md5-hmac); vpn3640 "
            "accepts no transform set. Quick mode fails (transform proposal not supported).",
        ),
        (
            "vpn3640.cfg",
            50,
            "error",
            "undefined-reference",
            'ERROR: transform set with tag "myset" does not exist.',
        ),
    ]


def test_transform_sets_without_a_common_proposal() -> None:
    report = pair([], [("myset esp-3des esp-md5-hmac", "myset esp-des esp-sha-hmac")])
    assert problems(report) == [
        (
            "vpn2611.cfg",
            114,
            "error",
            "tunnel-transform-set",
            "No transform set in common: vpn2611 offers myset (esp-3des esp-md5-hmac); vpn3640 "
            "accepts myset (esp-des esp-sha-hmac). Quick mode fails (transform proposal not "
            "supported).",
        )
    ]


def test_mismatched_isakmp_policy() -> None:
    report = pair([], [("hash md5\n", "hash sha\n")])
    assert problems(report) == [
        (
            "vpn2611.cfg",
            114,
            "error",
            "tunnel-isakmp-policy",
            "No ISAKMP policy matches: vpn2611 offers policy 3 (3DES, SHA-1, pre-share, group 2), "
            "policy 10 (DES, MD5, pre-share, group 1); vpn3640 has policy 10 (DES, SHA-1, "
            "pre-share, group 1). Encryption, hash, authentication and DH group must all be "
            "equal.",
        )
    ]


def test_policy_lifetimes_that_work_one_way_only() -> None:
    report = pair([], [("hash md5\n", "hash md5\nlifetime 3600\n")])
    assert problems(report) == [
        (
            "vpn3640.cfg",
            49,
            "error",
            "tunnel-isakmp-policy",
            "Phase 1 succeeds only when vpn3640 initiates: the matching ISAKMP policy lasts 86400 "
            "s on vpn2611 but only 3600 s on vpn3640, and IOS accepts a proposed lifetime only up "
            "to its own. Make the lifetimes equal.",
        )
    ]


def test_pre_shared_key_for_the_wrong_address() -> None:
    report = pair([], [("address 172.18.124.159\n", "address 172.18.124.158\n")])
    assert problems(report) == [
        (
            "vpn3640.cfg",
            48,
            "error",
            "tunnel-psk",
            "vpn3640 has no ISAKMP key covering 172.18.124.159 (vpn2611) (its keys cover "
            "172.18.124.158/32): add crypto isakmp key KEY address 172.18.124.159.",
        ),
        (
            "vpn3640.cfg",
            49,
            "error",
            "undefined-reference",
            "% No ISAKMP pre-shared key for peer 172.18.124.159 (crypto isakmp key ... address "
            "172.18.124.159).",
        ),
    ]


def test_different_pre_shared_keys() -> None:
    report = pair([], [("key cisco123 address", "key cisco124 address")])
    assert problems(report) == [
        (
            "vpn2611.cfg",
            70,
            "error",
            "tunnel-psk",
            "The pre-shared keys differ: vpn2611's key for 172.18.124.199 is not vpn3640's key "
            "for 172.18.124.159. Main mode fails after the key exchange (MM_KEY_EXCH).",
        )
    ]
    assert "cisco124" not in format_text(report)  # secrets are not printed


def test_wildcard_key_covers_the_peer() -> None:
    report = pair([], [("address 172.18.124.159\n", "address 0.0.0.0 0.0.0.0\n")])
    assert problems(report) == []
    assert report.tunnels[0].comes_up


def test_crypto_acls_that_do_not_mirror() -> None:
    report = pair(
        [],
        [
            (
                "permit ip 10.10.20.0 0.0.0.255 10.10.10.0",
                "permit ip 10.10.30.0 0.0.0.255 10.10.10.0",
            )
        ],
    )
    assert problems(report) == [
        (
            "vpn2611.cfg",
            162,
            "error",
            "tunnel-proxy-ids",
            "vpn2611 access-list 100 (permit 10.10.10.0/24 -> 10.10.20.0/24) has no mirror image "
            "on vpn3640: it rejects these proxy identities and that traffic is never protected. "
            "vpn3640 needs 'access-list 100 permit ip 10.10.20.0 0.0.0.255 10.10.10.0 "
            "0.0.0.255'.",
        ),
        (
            "vpn3640.cfg",
            82,
            "error",
            "tunnel-proxy-ids",
            "vpn3640 access-list 100 (permit 10.10.30.0/24 -> 10.10.10.0/24) has no mirror image "
            "on vpn2611: it rejects these proxy identities and that traffic is never protected. "
            "vpn2611 needs 'access-list 100 permit ip 10.10.10.0 0.0.0.255 10.10.30.0 "
            "0.0.0.255'.",
        ),
    ]


def test_crypto_acl_wider_on_one_side() -> None:
    wide = "permit ip 10.10.20.0 0.0.0.255 10.10.0.0 0.0.255.255"
    report = pair([], [("permit ip 10.10.20.0 0.0.0.255 10.10.10.0 0.0.0.255", wide)])
    assert problems(report) == [
        (
            "vpn2611.cfg",
            162,
            "error",
            "tunnel-proxy-ids",
            "vpn2611 access-list 100 (permit 10.10.10.0/24 -> 10.10.20.0/24) is narrower than the "
            "mirror of vpn3640's (permit 10.10.20.0/24 -> 10.10.0.0/16): the tunnel comes up only "
            "when vpn2611 initiates. Make the two lines mirror images ('access-list 100 permit ip "
            "10.10.20.0 0.0.0.255 10.10.10.0 0.0.0.255').",
        )
    ]


def test_crypto_acls_that_only_partly_overlap() -> None:
    report = pair(
        [
            (
                "permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255",
                "permit ip 10.10.0.0 0.0.255.255 10.10.20.0 0.0.0.255",
            )
        ],
        [
            (
                "permit ip 10.10.20.0 0.0.0.255 10.10.10.0 0.0.0.255",
                "permit ip 10.10.0.0 0.0.255.255 10.10.10.0 0.0.0.255",
            )
        ],
    )
    rows = problems(report)
    assert [(r[0], r[1], r[3]) for r in rows] == [("vpn2611.cfg", 162, "tunnel-proxy-ids")]
    assert "only partly overlaps the mirror of vpn3640's" in rows[0][4]


def test_set_peer_at_a_wrong_address() -> None:
    report = pair([], [("set peer 172.18.124.159", "set peer 172.18.124.158")])
    assert problems(report)[0] == (
        "vpn3640.cfg",
        48,
        "error",
        "tunnel-peer",
        f"{L3640} 10) sets peer 172.18.124.158, but vpn2611's crypto map interface Ethernet0/0 "
        "(172.18.124.159) is the other end: the tunnel is never negotiated with the right "
        "address.",
    )
    assert [r[3] for r in problems(report)] == ["tunnel-peer", "undefined-reference"]


def test_set_peer_at_the_inside_interface() -> None:
    report = pair([], [("set peer 172.18.124.159", "set peer 10.10.10.1")])
    assert problems(report)[0] == (
        "vpn3640.cfg",
        48,
        "error",
        "tunnel-peer",
        f"{L3640} 10) sets peer 10.10.10.1, which is vpn2611's Ethernet0/1; IKE runs between the "
        "crypto map interfaces, so the peer must be vpn2611's crypto map interface Ethernet0/0 "
        "(172.18.124.159).",
    )


def test_xauth_challenges_the_lan_to_lan_peer_without_no_xauth() -> None:
    report = pair([("199 no-xauth", "199")], [])
    assert problems(report) == [
        (
            "vpn2611.cfg",
            70,
            "error",
            "xauth-l2l",
            "vpn2611 asks every peer of crypto map clientmap for an XAuth user name (client "
            "authentication list userauthen), and the ISAKMP key for LAN-to-LAN peer "
            "172.18.124.199 lacks no-xauth: that router cannot answer and the tunnel fails. Add "
            "no-xauth to its crypto isakmp key command.",
        )
    ]
    assert not report.tunnels[0].comes_up


def test_pfs_on_one_side_only() -> None:
    report = pair([], [("match address 100\n", "match address 100\nset pfs group2\n")])
    assert problems(report) == [
        (
            "vpn3640.cfg",
            48,
            "error",
            "tunnel-pfs",
            "vpn3640 requires PFS (set pfs group2) and vpn2611 does not offer it: vpn3640 rejects "
            "vpn2611's quick mode, and the tunnel comes up only when vpn3640 initiates. Configure "
            "the same set pfs on both entries.",
        )
    ]


def test_pfs_groups_that_differ() -> None:
    report = pair(
        [("match address 100\n", "match address 100\nset pfs group14\n")],
        [("match address 100\n", "match address 100\nset pfs group2\n")],
    )
    assert [r[3] for r in problems(report)] == ["tunnel-pfs"]
    assert problems(report)[0][4].startswith("PFS groups differ: vpn2611 sets pfs group14")


def test_typo_in_a_command_is_an_error_and_breaks_the_tunnel() -> None:
    report = pair([], [("crypto isakmp policy 10", "crypto isakmp polcy 10")])
    first = next(f for f in report.findings if f.file == "vpn3640.cfg")
    assert (first.line, first.code) == (22, "invalid-input")
    assert first.detail == (
        "vpn3640.cfg:22:\ncrypto isakmp polcy 10\n              ^\n"
        "% Invalid input detected at '^' marker."
    )
    assert [r.code for r in report.tunnels[0].reasons] == ["tunnel-isakmp-policy"]
    assert "vpn3640 has only the default policy (DES, SHA-1, rsa-sig, group 1)" in (
        report.tunnels[0].reasons[0].message
    )


def test_entry_without_an_access_list() -> None:
    report = pair([], [("match address 100\n", "")])
    assert problems(report) == [
        (
            "vpn3640.cfg",
            48,
            "error",
            "tunnel-proxy-ids",
            f"{L3640} 10) has no access list to say what traffic to protect.",
        ),
        (
            "vpn3640.cfg",
            48,
            "warning",
            "incomplete-map-entry",
            "crypto map mymap 10 has no access list (match address): IOS keeps it disabled and it "
            "protects nothing.",
        ),
    ]


def test_crypto_map_not_applied() -> None:
    report = pair([], [("half-duplex\ncrypto map mymap\n", "half-duplex\n")])
    assert problems(report) == [
        (
            "vpn2611.cfg",
            114,
            "error",
            "tunnel-no-crypto-map",
            f"{L2611} 1) sets peer 172.18.124.199, which is vpn3640's Ethernet0/0, but that "
            "interface has no crypto map: vpn3640 does not answer IKE there and the tunnel does "
            "not come up.",
        ),
        (
            "vpn3640.cfg",
            48,
            "warning",
            "map-not-applied",
            "crypto map mymap is not applied to any interface (interface ... / crypto map NAME), "
            "so it protects nothing.",
        ),
    ]
    assert report.tunnels == ()


def test_remote_access_needs_group_authorization_and_address_respond() -> None:
    report = pair(
        [
            ("crypto map clientmap isakmp authorization list groupauthor\n", ""),
            ("crypto map clientmap client configuration address respond\n", ""),
        ],
        [],
    )
    assert [(r[1], r[3]) for r in problems(report)] == [
        (79, "remote-access-authorization"),
        (79, "remote-access-address"),
    ]
    assert report.exit_status == 0  # warnings only
    assert report.tunnels[0].comes_up


def test_static_peer_answered_by_a_dynamic_map() -> None:
    hub = (
        "hostname hub\ncrypto isakmp policy 10\n encr aes 256\n hash sha256\n"
        " authentication pre-share\n group 14\n"
        "crypto isakmp key k3y address 0.0.0.0 0.0.0.0\n"
        "crypto ipsec transform-set ts esp-aes 256 esp-sha256-hmac\n"
        "crypto dynamic-map dyn 10\n set transform-set ts\n"
        "crypto map vpn 65535 ipsec-isakmp dynamic dyn\n"
        "interface GigabitEthernet0/0\n ip address 192.0.2.1 255.255.255.0\n crypto map vpn\n"
    )
    spoke = (
        "hostname spoke\ncrypto isakmp policy 10\n encr aes 256\n hash sha256\n"
        " authentication pre-share\n group 14\n"
        "crypto isakmp key k3y address 192.0.2.1\n"
        "crypto ipsec transform-set ts esp-aes 256 esp-sha256-hmac\n"
        "access-list 101 permit ip 10.2.0.0 0.0.255.255 10.1.0.0 0.0.255.255\n"
        "crypto map vpn 10 ipsec-isakmp\n set peer 192.0.2.1\n set transform-set ts\n"
        " match address 101\n"
        "interface GigabitEthernet0/0\n ip address 198.51.100.7 255.255.255.0\n crypto map vpn\n"
    )
    report = lint([parse(hub, "hub.cfg"), parse(spoke, "spoke.cfg")])
    assert report.findings == ()
    (tunnel,) = report.tunnels
    assert tunnel.comes_up
    assert tunnel.left == "spoke (GigabitEthernet0/0 198.51.100.7, crypto map vpn 10)"
    assert tunnel.right == "hub (GigabitEthernet0/0 192.0.2.1, crypto map vpn)"
    assert tunnel.summary == (
        "comes up; phase 1 policy 10 (AES-256, SHA-256, pre-share, group 14); phase 2 ts "
        "(esp-aes 256 esp-sha256-hmac); traffic 10.2.0.0/16 <-> 10.1.0.0/16"
    )


def test_unrelated_configs_have_no_tunnel() -> None:
    other = (
        "hostname other\ncrypto isakmp policy 1\n authentication pre-share\n"
        "crypto isakmp key x address 203.0.113.9\n"
        "crypto ipsec transform-set t esp-aes esp-sha-hmac\n"
        "access-list 101 permit ip 192.168.0.0 0.0.0.255 192.168.1.0 0.0.0.255\n"
        "crypto map m 10 ipsec-isakmp\n set peer 203.0.113.9\n set transform-set t\n"
        " match address 101\n"
        "interface Ethernet0\n ip address 203.0.113.1 255.255.255.0\n crypto map m\n"
    )
    report = lint([parse(variant("vpn3640.cfg"), "vpn3640.cfg"), parse(other, "other.cfg")])
    assert [(r[0], r[3]) for r in problems(report)] == [
        ("vpn3640.cfg", "tunnel-none"),
        ("other.cfg", "tunnel-none"),
    ]
    assert report.tunnels == ()


def test_three_routers_predict_each_tunnel() -> None:
    third = (
        "hostname vpn3\ncrypto isakmp policy 10\n hash md5\n authentication pre-share\n"
        "crypto isakmp key cisco123 address 172.18.124.199\n"
        "crypto ipsec transform-set myset esp-3des esp-md5-hmac\n"
        "access-list 100 permit ip 10.10.30.0 0.0.0.255 10.10.20.0 0.0.0.255\n"
        "crypto map m 10 ipsec-isakmp\n set peer 172.18.124.199\n set transform-set myset\n"
        " match address 100\n"
        "interface Ethernet0/0\n ip address 172.18.124.30 255.255.255.0\n crypto map m\n"
    )
    report = lint(
        [
            parse(variant("vpn2611.cfg"), "vpn2611.cfg"),
            parse(variant("vpn3640.cfg"), "vpn3640.cfg"),
            parse(third, "vpn3.cfg"),
        ]
    )
    outcomes = [(t.left.split()[0], t.right.split()[0], t.comes_up) for t in report.tunnels]
    # vpn3640 has no entry for vpn3: that tunnel is predicted down, the seed's stays up.
    assert outcomes == [("vpn2611", "vpn3640", True), ("vpn3", "vpn3640", False)]
    assert [r.code for r in report.tunnels[1].reasons] == ["tunnel-no-entry"]


def test_strong_config_has_no_advisories() -> None:
    text = (
        "service password-encryption\nhostname r\ncrypto isakmp policy 10\n encr aes 256\n"
        " hash sha256\n authentication pre-share\n group 14\n"
        "crypto ipsec transform-set ts esp-aes 256 esp-sha256-hmac\n"
        "username admin password 7 02050D480809\n"
    )
    assert lint([parse(text)]).findings == ()


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (
            "crypto ipsec transform-set t esp-null esp-sha256-hmac",
            "esp-null",
            "transform set t uses esp-null: the traffic is authenticated but not encrypted.",
        ),
        (
            "crypto ipsec transform-set t esp-des esp-sha256-hmac",
            "weak-des",
            "transform set t encrypts with DES: a 56-bit key that can be brute-forced. Use AES.",
        ),
        (
            "crypto isakmp policy 1\n encr aes\n hash sha256\n group 5",
            "weak-dh-group",
            "ISAKMP policy 1 uses Diffie-Hellman group 5, a 1536-bit modulus too small for "
            "today; use group 14 or higher.",
        ),
        (
            "crypto dynamic-map d 1\n set pfs group2",
            "weak-dh-group",
            "crypto map d 1 (set pfs) uses Diffie-Hellman group 2, a 1024-bit modulus too small "
            "for today; use group 14 or higher.",
        ),
        (
            "crypto isakmp client configuration group g\n key k",
            "aggressive-mode-psk",
            "Client group g authenticates with a group pre-shared key in aggressive mode: anyone "
            "who sees one exchange can crack the key offline. Use a long random key, or "
            "certificates.",
        ),
        (
            "no service password-encryption\nusername u password 0 pw",
            "plaintext-passwords",
            "username u has a type 0 (clear text) password and service password-encryption is "
            "off: it is readable in every copy of this configuration.",
        ),
    ],
)
def test_weak_cryptography_advisories(line: str, code: str, message: str) -> None:
    report = lint([parse(line + "\n", "w.cfg")])
    advisories = [f for f in report.findings if f.severity is Severity.ADVISORY]
    assert [(f.code, f.message) for f in advisories if f.code == code] == [(code, message)]
    assert report.exit_status == 0


def test_password_encryption_on_silences_the_type_0_advisory() -> None:
    report = lint([parse("service password-encryption\nusername u password 0 pw\n")])
    assert report.findings == ()


def test_json_report() -> None:
    report = pair([("199 no-xauth", "199")], [])
    data = report.to_json()
    assert data["exit_status"] == 1
    assert data["summary"] == {"error": 1, "warning": 0, "advisory": 14, "info": 0}
    assert data["tunnels"][0]["comes_up"] is False
    assert data["tunnels"][0]["reasons"][0]["code"] == "xauth-l2l"
    assert data["files"][0]["hostname"] == "vpn2611"
    assert data["files"][0]["not_acted_on"][0] == {
        "line": 6,
        "text": "service timestamps debug uptime",
    }
    assert {"severity", "code", "file", "line", "message", "detail"} == set(data["findings"][0])


def test_text_report() -> None:
    report = pair([], [("hash md5\n", "hash sha\n")])
    lines = format_text(report).splitlines()
    assert lines[0].startswith("vpn2611.cfg:37: advisory [plaintext-passwords] ")
    assert any(line.startswith("vpn2611.cfg:114: error [tunnel-isakmp-policy] ") for line in lines)
    assert f"tunnel {L2611} 1) <-> {L3640} 10): does not come up" in lines
    assert lines[-1] == "summary: 1 error, 0 warning, 13 advisory; 1 tunnel(s) predicted"
    verbose = format_text(report, verbose=True)
    assert "vpn2611.cfg:218: not acted on" not in verbose
    assert "vpn2611.cfg:121: not acted on: fax interface-type fax-mail" in verbose


def test_dynamic_map_entry_without_a_transform_set() -> None:
    report = lint([parse("crypto dynamic-map d 10\n set pfs group14\n", "d.cfg")])
    assert problems(report) == [
        (
            "d.cfg",
            1,
            "warning",
            "incomplete-map-entry",
            "crypto dynamic-map d 10 has no transform set: every peer that reaches it fails "
            "phase 2.",
        )
    ]


def test_later_ios_crypto_blocks_are_kept_with_a_warning() -> None:
    text = (
        "crypto keyring KR\n pre-shared-key address 0.0.0.0 0.0.0.0 key k\n"
        "crypto isakmp profile P\n keyring KR\n match identity address 0.0.0.0\n"
        "crypto ipsec profile V\n set transform-set t\n"
    )
    result = parse(text, "p.cfg")
    assert result.errors == ()
    assert result.config.unmodeled[0].children == ("pre-shared-key address 0.0.0.0 0.0.0.0 key k",)
    rows = problems(lint([result]))
    assert [(r[1], r[3]) for r in rows] == [
        (1, "crypto-not-acted-on"),
        (3, "crypto-not-acted-on"),
        (6, "crypto-not-acted-on"),
    ]
    assert rows[0][4] == (
        "vpnrouter does not act on 'crypto keyring KR' or its sub-commands: what it configures "
        "(keys, peers, profiles) is ignored, so IKE may behave differently than on a router."
    )
