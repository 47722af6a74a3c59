"""Snapshot parts from what the daemon holds: the IKE engine's rows and the data plane's SAs.

For the router's ``snapshot`` control request (docs/CONTRACTS.md, "control socket / show"):

- ``ike_sa(row, now, interface=..., username=..., group_name=..., assigned_address=...)``:
  an ``ike.snapshots.IsakmpSaSnapshot`` as an ``IkeSa`` (capabilities from NAT-T, XAuth,
  Mode Config and the DPD vendor ID).
- ``ipsec_flows(rows, lookup, interface=..., interfaces=..., acl_tags=..., path_mtu=...)``:
  the ``IpsecSaSnapshot`` pairs, each flow on the crypto interface of its local address
  (``interfaces``: local address -> IOS name, else ``interface``), grouped the way
  ``show crypto ipsec sa`` groups them (one block per crypto map entry, peer and proxy
  identities; a rekey adds SAs to the block), with the counters of the data plane's SAs
  (``lookup(spi, inbound) -> esp.sa.EspSa | None``).
  ``acl_tags`` are the ``"MAP SEQ"`` entries whose SPD policies come from a crypto ACL
  (``flags={origin_is_acl,}``); the others (dynamic maps) print ``flags={}``.
  ``acquire_drops`` (by ``"MAP SEQ"``) are the packets the data plane dropped because the
  entry's crypto ACL matched while no SA existed yet (``DataplaneStats.acquire_drops``, counted
  from the last ``clear crypto sa``): IOS counts them as ``#send errors`` of the entry's flow
  (the seed's vpn3640 shows 11 after its tunnel came up). They go to the entry's oldest block,
  the one the first traffic brought up.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from vpnrouter.cli.shell.snapshot import EspSa, FlowCounters, IkeSa, IpsecFlow
from vpnrouter.esp.sa import EspSa as DataplaneSa
from vpnrouter.ike.snapshots import IpsecSaSnapshot, IsakmpSaSnapshot

XAUTH_METHODS = range(65001, 65011)  # draft-beaulieu-ike-xauth: XAUTHInitPreShared ... 65010

SaLookup = Callable[[int, bool], DataplaneSa | None]


def capabilities(row: IsakmpSaSnapshot, mode_config: bool) -> tuple[str, ...]:
    codes: list[str] = []
    if mode_config:
        codes.append("C")
    if any("Dead Peer Detection" in vid or "DPD" in vid for vid in row.vendor_ids):
        codes.append("D")
    if row.nat_t:
        codes.append("N")
    if row.auth in XAUTH_METHODS:
        codes.append("X")
    return tuple(codes)


def ike_sa(
    row: IsakmpSaSnapshot,
    now: float,
    *,
    interface: str | None = None,
    username: str | None = None,
    group_name: str | None = None,
    assigned_address: str | None = None,
) -> IkeSa:
    established = now - row.created if row.state == "QM_IDLE" else None
    return IkeSa(
        conn_id=row.conn_id,
        dst=row.dst,
        src=row.src,
        state=row.state,
        local=row.local,
        peer=row.peer,
        status=row.status,
        slot=row.slot,
        local_port=row.local_port,
        peer_port=row.peer_port,
        initiator=row.initiator,
        interface=interface,
        encryption=row.encryption,
        key_length=row.key_length,
        hash=row.hash,
        auth=row.auth,
        group=row.group,
        lifetime=row.lifetime,
        remaining=row.remaining,
        capabilities=capabilities(row, assigned_address is not None),
        username=username,
        group_name=group_name,
        assigned_address=assigned_address,
        established=established,
    )


def _esp(
    row: IpsecSaSnapshot, spi: int, conn_id: int, sa: DataplaneSa | None, inbound: bool
) -> EspSa:
    packets = 0
    last_seq = 0
    if sa is not None:
        packets = sa.counters.decrypt if inbound else sa.counters.encrypt
        highest = sa.replay.highest if sa.replay is not None else 0
        last_seq = highest if inbound else sa.seq
    return EspSa(
        spi=spi,
        conn_id=conn_id,
        flow_id=conn_id,
        encryption=row.transform_id,
        key_length=row.key_length,
        auth=row.auth_alg,
        mode=row.mode.capitalize(),
        udp_encap=row.encapsulation is not None,
        lifetime_kilobytes=row.lifetime_kilobytes,
        lifetime_seconds=row.lifetime_seconds,
        remaining_kilobytes=row.remaining_kilobytes,
        remaining_seconds=row.remaining_seconds,
        iv_size=sa.iv_size if sa is not None else (16 if row.transform_id == 12 else 8),
        replay_detection=row.auth_alg is not None,
        packets=packets,
        last_seq=last_seq,
        status=row.state or "ACTIVE",
    )


@dataclass
class _Block:
    first: IpsecSaSnapshot
    inbound: list[EspSa] = field(default_factory=list)
    outbound: list[EspSa] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, value: int) -> None:
        self.counters[name] = self.counters.get(name, 0) + value


def _count(block: _Block, sa: DataplaneSa | None, inbound: bool) -> None:
    if sa is None:
        return
    c = sa.counters
    if inbound:
        for name in ("decaps", "decrypt", "verify", "recv_errors"):
            block.add(name, getattr(c, name))
    else:
        for name in ("encaps", "encrypt", "digest", "send_errors"):
            block.add(name, getattr(c, name))


def _add_acquire_drops(blocks: Iterable[_Block], drops: Mapping[str, int]) -> None:
    """Each crypto map entry's acquire drops, once, on its oldest block."""
    counted: set[str] = set()
    for block in blocks:
        tag = f"{block.first.map_name} {block.first.map_seq}"
        if tag not in counted and drops.get(tag, 0) > 0:
            counted.add(tag)
            block.add("send_errors", drops[tag])


