"""Raw IPv4 sockets: ESP as IP protocol 50 (RFC 4303), and a send-only IPPROTO_RAW socket.

Linux raw(7): a ``SOCK_RAW`` socket for protocol 50 receives every ESP packet addressed to the
bound address *with* its IPv4 header (already reassembled), and sends ESP payloads to which
the kernel adds the IPv4 header. While such a socket is open the kernel does not answer ESP
with ICMP protocol-unreachable. Outgoing packets are sent with ``IP_PMTUDISC_DONT``: should
an ESP packet exceed the path MTU the kernel fragments the outer packet rather than fail.

The IPPROTO_RAW socket (``IP_HDRINCL`` implied, never receives) carries the ICMP errors the
data plane originates (fragmentation needed, RFC 1191); a zero source address is filled in by
the kernel with the address of the outgoing interface. Bound to the crypto interface it also
forwards the packets no crypto map entry protects, as they are (the kernel already decremented
their TTL when it routed them into the TUN device).
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address

IPPROTO_ESP = 50
IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
IP_PMTUDISC_DONT = getattr(socket, "IP_PMTUDISC_DONT", 0)
SOCKET_BUFFER = 4 * 1024 * 1024
MAX_PACKET = 65535


def tune_socket(sock: socket.socket) -> None:
    sock.setblocking(False)
    for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER)
        except OSError:
            pass
    sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)


class RawEspSocket:
    """ESP over IP protocol 50, bound to the local crypto endpoint address."""

    def __init__(self, local: IPv4Address) -> None:
        self.local = local
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_ESP)
        try:
            tune_socket(self.sock)
            self.sock.bind((str(local), 0))
        except BaseException:
            self.sock.close()
            raise

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv(self) -> tuple[bytes, str] | None:
        """(ESP payload without the IPv4 header, source address), or None when idle.

        Packets whose IPv4 header does not parse are returned with an empty payload so the
        caller counts them.
        """
        try:
            data, addr = self.sock.recvfrom(MAX_PACKET)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return (b"", "0.0.0.0")
        if len(data) < 20:
            return (b"", str(addr[0]))
        ihl = (data[0] & 0x0F) * 4
        total = (data[2] << 8) | data[3]
        if ihl < 20 or total > len(data) or total < ihl:
            return (b"", str(addr[0]))
        return (data[ihl:total], str(addr[0]))

    def send(self, payload: bytes, peer: str) -> bool:
        try:
            self.sock.sendto(payload, (peer, 0))
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()


class RawIpSender:
    """Send whole IPv4 packets (IPPROTO_RAW, send-only): the data plane's own ICMP errors, and,
    bound to an interface (``SO_BINDTODEVICE``), packets a crypto map leaves in the clear.

    Bound, the kernel looks the destination up among the routes through that interface only
    (a nexthop on another device is skipped), so the route into the TUN device is not taken
    again: the packet leaves as routing would send it were there no tunnel.
    """

    def __init__(self, device: str | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        try:
            self.sock.setblocking(False)
            if device is not None:
                self.sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode() + b"\0"
                )
        except BaseException:
            self.sock.close()
            raise

    def send(self, packet: bytes) -> bool:
        if len(packet) < 20:
            return False
        dst = socket.inet_ntoa(packet[16:20])
        try:
            self.sock.sendto(packet, (dst, 0))
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()
