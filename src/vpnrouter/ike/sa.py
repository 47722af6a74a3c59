"""The SA table: ISAKMP SAs (with their quick modes in progress) and IPsec SA pairs.

State names follow IOS ``show crypto isakmp sa`` (12.2): MM_NO_STATE, MM_SA_SETUP,
MM_KEY_EXCH, MM_KEY_AUTH, AG_NO_STATE, AG_INIT_EXCH, QM_IDLE. Read-only snapshots for
``show`` are built by :mod:`vpnrouter.ike.snapshots`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from ipaddress import IPv4Address

from vpnrouter.crypto.cipher import CbcCipher
from vpnrouter.crypto.dh import DhKeyPair
from vpnrouter.crypto.ivchain import IvChain
from vpnrouter.crypto.keymat import Phase1Keys
from vpnrouter.crypto.prf import Prf
from vpnrouter.ike.events import EspKeys, UdpEncapsulation
from vpnrouter.ike.manager import MessageIds, ReplyCache, Retransmission
from vpnrouter.ike.policy import CryptoMapEntry, IsakmpPolicy, Mode, TrafficSelector, TransformSet
from vpnrouter.ike.proposals import EspOffer, Phase1Offer, Phase1Suite
from vpnrouter.ike.ra import RaState

ZERO_COOKIE = bytes(8)


class Phase1State(Enum):
    """Where a main mode stands; ``ios`` is what ``show crypto isakmp sa`` prints."""

    I_MM1 = "initiator sent MM1"
    I_MM3 = "initiator got MM2, sent MM3"
    I_MM5 = "initiator got MM4, sent MM5"
    R_MM1 = "responder got MM1"  # only seen on an SA that failed there
    R_MM2 = "responder got MM1, sent MM2"
    R_MM4 = "responder got MM3, sent MM4"
    I_AM1 = "initiator sent AM1"
    R_AM1 = "responder got AM1"  # only seen on an SA that failed there
    R_AM2 = "responder got AM1, sent AM2"
    ESTABLISHED = "established"

    @property
    def ios(self) -> str:
        return _IOS_STATE[self]


_IOS_STATE = {
    Phase1State.I_MM1: "MM_NO_STATE",
    Phase1State.I_MM3: "MM_SA_SETUP",
    Phase1State.I_MM5: "MM_KEY_EXCH",
    Phase1State.R_MM1: "MM_NO_STATE",
    Phase1State.R_MM2: "MM_SA_SETUP",
    Phase1State.R_MM4: "MM_KEY_EXCH",
    Phase1State.I_AM1: "AG_NO_STATE",
    Phase1State.R_AM1: "AG_NO_STATE",
    Phase1State.R_AM2: "AG_INIT_EXCH",
    Phase1State.ESTABLISHED: "QM_IDLE",
}

# Initiators waiting for the first answer, whose responder cookie is not known yet.
AWAITING_RCOOKIE = frozenset({Phase1State.I_MM1, Phase1State.I_AM1})


@dataclass
class NatState:
    """RFC 3947: what NAT-T was agreed and detected for one ISAKMP SA."""

    version: str | None = None  # "rfc" (RFC 3947) or "draft" (02/03), None: not agreed
    vid: bytes = b""  # the NAT-T vendor ID that was agreed (the responder echoes it)
    local_behind: bool = False  # our NAT-D hash did not match: we are behind a NAT
    peer_behind: bool = False  # the peer's did not match
    floated: bool = False  # the SA moved to UDP 4500
    next_keepalive: float | None = None

    @property
    def in_use(self) -> bool:
        return self.version is not None and self.floated


@dataclass
class DpdState:
    """RFC 3706 dead peer detection for one ISAKMP SA."""

    seq: int = 0  # the last R-U-THERE sequence number sent
    outstanding: int | None = None  # first sequence number of the unanswered round
    retries: int = 0
    next_at: float | None = None  # when the next R-U-THERE of an unanswered round goes
    last_heard: float = 0.0  # anything authenticated from the peer (or inbound ESP)
    last_sent: float | None = None  # outbound ESP seen since (on-demand DPD)


@dataclass
class Phase1Crypto:
    """Derived phase-1 material; repr never shows it."""

    prf: Prf
    keys: Phase1Keys
    cipher: CbcCipher
    ivs: IvChain

    def __repr__(self) -> str:
        return "Phase1Crypto(<secret>)"


@dataclass(frozen=True)
class ChildRequest:
    """An acquire waiting for phase 1, or a rekey: negotiate ``selector`` for ``entry``."""

    entry: CryptoMapEntry
    selector: TrafficSelector
    rekey_of: int | None = None  # inbound SPI of the pair being rekeyed
    ike_conn_id: int | None = None  # negotiate over this ISAKMP SA (rekeys, remote access)
    peer_key: str = ""  # else over the newest one with this IkeSa.peer_key ("" = the peer)


@dataclass(frozen=True)
class Phase2Outcome:
    """Why the last quick mode over an ISAKMP SA failed, and what the peer had proposed
    when we were the responder (diagnostics only)."""

    reason: str
    notify: int | None = None
    at: float = 0.0
    peer_offers: tuple[EspOffer, ...] = ()  # the ESP transforms the peer proposed
    peer_proxy: TrafficSelector | None = None  # its proxy identities, seen from our side


@dataclass(eq=False)
class IkeSa:
    """One ISAKMP SA, from MM1 until it is deleted and has lingered."""

    conn_id: int
    initiator: bool
    local: str
    local_port: int
    peer: str
    peer_port: int
    icookie: bytes
    created: float
    state: Phase1State
    rcookie: bytes = ZERO_COOKIE
    offered: tuple[IsakmpPolicy, ...] = ()
    suite: Phase1Suite | None = None
    psk: bytes = field(default=b"", repr=False)
    dh: DhKeyPair | None = field(default=None, repr=False)
    sa_i_b: bytes = b""  # the initiator's SA payload body (RFC 2409 5: SAi_b)
    ke_i: bytes = b""
    ke_r: bytes = b""
    ni: bytes = b""
    nr: bytes = b""
    crypto: Phase1Crypto | None = None
    nat: NatState = field(default_factory=NatState)
    vendor_ids: list[str] = field(default_factory=list)
    peer_vids: set[bytes] = field(default_factory=set)
    peer_dpd: bool = False
    established_at: float | None = None
    expires_at: float | None = None
    rekey_at: float | None = None
    deadline: float | None = None  # a negotiation not finished by then is abandoned
    linger_until: float | None = None
    retransmit: Retransmission | None = None
    replies: ReplyCache = field(default_factory=ReplyCache)
    message_ids: MessageIds = field(default_factory=MessageIds)
    # Informational exchanges the peer sent, by message ID: digests of the datagrams processed.
    # vpnc 0.5.3 draws these IDs from a small range, so two of its one-message exchanges can
    # share one; only a byte-identical replay is refused (see exchanges/informational.py).
    peer_informationals: dict[int, set[bytes]] = field(default_factory=dict)
    quick: dict[int, QuickMode] = field(default_factory=dict)
    waiting: list[ChildRequest] = field(default_factory=list)
    replaces: int | None = None  # conn-id this SA rekeys
    dead: bool = False  # deleted or failed; kept in its last state while it lingers
    failure: str = ""
    peer_notify: int | None = None  # last unauthenticated error notify (diagnostics only)
    aggressive: bool = False
    id_i_b: bytes = b""  # aggressive mode: the initiator's ID payload body (IDii_b)
    peer_id: str = ""  # the peer's phase-1 identity as text (group name or address)
    xauth_exempt: bool = False  # its key says "no-xauth"
    ra: RaState | None = None  # remote access (XAuth / Mode Config), either role
    dpd: DpdState = field(default_factory=DpdState)
    invalid_spi_at: float | None = None  # when we last sent INVALID-SPI over it
    ended_at: float | None = None  # when it was deleted or failed
    # What the peer asked for, kept for ``show crypto isakmp diagnose`` (never acted on):
    peer_offers: tuple[Phase1Offer, ...] = ()  # its main/aggressive mode transforms
    phase2: Phase2Outcome | None = None  # the last quick mode that failed here

    @property
    def established(self) -> bool:
        return self.state is Phase1State.ESTABLISHED and not self.dead

    @property
    def peer_key(self) -> str:
        """Who "the peer" is for initial contact, deletes and rekeys: the address for
        LAN-to-LAN peers; address and port for remote-access clients, several of which may
        sit behind one NAT address."""
        return f"{self.peer}:{self.peer_port}" if self.ra is not None else self.peer

    @property
    def ios_state(self) -> str:
        """The state debug lines print: CONF_XAUTH/CONF_ADDR while remote access is busy."""
        if self.established and self.ra is not None and self.ra.stage:
            return self.ra.stage
        return self.state.ios

    @property
    def alive(self) -> bool:
        return not self.dead

    @property
    def role(self) -> str:
        return "I" if self.initiator else "R"

    @property
    def tag(self) -> str:
        """IOS debug prefix ``ISAKMP (0:<conn-id>)``."""
        return f"ISAKMP (0:{self.conn_id})"


class QmState(Enum):
    I_QM1 = "QM1 sent"
    R_QM2 = "QM2 sent"
    DONE = "done"


@dataclass(eq=False)
class QuickMode:
    """One quick mode exchange (RFC 2409 5.5) in progress on an ISAKMP SA."""

    mid: int
    initiator: bool
    state: QmState
    entry: CryptoMapEntry
    selector: TrafficSelector  # ours: local = our protected side
    send_ids: bool
    inbound_spi: int
    ni: bytes = b""
    nr: bytes = b""
    pfs_group: int | None = None
    dh: DhKeyPair | None = field(default=None, repr=False)
    peer_ke: bytes = b""
    offered: tuple[TransformSet, ...] = ()
    udp_mode: int | None = None
    lifetime_seconds: int = 0
    lifetime_kilobytes: int = 0
    outbound_spi: int = 0
    transform_set: TransformSet | None = None
    commit: bool = False
    retransmit: Retransmission | None = None
    deadline: float | None = None
    rekey_of: int | None = None
    keys: tuple[EspKeys, EspKeys] | None = None  # (inbound, outbound) once derived
    inbound_installed: bool = False  # responder: InboundSaUp emitted after QM2


class ChildState(Enum):
    ACTIVE = "ACTIVE"
    REKEYED = "REKEYED"  # a newer pair took over; this one waits for its hard lifetime
    DELETED = "DELETED"


@dataclass(eq=False)
class ChildSa:
    """A pair of ESP SAs (inbound and outbound) negotiated by one quick mode."""

    inbound: EspKeys
    outbound: EspKeys
    selector: TrafficSelector
    mode: Mode
    encapsulation: UdpEncapsulation | None
    entry: CryptoMapEntry
    transform_names: str
    pfs_group: int | None
    local: str
    peer: str
    ike_conn_id: int
    initiator: bool
    created: float
    lifetime_seconds: int
    lifetime_kilobytes: int
    conn_ids: tuple[int, int]
    soft_at: float
    hard_at: float
    state: ChildState = ChildState.ACTIVE
    bytes_seen: int = 0
    rekey_started: bool = False
    replaces: tuple[int, int] | None = None
    peer_key: str = ""  # IkeSa.peer_key of the SA that negotiated it
    client_address: IPv4Address | None = None  # remote access: the client's pool address
    inbound_bytes: int = 0
    outbound_bytes: int = 0
    rekey_failures: int = 0  # our rekey quick modes for this pair that failed
    rekey_retry_at: float | None = None  # when the next one starts (bounded back-off)

    @property
    def soft_bytes(self) -> int:
        return int(self.lifetime_kilobytes * 1024 * 0.9)

    @property
    def hard_bytes(self) -> int:
        return self.lifetime_kilobytes * 1024


class SaTable:
    """All ISAKMP and IPsec SAs of one engine, with the lookups the exchanges need."""

    def __init__(self) -> None:
        self.ike: dict[int, IkeSa] = {}
        self.children: dict[int, ChildSa] = {}  # by inbound SPI
        self._next_conn_id = 1
        self._next_ipsec_conn = 2000

    def new_conn_id(self) -> int:
        conn_id = self._next_conn_id
        self._next_conn_id += 1
        return conn_id

    def new_ipsec_conn_ids(self) -> tuple[int, int]:
        first = self._next_ipsec_conn
        self._next_ipsec_conn += 2
        return first, first + 1

    def add(self, sa: IkeSa) -> None:
        self.ike[sa.conn_id] = sa

    def remove(self, sa: IkeSa) -> None:
        self.ike.pop(sa.conn_id, None)

    def find(self, icookie: bytes, rcookie: bytes) -> IkeSa | None:
        """The live SA with these cookies; an initiator still waiting for MM2 matches any
        responder cookie (RFC 2408 3.1: the responder fills it in)."""
        for sa in self.ike.values():
            if not sa.alive or sa.icookie != icookie:
                continue
            if sa.rcookie == rcookie:
                return sa
            if sa.initiator and sa.rcookie == ZERO_COOKIE and sa.state in AWAITING_RCOOKIE:
                return sa
        return None

    def find_responder(self, icookie: bytes, peer: str) -> IkeSa | None:
        """A responder SA created by an MM1 with this initiator cookie from ``peer``."""
        for sa in self.ike.values():
            if sa.alive and not sa.initiator and sa.icookie == icookie and sa.peer == peer:
                return sa
        return None

    def established_for(self, peer: str) -> IkeSa | None:
        """The newest established ISAKMP SA with ``peer`` (quick modes use it)."""
        best: IkeSa | None = None
        for sa in self.ike.values():
            if sa.established and sa.peer == peer and (best is None or sa.conn_id > best.conn_id):
                best = sa
        return best

    def negotiating_for(self, peer: str) -> IkeSa | None:
        for sa in self.ike.values():
            if sa.alive and not sa.established and sa.initiator and sa.peer == peer:
                return sa
        return None

    def children_of_peer(self, peer: str) -> list[ChildSa]:
        return [c for c in self.children.values() if c.peer == peer]

    def children_of(self, peer_key: str) -> list[ChildSa]:
        """The pairs negotiated with one peer (``IkeSa.peer_key``)."""
        return [c for c in self.children.values() if (c.peer_key or c.peer) == peer_key]

    def ike_for_child(self, child: ChildSa) -> IkeSa | None:
        """The established ISAKMP SA to talk about ``child`` over: the one that negotiated
        it, else the newest one with the same peer (``peer_key``)."""
        own = self.ike.get(child.ike_conn_id)
        if own is not None and own.established:
            return own
        key = child.peer_key or child.peer
        best: IkeSa | None = None
        for sa in self.ike.values():
            if (
                sa.established
                and sa.peer_key == key
                and (best is None or sa.conn_id > best.conn_id)
            ):
                best = sa
        return best

    def child_by_outbound(self, spi: int) -> ChildSa | None:
        for child in self.children.values():
            if child.outbound.spi == spi:
                return child
        return None

    def spi_in_use(self, spi: int) -> bool:
        if spi in self.children:
            return True
        return any(qm.inbound_spi == spi for sa in self.ike.values() for qm in sa.quick.values())
