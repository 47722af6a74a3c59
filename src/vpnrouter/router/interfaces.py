"""IOS interfaces on Linux ones: binding, address assignment, ``ip route`` lines, cleanup.

Two ways to run, both as a router applying its configuration would:

- **implicit** (no ``--interface``): every configured, not shut down interface with an
  address is bound to the Linux interface that already holds that address. The host's
  addresses and routes are left as they are.
- **explicit** (``--interface Ethernet0/0=eth1``, repeatable): the named interfaces are
  bound to the given Linux interfaces, which are brought up and get the configured address
  (primary and secondaries); the configuration's ``ip route`` lines are then applied.
  Interfaces not named are bound implicitly when their address is already on the host.

Everything this module adds (addresses, routes, link state) is recorded and undone by
:meth:`InterfaceManager.cleanup`, in reverse order; what was already there is never touched.
rtnetlink goes through pyroute2's synchronous API, so this runs outside the event loop.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface
from typing import Any

from pyroute2 import IPRoute

from vpnrouter.config import model as cfg

AF_INET = 2
IFF_UP = 0x1


class InterfaceError(RuntimeError):
    """An interface cannot be bound or configured; the daemon does not start."""


@dataclass(frozen=True)
class Binding:
    """One IOS interface and the Linux interface playing it."""

    ios: str
    linux: str
    index: int
    address: IPv4Interface | None
    explicit: bool


@dataclass
class _Undo:
    addresses: list[tuple[int, IPv4Interface]] = field(default_factory=list)
    routes: list[dict[str, Any]] = field(default_factory=list)
    links_up: list[int] = field(default_factory=list)


def parse_interface_args(values: list[str]) -> dict[str, str]:
    """``["Ethernet0/0=eth1", ...]`` -> ``{"Ethernet0/0": "eth1"}`` (ValueError if bad)."""
    result: dict[str, str] = {}
    for value in values:
        ios, sep, linux = value.partition("=")
        if not sep or not ios.strip() or not linux.strip():
            raise ValueError(f"--interface {value!r}: expected IOSNAME=LINUXNAME")
        result[ios.strip()] = linux.strip()
    return result


class InterfaceManager:
    """Binds a configuration's interfaces; ``log`` receives one line per action taken."""

    def __init__(
        self,
        config: cfg.RunningConfig,
        explicit: Mapping[str, str],
        log: Callable[[str], None],
    ) -> None:
        self.config = config
        self.explicit = dict(explicit)
        self.log = log
        self.bindings: list[Binding] = []
        self._undo = _Undo()

    # -- queries ---------------------------------------------------------------------------
    def binding(self, ios: str) -> Binding | None:
        return next((b for b in self.bindings if b.ios.lower() == ios.lower()), None)

    @staticmethod
    def _links(ipr: Any) -> dict[int, tuple[str, int]]:
        return {
            int(link.get("index")): (str(link.get_attr("IFLA_IFNAME")), int(link.get("flags")))
            for link in ipr.get_links()
        }

    @staticmethod
    def _addresses(ipr: Any) -> dict[IPv4Address, tuple[int, int]]:
        """Address -> (ifindex, prefix length) of every IPv4 address on the host."""
        found: dict[IPv4Address, tuple[int, int]] = {}
        for msg in ipr.get_addr(family=AF_INET):
            address = msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS")
            if address:
                found[IPv4Address(address)] = (int(msg.get("index")), int(msg.get("prefixlen")))
        return found

    # -- setup -----------------------------------------------------------------------------
    def setup(self) -> list[Binding]:
        """Bind every interface; on failure undo what was done and raise InterfaceError."""
        try:
            with IPRoute() as ipr:
                self._setup(ipr)
        except InterfaceError:
            self.cleanup()
            raise
        except OSError as exc:
            self.cleanup()
            raise InterfaceError(f"rtnetlink: {exc}") from exc
        return self.bindings

    def _setup(self, ipr: Any) -> None:
        for name in self.explicit:
            if self.config.interface(name) is None:
                raise InterfaceError(f"--interface {name}: no such interface in the configuration")
        links = self._links(ipr)
        by_name = {ifname: index for index, (ifname, _flags) in links.items()}
        for interface in self.config.interfaces:
            linux = next(
                (v for k, v in self.explicit.items() if k.lower() == interface.name.lower()),
                None,
            )
            if linux is not None:
                index = by_name.get(linux)
                if index is None:
                    raise InterfaceError(
                        f"--interface {interface.name}={linux}: no Linux interface {linux}"
                    )
                self._assign(ipr, interface, linux, index, links[index][1])
            elif interface.address is not None and not interface.shutdown:
                self._find(ipr, interface, interface.address, links)
        if self.explicit:
            for route in self.config.static_routes:
                self._apply_route(ipr, route)

    def _find(
        self,
        ipr: Any,
        interface: cfg.Interface,
        address: IPv4Interface,
        links: dict[int, tuple[str, int]],
    ) -> None:
        held = self._addresses(ipr).get(address.ip)
        if held is None:
            if interface.crypto_map is not None:
                raise InterfaceError(
                    f"{interface.name}: no Linux interface holds {address.ip}; assign"
                    f" it or bind one with --interface {interface.name}=LINUXNAME"
                )
            self.log(f"{interface.name}: {address.ip} is on no Linux interface: not bound")
            return
        index, _prefix = held
        linux = links.get(index, (f"if{index}", 0))[0]
        self.bindings.append(Binding(interface.name, linux, index, address, False))
        self.log(f"{interface.name} is {linux} ({address})")

    def _assign(
        self, ipr: Any, interface: cfg.Interface, linux: str, index: int, flags: int
    ) -> None:
        self.bindings.append(Binding(interface.name, linux, index, interface.address, True))
        if interface.shutdown:
            self.log(f"{interface.name} bound to {linux}: shutdown, not configured")
            return
        if not flags & IFF_UP:
            ipr.link("set", index=index, state="up")
            self._undo.links_up.append(index)
        present = self._addresses(ipr)
        wanted = [a for a in (interface.address, *interface.secondary) if a is not None]
        for address in wanted:
            if address.ip in present:
                if present[address.ip][0] != index:
                    raise InterfaceError(
                        f"{interface.name}: {address.ip} is already on another interface"
                    )
                continue
            ipr.addr(
                "add", index=index, address=str(address.ip), prefixlen=address.network.prefixlen
            )
            self._undo.addresses.append((index, address))
        text = ", ".join(str(a) for a in wanted) or "no address"
        self.log(f"{interface.name} bound to {linux}: {text}")

    def _apply_route(self, ipr: Any, route: cfg.StaticRoute) -> None:
        spec: dict[str, Any] = {"dst": str(route.prefix)}
        if route.next_hop is not None:
            spec["gateway"] = str(route.next_hop)
        if route.interface is not None:
            bound = self.binding(route.interface)
            if bound is None:
                self.log(f"ip route {route.prefix}: interface {route.interface} not bound: skipped")
                return
            spec["oif"] = bound.index
        if route.distance > 1:
            spec["priority"] = route.distance
        text = f"ip route {route.prefix} via {route.next_hop or route.interface}"
        try:
            ipr.route("add", **spec)
        except OSError as exc:
            if getattr(exc, "code", None) == errno.EEXIST:
                self.log(f"{text}: already present")
                return
            self.log(f"{text}: not applied ({exc})")
            return
        self._undo.routes.append(spec)
        self.log(f"{text}: applied")

    # -- cleanup ---------------------------------------------------------------------------
    def cleanup(self) -> None:
        """Remove the routes and addresses added, set down links that were brought up."""
        undo, self._undo = self._undo, _Undo()
        if not (undo.routes or undo.addresses or undo.links_up):
            return
        with IPRoute() as ipr:
            for spec in reversed(undo.routes):
                self._quietly(ipr.route, "del", **spec)
            for index, address in reversed(undo.addresses):
                self._quietly(
                    ipr.addr,
                    "del",
                    index=index,
                    address=str(address.ip),
                    prefixlen=address.network.prefixlen,
                )
            for index in reversed(undo.links_up):
                self._quietly(ipr.link, "set", index=index, state="down")

    def _quietly(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            call(*args, **kwargs)
        except OSError as exc:  # already gone (e.g. the interface was deleted under us)
            self.log(f"cleanup: {exc}")
