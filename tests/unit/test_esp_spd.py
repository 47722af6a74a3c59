"""SPD: selectors, ordered PROTECT/BYPASS/DISCARD policies, acquire, SA bindings (RFC 4301)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from vpnrouter.esp.ipv4 import OPAQUE_PORT, FlowKey
from vpnrouter.esp.spd import ANY_PORT, Action, Policy, PortRange, Selector, Spd, Verdict


def key(
    src: str, dst: str, proto: int = 1, sport: int = OPAQUE_PORT, dport: int = OPAQUE_PORT
) -> FlowKey:
    return FlowKey(int(IPv4Address(src)), int(IPv4Address(dst)), proto, sport, dport)


ACL100 = Selector.of("10.10.10.0/24", "10.10.20.0/24")


def test_selector_matches_networks() -> None:
    assert ACL100.matches(key("10.10.10.1", "10.10.20.200"))
    assert not ACL100.matches(key("10.10.11.1", "10.10.20.200"))
    assert not ACL100.matches(key("10.10.20.1", "10.10.10.1"))
    assert ACL100.reversed().matches(key("10.10.20.1", "10.10.10.1"))


def test_host_and_any_selectors() -> None:
    host = Selector.of("10.10.10.10/32", "0.0.0.0/0")
    assert host.matches(key("10.10.10.10", "8.8.8.8"))
    assert not host.matches(key("10.10.10.11", "8.8.8.8"))


def test_protocol_and_ports() -> None:
    web = Selector.of("10.10.10.0/24", "10.10.20.0/24", protocol=6, dst_port=80)
    assert web.matches(key("10.10.10.1", "10.10.20.1", 6, 5555, 80))
    assert not web.matches(key("10.10.10.1", "10.10.20.1", 6, 5555, 81))
    assert not web.matches(key("10.10.10.1", "10.10.20.1", 17, 5555, 80))
    # a non-initial fragment has opaque ports: only "any port" selectors can match it
    assert not web.matches(key("10.10.10.1", "10.10.20.1", 6))
    assert Selector.of("10.10.10.0/24", "10.10.20.0/24", protocol=6).matches(
        key("10.10.10.1", "10.10.20.1", 6)
    )
    ranged = Selector.of("0.0.0.0/0", "0.0.0.0/0", 17, src_port=(1024, 65535))
    assert ranged.matches(key("1.1.1.1", "2.2.2.2", 17, 1024, 53))
    assert not ranged.matches(key("1.1.1.1", "2.2.2.2", 17, 1023, 53))


def test_port_range_basics() -> None:
    assert PortRange.single(0) is ANY_PORT
    assert str(PortRange.single(500)) == "500"
    assert str(PortRange(1, 5)) == "1-5"
    with pytest.raises(ValueError):
        PortRange(10, 5)
    with pytest.raises(ValueError):
        Selector.of("1.0.0.0/8", "2.0.0.0/8", protocol=300)


def test_reversed_swaps_ports() -> None:
    sel = Selector.of("10.10.10.0/24", "10.10.20.0/24", 6, src_port=1000, dst_port=80)
    rev = sel.reversed()
    assert rev.src_port == PortRange.single(80) and rev.dst_port == PortRange.single(1000)
    assert rev.reversed() == sel


def test_protect_without_sa_is_acquire_then_protect_once_bound() -> None:
    policy = Policy(ACL100, Action.PROTECT, "mymap 10", IPv4Address("172.18.124.159"))
    spd: Spd[str] = Spd([policy])
    decision = spd.lookup(key("10.10.10.5", "10.10.20.5"))
    assert decision.verdict is Verdict.ACQUIRE and decision.policy is policy and decision.sa is None
    spd.bind(ACL100, "sa-1", "mymap 10")
    decision = spd.lookup(key("10.10.10.5", "10.10.20.5"))
    assert decision.verdict is Verdict.PROTECT and decision.sa == "sa-1"
    assert spd.unbind("sa-1")
    assert spd.lookup(key("10.10.10.5", "10.10.20.5")).verdict is Verdict.ACQUIRE
    assert not spd.unbind("sa-1")


def test_first_matching_entry_wins() -> None:
    deny = Policy(Selector.of("10.10.10.99/32", "10.10.20.0/24"), Action.BYPASS)
    drop = Policy(Selector.of("10.10.10.98/32", "10.10.20.0/24"), Action.DISCARD)
    protect = Policy(ACL100, Action.PROTECT, "mymap 10")
    spd: Spd[str] = Spd([deny, drop, protect])
    spd.bind(ACL100, "sa")
    assert spd.lookup(key("10.10.10.99", "10.10.20.1")).verdict is Verdict.BYPASS
    assert spd.lookup(key("10.10.10.98", "10.10.20.1")).verdict is Verdict.DISCARD
    assert spd.lookup(key("10.10.10.97", "10.10.20.1")).sa == "sa"
    assert spd.lookup(key("10.10.30.1", "10.10.20.1")) == (Verdict.BYPASS, None, None)


def test_tags_keep_crypto_map_entries_apart() -> None:
    to_b = Policy(Selector.of("10.10.10.0/24", "10.10.20.0/24"), Action.PROTECT, "map 10")
    to_c = Policy(Selector.of("10.10.10.0/24", "10.10.0.0/16"), Action.PROTECT, "map 20")
    spd: Spd[str] = Spd([to_b, to_c])
    spd.bind(Selector.of("10.10.10.0/24", "10.10.0.0/16"), "sa-c", "map 20")
    # traffic for 10.10.20.0/24 hits "map 10" first: map 20's SA must not carry it
    assert spd.lookup(key("10.10.10.1", "10.10.20.1")).verdict is Verdict.ACQUIRE
    assert spd.lookup(key("10.10.10.1", "10.10.30.1")).sa == "sa-c"


HOST_PAIR = Selector.of("10.10.10.10/32", "10.10.20.10/32")


def test_a_deny_line_hands_the_packet_to_the_next_entry() -> None:
    """Cascading crypto ACLs: entry 10 denies one host pair before permitting the networks,
    entry 20 permits that pair; the first matching line of each entry decides."""
    spd: Spd[str] = Spd(
        [
            Policy(HOST_PAIR, Action.BYPASS, "map 10"),
            Policy(ACL100, Action.PROTECT, "map 10"),
            Policy(HOST_PAIR, Action.PROTECT, "map 20"),
        ]
    )
    pair = spd.lookup(key("10.10.10.10", "10.10.20.10"))
    assert pair.verdict is Verdict.ACQUIRE and pair.policy is not None
    assert pair.policy.tag == "map 20"
    rest = spd.lookup(key("10.10.10.11", "10.10.20.10"))
    assert rest.verdict is Verdict.ACQUIRE and rest.policy is not None
    assert rest.policy.tag == "map 10"
    spd.bind(ACL100, "sa-10", "map 10")
    spd.bind(HOST_PAIR, "sa-20", "map 20")
    assert spd.lookup(key("10.10.10.10", "10.10.20.10")).sa == "sa-20"
    assert spd.lookup(key("10.10.10.11", "10.10.20.10")).sa == "sa-10"


def test_a_deny_skips_only_the_rest_of_its_own_entry() -> None:
    """After entry 10's deny, entry 10's later permit does not apply; entry 20's lines do,
    again first match first (its own deny for a port wins over its later permit)."""
    spd: Spd[str] = Spd(
        [
            Policy(HOST_PAIR, Action.BYPASS, "map 10"),
            Policy(ACL100, Action.PROTECT, "map 10"),
            Policy(Selector.of("10.10.10.10/32", "10.10.20.10/32", 6, 0, 22), Action.BYPASS,
                   "map 20"),
            Policy(ACL100, Action.PROTECT, "map 20"),
        ]
    )  # fmt: skip
    ssh = spd.lookup(key("10.10.10.10", "10.10.20.10", 6, 40000, 22))
    assert ssh.verdict is Verdict.BYPASS and ssh.policy is not None
    assert ssh.policy.tag == "map 10"  # the first deny that matched, for the logs
    web = spd.lookup(key("10.10.10.10", "10.10.20.10", 6, 40000, 80))
    assert web.verdict is Verdict.ACQUIRE and web.policy is not None
    assert web.policy.tag == "map 20"


def test_denied_by_every_entry_goes_in_the_clear_even_with_a_wider_sa() -> None:
    """A pair every entry denies is BYPASS (routed in the clear), although entry 10's SA
    for the networks would match it: an entry protects only what its ACL permits."""
    spd: Spd[str] = Spd(
        [Policy(HOST_PAIR, Action.BYPASS, "map 10"), Policy(ACL100, Action.PROTECT, "map 10")]
    )
    spd.bind(ACL100, "sa-10", "map 10")
    decision = spd.lookup(key("10.10.10.10", "10.10.20.10"))
    assert decision.verdict is Verdict.BYPASS and decision.sa is None
    assert decision.policy == Policy(HOST_PAIR, Action.BYPASS, "map 10")
    assert spd.lookup(key("10.10.10.11", "10.10.20.10")).sa == "sa-10"


def test_dynamic_entries_come_after_every_static_entry() -> None:
    """A dynamic-map SA (its tag has no ACL lines here) protects only what the static
    entries did not: denied pairs it covers, and traffic no ACL mentions."""
    spd: Spd[str] = Spd(
        [Policy(HOST_PAIR, Action.BYPASS, "map 10"), Policy(ACL100, Action.PROTECT, "map 10")]
    )
    spd.bind(Selector.of("10.10.10.0/24", "10.10.20.0/24"), "client", "map 30")
    assert spd.lookup(key("10.10.10.10", "10.10.20.10")).sa == "client"
    assert spd.lookup(key("10.10.10.11", "10.10.20.10")).verdict is Verdict.ACQUIRE


def test_sa_selector_narrower_than_the_acl() -> None:
    spd: Spd[str] = Spd([Policy(ACL100, Action.PROTECT, "m")])
    spd.bind(Selector.of("10.10.10.5/32", "10.10.20.0/24"), "per-host", "m")
    assert spd.lookup(key("10.10.10.5", "10.10.20.1")).sa == "per-host"
    assert spd.lookup(key("10.10.10.6", "10.10.20.1")).verdict is Verdict.ACQUIRE


def test_dynamic_map_sa_without_a_policy() -> None:
    spd: Spd[str] = Spd([Policy(ACL100, Action.PROTECT, "mymap 10")])
    spd.bind(Selector.of("0.0.0.0/0", "14.1.1.100/32"), "client", "")
    decision = spd.lookup(key("10.10.10.10", "14.1.1.100"))
    assert (
        decision.verdict is Verdict.PROTECT and decision.sa == "client" and decision.policy is None
    )


def test_newest_binding_wins_for_rekeys() -> None:
    spd: Spd[str] = Spd([Policy(ACL100, Action.PROTECT)])
    spd.bind(ACL100, "old")
    assert spd.lookup(key("10.10.10.1", "10.10.20.1")).sa == "old"
    spd.bind(ACL100, "new")
    assert spd.lookup(key("10.10.10.1", "10.10.20.1")).sa == "new"
    spd.unbind("new")
    assert spd.lookup(key("10.10.10.1", "10.10.20.1")).sa == "old"


def test_set_policies_invalidates_the_cache() -> None:
    spd: Spd[str] = Spd([Policy(ACL100, Action.PROTECT)])
    assert spd.lookup(key("10.10.10.1", "10.10.20.1")).verdict is Verdict.ACQUIRE
    spd.set_policies([Policy(ACL100, Action.DISCARD)])
    assert spd.lookup(key("10.10.10.1", "10.10.20.1")).verdict is Verdict.DISCARD
    assert spd.policies == (Policy(ACL100, Action.DISCARD),)


def test_cache_is_bounded() -> None:
    spd: Spd[str] = Spd([Policy(ACL100, Action.PROTECT)])
    for i in range(20000):
        spd.lookup(FlowKey(0x0A0A0A00 + (i & 0xFF), 0x0A0A1400, 17, i & 0xFFFF, 53))
    assert len(spd._cache) <= 8192
