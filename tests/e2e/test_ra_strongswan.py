"""Remote access on vpn2611 (``examples/seed/vpn2611.cfg`` unmodified) with strongSwan 5.9.8 as
the IKEv1 XAuth client: aggressive mode with the group name as ``keyid:3000client`` and the
group key, XAuth user cisco/cisco, Mode Config pulled (``vips = 0.0.0.0``), a CHILD SA for
10.10.10.0/24. The client runs on the clients' network (198.51.100.10, documentation range);
its userspace data plane sends ESP in UDP 4500.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from _l2l_helpers import VPN2611_CFG, start_router, tcp_transfer, wait_until
from _ra_helpers import POOL_FIRST, clients, leases, wait_leases

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import PC_ADDR, VPN2611, SeedLab
from vpnrouter.lab.strongswan import Charon, seed_xauth_client

pytestmark = pytest.mark.netns


def test_strongswan_xauth_client_connects_like_the_vpn_client(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    lab = seed_lab
    r2611 = start_router(topology, lab.vpn2611, VPN2611_CFG, name="vpn2611")
    client: Charon = strongswan(lab["pc"], "pc")
    client.load([seed_xauth_client(VPN2611)])

    began = time.monotonic()
    client.initiate("ra", ike="ra", timeout=30)
    (sa,) = client.wait_for("established", ike="ra", timeout=20)
    print(f"FIGURE strongSwan XAuth client: connected in {time.monotonic() - began:.2f} s")

    # strongSwan's view: aggressive mode with the seed's policy 3 (3DES, SHA, group 2), the
    # pool's first address as its virtual IP, ESP 3DES/MD5 in UDP for 10.10.10.0/24
    assert sa.state == "ESTABLISHED" and sa.remote_host == VPN2611.outside_ip
    assert (sa.encr_alg, sa.integ_alg, sa.dh_group) == ("3DES_CBC", "HMAC_SHA1_96", "MODP_1024")
    assert sa.raw.get("local-vips") == [POOL_FIRST], sa.raw
    (child,) = sa.children
    assert (child.encr_alg, child.integ_alg, child.encap) == ("3DES_CBC", "HMAC_MD5_96", True)
    assert child.local_ts == (f"{POOL_FIRST}/32",) and child.remote_ts == (VPN2611.lan,)
    # Mode Config pull: strongSwan asks for an address and the Unity split-tunnel/local-LAN
    # lists only (no DNS without its resolve plugin); like IOS we answer what was asked, and
    # the seed's group has no split-tunnel ACL
    log = client.log_path.read_text(errors="replace")
    assert re.search(r"generating TRANSACTION request \d+ \[ HASH CPRQ\(ADDR[^)]*\) \]", log)
    assert re.search(r"parsed TRANSACTION response \d+ \[ HASH CPRP\(ADDR\) \]", log), log
    assert f"installing new virtual IP {POOL_FIRST}" in log

    # our view: a client of group 3000client, user cisco, with 14.1.1.100 from ippool
    (row,) = clients(r2611)
    assert (row["peer"], row["group"], row["username"], row["address"]) == (
        PC_ADDR,
        "3000client",
        "cisco",
        POOL_FIRST,
    )
    assert row["nat_t"]  # kernel-libipsec always encapsulates (it fakes a NAT)
    (ike,) = [r for r in r2611.isakmp() if r["conn_id"] == row["conn_id"]]
    assert ike["aggressive"] and ike["auth"] == 65001 and ike["xauth"] == "done"
    assert ike["mode_config"]
    assert leases(r2611) == {POOL_FIRST: f"cisco@{PC_ADDR}:{row['peer_port']}"}
    r2611.wait_log(r"User: cisco  Client_public_addr: 198\.51\.100\.10  .*User Authenticated")

    # traffic from the virtual IP to host1 and back, through the client's ipsec0
    assert lab.ping("pc", VPN2611.host_addr, count=3, deadline=15)
    tcp_transfer(lab, "pc", "host1", VPN2611.host_addr, size=512 * 1024, seed=31)
    (ours,) = [s for s in r2611.ipsec() if s["peer"] == PC_ADDR]
    assert (ours["inbound_spi"], ours["outbound_spi"]) == (child.spi_out, child.spi_in)
    assert ours["client_address"] == POOL_FIRST

    # strongSwan hangs up: the address goes back to the pool
    client.terminate(ike="ra")
    wait_leases(r2611, set())
    wait_until("client gone", lambda: clients(r2611) == [] and r2611.ipsec() == [])
    r2611.wait_log(rf"Assigned_client_addr: {POOL_FIRST}  Disconnected: Receive delete from peer")
    assert r2611.stop() == 0