def ipsec_flows(
    rows: Iterable[IpsecSaSnapshot],
    lookup: SaLookup,
    *,
    interface: str,
    interfaces: Mapping[str, str] | None = None,
    acl_tags: Collection[str] = (),
    path_mtu: int = 1500,
    media_mtu: int = 1500,
    acquire_drops: Mapping[str, int] | None = None,
) -> tuple[IpsecFlow, ...]:
    blocks: dict[tuple[object, ...], _Block] = {}
    for row in sorted(rows, key=lambda r: (r.created, r.in_conn_id)):
        key = (row.map_name, row.map_seq, row.peer, row.selector)
        block = blocks.setdefault(key, _Block(row))
        sa_in, sa_out = lookup(row.inbound_spi, True), lookup(row.outbound_spi, False)
        block.inbound.append(_esp(row, row.inbound_spi, row.in_conn_id, sa_in, True))
        block.outbound.append(_esp(row, row.outbound_spi, row.out_conn_id, sa_out, False))
        _count(block, sa_in, True)
        _count(block, sa_out, False)
    _add_acquire_drops(blocks.values(), acquire_drops or {})
    flows: list[IpsecFlow] = []
    for block in blocks.values():
        row = block.first
        sel = row.selector
        flows.append(
            IpsecFlow(
                interface=(interfaces or {}).get(row.local, interface),
                map_name=row.map_name,
                map_seq=row.map_seq,
                local_address=row.local,
                peer=row.peer,
                local_net=str(sel.local),
                remote_net=str(sel.remote),
                protocol=sel.protocol,
                local_port=sel.local_port,
                remote_port=sel.remote_port,
                peer_port=row.encapsulation.remote_port if row.encapsulation else 500,
                origin_is_acl=f"{row.map_name} {row.map_seq}" in acl_tags,
                counters=FlowCounters(**block.counters),
                path_mtu=path_mtu,
                media_mtu=media_mtu,
                pfs_group=row.pfs_group,
                ike_conn_id=row.ike_conn_id,
                inbound=tuple(block.inbound),
                outbound=tuple(block.outbound),
            )
        )
    return tuple(flows)
