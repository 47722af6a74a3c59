"""Turning a finished quick mode into a pair of ESP SAs (RFC 2409 section 5.5 KEYMAT).

Each direction is keyed with the SPI its receiver chose: our inbound SA with our SPI, the
outbound one with the peer's; the encryption key comes first in KEYMAT, the HMAC key after.
"""

from __future__ import annotations

from vpnrouter.crypto import cipher, keymat
from vpnrouter.crypto.prf import get_integrity
from vpnrouter.ike import lifecycle
from vpnrouter.ike.context import Context
from vpnrouter.ike.events import ChildSaUp, EspKeys, UdpEncapsulation
from vpnrouter.ike.exchanges import informational
from vpnrouter.ike.proposals import UDP_MODES
from vpnrouter.ike.sa import ChildSa, ChildState, IkeSa, QuickMode
from vpnrouter.wire.constants import ProtocolId


def _keys(sa: IkeSa, qm: QuickMode, spi: int, g_qm: bytes | None) -> EspKeys:
    ts = qm.transform_set
    if sa.crypto is None or ts is None:
        raise RuntimeError("child SA without keys or transform")
    spec = cipher.for_esp(ts.esp_transform, ts.effective_key_length())
    auth_len = get_integrity(ts.esp_auth).key_size if ts.esp_auth is not None else 0
    material = keymat.child_keys(
        sa.crypto.prf,
        sa.crypto.keys.skeyid_d,
        ProtocolId.IPSEC_ESP,
        spi.to_bytes(4, "big"),
        qm.ni,
        qm.nr,
        spec.key_size,
        auth_len,
        g_qm,
    )
    return EspKeys(
        spi,
        ts.esp_transform,
        ts.effective_key_length(),
        ts.esp_auth,
        material.encryption,
        material.integrity,
    )


def _log_created(ctx: Context, sa: IkeSa, child: ChildSa) -> None:
    sel = child.selector
    ctx.isakmp(f"{sa.tag}: Creating IPSec SAs")
    for direction, keys, src, dst, pfrom, pto, conn in (
        ("inbound", child.inbound, sa.peer, sa.local, sel.remote, sel.local, child.conn_ids[0]),
        ("outbound", child.outbound, sa.local, sa.peer, sel.local, sel.remote, child.conn_ids[1]),
    ):
        ctx.isakmp(
            f"        {direction} SA from {src} to {dst} (proxy {pfrom.network_address} to "
            f"{pto.network_address})"
        )
        ctx.isakmp(f"        has spi 0x{keys.spi:08X} and conn_id {conn}")
        ctx.isakmp(f"        lifetime of {child.lifetime_seconds} seconds")
        ctx.isakmp(f"        lifetime of {child.lifetime_kilobytes} kilobytes")
        ctx.log_secret(
            f"{sa.tag}: spi 0x{keys.spi:08X} enc key {keys.enc_key.hex()} "
            f"auth key {keys.auth_key.hex()}"
        )


def _event(sa: IkeSa, qm: QuickMode, child: ChildSa) -> ChildSaUp:
    return ChildSaUp(
        local=sa.local,
        peer=sa.peer,
        inbound=child.inbound,
        outbound=child.outbound,
        selector=child.selector,
        mode=child.mode,
        encapsulation=child.encapsulation,
        lifetime_seconds=child.lifetime_seconds,
        lifetime_kilobytes=child.lifetime_kilobytes,
        map_name=qm.entry.map_name,
        map_seq=qm.entry.seq,
        transform_names=child.transform_names,
        pfs_group=qm.pfs_group,
        ike_conn_id=sa.conn_id,
        initiator=qm.initiator,
        replaces=child.replaces,
        client_address=child.client_address,
    )


def _same_traffic(ctx: Context, sa: IkeSa, qm: QuickMode) -> list[ChildSa]:
    """The ACTIVE pairs with this peer for this quick mode's traffic, oldest first."""
    return [
        child
        for child in ctx.table.children.values()
        if (child.peer_key or child.peer) == sa.peer_key
        and child.selector == qm.selector
        and child.state is ChildState.ACTIVE
    ]


