"""vpnclient's session answers ESP on an SPI it has no inbound SA for as the router does: it
logs it (``debug ipsec``) and tells the gateway with a protected INVALID-SPI notify, which
makes the gateway (the seed's vpn2611, a real engine) delete its stale pair.

The session runs with its real engine, data plane and link; only the UDP sockets are
stand-ins (no root): what the session sends goes to the gateway engine in memory, what the
gateway sends comes back through the data plane's UDP path, and the ESP packets enter at
``Dataplane.process_inbound``, where a raw ESP socket hands them over.
"""

from __future__ import annotations

import asyncio
import random
from ipaddress import IPv4Address
from pathlib import Path

from vpnrouter.client.session import ClientSession, SessionSettings
from vpnrouter.config import parse
from vpnrouter.esp.sa import Direction
from vpnrouter.ike.engine import IkeEngine
from vpnrouter.ike.events import ChildSaUp, LogFacility, LogLine, XauthRequested
from vpnrouter.netio.udp import NON_ESP_MARKER
from vpnrouter.router.policy_builder import build, build_aaa
from vpnrouter.wire.constants import ExchangeType
from vpnrouter.wire.header import decode_header

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
GW, PC = "172.18.124.159", "198.51.100.10"
MAX_ROUNDS = 100


class Endpoint:
    """Stands in for ``netio.udp.UdpEndpoint`` on one port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = ""
        self.sent: list[tuple[bytes, tuple[str, int]]] = []
        self.inbox: list[tuple[bytes, tuple[str, int]]] = []

    def send_ike(self, message: bytes, peer: tuple[str, int]) -> bool:
        return self.send((NON_ESP_MARKER if self.port == 4500 else b"") + message, peer)

    def send(self, payload: bytes, peer: tuple[str, int]) -> bool:
        self.sent.append((payload, peer))
        return True

    def recv(self) -> tuple[bytes, tuple[str, int]] | None:
        return self.inbox.pop(0) if self.inbox else None

    def fileno(self) -> int:
        return -1

    def close(self) -> None:
        pass


class Wire:
    """The client session and the gateway engine, joined in memory."""

    def __init__(self, session: ClientSession) -> None:
        config = parse((SEED / "vpn2611.cfg").read_text(), "vpn2611.cfg").config
        plan = build(config)
        self.session = session
        self.gateway = IkeEngine(plan.ike_policy, [GW], random.Random(5).randbytes,
                                 aaa=build_aaa(config))  # fmt: skip
        self.gateway_log: list[str] = []
        self.endpoints = {port: Endpoint(port) for port in (500, 4500)}
        session.plane._udp = self.endpoints  # type: ignore[assignment]

    def pump(self, *, lose_from_client: bool = False) -> None:
        session, now = self.session, self.session.now()
        for _ in range(MAX_ROUNDS):
            moved = False
            for port, endpoint in self.endpoints.items():
                for data, _peer in endpoint.sent:
                    moved = True
                    if not lose_from_client and data and data != b"\xff":
                        message = data[4:] if port == 4500 else data
                        self.gateway.receive_datagram(message, (PC, port), port, now)
                endpoint.sent.clear()
            lose_from_client = False
            for out in self.gateway.datagrams_to_send(now):
                moved = True
                endpoint = self.endpoints[out.addr[1]]
                marker = NON_ESP_MARKER if endpoint.port == 4500 else b""
                endpoint.inbox.append((marker + out.data, (GW, out.local_port)))
                session.plane._on_udp(endpoint)  # type: ignore[arg-type]
            while (event := self.gateway.next_event()) is not None:
                if isinstance(event, LogLine):
                    self.gateway_log.append(event.text)
            if not moved:
                return
        raise AssertionError("datagrams still flowing")

    def client_events(self) -> list[object]:
        found = []
        while not self.session.events.empty():
            found.append(self.session.events.get_nowait())
        return found


def esp_on(spi: int) -> bytes:
    """What follows the outer IPv4 header of an ESP packet: SPI, sequence number, payload."""
    return spi.to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes(48)


def gateway_sends_on(wire: Wire) -> set[int]:
    return {row.outbound_spi for row in wire.gateway.ipsec_sas(wire.session.now())}


def test_esp_for_a_forgotten_pair_is_answered_with_invalid_spi() -> None:
    async def scenario() -> None:
        client_log: list[LogLine] = []
        settings = SessionSettings(
            gateway=IPv4Address(GW), local=IPv4Address(PC), group="3000client",
            group_key="cisco123",
        )  # fmt: skip
        session = ClientSession(settings, log=client_log.append, random_bytes=random.randbytes)
        session.assemble()
        wire = Wire(session)
        session.connect()
        wire.pump()
        assert any(isinstance(e, XauthRequested) for e in wire.client_events())
        assert session.provide_xauth("cisco", "cisco")
        wire.pump()
        (up,) = [e for e in wire.client_events() if isinstance(e, ChildSaUp)]
        old_in = up.inbound.spi
        assert session.plane.find_sa(old_in, Direction.INBOUND) is not None

        # the client drops the pair and its Delete is lost: the gateway still sends on it
        assert session.engine.delete_child_sa(session.now(), spi=old_in) == 1
        session.link.service()
        wire.pump(lose_from_client=True)
        assert session.plane.find_sa(old_in, Direction.INBOUND) is None
        wire.client_events()
        session.plane.process_inbound(esp_on(old_in), GW, None)
        (notify, peer) = wire.endpoints[500].sent[0]
        header = decode_header(notify)
        assert peer == (GW, 500) and header.exchange_type == ExchangeType.INFORMATIONAL
        assert header.encrypted  # protected, over the ISAKMP SA
        (line,) = [e for e in client_log if "invalid SPI" in e.text]
        assert line.facility is LogFacility.IPSEC  # shown with debug ipsec
        assert f"invalid SPI 0x{old_in:08X}({old_in}) from {GW}" in line.text
        assert old_in in gateway_sends_on(wire)
        wire.pump()
        # the gateway's invalid SPI recovery: its stale pair is deleted, a Delete comes back
        assert any("invalid SPI recovery" in text for text in wire.gateway_log)
        assert old_in not in gateway_sends_on(wire)

        # ESP from an address the client has no ISAKMP SA with: logged, nothing sent
        session.plane.process_inbound(esp_on(0x0BADC0DE), "203.0.113.9", None)
        assert len([e for e in client_log if "invalid SPI" in e.text]) == 2
        assert wire.endpoints[500].sent == []
        await session.close()

    asyncio.run(scenario())
