"""The ``snapshot`` control request: a running router as the exec shell's ``show`` commands see
it (``vpnrouter.cli.shell.snapshot.Snapshot``, docs/CONTRACTS.md "control socket / show").

Everything comes from state the daemon holds: the configuration it runs (interfaces, version
line, ``show running-config`` text), how its interfaces were bound, the IKE engine's SA rows
(through ``cli.shell.from_engine``), the data plane's per-SA counters and the AAA pools'
leases; ``diagnoses`` come from :mod:`vpnrouter.router.diagnose`.

``#send errors`` of a crypto map entry's flow include the packets the data plane dropped for
want of an SA (``DataplaneStats.acquire_drops``, by ``"MAP SEQ"``). The data plane's figures
only ever grow (``status`` reports them as they are); ``clear crypto sa`` starts the shown
count again from 0, as it does the flow's other counters, through a :class:`SendErrorBaseline`
the daemon keeps: the figure of each entry at its last clear, subtracted when showing.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from vpnrouter import __version__
from vpnrouter.aaa import Aaa
from vpnrouter.cli.shell.from_engine import SaLookup, ike_sa, ipsec_flows
from vpnrouter.cli.shell.snapshot import (
    InterfaceInfo,
    LocalPool,
    PoolLease,
    RouterInfo,
    Snapshot,
)
from vpnrouter.config import RunningConfig, render
from vpnrouter.ike.engine import IkeEngine
from vpnrouter.router.diagnose import diagnose


@dataclass(frozen=True)
class RouterFacts:
    """What does not change while the router runs."""

    config: RunningConfig
    config_file: str
    crypto_interface: str
    local_address: str
    linux_names: Mapping[str, str]  # IOS interface name -> Linux interface
    acl_tags: Collection[str]  # "MAP SEQ" of the SPD's PROTECT policies
    path_mtu: int = 1500
    # local address -> IOS interface, when crypto maps are on several interfaces
    interface_of: Mapping[str, str] = field(default_factory=dict)

    def interface_for(self, local: str) -> str | None:
        """The crypto interface whose address (or local-address) ``local`` is."""
        if local == self.local_address:
            return self.crypto_interface
        return self.interface_of.get(local)


class SendErrorBaseline:
    """The data plane's acquire drops of each crypto map entry at its last ``clear crypto
    sa``: what ``show crypto ipsec sa`` counts from."""

    def __init__(self) -> None:
        self._at_clear: dict[str, int] = {}

    def clear(self, drops: Mapping[str, int], tags: Iterable[str] | None = None) -> None:
        """``clear crypto sa`` (``tags=None``: every entry) or ``clear crypto sa peer A``
        (the ``"MAP SEQ"`` entries of that peer): their counts start again from 0."""
        for tag in drops if tags is None else tags:
            self._at_clear[tag] = drops.get(tag, 0)

    def since_clear(self, drops: Mapping[str, int]) -> dict[str, int]:
        """Each entry's acquire drops since its last clear (entries with none left out)."""
        found = {tag: count - self._at_clear.get(tag, 0) for tag, count in drops.items()}
        return {tag: count for tag, count in found.items() if count > 0}


def _platform() -> str:
    return (
        f"{platform.system()} {platform.release()} {platform.machine()},"
        f" Python {platform.python_version()}"
    )


def router_info(facts: RouterFacts, uptime: float, debug: Collection[str]) -> RouterInfo:
    config = facts.config
    interfaces = tuple(
        InterfaceInfo(
            name=i.name,
            address=str(i.address) if i.address is not None else None,
            linux_name=facts.linux_names.get(i.name),
            crypto_map=i.crypto_map,
            up=not i.shutdown,
        )
        for i in config.interfaces
    )
    return RouterInfo(
        hostname=config.hostname,
        software_version=__version__,
        ios_version=config.version,
        uptime=uptime,
        platform=_platform(),
        image=sys.argv[0] if sys.argv and sys.argv[0] else "vpnrouter",
        config_file=facts.config_file,
        interfaces=interfaces,
        debug=tuple(sorted(debug)),
    )


def pools(aaa: Aaa | None) -> tuple[LocalPool, ...]:
    """One entry per ``ip local pool`` range, with the addresses handed out from it."""
    if aaa is None:
        return ()
    found: list[LocalPool] = []
    for pool in aaa.pools:
        leases = pool.in_use
        for first, last in pool.ranges:
            in_use = tuple(
                PoolLease(str(address), owner)
                for address, owner in sorted(leases.items())
                if first <= address <= last
            )
            found.append(LocalPool(pool.name, str(first), str(last), in_use))
    return tuple(found)


def build_snapshot(
    facts: RouterFacts,
    engine: IkeEngine,
    lookup: SaLookup,
    *,
    now: float,
    uptime: float,
    debug: Collection[str],
    aaa: Aaa | None,
    acquire_drops: Mapping[str, int] | None = None,
) -> Snapshot:
    """``acquire_drops``: by ``"MAP SEQ"``, counted from the last clear
    (:meth:`SendErrorBaseline.since_clear`)."""
    isakmp_rows, ipsec_rows = engine.isakmp_sas(now), engine.ipsec_sas(now)
    ike_sas = tuple(
        ike_sa(
            row,
            now,
            interface=facts.interface_for(row.local),
            username=row.username or None,
            group_name=row.group_name or None,
            assigned_address=str(row.assigned_address) if row.assigned_address else None,
        )
        for row in isakmp_rows
    )
    crypto_map = facts.config.crypto_map_for_interface(facts.crypto_interface)
    flows = ipsec_flows(
        ipsec_rows,
        lookup,
        interface=facts.crypto_interface,
        interfaces={facts.local_address: facts.crypto_interface, **facts.interface_of},
        acl_tags=facts.acl_tags,
        path_mtu=facts.path_mtu,
        acquire_drops=acquire_drops,
    )
    return Snapshot(
        router=router_info(facts, uptime, debug),
        ike_sas=ike_sas,
        ipsec=flows,
        pools=pools(aaa),
        running_config=render(facts.config),
        diagnoses=diagnose(facts.config, crypto_map, isakmp_rows, ipsec_rows, now),
    )
