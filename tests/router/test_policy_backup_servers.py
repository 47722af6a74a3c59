"""``backup-gateway`` lines reach the engine, and the Mode Config answer carries them as the
one comma-separated text of Unity BACKUP_SERVERS (28681)."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

from vpnrouter.config import parse_strict
from vpnrouter.ike.exchanges import unity
from vpnrouter.router.policy_builder import build
from vpnrouter.wire.constants import CfgAttr

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
GROUP = "crypto isakmp client configuration group 3000client\nkey cisco123\n"


def seed_with(*servers: str) -> str:
    lines = "".join(f"backup-gateway {s}\n" for s in servers)
    return (SEED / "vpn2611.cfg").read_text().replace(GROUP, GROUP + lines)


def test_backup_gateways_are_answered_to_a_client_that_asks() -> None:
    plan = build(parse_strict(seed_with("172.18.124.200", "vpn2.cisco.com")))
    (group,) = plan.ike_policy.client_groups
    assert group.backup_servers == ("172.18.124.200", "vpn2.cisco.com")
    assert plan.warnings == ()
    reply = unity.answer(unity.CLIENT_REQUEST, group, IPv4Address("14.1.1.100"), "IOS")
    servers = [a for a in reply.attributes if a.type == CfgAttr.UNITY_BACKUP_SERVERS]
    assert [a.value for a in servers] == [b"172.18.124.200,vpn2.cisco.com"]
    assert "Sending backup servers 172.18.124.200,vpn2.cisco.com" in reply.notes


def test_no_backup_gateway_declines_the_attribute() -> None:
    (group,) = build(parse_strict(seed_with())).ike_policy.client_groups
    assert group.backup_servers == ()
    reply = unity.answer(unity.CLIENT_REQUEST, group, IPv4Address("14.1.1.100"), "IOS")
    assert all(a.type != CfgAttr.UNITY_BACKUP_SERVERS for a in reply.attributes)


def test_only_the_first_ten_are_sent() -> None:
    servers = [f"172.18.124.{n}" for n in range(200, 212)]
    plan = build(parse_strict(seed_with(*servers)))
    (group,) = plan.ike_policy.client_groups
    assert group.backup_servers == tuple(servers[:10])
    assert (
        "client group 3000client: 12 backup-gateway lines, only the first 10 are sent to "
        "clients" in plan.warnings
    )