def _superseded(
    ctx: Context, sa: IkeSa, qm: QuickMode
) -> tuple[ChildSa | None, list[ChildSa], ChildSa | None]:
    """(replaced, older, twin): the pair this quick mode replaces (the one we rekeyed, or as
    responder, where the peer does not say so, the active pair for the same traffic), every
    active pair for that traffic that was up before the exchange began (they all give way),
    and a twin: an active pair for the same traffic that came up while this exchange ran,
    i.e. both sides negotiated the same traffic at once."""
    target = ctx.table.children.get(qm.rekey_of) if qm.rekey_of is not None else None
    older: list[ChildSa] = []
    twin: ChildSa | None = None
    for child in _same_traffic(ctx, sa, qm):
        if child is target:
            continue
        if qm.concurrent_from is not None and child.conn_ids[0] >= qm.concurrent_from:
            twin = child
        else:
            older.append(child)
    if target is not None:
        older.append(target)
    return (older[-1] if older else None), older, twin


# RFC 7296 2.8.1 (IKEv1 has no rule of its own): of two pairs negotiated at once for the same
# traffic, the one whose exchanges used the lowest of the four nonces is redundant. Both sides
# know the four nonces, so both keep the same pair ACTIVE.
def _collision(ctx: Context, sa: IkeSa, new: ChildSa, twin: ChildSa) -> None:
    """The redundant pair gives way at once. If it is the one just installed, our data plane
    would send on it (the newest pair takes the traffic): delete it (the peer is told) and
    the traffic stays on the other. Otherwise we already send on the survivor: the redundant
    pair is kept as REKEYED until the peer deletes it or it expires, so nothing we still
    receive on it is lost."""
    redundant = new if sorted(new.nonces) < sorted(twin.nonces) else twin
    kept = twin if redundant is new else new
    redundant.state = ChildState.REKEYED
    kept.state = ChildState.ACTIVE
    ctx.ipsec(
        f"IPSEC: rekey collision with {sa.peer}: keeping spi 0x{kept.inbound.spi:08X}, "
        f"spi 0x{redundant.inbound.spi:08X} is redundant"
    )
    if redundant is new:
        informational.send_delete_children(ctx, sa, [new])
        lifecycle.drop_child(ctx, new, "rekey collision")


def install(ctx: Context, sa: IkeSa, qm: QuickMode, encap_mode: int, g_qm: bytes | None) -> None:
    """Derive both directions, record the pair and emit :class:`ChildSaUp`."""
    ts = qm.transform_set
    if ts is None:
        raise RuntimeError("quick mode finished without a transform set")
    inbound = _keys(sa, qm, qm.inbound_spi, g_qm)
    outbound = _keys(sa, qm, qm.outbound_spi, g_qm)
    encap = (
        UdpEncapsulation(sa.local_port, sa.peer_port, encap_mode)
        if encap_mode in UDP_MODES
        else None
    )
    margin = ctx.policy.rekey_margin
    if not qm.initiator:  # the responder waits a little longer before it rekeys itself
        margin += (1.0 - margin) / 2
    old, older, twin = _superseded(ctx, sa, qm)
    replaces = (old.inbound.spi, old.outbound.spi) if old is not None else None
    for superseded in older:
        superseded.state = ChildState.REKEYED
    child = ChildSa(
        inbound=inbound,
        outbound=outbound,
        selector=qm.selector,
        mode=ts.mode,
        encapsulation=encap,
        entry=qm.entry,
        transform_names=ts.display(),
        pfs_group=qm.pfs_group,
        local=sa.local,
        peer=sa.peer,
        ike_conn_id=sa.conn_id,
        initiator=qm.initiator,
        created=ctx.now,
        lifetime_seconds=qm.lifetime_seconds,
        lifetime_kilobytes=qm.lifetime_kilobytes,
        conn_ids=ctx.table.new_ipsec_conn_ids(),
        soft_at=ctx.now + qm.lifetime_seconds * margin,
        hard_at=ctx.now + qm.lifetime_seconds,
        replaces=replaces,
        peer_key=sa.peer_key,
        client_address=sa.ra.address if sa.ra is not None and sa.ra.server else None,
        nonces=(qm.ni, qm.nr),
    )
    ctx.table.children[inbound.spi] = child
    _log_created(ctx, sa, child)
    ctx.emit(_event(sa, qm, child))
    if twin is not None:
        _collision(ctx, sa, child, twin)
