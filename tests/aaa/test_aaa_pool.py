"""aaa.pool: ip local pool allocation, release, exhaustion, reconfiguration."""

from ipaddress import IPv4Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpnrouter.aaa import Aaa, AddressPool, PoolError, PoolSet

A = IPv4Address


def seed_pools() -> PoolSet:
    return PoolSet.from_ranges([("ippool", A("14.1.1.100"), A("14.1.1.200"))])


def test_lowest_free_address_each_client_its_own() -> None:
    pools = seed_pools()
    assert pools.allocate("ippool", "client-1") == A("14.1.1.100")
    assert pools.allocate("ippool", "client-2") == A("14.1.1.101")
    assert pools.owner(A("14.1.1.101")) == "client-2"
    assert pools.release(A("14.1.1.100"))
    assert not pools.release(A("14.1.1.100"))
    assert pools.allocate("ippool", "client-3") == A("14.1.1.100")
    assert pools.allocate("nosuchpool", "x") is None
    pool = pools.get("ippool")
    assert pool is not None and pool.size == 101 and pool.free == 99


def test_exhaustion_returns_none() -> None:
    pool = AddressPool("tiny", [(A("10.0.0.1"), A("10.0.0.2"))])
    assert pool.allocate("a") == A("10.0.0.1")
    assert pool.allocate("b") == A("10.0.0.2")
    assert pool.allocate("c") is None
    pool.release(A("10.0.0.1"))
    assert pool.allocate("c") == A("10.0.0.1")


def test_several_lines_make_one_pool() -> None:
    pools = PoolSet.from_ranges(
        [("p", A("10.0.0.1"), A("10.0.0.1")), ("p", A("10.9.0.5"), A("10.9.0.6"))]
    )
    got = [pools.allocate("p", str(i)) for i in range(4)]
    assert got == [A("10.0.0.1"), A("10.9.0.5"), A("10.9.0.6"), None]
    assert [lease.address for lease in pools.leases()] == got[:3]


def test_bad_definitions_are_refused() -> None:
    with pytest.raises(PoolError):
        AddressPool("r", [(A("10.0.0.9"), A("10.0.0.1"))])
    with pytest.raises(PoolError):
        AddressPool("huge", [(A("10.0.0.0"), A("10.255.255.255"))])


def test_reconfigure_keeps_leases_that_still_fit() -> None:
    aaa = Aaa(pools=seed_pools())
    aaa.pools.allocate("ippool", "a")
    aaa.pools.allocate("ippool", "b")
    smaller = Aaa(pools=PoolSet.from_ranges([("ippool", A("14.1.1.101"), A("14.1.1.110"))]))
    dropped = aaa.reconfigure(smaller)
    assert [lease.address for lease in dropped] == [A("14.1.1.100")]
    assert aaa.pools.owner(A("14.1.1.101")) == "b"
    assert aaa.pools.allocate("ippool", "c") == A("14.1.1.102")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 20)), max_size=60))
def test_never_two_owners_for_one_address(ops: list[tuple[bool, int]]) -> None:
    pool = AddressPool("p", [(A("10.0.0.0"), A("10.0.0.7"))])
    held: set[IPv4Address] = set()
    for allocate, index in ops:
        if allocate:
            got = pool.allocate(f"o{index}")
            if got is None:
                assert len(held) == 8
            else:
                assert got not in held and got in pool
                held.add(got)
        elif held:
            victim = sorted(held)[index % len(held)]
            assert pool.release(victim)
            held.discard(victim)
        assert pool.free == 8 - len(held)
