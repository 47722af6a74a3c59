"""``vpnrouter status``: the remote-access clients and the address pools, from the engine's
ISAKMP rows and the AAA pools (what the control socket's ``status`` answer carries)."""

from __future__ import annotations

import json
from dataclasses import replace
from ipaddress import IPv4Address

from vpnrouter.aaa import Aaa, PoolSet
from vpnrouter.cli.status_cmd import render
from vpnrouter.ike.snapshots import IsakmpSaSnapshot
from vpnrouter.router.daemon import jsonable, remote_access_clients
from vpnrouter.router.snapshot import pools

L2L = IsakmpSaSnapshot(
    dst="172.18.124.199",
    src="172.18.124.159",
    state="QM_IDLE",
    conn_id=1,
    slot=0,
    status="ACTIVE",
    local="172.18.124.159",
    peer="172.18.124.199",
    local_port=500,
    peer_port=500,
    initiator=True,
    icookie=bytes(8),
    rcookie=bytes(8),
    encryption=1,
    key_length=None,
    hash=1,
    auth=1,
    group=1,
    lifetime=86400,
    remaining=86000.0,
    nat_t=False,
    nat_local_behind=False,
    nat_peer_behind=False,
    vendor_ids=(),
    failure="",
    peer_notify="",
    created=0.0,
)
CLIENT = replace(
    L2L,
    dst="172.18.124.159",
    src="198.51.100.20",
    conn_id=2,
    peer="198.51.100.20",
    local_port=4500,
    peer_port=4500,
    initiator=False,
    nat_t=True,
    aggressive=True,
    peer_id="3000client",
    group_name="3000client",
    username="cisco",
    assigned_address=IPv4Address("14.1.1.100"),
    xauth="done",
    mode_config=True,
)


def test_clients_are_the_live_sas_we_answered_with_a_group() -> None:
    pending = replace(CLIENT, conn_id=3, peer="198.51.100.11", username="", xauth="pending",
                      assigned_address=None, state="CONF_XAUTH")  # fmt: skip
    gone = replace(CLIENT, conn_id=4, status="DELETED")
    our_client_half = replace(CLIENT, conn_id=5, initiator=True)
    rows = remote_access_clients([L2L, CLIENT, pending, gone, our_client_half])
    assert rows == [
        {
            "conn_id": 2,
            "peer": "198.51.100.20",
            "peer_port": 4500,
            "group": "3000client",
            "username": "cisco",
            "address": "14.1.1.100",
            "xauth": "done",
            "state": "QM_IDLE",
            "nat_t": True,
        },
        {
            "conn_id": 3,
            "peer": "198.51.100.11",
            "peer_port": 4500,
            "group": "3000client",
            "username": "",
            "address": None,
            "xauth": "pending",
            "state": "CONF_XAUTH",
            "nat_t": True,
        },
    ]
    json.dumps(rows)


def test_status_text_lists_clients_and_pool_leases() -> None:
    first, last = IPv4Address("14.1.1.100"), IPv4Address("14.1.1.200")
    aaa = Aaa(pools=PoolSet.from_ranges([("ippool", first, last)]))
    assert aaa.pools.allocate("ippool", "cisco@198.51.100.20:4500") == IPv4Address("14.1.1.100")
    status = {
        "hostname": "vpn2611",
        "uptime": 61.0,
        "interface": "Ethernet0/0",
        "map_name": "clientmap",
        "local_address": "172.18.124.159",
        "isakmp": [jsonable(L2L), jsonable(CLIENT)],
        "ipsec": [],
        "clients": remote_access_clients([L2L, CLIENT]),
        "pools": jsonable(pools(aaa)),
    }
    text = render(json.loads(json.dumps(status)))
    lines = text.splitlines()
    assert "remote-access clients:" in lines
    row = next(line for line in lines if line.startswith("  198.51.100.20:4500"))
    assert row.split() == ["198.51.100.20:4500", "3000client", "cisco", "14.1.1.100", "2",
                           "QM_IDLE"]  # fmt: skip
    pool = next(line for line in lines if line.startswith(" ippool"))
    assert pool.split() == ["ippool", "14.1.1.100", "14.1.1.200", "100", "1"]
    assert "        14.1.1.100              cisco@198.51.100.20:4500" in lines
    # a router without clients or pools prints neither section
    quiet = render({**status, "clients": [], "pools": []})
    assert "remote-access clients:" not in quiet and "Pool" not in quiet
