"""A tiny DNS server for the lab: host1 (10.10.10.10) plays the DNS server that the seed's
client group hands out (``dns 10.10.10.10``, ``domain cisco.com``), so a connected VPN
client resolves the lab's names through the tunnel.

``python -m vpnrouter.lab.dnsd --bind 10.10.10.10 NAME=ADDRESS ...`` answers A queries
(RFC 1035 4.1) for the names given (``host1.cisco.com=10.10.10.10``), NXDOMAIN for other
names in their domains, REFUSED for the rest; one datagram in, one out, nothing kept.
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
from collections.abc import Mapping
from ipaddress import IPv4Address

DNS_PORT = 53
MAX_QUERY = 512  # RFC 1035 2.3.4: UDP messages
TTL = 60
TYPE_A, CLASS_IN = 1, 1
RCODE_NXDOMAIN, RCODE_REFUSED, RCODE_FORMERR = 3, 5, 1
MAX_LABELS = 127


def _qname(data: bytes, offset: int) -> tuple[str, int]:
    """The question name (no compression in questions) and the offset after it."""
    labels: list[str] = []
    for _ in range(MAX_LABELS):
        if offset >= len(data):
            raise ValueError("truncated name")
        length = data[offset]
        offset += 1
        if length == 0:
            return ".".join(labels).lower(), offset
        if length > 63 or offset + length > len(data):
            raise ValueError("bad label")
        labels.append(data[offset : offset + length].decode("ascii", "replace"))
        offset += length
    raise ValueError("name too long")


def answer(query: bytes, names: Mapping[str, IPv4Address]) -> bytes | None:
    """The response to one query datagram (None: not a query worth answering)."""
    if len(query) < 12:
        return None
    ident, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    try:
        name, end = _qname(query, 12)
        qtype, qclass = struct.unpack("!HH", query[end : end + 4])
    except (ValueError, struct.error):
        return struct.pack("!HHHHHH", ident, 0x8180 | RCODE_FORMERR, 0, 0, 0, 0)
    question = query[12 : end + 4]
    domains = {n.split(".", 1)[1] for n in names if "." in n}
    address = names.get(name)
    rd = flags & 0x0100
    if address is not None and qtype == TYPE_A and qclass == CLASS_IN:
        header = struct.pack("!HHHHHH", ident, 0x8400 | rd, 1, 1, 0, 0)  # QR AA
        record = struct.pack("!HHHIH", 0xC00C, TYPE_A, CLASS_IN, TTL, 4) + address.packed
        return header + question + record
    ours = address is not None or any(name == d or name.endswith("." + d) for d in domains)
    rcode = (0 if address is not None else RCODE_NXDOMAIN) if ours else RCODE_REFUSED
    header = struct.pack("!HHHHHH", ident, 0x8000 | (0x0400 if ours else 0) | rd | rcode,
                         1, 0, 0, 0)  # fmt: skip
    return header + question


def serve(bind: str, names: Mapping[str, IPv4Address], port: int = DNS_PORT) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((bind, port))
    print(f"dnsd: answering for {', '.join(sorted(names))} on {bind}:{port}", flush=True)
    while True:
        data, peer = sock.recvfrom(MAX_QUERY)
        reply = answer(data, names)
        if reply is not None:
            sock.sendto(reply, peer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vpnrouter.lab.dnsd")
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=DNS_PORT)
    parser.add_argument("names", nargs="+", metavar="NAME=ADDRESS")
    args = parser.parse_args(argv)
    names = {}
    for item in args.names:
        name, _, address = item.partition("=")
        names[name.lower().rstrip(".")] = IPv4Address(address)
    try:
        serve(args.bind, names, args.port)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
