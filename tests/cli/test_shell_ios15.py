"""The 15.x dialect, column for column: each example of the reference IOS 15 formats
(tests/cli/data/reference-ios15, real device output) rebuilt from a snapshot holding the same
values. Leading and trailing blank lines of the examples are not compared (the reference cut
its code blocks there); everything in between is, spaces included.
"""

from __future__ import annotations

import pytest
from shellfakes import DATA, FakeBackend

from vpnrouter.cli.shell.grammar import ENABLE
from vpnrouter.cli.shell.session import Session
from vpnrouter.cli.shell.snapshot import (
    EspSa,
    FlowCounters,
    IkeSa,
    IpsecFlow,
    RouterInfo,
    Snapshot,
)

REFERENCE = DATA / "reference-ios15"
ROUTER = RouterInfo(hostname="R1", software_version="0.1.0", ios_version="15.4")


def reference(name: str) -> str:
    return (REFERENCE / f"{name}.txt").read_text().strip("\n")


def run(snap: Snapshot, command: str) -> str:
    result = Session(FakeBackend(snap), privilege=ENABLE).execute(command)
    assert result.ok, result.text
    return result.text.strip("\n")


def test_isakmp_sa() -> None:
    sa = IkeSa(
        conn_id=1001, dst="203.0.113.1", src="203.0.113.10", state="QM_IDLE",
        local="203.0.113.1", peer="203.0.113.10",
    )  # fmt: skip
    text = run(Snapshot(ROUTER, ike_sas=(sa,)), "show crypto isakmp sa")
    assert text == reference("show-crypto-isakmp-sa")


def test_isakmp_sa_detail() -> None:
    sa = IkeSa(
        conn_id=1001, dst="25.0.0.1", src="15.0.0.1", state="QM_IDLE", local="25.0.0.1",
        peer="15.0.0.1", encryption=7, key_length=128, hash=2, auth=1, group=5,
        lifetime=86400, remaining=23 * 3600 + 25 * 60 + 3, capabilities=("D",), engine_id=1,
    )  # fmt: skip
    text = run(Snapshot(ROUTER, ike_sas=(sa,)), "show crypto isakmp sa detail")
    assert text == reference("show-crypto-isakmp-sa-detail")


def _aes_sha(spi: int, conn_id: int) -> EspSa:
    return EspSa(
        spi=spi, conn_id=conn_id, flow_id=conn_id, encryption=12, key_length=128, auth=2,
        remaining_kilobytes=4224103, remaining_seconds=1454.6, iv_size=16,
    )  # fmt: skip


def test_ipsec_sa() -> None:
    flow = IpsecFlow(
        interface="GigabitEthernet0/0", map_name="CRMAP", map_seq=10, local_address="25.0.0.1",
        peer="15.0.0.1", local_net="192.168.2.0/24", remote_net="192.168.1.0/24",
        counters=FlowCounters(encaps=199, encrypt=199, digest=199, decaps=199, decrypt=199,
                              verify=199),
        inbound=(_aes_sha(0x18906F9D, 1),), outbound=(_aes_sha(0x48BAC7D3, 2),),
    )  # fmt: skip
    text = run(Snapshot(ROUTER, ipsec=(flow,)), "show crypto ipsec sa")
    assert text == reference("show-crypto-ipsec-sa")


def test_engine_connections() -> None:
    def tdes_md5(spi: int, conn_id: int) -> EspSa:
        return EspSa(spi=spi, conn_id=conn_id, encryption=3, auth=1)

    flow = IpsecFlow(
        interface="GigabitEthernet0/1", map_name="M", map_seq=1, local_address="172.16.0.0",
        peer="202.100.2.2", local_net="10.0.0.0/24", remote_net="10.0.1.0/24",
        inbound=(tdes_md5(0x1000, 1),), outbound=(tdes_md5(0x2000, 2),),
    )  # fmt: skip
    ike = IkeSa(
        conn_id=1001, dst="202.100.2.1", src="202.100.2.2", state="QM_IDLE",
        local="202.100.2.1", peer="202.100.2.2", encryption=1, hash=2, auth=1, group=1,
    )  # fmt: skip
    snap = Snapshot(ROUTER, ike_sas=(ike,), ipsec=(flow,))
    text = run(snap, "show crypto engine connections active")
    assert text == reference("show-crypto-engine-connections-active")


def test_crypto_session() -> None:
    """Our router has no ISAKMP profiles, so the reference's ``Profile:`` line is left out."""
    ike = IkeSa(
        conn_id=1001, dst="10.1.1.1", src="10.1.1.2", state="QM_IDLE", local="10.1.1.1",
        peer="10.1.1.2", interface="Virtual-Access2", username="cisco", group_name="easy",
        assigned_address="10.3.3.4",
    )  # fmt: skip
    flow = IpsecFlow(
        interface="Virtual-Access2", map_name="dyn", map_seq=10, local_address="10.1.1.1",
        peer="10.1.1.2", local_net="0.0.0.0/0", remote_net="3.3.3.4/32",
        inbound=(EspSa(spi=1, conn_id=1, encryption=3, auth=1),),
        outbound=(EspSa(spi=2, conn_id=2, encryption=3, auth=1),),
    )  # fmt: skip
    text = run(Snapshot(ROUTER, ike_sas=(ike,), ipsec=(flow,)), "show crypto session")
    expected = [line for line in reference("show-crypto-session").splitlines()]
    assert text.splitlines() == [line for line in expected if not line.startswith("Profile:")]


def test_isakmp_policy() -> None:
    config = (
        "version 15.4\nhostname R1\ncrypto isakmp policy 10\n hash md5\n authentication pre-share\n"
    )
    text = run(Snapshot(ROUTER, running_config=config), "show crypto isakmp policy")
    assert text == reference("show-crypto-isakmp-policy")


@pytest.mark.parametrize(
    ("version", "legacy_line"),
    [("12.2", "current_peer: 15.0.0.1:500"), ("15.1", "current_peer 15.0.0.1 port 500")],
)
def test_dialect_follows_version_line(version: str, legacy_line: str) -> None:
    flow = IpsecFlow(
        interface="Gi0/0", map_name="M", map_seq=1, local_address="25.0.0.1", peer="15.0.0.1",
        local_net="10.0.0.0/24", remote_net="10.0.1.0/24",
    )  # fmt: skip
    router = RouterInfo(hostname="R1", software_version="0.1.0", ios_version=version)
    assert legacy_line in run(Snapshot(router, ipsec=(flow,)), "show crypto ipsec sa")
