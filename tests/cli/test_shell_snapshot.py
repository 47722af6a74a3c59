"""The snapshot schema: what the control socket sends survives JSON, and bad documents are
refused with the field named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from shellfakes import vpn2611, vpn3640

from vpnrouter.cli.shell.snapshot import (
    SCHEMA_VERSION,
    IkeSa,
    LocalPool,
    PoolLease,
    RouterInfo,
    Snapshot,
    SnapshotError,
)


@pytest.mark.parametrize("make", [vpn2611, vpn3640])
def test_round_trip(make: Any) -> None:
    snap = make()
    wire = json.dumps(snap.to_json())
    assert Snapshot.from_json(json.loads(wire)) == snap


def test_minimal_document() -> None:
    snap = Snapshot.from_json({"router": {"hostname": "r1", "software_version": "0.1.0"}})
    assert snap == Snapshot(RouterInfo("r1", "0.1.0"))
    assert snap.schema == SCHEMA_VERSION


def test_ints_accepted_for_floats() -> None:
    data = {"router": {"hostname": "r1", "software_version": "x", "uptime": 12}}
    assert Snapshot.from_json(data).router.uptime == 12.0


def good() -> dict[str, Any]:
    return vpn2611().to_json()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("router"), "snapshot.router: missing"),
        (lambda d: d.update(extra=1), "snapshot: unknown field 'extra'"),
        (
            lambda d: d["router"].update(hostname=7),
            "snapshot.router.hostname: expected str, got int",
        ),
        (
            lambda d: d["ike_sas"][1].update(conn_id="6"),
            "snapshot.ike_sas[1].conn_id: expected int, got str",
        ),
        (
            lambda d: d["ike_sas"][0].update(conn_id=True),
            "snapshot.ike_sas[0].conn_id: expected int, got bool",
        ),
        (
            lambda d: d["ipsec"][2]["inbound"][1].update(spi=None),
            "snapshot.ipsec[2].inbound[1].spi: expected int, got null",
        ),
        (lambda d: d.update(ipsec={}), "snapshot.ipsec: expected a list, got dict"),
        (lambda d: d.update(pools=[3]), "snapshot.pools[0]: expected an object, got int"),
        (lambda d: d.update(schema=99), "snapshot.schema: version 99"),
    ],
)
def test_errors_name_the_field(mutate: Any, message: str) -> None:
    data = good()
    mutate(data)
    with pytest.raises(SnapshotError) as exc:
        Snapshot.from_json(data)
    assert str(exc.value).startswith(message)


def test_not_an_object() -> None:
    with pytest.raises(SnapshotError, match="expected an object, got list"):
        Snapshot.from_json([])


def test_optional_fields() -> None:
    sa = IkeSa(1, "a", "b", "QM_IDLE", "a", "b", remaining=None, interface=None)
    data = Snapshot(RouterInfo("r", "v"), ike_sas=(sa,)).to_json()
    assert data["ike_sas"][0]["remaining"] is None
    assert Snapshot.from_json(data).ike_sas[0] == sa


def test_pool_size() -> None:
    pool = LocalPool("p", "14.1.1.100", "14.1.1.200", (PoolLease("14.1.1.106", "cisco"),))
    assert pool.size == 101
