"""A layer-3 TUN device (Linux ``/dev/net/tun``) with its address, MTU and routes.

Linux Documentation/networking/tuntap.rst: ``ioctl(fd, TUNSETIFF, {name, IFF_TUN | IFF_NO_PI})``
makes each ``read()`` return one whole IP packet and each ``write()`` inject one. The device
is not persistent: it disappears, with its addresses and routes, when the descriptor closes.
Addresses, MTU, link state and routes go through rtnetlink (pyroute2's asyncio API, because
the synchronous one refuses to run inside a running event loop).
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
from ipaddress import IPv4Interface, IPv4Network

from pyroute2 import AsyncIPRoute

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IFNAMSIZ = 16
MAX_PACKET = 65535


class TunError(OSError):
    """The TUN device could not be created or configured."""


class TunDevice:
    """An open, up TUN device. Create it with :meth:`open`; :meth:`close` removes it."""

    def __init__(self, fd: int, name: str, ifindex: int, mtu: int) -> None:
        self.fd = fd
        self.name = name
        self.ifindex = ifindex
        self.mtu = mtu
        self.routes: set[IPv4Network] = set()

    @classmethod
    async def open(
        cls, name: str, *, mtu: int = 1500, address: IPv4Interface | None = None
    ) -> TunDevice:
        """Create the device ``name``, set its MTU and optional address, bring it up."""
        if not name or len(name.encode()) >= IFNAMSIZ:
            raise TunError(errno.EINVAL, f"bad interface name {name!r}")
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            ifr = struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI)
            fcntl.ioctl(fd, TUNSETIFF, ifr)
            async with AsyncIPRoute() as ipr:
                found = await ipr.link_lookup(ifname=name)
                if not found:
                    raise TunError(errno.ENODEV, f"{name} vanished after TUNSETIFF")
                index = int(found[0])
                await ipr.link("set", index=index, mtu=mtu)
                if address is not None:
                    prefix = address.network.prefixlen
                    await ipr.addr("add", index=index, address=str(address.ip), prefixlen=prefix)
                await ipr.link("set", index=index, state="up")
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, name, index, mtu)

    def fileno(self) -> int:
        return self.fd

    def read(self) -> bytes | None:
        """One packet, or ``None`` when none is waiting (non-blocking)."""
        try:
            return os.read(self.fd, MAX_PACKET)
        except BlockingIOError:
            return None
        except InterruptedError:
            return None

    def write(self, packet: bytes) -> bool:
        """Inject one IPv4 packet into the kernel; False if it was not taken."""
        try:
            return os.write(self.fd, packet) == len(packet)
        except OSError:
            return False

    async def add_route(self, network: IPv4Network) -> None:
        """Route ``network`` into this device (idempotent)."""
        async with AsyncIPRoute() as ipr:
            await ipr.route("replace", dst=str(network), oif=self.ifindex)
        self.routes.add(network)

    async def remove_route(self, network: IPv4Network) -> None:
        async with AsyncIPRoute() as ipr:
            try:
                await ipr.route("del", dst=str(network), oif=self.ifindex)
            except Exception as exc:  # pyroute2 raises NetlinkError (an OSError) for ESRCH
                if getattr(exc, "code", None) != errno.ESRCH:
                    raise
        self.routes.discard(network)

    def close(self) -> None:
        """Close the descriptor: the kernel deletes the device and its routes."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            self.routes.clear()
