"""Packet captures in lab namespaces with tshark, and what a capture shows.

`Capture` runs ``tshark -i IF -w FILE -f FILTER`` inside a namespace (bounded by an autostop
duration) and stops it by PID (SIGINT to its process group). tshark reports "Capturing on"
a little before packets really land in the file, and packets still in the kernel's ring when
it is stopped are lost; so `start()` and `stop()` each send a marker frame (a broadcast of the
IEEE local-experimental EtherType 0x88B5, which every host drops) out of the captured
interface and wait until its random nonce is in the file: everything sent after `start()`
returns and before `stop()` is called is in the capture. Markers are left out when reading.
Interfaces without Ethernet framing (TUN devices such as strongSwan's ``ipsec0``) cannot carry
them; there both wait `SETTLE_DELAY` instead, which is good enough but not a guarantee.

`read_packets` and `summarize` read a pcap back with ``tshark -r FILE -T fields`` and sort
every IPv4 packet into one kind: ISAKMP (UDP 500, or UDP 4500 with the non-ESP marker), ESP
(IP protocol 50), ESP in UDP (RFC 3948), NAT-T keepalive, or clear ICMP / TCP / UDP. UDP port
4500 is decoded as RFC 3948 encapsulation. The default capture filter leaves out IGMP: group
membership is the hosts' and bridges' own housekeeping on the link (it may even come from
0.0.0.0), never traffic between the sites that a tunnel should have carried.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from vpnrouter.lab.netns import LabError, LabProcess, Topology, run

TSHARK = "tshark"
READY_TIMEOUT = 10.0
MAX_DURATION = 600  # seconds; tshark's own autostop, in case nobody stops it
NATT_PORT = 4500
MARKER_ETHERTYPE = 0x88B5
MARKER_TAG = b"vpnrouter-lab-marker:"
SYNC_TIMEOUT = 10.0
DEFAULT_FILTER = "ip and not igmp"  # IPv4, less the link's own group-membership chatter
MARKER_RESEND = 0.5  # seconds between markers while waiting for one to show up
SETTLE_DELAY = 1.0  # seconds, for interfaces that cannot carry markers (TUN)
_SEND_FRAME = (
    "import socket, sys\n"
    "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
    "s.bind((sys.argv[1], 0))\n"
    "s.send(bytes.fromhex(sys.argv[2]))\n"
)

KINDS = (
    "isakmp",
    "esp",
    "esp_udp",
    "natt_keepalive",
    "icmp",
    "tcp",
    "udp",
    "other",
)
IPSEC_KINDS = frozenset({"isakmp", "esp", "esp_udp", "natt_keepalive"})
CLEAR_KINDS = frozenset({"icmp", "tcp", "udp", "other"})

FIELDS = (
    "frame.number",
    "eth.type",
    "frame.time_relative",
    "ip.src",
    "ip.dst",
    "frame.protocols",
    "udp.srcport",
    "udp.dstport",
    "esp.spi",
    "icmp.type",
)


@dataclass(frozen=True)
class Packet:
    number: int
    time: float
    src: str
    dst: str
    protocols: tuple[str, ...]
    sport: int | None
    dport: int | None
    esp_spi: int | None
    icmp_type: int | None

    @property
    def kind(self) -> str:
        """One of `KINDS`, from the outermost transport header."""
        protos = self.protocols
        if "ip" not in protos:
            return "other"
        i = protos.index("ip")
        l4, rest = protos[i + 1 : i + 2], protos[i + 2 :]
        if l4 == ("esp",):
            return "esp"
        if l4 == ("icmp",):
            return "icmp"
        if l4 == ("tcp",):
            return "tcp"
        if l4 != ("udp",):
            return "other"
        if rest[:1] == ("isakmp",):
            return "isakmp"
        if rest[:1] == ("udpencap",):
            inner = rest[1:2]
            if inner == ("esp",):
                return "esp_udp"
            if inner == ("isakmp",):
                return "isakmp"
            if not inner:
                return "natt_keepalive"
        if 500 in (self.sport, self.dport):
            # IKE on port 500 whose other port has a dissector of its own: a NAT may map a
            # client's source port 500 to, say, 464, which tshark then decodes as kpasswd.
            return "isakmp"
        return "udp"

    def between(self, net_a: str, net_b: str) -> bool:
        """True if the packet goes from one network to the other (either direction)."""
        try:
            src, dst = ipaddress.ip_address(self.src), ipaddress.ip_address(self.dst)
        except ValueError:
            return False
        a, b = ipaddress.ip_network(net_a), ipaddress.ip_network(net_b)
        return (src in a and dst in b) or (src in b and dst in a)


@dataclass(frozen=True)
class CaptureSummary:
    total: int
    kinds: Counter[str]
    esp_spis: frozenset[int]
    between: Counter[str]  # kinds of the clear packets between the networks asked about
    sources: Counter[str]

    @property
    def clear_between(self) -> int:
        """Clear (not IPsec) packets between the two networks asked about."""
        return sum(self.between.values())

    @property
    def clear_icmp_between(self) -> int:
        return self.between["icmp"]

    @property
    def isakmp(self) -> int:
        return self.kinds["isakmp"]

    @property
    def esp(self) -> int:
        return self.kinds["esp"]

    @property
    def esp_udp(self) -> int:
        return self.kinds["esp_udp"]

    @property
    def clear_icmp(self) -> int:
        return self.kinds["icmp"]

    def only(self, kinds: Iterable[str]) -> bool:
        """True if every packet is of one of `kinds`."""
        allowed = set(kinds)
        return all(kind in allowed for kind, n in self.kinds.items() if n)

    def __str__(self) -> str:
        parts = [f"{kind}={self.kinds[kind]}" for kind in KINDS if self.kinds[kind]]
        listed = ", ".join(parts) or "none"
        return f"{self.total} packets ({listed}); clear between LANs: {self.clear_between}"


def read_packets(
    pcap: Path,
    *,
    display_filter: str | None = None,
    encap_ports: Sequence[int] = (NATT_PORT,),
    timeout: float = 60.0,
) -> list[Packet]:
    """The IPv4 packets of a capture file (first/outer header values)."""
    argv = [TSHARK, "-n", "-r", str(pcap), "-T", "fields", "-E", "separator=\t"]
    argv += ["-E", "occurrence=f"]
    for port in encap_ports:
        argv += ["-d", f"udp.port=={port},udpencap"]
    if display_filter:
        argv += ["-Y", display_filter]
    for name in FIELDS:
        argv += ["-e", name]
    out = run(argv, timeout=timeout).stdout
    packets = []
    for line in out.splitlines():
        cols = line.split("\t")
        if line.strip() and _opt_int(cols[1]) != MARKER_ETHERTYPE:
            packets.append(_packet(cols))
    return packets


def _packet(cols: list[str]) -> Packet:
    cols += [""] * (len(FIELDS) - len(cols))
    return Packet(
        number=int(cols[0]),
        time=float(cols[2] or 0.0),
        src=cols[3],
        dst=cols[4],
        protocols=tuple(cols[5].split(":")) if cols[5] else (),
        sport=_opt_int(cols[6]),
        dport=_opt_int(cols[7]),
        esp_spi=_opt_int(cols[8]),
        icmp_type=_opt_int(cols[9]),
    )


def _opt_int(text: str) -> int | None:
    if not text:
        return None
    return int(text, 16) if text.startswith("0x") else int(text)


def summarize_packets(
    packets: Sequence[Packet], between: tuple[str, str] | None = None
) -> CaptureSummary:
    kinds: Counter[str] = Counter(p.kind for p in packets)
    clear: Counter[str] = Counter()
    if between is not None:
        clear.update(p.kind for p in packets if p.kind in CLEAR_KINDS and p.between(*between))
    return CaptureSummary(
        total=len(packets),
        kinds=kinds,
        esp_spis=frozenset(p.esp_spi for p in packets if p.esp_spi is not None),
        between=clear,
        sources=Counter(p.src for p in packets),
    )


def summarize(
    pcap: Path,
    *,
    between: tuple[str, str] | None = None,
    display_filter: str | None = None,
) -> CaptureSummary:
    """Counts per kind of the packets in a capture file; `between` = two networks whose
    packets must not appear in the clear (e.g. the two LANs of a LAN-to-LAN tunnel)."""
    return summarize_packets(read_packets(pcap, display_filter=display_filter), between)


class Capture:
    """tshark on one interface of one namespace, writing a pcap; a context manager."""

    def __init__(
        self,
        topology: Topology,
        ns: str,
        interface: str,
        path: Path | None = None,
        *,
        capture_filter: str | None = DEFAULT_FILTER,
        max_duration: int = MAX_DURATION,
        name: str = "tshark",
    ) -> None:
        self.topology = topology
        self.ns = topology.ns(ns)
        self.interface = interface
        self.path = path or topology.workdir / f"{name}.pcap"
        self.capture_filter = capture_filter
        self.max_duration = max_duration
        self.name = name
        self.process: LabProcess | None = None
        self.synced = False
        self.markers = False  # Ethernet interfaces only; TUN devices get fixed delays

    def start(self, timeout: float = READY_TIMEOUT) -> Capture:
        """Start tshark; return once packets sent from now on will be in the capture."""
        if self.process is not None:
            raise LabError(f"capture {self.name} already started")
        self.path.unlink(missing_ok=True)
        links = self.topology.links(self.ns)
        self.markers = any(
            link.get("ifname") == self.interface and link.get("link_type") == "ether"
            for link in links
        )
        argv = [TSHARK, "-n", "-i", self.interface, "-w", str(self.path)]
        argv += ["-a", f"duration:{self.max_duration}"]
        if self.capture_filter and self.markers:
            argv += ["-f", f"({self.capture_filter}) or ether proto {MARKER_ETHERTYPE:#06x}"]
        elif self.capture_filter:
            argv += ["-f", self.capture_filter]
        self.process = self.topology.popen(
            self.ns, argv, name=self.name, log=self.path.with_suffix(".log")
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            capturing = "Capturing on" in self.process.log()
            if capturing and (self.sync(deadline - time.monotonic()) or not self.markers):
                return self
            if not self.process.alive():
                break
            time.sleep(0.05)
        log = self.process.log()
        self.process.stop()
        raise LabError(f"tshark on {self.ns}/{self.interface} did not start: {log.strip()}")

    def sync(self, timeout: float = SYNC_TIMEOUT) -> bool:
        """Send marker frames until one is in the capture file; False after `timeout`.
        Without markers (not an Ethernet interface), wait `SETTLE_DELAY` and return False."""
        if self.process is None:
            return False
        if not self.markers:
            time.sleep(SETTLE_DELAY)
            return False
        nonces: list[bytes] = []
        deadline = time.monotonic() + timeout
        next_send = 0.0
        while time.monotonic() < deadline and self.process.alive():
            if time.monotonic() >= next_send:
                nonces.append(os.urandom(16))
                self._send_marker(nonces[-1])
                next_send = time.monotonic() + MARKER_RESEND
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                data = b""
            if any(nonce in data for nonce in nonces):
                return True
            time.sleep(0.02)
        return False

    def _send_marker(self, nonce: bytes) -> None:
        src_mac = b"\x02\x00\x00\x00\x00\x00"  # locally administered
        payload = MARKER_TAG + nonce
        frame = b"\xff" * 6 + src_mac + MARKER_ETHERTYPE.to_bytes(2, "big") + payload
        frame += b"\x00" * max(0, 60 - len(frame))
        argv = [sys.executable, "-I", "-S", "-c", _SEND_FRAME, self.interface, frame.hex()]
        self.topology.exec(self.ns, argv, timeout=10)

    def stop(self, timeout: float = 10.0) -> Path:
        """Wait until everything sent so far is in the file (`synced` tells whether that
        worked), then stop tshark by PID; return the pcap path."""
        if self.process is None:
            raise LabError(f"capture {self.name} was not started")
        if self.process.alive():
            self.synced = self.sync()
        self.process.stop(timeout=timeout, sig=signal.SIGINT)
        if not self.path.exists():
            raise LabError(f"tshark wrote no capture file: {self.process.log().strip()}")
        return self.path

    def packets(self, display_filter: str | None = None) -> list[Packet]:
        return read_packets(self.path, display_filter=display_filter)

    def summary(self, between: tuple[str, str] | None = None) -> CaptureSummary:
        return summarize(self.path, between=between)

    def __enter__(self) -> Capture:
        if self.process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.alive():
            self.stop()
