"""Remote-access state of one ISAKMP SA: XAuth, Mode Config and the transaction exchanges
(draft-beaulieu-ike-xauth-02, draft-dukes-ike-mode-cfg-02) in flight on it.

The router side (``server=True``) asks for credentials and answers Mode Config; the client
half (``server=False``, the ``vpnclient`` role) answers XAuth and asks for its configuration.
The logic lives in :mod:`vpnrouter.ike.exchanges.xauth`, ``.mode_config``,
:mod:`vpnrouter.ike.sessions` and :mod:`vpnrouter.ike.client`; this module only holds data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from vpnrouter.ike.events import ModeConfigReceived
from vpnrouter.ike.manager import Retransmission
from vpnrouter.ike.policy import CryptoMapEntry, TransformSet

if TYPE_CHECKING:
    from vpnrouter.ike.client import RemoteAccessOptions


class TxKind(Enum):
    """A transaction exchange we started and whose answer we wait for."""

    XAUTH_REQUEST = "XAuth request"  # router: REQUEST sent, REPLY expected
    XAUTH_STATUS = "XAuth status"  # router: SET(XAUTH-STATUS) sent, ACK expected
    CONFIG_REQUEST = "Mode Config request"  # client: REQUEST sent, REPLY expected
    CONFIG_SET = "Mode Config set"  # router ("address initiate"): SET sent, ACK expected


@dataclass(eq=False)
class Transaction:
    """One transaction exchange (one message ID) we started."""

    mid: int
    kind: TxKind
    identifier: int
    retransmit: Retransmission | None = None
    deadline: float | None = None
    status: int | None = None  # the XAUTH-STATUS value sent (XAUTH_STATUS only)


@dataclass(eq=False)
class PendingXauth:
    """Client half: a gateway's XAuth REQUEST waiting for the user's answer."""

    mid: int
    identifier: int
    types: tuple[int, ...]  # the XAUTH attribute types asked for, in order
    raw: bytes  # the request as received: a retransmission of it is recognised by its bytes


@dataclass(eq=False)
class RaState:
    """XAuth / Mode Config progress of one ISAKMP SA."""

    server: bool
    group: str = ""  # the client group (aggressive mode ID), "" for an address-keyed peer
    username: str = ""  # the XAuth user (router: once authenticated; client: last sent)
    xauth_required: bool = False  # router: ask; client: XAUTHInitPreShared was agreed
    xauth_done: bool = False
    xauth_failures: int = 0
    address: IPv4Address | None = None  # the client's pool address
    config_done: bool = False
    transactions: dict[int, Transaction] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)  # our finished exchanges (late answers)
    # client half
    pending_xauth: PendingXauth | None = None
    xauth_replied: bool = False
    waiting: Retransmission | None = None  # AM3, resent until the gateway starts XAuth
    transform_sets: tuple[TransformSet, ...] = ()
    config: ModeConfigReceived | None = None
    entry: CryptoMapEntry | None = None  # what the client negotiates (and accepts rekeys of)
    options: RemoteAccessOptions | None = None  # how it connected: a re-authentication repeats it

    @property
    def ready(self) -> bool:
        """May the peer negotiate IPsec SAs yet (XAuth finished when it is required)?"""
        return not self.xauth_required or self.xauth_done

    @property
    def stage(self) -> str:
        """IOS's name for what the SA is busy with (``CONF_XAUTH``/``CONF_ADDR``), or ""."""
        if self.xauth_required and not self.xauth_done:
            return "CONF_XAUTH"
        if any(
            tx.kind in (TxKind.CONFIG_REQUEST, TxKind.CONFIG_SET)
            for tx in self.transactions.values()
        ):
            return "CONF_ADDR"
        return ""
