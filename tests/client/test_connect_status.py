"""``vpnclient status`` and ``vpnclient disconnect`` over a real control socket (served by a
stand-in for ``vpnclient connect``), what status prints, which socket is meant when none
is named, and the retransmission and DPD timing derived from the entry's PeerTimeout."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from vpnrouter.client import control
from vpnrouter.client.main import main
from vpnrouter.client.session import dpd_policy, retransmit_policy
from vpnrouter.router.control import ControlServer

STATUS: dict[str, Any] = {
    "entry": "office",
    "state": "connected",
    "gateway": "172.18.124.159",
    "gateway_port": 4500,
    "client_address": "14.1.1.100",
    "connected_for": 3723.4,
    "nat_t": True,
    "encryption": "168-bit 3-DES",
    "authentication": "HMAC-MD5",
    "secured_networks": ["10.10.10.0/24", "10.10.30.0/24"],
    "counters": {
        "bytes_in": 840,
        "bytes_out": 420,
        "packets_encrypted": 5,
        "packets_decrypted": 10,
        "packets_discarded": 1,
    },
    "ipsec": [
        {
            "inbound_spi": 0x1A2B3C4D,
            "outbound_spi": 0xC0FFEE,
            "local": "14.1.1.100/32",
            "remote": "10.10.10.0/24",
            "bytes_in": 840,
            "bytes_out": 420,
        }
    ],
}


class FakeClient:
    """A control socket answering like ``vpnclient connect``; ``disconnect`` closes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.requests: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.server = ControlServer(path, {"status": self._status, "disconnect": self._disconnect})
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def _status(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self.requests.append("status")
        return STATUS

    def _disconnect(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self.requests.append("disconnect")
        self.loop.call_later(0.2, lambda: asyncio.ensure_future(self.server.close()))
        return {"entry": "office", "state": "connected"}

    def __enter__(self) -> FakeClient:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def sockets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "run"
    monkeypatch.setattr(control, "SOCKET_DIR", directory)
    return directory


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_status_prints_the_statistics(sockets: Path, run: Run) -> None:
    with FakeClient(sockets / "office.sock"):
        code, out, err = run("status")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "VPN tunnel information.",
        "Connection Entry: office",
        "Client address: 14.1.1.100",
        "Server address: 172.18.124.159",
        "Encryption: 168-bit 3-DES",
        "Authentication: HMAC-MD5",
        "IP Compression: None",
        "NAT passthrough is active on port UDP 4500",
        "",
        "VPN traffic summary.",
        "Time connected: 0 day(s), 01:02:03",
        "Bytes in: 840",
        "Bytes out: 420",
        "Packets encrypted: 5",
        "Packets decrypted: 10",
        "Packets discarded: 1",
        "",
        "Configured routes.",
        "Secured  Network Destination  Netmask",
        "*        10.10.10.0           255.255.255.0",
        "*        10.10.30.0           255.255.255.0",
        "",
        "IPsec SAs.",
        "Inbound SPI  Outbound SPI  Local          Remote         Bytes in/out",
        "0x1A2B3C4D   0x00C0FFEE    14.1.1.100/32  10.10.10.0/24  840/420",
    ]


def test_status_json_and_by_entry_name(sockets: Path, run: Run) -> None:
    with FakeClient(sockets / "office.sock"):
        code, out, _ = run("status", "office", "--json")
    assert code == 0 and json.loads(out) == STATUS


def test_a_state_other_than_connected_is_shown(sockets: Path, run: Run) -> None:
    text = control.format_status({**STATUS, "state": "authenticating", "connected_for": None})
    assert "State: authenticating\n" in text and "Time connected: not yet\n" in text


def test_the_current_isakmp_sa_and_its_renewals_are_shown() -> None:
    phase1 = {"conn_id": 3, "lifetime": 60, "reauthentications": 2, "cookies": "00 11"}
    text = control.format_status({**STATUS, "phase1": phase1})
    assert "\nISAKMP SA: conn-id 3, lifetime 60 s, re-authenticated 2 time(s)\n" in text


def test_disconnect_waits_until_the_client_is_gone(sockets: Path, run: Run) -> None:
    path = sockets / "office.sock"
    with FakeClient(path) as fake:
        code, out, err = run("disconnect", "--socket", str(path))
        assert fake.requests == ["disconnect"]
    assert (code, out, err) == (0, "Disconnected 'office'.\n", "")
    assert not path.exists()


def test_not_connected(sockets: Path, run: Run) -> None:
    expected = "vpnclient: not connected (no 'vpnclient connect' is running)\n"
    assert run("status") == (1, "", expected)
    assert run("disconnect") == (1, "", expected)
    code, _, err = run("status", "office")
    assert code == 1 and err == f"vpnclient: not connected ({sockets}/office.sock does not exist)\n"
    sockets.mkdir()
    (sockets / "stale.sock").touch()  # a dead client's file is no connection
    assert run("status") == (1, "", expected)


def test_several_connections_must_be_named(sockets: Path, run: Run) -> None:
    with FakeClient(sockets / "office.sock"), FakeClient(sockets / "lab.sock"):
        code, _, err = run("status")
        assert (code, err) == (1, "vpnclient: several connections are up (lab, office): name one\n")
        assert run("status", "lab")[0] == 0


def test_names_and_durations() -> None:
    assert control.esp_encryption_name(12, 256) == "256-bit AES"
    assert control.esp_encryption_name(2, None) == "56-bit DES"
    assert control.esp_auth_name(2) == "HMAC-SHA1" and control.esp_auth_name(None) == "None"
    assert control.ike_encryption_name(7, 128) == "128-bit AES"
    assert control.ike_hash_name(1) == "MD5"
    assert control.duration_text(90061) == "1 day(s), 01:01:01"


@pytest.mark.parametrize(
    ("peer_timeout", "retries", "total"),
    [(90, 5, 62.0), (0, 5, 62.0), (30, 3, 30.0), (15, 2, 14.0), (10, 1, 6.0), (1, 1, 6.0)],
)
def test_retransmits_fit_the_peer_timeout(peer_timeout: int, retries: int, total: float) -> None:
    policy = retransmit_policy(peer_timeout)
    assert (policy.retries, policy.total()) == (retries, total)


def test_dead_peer_detection_fits_the_peer_timeout() -> None:
    for timeout in (15, 30, 90, 480):
        dpd = dpd_policy(timeout)
        dead_after = dpd.interval + dpd.retry * (dpd.max_retries + 1)
        assert dpd.periodic and timeout - dpd.retry <= dead_after <= timeout + dpd.retry
    assert dpd_policy(0) == dpd_policy(90)


@pytest.fixture(autouse=True)
def _no_threads_left() -> Iterator[None]:
    before = threading.active_count()
    yield
    assert threading.active_count() <= before
