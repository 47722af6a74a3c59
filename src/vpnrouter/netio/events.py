"""What the data plane tells the router (delivered through the driver's ``on_event``)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from vpnrouter.esp.ipv4 import FlowKey
from vpnrouter.esp.sa import LifetimeState
from vpnrouter.esp.spd import Policy


@dataclass(frozen=True, slots=True)
class Acquire:
    """Traffic hit a PROTECT policy with no SA (the packet was dropped): negotiate one.

    Repeated for the same policy and flow addresses at most once per hold-down interval.
    """

    policy: Policy
    flow: FlowKey

    @property
    def src(self) -> IPv4Address:
        return IPv4Address(self.flow.src)

    @property
    def dst(self) -> IPv4Address:
        return IPv4Address(self.flow.dst)


@dataclass(frozen=True, slots=True)
class IkeDatagram:
    """An IKE message received on port 500, or on 4500 with the non-ESP marker removed, on
    our address ``local_addr`` ("": not known, the data plane's first)."""

    data: bytes
    peer: tuple[str, int]
    local_port: int
    local_addr: str = ""


@dataclass(frozen=True, slots=True)
class SaLifetime:
    """An SA reached its soft lifetime (rekey now) or its hard one (it now drops packets)."""

    spi: int
    inbound: bool
    state: LifetimeState


@dataclass(frozen=True, slots=True)
class UnknownSpi:
    """ESP arrived for an SPI we have no inbound SA for (IOS %CRYPTO-4-RECVD_PKT_INV_SPI).

    Rate-limited per (SPI, peer); the router may answer with an INVALID-SPI notify.
    """

    spi: int
    peer: str
    peer_port: int | None


DataplaneEvent = Acquire | IkeDatagram | SaLifetime | UnknownSpi
