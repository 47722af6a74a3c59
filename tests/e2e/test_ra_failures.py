"""Remote access on vpn2611 that must not work, each asserted on both sides, with real vpnc.

1. Against ``examples/seed/vpn2611.cfg`` unmodified: a wrong group key (vpnc cannot verify
   HASH_R and goes silent; the router gives up on the aggressive mode with the group-key
   hint), an unknown group (refused with INVALID-ID-INFORMATION), a wrong XAuth password
   (asked again with the attempts left: a user who then types the right one gets in, one who
   keeps typing wrong ones is refused after the third try). None of them gets an address.
2. A variant written here: a pool of one address (``ip local pool ippool 14.1.1.100
   14.1.1.100``) and ``crypto isakmp keepalive 10 2`` (DPD on demand). Two clients: the second
   is refused (pool exhausted) while the first works; the first is then killed without a
   Delete, traffic towards it makes the router probe, DPD declares it dead, the address goes
   back to the pool, and the second client gets it; when that one crashes and comes straight
   back, its INITIAL-CONTACT frees the address at once.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from _l2l_helpers import VPN2611_CFG, RouterProc, start_router
from _ra_helpers import POOL_FIRST, Vpnc, add_client, clients, leases, require_vpnc, wait_leases

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import PC_ADDR, VPN2611, SeedLab

pytestmark = pytest.mark.netns

PC2_ADDR = "198.51.100.11"
PC3_ADDR = "198.51.100.12"
STATUS = r"%CRYPTO-6-VPN_TUNNEL_STATUS: Group: 3000client  User: cisco  Client_public_addr: "
GIVE_UP_TIMEOUT = 120.0  # the responder's retransmissions of message 2 last about 62 s


def auth_failures(router: RouterProc, peer: str) -> list[int]:
    """The attempts left that each failed XAuth of ``peer`` reported, in order."""
    pattern = (
        STATUS + re.escape(peer) + r"  Server_public_addr: \S+  User Authentication failed "
        r"\(wrong password for user 'cisco'\), (\d+) attempt\(s\) left"
    )
    return [int(n) for n in re.findall(pattern, router.log())]


def test_wrong_key_unknown_group_and_wrong_password_on_the_seed_config(
    topology: Topology, seed_lab: SeedLab
) -> None:
    require_vpnc()
    lab = seed_lab
    add_client(lab, "pc2", PC2_ADDR)
    add_client(lab, "pc3", PC3_ADDR)
    r2611 = start_router(topology, lab.vpn2611, VPN2611_CFG, name="vpn2611")

    # a wrong group key: vpnc finds HASH_R wrong and stops; the router waits for message 3
    wrong_key = Vpnc(lab, "pc", name="vpnc-wrong-key", group_key="cisco124")
    assert wrong_key.start().wait_exit() != 0
    assert "hash comparison failed" in wrong_key.log(), wrong_key.tail()
    assert "check group password!" in wrong_key.log()
    assert wrong_key.connected() is None

    # an unknown group: refused at once, with INVALID-ID-INFORMATION
    unknown = Vpnc(lab, "pc2", name="vpnc-unknown-group", group="4000client")
    assert unknown.start().wait_exit() != 0
    r2611.wait_log(
        rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 1 with {PC2_ADDR} failed: client group "
        r"'4000client' is not configured, notify INVALID_ID_INFORMATION"
    )
    assert "INVALID_ID_INFORMATION" in r2611.log()

    # a wrong password, then the right one typed at vpnc's prompt: connected at the 2nd try
    retry = Vpnc(lab, "pc3", name="vpnc-retry", password="Wr0ng-1", answers=("cisco",))
    env = retry.start().wait_connected()
    assert env["INTERNAL_IP4_ADDRESS"] == POOL_FIRST
    assert "Authentication failed. Please enter your user name and password again." in (retry.log())
    assert auth_failures(r2611, PC3_ADDR) == [2]
    r2611.wait_log(STATUS + re.escape(PC3_ADDR) + r"  Server_public_addr: \S+  User Authenticated")
    assert lab.ping("pc3", VPN2611.host_addr, count=2, deadline=10)

    # wrong, wrong, wrong: three tries (IOS's default), then STATUS=FAIL and the SA is gone
    refused = Vpnc(
        lab, "pc2", name="vpnc-refused", password="Wr0ng-2", answers=("Wr0ng-3", "Wr0ng-4")
    )
    assert refused.start().wait_exit() != 0
    assert auth_failures(r2611, PC2_ADDR) == [2, 1, 0]
    assert refused.log().count("Authentication failed. Please enter") == 2, refused.tail()
    assert refused.connected() is None

    # the router: only the client that logged in holds an address; no secret was logged
    rows = {row["peer"]: row for row in clients(r2611)}
    assert leases(r2611) == {POOL_FIRST: f"cisco@{PC3_ADDR}:{rows[PC3_ADDR]['peer_port']}"}
    assert [peer for peer, row in rows.items() if row["address"]] == [PC3_ADDR]
    # the wrong-key client is still listed: an aggressive mode waiting for its message 3
    assert (rows[PC_ADDR]["state"], rows[PC_ADDR]["username"]) == ("AG_INIT_EXCH", "")
    assert not [row for row in r2611.isakmp() if row["peer"] == PC2_ADDR]
    log = r2611.log()
    for secret in ("cisco124", "cisco123", "Wr0ng-1", "Wr0ng-2", "Wr0ng-3", "Wr0ng-4"):
        assert secret not in log, secret

    # the wrong-key client's aggressive mode is given up with the hint (last, it takes ~62 s)
    r2611.wait_log(
        rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 1 with {PC_ADDR} failed: Death by "
        r"retransmission P1 \(no aggressive mode message 3: group key mismatch\?\)",
        timeout=GIVE_UP_TIMEOUT,
    )
    assert not [row for row in r2611.isakmp() if row["peer"] == PC_ADDR]
    assert retry.disconnect() is not None
    wait_leases(r2611, set())
    assert r2611.stop() == 0


def one_address_and_dpd(topology: Topology) -> Any:
    """vpn2611.cfg with a pool of one address and DPD (``crypto isakmp keepalive 10 2``)."""
    text = VPN2611_CFG.read_text()
    pool = "ip local pool ippool 14.1.1.100 14.1.1.200\n"
    key = "crypto isakmp key cisco123 address 172.18.124.199 no-xauth\n"
    assert pool in text and key in text
    text = text.replace(pool, "ip local pool ippool 14.1.1.100 14.1.1.100\n")
    text = text.replace(key, key + "crypto isakmp keepalive 10 2\n")
    path = topology.workdir / "vpn2611-pool1-dpd.cfg"
    path.write_text(text)
    return path


def test_pool_exhausted_then_dpd_returns_the_address_of_a_killed_client(
    topology: Topology, seed_lab: SeedLab
) -> None:
    require_vpnc()
    lab = seed_lab
    add_client(lab, "pc2", PC2_ADDR)
    r2611 = start_router(topology, lab.vpn2611, one_address_and_dpd(topology), name="vpn2611")

    first = Vpnc(lab, "pc", local_port=500)
    assert first.start().wait_connected()["INTERNAL_IP4_ADDRESS"] == POOL_FIRST

    # the second client is refused: no free address
    second = Vpnc(lab, "pc2", name="vpnc-no-address")
    assert second.start().wait_exit() != 0
    assert second.connected() is None
    r2611.wait_log(
        STATUS + re.escape(PC2_ADDR) + r"  Server_public_addr: \S+  Mode Config refused: no free "
        r"address in pool ippool"
    )
    assert set(leases(r2611)) == {POOL_FIRST}
    assert [row["peer"] for row in clients(r2611) if row["address"]] == [PC_ADDR]
    assert lab.ping("pc", VPN2611.host_addr, count=2, deadline=10)  # the first still works

    # the first client vanishes without a Delete; traffic to it makes the router probe (DPD
    # on demand), nobody answers, the SAs go and so does the lease
    assert first.kill() is not None
    assert [row["address"] for row in clients(r2611)] == [POOL_FIRST]  # nobody told us yet
    assert not lab.ping("host1", POOL_FIRST, count=1, deadline=2)
    r2611.wait_log(
        rf"%VPNROUTER-5-DPD_DEAD: Peer {PC_ADDR} did not answer dead peer detection", timeout=60
    )
    r2611.wait_log(
        STATUS + re.escape(PC_ADDR) + rf"  Assigned_client_addr: {POOL_FIRST}  Disconnected: "
        r"DPD: peer not responding"
    )
    wait_leases(r2611, set())
    assert clients(r2611) == [] and r2611.ipsec() == []
    assert POOL_FIRST not in {r["dst"] for r in topology.routes(lab.vpn2611)}
    assert "R_U_THERE sequence" in r2611.log()

    # the address is free again: the client that was refused gets it now
    again = Vpnc(lab, "pc2", name="vpnc-pc2-again", local_port=500)
    assert again.start().wait_connected()["INTERNAL_IP4_ADDRESS"] == POOL_FIRST
    assert lab.ping("pc2", VPN2611.host_addr, count=2, deadline=10)

    # it crashes and comes straight back from the same address and port: its INITIAL-CONTACT
    # clears the old session at once, so the only address is free for it again
    assert again.kill() is not None
    back = Vpnc(lab, "pc2", name="vpnc-pc2-back", local_port=500)
    assert back.start().wait_connected()["INTERNAL_IP4_ADDRESS"] == POOL_FIRST
    r2611.wait_log(
        STATUS + re.escape(PC2_ADDR) + rf"  Assigned_client_addr: {POOL_FIRST}  Disconnected: "
        r"initial contact"
    )
    assert [(row["peer"], row["address"]) for row in clients(r2611)] == [(PC2_ADDR, POOL_FIRST)]
    assert lab.ping("pc2", VPN2611.host_addr, count=2, deadline=10)
    assert back.disconnect() is not None
    wait_leases(r2611, set())
    assert r2611.stop() == 0
