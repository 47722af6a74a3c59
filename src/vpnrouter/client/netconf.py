"""The client's side of routing: where the gateway is reached from, the TUN device's address,
the host route that keeps the tunnel's own packets out of the tunnel, and undoing it all.

- :func:`route_to` asks the kernel (``ip route get GW``) for the source address, next hop and
  interface the gateway is reached through *before* the tunnel exists: the IKE and ESP
  sockets bind that source address.
- All traffic through the tunnel (no split-include from the gateway): routes 0.0.0.0/1 and
  128.0.0.0/1 into the TUN device (more specific than the default route, which stays) and a
  host route to the gateway via the original next hop, so that IKE and ESP still leave by
  the physical interface. Split tunnelling: a route per split-include network only.
- Routes into the TUN device and its address vanish with the device; the host route is
  removed explicitly, and only if vpnclient added it (one already there is left alone).

rtnetlink goes through pyroute2's asyncio API (the client runs on an event loop).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any, Final

from pyroute2 import AsyncIPRoute

ALL_TRAFFIC: Final = (IPv4Network("0.0.0.0/1"), IPv4Network("128.0.0.0/1"))
ANY: Final = IPv4Network("0.0.0.0/0")


class NetconfError(OSError):
    """A route or address could not be read or set; ``str()`` is for the user."""


@dataclass(frozen=True)
class PathToGateway:
    """How the gateway is reached without the tunnel: our source address, the next hop
    (None when the gateway is on a connected network) and the interface."""

    gateway: IPv4Address
    source: IPv4Address
    via: IPv4Address | None
    ifindex: int
    ifname: str


def _messages(result: Any) -> list[Any]:
    return list(result) if result is not None else []


async def route_to(gateway: IPv4Address) -> PathToGateway:
    """``ip route get GATEWAY`` (NetconfError when there is no route)."""
    try:
        async with AsyncIPRoute() as ipr:
            routes = _messages(await ipr.route("get", dst=str(gateway)))
            if not routes:
                raise NetconfError(errno.ENETUNREACH, f"no route to the gateway {gateway}")
            route = routes[0]
            source = route.get_attr("RTA_PREFSRC")
            via = route.get_attr("RTA_GATEWAY")
            ifindex = int(route.get_attr("RTA_OIF") or 0)
            links = _messages(await ipr.link("get", index=ifindex)) if ifindex else []
            ifname = str(links[0].get_attr("IFLA_IFNAME")) if links else f"if{ifindex}"
    except NetconfError:
        raise
    except OSError as exc:
        raise NetconfError(
            exc.errno or errno.EIO, f"no route to the gateway {gateway}: {exc}"
        ) from exc
    if not source:
        raise NetconfError(errno.EADDRNOTAVAIL, f"no source address to reach {gateway}")
    return PathToGateway(
        gateway, IPv4Address(source), IPv4Address(via) if via else None, ifindex, ifname
    )


def tunnel_routes(split_include: tuple[IPv4Network, ...]) -> tuple[IPv4Network, ...]:
    """What goes into the TUN device: the split networks, or everything (two halves)."""
    if not split_include or ANY in split_include:
        return ALL_TRAFFIC
    return split_include


def interface_address(address: IPv4Address, netmask: IPv4Address | None) -> IPv4Interface:
    """The TUN device's address: the assigned one with the gateway's netmask (/32 if none
    or if it makes no sense)."""
    if netmask is not None:
        try:
            return IPv4Interface(f"{address}/{netmask}")
        except ValueError:
            pass
    return IPv4Interface(f"{address}/32")


@dataclass
class NetworkChanges:
    """What vpnclient changed outside the TUN device, to be undone by :meth:`restore`."""

    host_routes: list[dict[str, Any]] = field(default_factory=list)

    async def set_address(self, ifindex: int, address: IPv4Interface) -> None:
        """Put the assigned address on the TUN device (it goes away with the device)."""
        try:
            async with AsyncIPRoute() as ipr:
                await ipr.addr(
                    "add",
                    index=ifindex,
                    address=str(address.ip),
                    prefixlen=address.network.prefixlen,
                )
        except OSError as exc:
            if getattr(exc, "code", None) == errno.EEXIST:
                return
            raise NetconfError(
                errno.EIO, f"cannot assign {address} to the VPN adapter: {exc}"
            ) from exc

    async def pin_gateway(self, path: PathToGateway) -> bool:
        """A host route to the gateway the way it is reached now; False when one existed."""
        spec: dict[str, Any] = {"dst": f"{path.gateway}/32", "oif": path.ifindex}
        if path.via is not None:
            spec["gateway"] = str(path.via)
        try:
            async with AsyncIPRoute() as ipr:
                await ipr.route("add", **spec)
        except OSError as exc:
            if getattr(exc, "code", None) == errno.EEXIST:
                return False
            raise NetconfError(
                errno.EIO, f"cannot add the host route to the gateway {path.gateway}: {exc}"
            ) from exc
        self.host_routes.append(spec)
        return True

    async def restore(self) -> list[str]:
        """Remove what was added; returns the problems met (already gone is no problem)."""
        problems: list[str] = []
        routes, self.host_routes = self.host_routes, []
        if not routes:
            return problems
        async with AsyncIPRoute() as ipr:
            for spec in reversed(routes):
                try:
                    await ipr.route("del", **spec)
                except OSError as exc:
                    if getattr(exc, "code", None) not in (errno.ESRCH, errno.ENODEV):
                        problems.append(f"route {spec['dst']}: {exc}")
        return problems
