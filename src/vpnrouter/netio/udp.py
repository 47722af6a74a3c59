"""UDP endpoints for IKE (port 500) and NAT-T (port 4500).

RFC 3948 section 2 (UDP-encapsulated ESP on port 4500):
  - 2.1 an ESP packet: the UDP payload starts with a non-zero SPI;
  - 2.2 an IKE message: the payload starts with the 4-byte all-zero non-ESP marker, which is
    stripped before the IKE engine sees it (and added on sending);
  - 2.3 a NAT-keepalive: a single 0xFF byte, to be ignored by the receiver.
RFC 3947 section 4: once NAT is detected, IKE itself moves to port 4500 (with the marker).
Datagrams on port 500 are always plain IKE.
"""

from __future__ import annotations

import socket
from enum import Enum
from ipaddress import IPv4Address

from vpnrouter.netio.rawesp import tune_socket

IKE_PORT = 500
NATT_PORT = 4500
NON_ESP_MARKER = b"\x00\x00\x00\x00"
NAT_KEEPALIVE = b"\xff"
MAX_DATAGRAM = 65535


class Kind(Enum):
    IKE = "ike"
    ESP = "esp"
    KEEPALIVE = "keepalive"
    INVALID = "invalid"


def classify(datagram: bytes, local_port: int) -> tuple[Kind, bytes]:
    """RFC 3948 section 2: what a datagram received on ``local_port`` is, and its payload
    (the IKE message without the non-ESP marker, or the ESP packet from the SPI on)."""
    if local_port != NATT_PORT:
        return (Kind.IKE, datagram)
    if datagram == NAT_KEEPALIVE:
        return (Kind.KEEPALIVE, b"")
    if len(datagram) < 8:  # neither an ESP header nor a marker followed by an IKE header
        return (Kind.INVALID, datagram)
    if datagram[:4] == NON_ESP_MARKER:
        return (Kind.IKE, datagram[4:])
    return (Kind.ESP, datagram)


class UdpEndpoint:
    """One bound, non-blocking UDP socket (local address, port)."""

    def __init__(self, local: IPv4Address, port: int) -> None:
        self.local = local
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tune_socket(self.sock)
            self.sock.bind((str(local), port))
        except BaseException:
            self.sock.close()
            raise

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv(self) -> tuple[bytes, tuple[str, int]] | None:
        """(datagram, (peer address, peer port)), or None when idle (or on an ICMP error)."""
        try:
            data, addr = self.sock.recvfrom(MAX_DATAGRAM)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:  # e.g. ECONNREFUSED reported from an earlier send
            return (b"", ("0.0.0.0", 0))
        return (data, (str(addr[0]), int(addr[1])))

    def send(self, payload: bytes, peer: tuple[str, int]) -> bool:
        try:
            self.sock.sendto(payload, peer)
        except OSError:
            return False
        return True

    def send_ike(self, message: bytes, peer: tuple[str, int]) -> bool:
        """An IKE message: with the non-ESP marker on port 4500 (RFC 3948 section 2.2)."""
        if self.port == NATT_PORT:
            message = NON_ESP_MARKER + message
        return self.send(message, peer)

    def close(self) -> None:
        self.sock.close()
