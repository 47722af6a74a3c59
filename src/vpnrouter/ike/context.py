"""What every exchange module works with: policy, injected randomness, clock, outbox, events,
logs, counters and the SA table (one object, owned by :class:`IkeEngine`)."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address

from vpnrouter.aaa import Aaa
from vpnrouter.ike.events import Event, LogFacility, LogLine
from vpnrouter.ike.manager import Datagram, ReplyCache
from vpnrouter.ike.policy import IkePolicy
from vpnrouter.ike.sa import IkeSa, SaTable

RandomBytes = Callable[[int], bytes]

NAT_T_PORT = 4500
IKE_PORT = 500
MIN_SPI = 256  # RFC 4303 2.1: 1..255 are reserved by IANA

_SEVERITY = re.compile(r"^%[A-Z0-9_]+-(\d)-")


@dataclass(frozen=True)
class ClientLease:
    """A pool address this engine handed to a remote-access client."""

    pool: str
    conn_id: int
    peer: str
    group: str
    username: str


class Context:
    """Engine-wide state shared by the exchange modules (sans-I/O: nothing here does I/O)."""

    def __init__(self, policy: IkePolicy, rng: RandomBytes, local_addrs: tuple[str, ...]) -> None:
        self.policy = policy
        self.rng = rng
        self.local_addrs = local_addrs
        self.now = 0.0
        self.events: deque[Event] = deque()
        self.outbox: list[Datagram] = []
        self.counters: Counter[str] = Counter()
        self.table = SaTable()
        self.no_sa_replies = ReplyCache(32)  # answers to MM1s that created no SA
        self.secrets = False  # the explicit "secrets" debug level
        self.aaa: Aaa | None = None  # users, login lists, pools (remote access)
        self.leases: dict[IPv4Address, ClientLease] = {}

    # --- logging ----------------------------------------------------------------------------

    def log(self, facility: LogFacility, text: str) -> None:
        """A debug line; SECRETS lines are produced only when that level is switched on."""
        if facility is LogFacility.SECRETS and not self.secrets:
            return
        self.events.append(LogLine(facility, text))

    def isakmp(self, text: str) -> None:
        self.log(LogFacility.ISAKMP, text)

    def ipsec(self, text: str) -> None:
        self.log(LogFacility.IPSEC, text)

    def log_secret(self, text: str) -> None:
        """Key material: only at the explicit highest "secrets" debug level."""
        self.log(LogFacility.SECRETS, text)

    def syslog(self, text: str) -> None:
        """An IOS syslog message; its severity comes from ``%FACILITY-<n>-MNEMONIC``."""
        match = _SEVERITY.match(text)
        severity = int(match.group(1)) if match else 6
        self.events.append(LogLine(LogFacility.LOG, text, severity))

    def emit(self, event: Event) -> None:
        self.events.append(event)

    # --- randomness -------------------------------------------------------------------------

    def random(self, n: int) -> bytes:
        data = self.rng(n)
        if len(data) != n:
            raise RuntimeError("random source returned the wrong number of bytes")
        return data

    def new_cookie(self) -> bytes:
        """RFC 2408 2.5.3: cookies must be unique; zero is reserved for "not yet known"."""
        while True:
            cookie = self.random(8)
            if any(cookie) and all(sa.icookie != cookie for sa in self.table.ike.values()):
                return cookie

    def new_spi(self) -> int:
        """A fresh inbound ESP SPI from the injected random source (RFC 4303 2.1)."""
        while True:
            spi = int.from_bytes(self.random(4), "big")
            if spi >= MIN_SPI and not self.table.spi_in_use(spi):
                return spi

    # --- sending ----------------------------------------------------------------------------

    def send_raw(self, message: bytes, addr: tuple[str, int], local: tuple[str, int]) -> None:
        """Queue one ISAKMP message, bare, from our (address, port): on the NAT-T port the
        data plane adds the RFC 3948 2.2 non-ESP marker (``Dataplane.send_ike``)."""
        self.outbox.append(Datagram(message, addr, local[1], local_addr=local[0]))
        self.counters["sent"] += 1

    def send(self, sa: IkeSa, message: bytes) -> None:
        self.send_raw(message, (sa.peer, sa.peer_port), (sa.local, sa.local_port))

    def send_keepalive(self, sa: IkeSa) -> None:
        """RFC 3948 2.3: ask for a NAT keepalive to the peer's NAT-T port (the data plane
        writes the 0xFF byte: ``Dataplane.send_nat_keepalive``)."""
        self.outbox.append(
            Datagram(b"", (sa.peer, sa.peer_port), NAT_T_PORT, keepalive=True, local_addr=sa.local)
        )
        self.counters["keepalives"] += 1
