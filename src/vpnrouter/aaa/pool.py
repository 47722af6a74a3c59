"""``ip local pool NAME FIRST LAST``: the addresses Mode Config hands to VPN clients.

A pool is one or more ranges (IOS allows several ``ip local pool`` lines with the same name).
Each client gets its own address, the lowest free one, and it comes back when the client
goes away. ``reconfigure`` keeps the leases of addresses that are still in a pool, so a
configuration reload does not renumber connected clients.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address

Range = tuple[IPv4Address, IPv4Address]
MAX_POOL_SIZE = 1 << 20  # a /12 worth of addresses; larger ranges are a configuration error


@dataclass(frozen=True)
class Lease:
    """One address in use: the pool it came from and who holds it (for ``show``)."""

    pool: str
    address: IPv4Address
    owner: str


class PoolError(ValueError):
    """A pool definition that cannot be used (reversed or huge range)."""


class AddressPool:
    """One named pool: ranges, leases (address -> owner), lowest-free allocation."""

    def __init__(self, name: str, ranges: Sequence[Range]) -> None:
        self.name = name
        self.ranges: tuple[Range, ...] = tuple(ranges)
        size = 0
        for first, last in self.ranges:
            if last < first:
                raise PoolError(f"pool {name}: range {first}-{last} is reversed")
            size += int(last) - int(first) + 1
        if size > MAX_POOL_SIZE:
            raise PoolError(f"pool {name}: {size} addresses is too many")
        self.size = size
        self._leases: dict[IPv4Address, str] = {}

    def __contains__(self, address: object) -> bool:
        return isinstance(address, IPv4Address) and any(
            first <= address <= last for first, last in self.ranges
        )

    def addresses(self) -> Iterator[IPv4Address]:
        for first, last in self.ranges:
            for value in range(int(first), int(last) + 1):
                yield IPv4Address(value)

    @property
    def free(self) -> int:
        return self.size - len(self._leases)

    @property
    def in_use(self) -> dict[IPv4Address, str]:
        return dict(self._leases)

    def owner(self, address: IPv4Address) -> str | None:
        return self._leases.get(address)

    def allocate(self, owner: str) -> IPv4Address | None:
        """The lowest free address, now held by ``owner``; None when the pool is exhausted."""
        if not self.free:
            return None
        for address in self.addresses():
            if address not in self._leases:
                self._leases[address] = owner
                return address
        return None

    def release(self, address: IPv4Address) -> bool:
        return self._leases.pop(address, None) is not None

    def adopt(self, address: IPv4Address, owner: str) -> bool:
        """Record an existing lease (reconfiguration); False if not in the pool or taken."""
        if address not in self or address in self._leases:
            return False
        self._leases[address] = owner
        return True

    def leases(self) -> tuple[Lease, ...]:
        return tuple(Lease(self.name, a, o) for a, o in sorted(self._leases.items()))


class PoolSet:
    """All ``ip local pool`` definitions by name."""

    def __init__(self, pools: Iterable[AddressPool] = ()) -> None:
        self._pools: dict[str, AddressPool] = {p.name: p for p in pools}

    @classmethod
    def from_ranges(cls, definitions: Iterable[tuple[str, IPv4Address, IPv4Address]]) -> PoolSet:
        """From ``(name, first, last)`` lines, several lines of a name making one pool."""
        ranges: dict[str, list[Range]] = {}
        for name, first, last in definitions:
            ranges.setdefault(name, []).append((first, last))
        return cls(AddressPool(name, r) for name, r in ranges.items())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._pools

    def __iter__(self) -> Iterator[AddressPool]:
        return iter(self._pools.values())

    def get(self, name: str) -> AddressPool | None:
        return self._pools.get(name)

    def allocate(self, name: str, owner: str) -> IPv4Address | None:
        pool = self._pools.get(name)
        return pool.allocate(owner) if pool is not None else None

    def release(self, address: IPv4Address) -> bool:
        return any(pool.release(address) for pool in self._pools.values())

    def owner(self, address: IPv4Address) -> str | None:
        for pool in self._pools.values():
            owner = pool.owner(address)
            if owner is not None:
                return owner
        return None

    def leases(self) -> tuple[Lease, ...]:
        return tuple(lease for pool in self._pools.values() for lease in pool.leases())

    def reconfigure(self, new: PoolSet) -> list[Lease]:
        """Take ``new``'s definitions, keeping leases that still fit; returns those dropped."""
        dropped: list[Lease] = []
        for lease in self.leases():
            pool = new.get(lease.pool)
            if pool is None or not pool.adopt(lease.address, lease.owner):
                dropped.append(lease)
        self._pools = dict(new._pools)
        return dropped
