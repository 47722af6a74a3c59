"""Turning a finished quick mode into a pair of ESP SAs (RFC 2409 section 5.5 KEYMAT).

Each direction is keyed with the SPI its receiver chose: our inbound SA with our SPI, the
outbound one with the peer's; the encryption key comes first in KEYMAT, the HMAC key after.

The initiator installs both directions once QM2 verified. The responder knows the keys when
it sends QM2, and the initiator may send on the new SA as soon as it has QM2, so its first
packets can overtake QM3: the responder installs the inbound SA right after QM2
(:func:`install_inbound`, RFC 2409 5.5 allows it) and the pair, with the outbound SA that
carries our traffic, only after HASH(3) authenticated the initiator (:func:`install`). A
quick mode that fails in between takes its inbound SA back (:func:`withdraw_inbound`).
"""

from __future__ import annotations

from vpnrouter.crypto import cipher, keymat
from vpnrouter.crypto.prf import get_integrity
from vpnrouter.ike.context import Context
from vpnrouter.ike.events import (
    ChildSaUp,
    EspKeys,
    InboundSaDown,
    InboundSaUp,
    UdpEncapsulation,
)
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


def _superseded(ctx: Context, sa: IkeSa, qm: QuickMode) -> tuple[ChildSa | None, list[ChildSa]]:
    """(replaced, superseded): the pair this quick mode replaces (the one we rekeyed, or as
    responder, where the peer does not say so, the active pair for the same traffic), and
    every pair the new one supersedes: the rekeyed one and each active pair for the same
    traffic with the same peer. After a rekey collision (both sides' quick modes for that
    traffic crossed) the latter includes the pair our own quick mode installed a moment
    before: the newest pair is the one our data plane sends on, so it is the ACTIVE one,
    rekeyed at its soft limit; each side rekeys the pair it sends on."""
    target = ctx.table.children.get(qm.rekey_of) if qm.rekey_of is not None else None
    superseded = [
        child
        for child in ctx.table.children.values()
        if (child.peer_key or child.peer) == sa.peer_key
        and child.selector == qm.selector
        and child.state is ChildState.ACTIVE
        and child is not target
    ]
    if target is not None:
        superseded.append(target)
    return (superseded[-1] if superseded else None), superseded


def derive(sa: IkeSa, qm: QuickMode, g_qm: bytes | None) -> tuple[EspKeys, EspKeys]:
    """Both directions' keys (inbound, outbound), derived once and kept on the quick mode."""
    if qm.keys is None:
        qm.keys = (_keys(sa, qm, qm.inbound_spi, g_qm), _keys(sa, qm, qm.outbound_spi, g_qm))
    return qm.keys


def _encapsulation(sa: IkeSa, encap_mode: int) -> UdpEncapsulation | None:
    if encap_mode not in UDP_MODES:
        return None
    return UdpEncapsulation(sa.local_port, sa.peer_port, encap_mode)


def install_inbound(
    ctx: Context, sa: IkeSa, qm: QuickMode, encap_mode: int, g_qm: bytes | None
) -> None:
    """Responder, QM2 sent: the peer may use the new SA from now on; accept on our inbound
    SPI (:class:`InboundSaUp`). Nothing is sent on it and ``show`` does not list it yet."""
    inbound, _ = derive(sa, qm, g_qm)
    qm.inbound_installed = True
    ctx.ipsec(
        f"IPSEC: inbound spi 0x{inbound.spi:08X} from {sa.peer} accepted from now on; "
        f"outbound waits for QM3 (M-ID {qm.mid})"
    )
    ctx.emit(
        InboundSaUp(
            local=sa.local,
            peer=sa.peer,
            inbound=inbound,
            selector=qm.selector,
            encapsulation=_encapsulation(sa, encap_mode),
            lifetime_seconds=qm.lifetime_seconds,
            lifetime_kilobytes=qm.lifetime_kilobytes,
            map_name=qm.entry.map_name,
            map_seq=qm.entry.seq,
        )
    )


def withdraw_inbound(ctx: Context, sa: IkeSa, qm: QuickMode, reason: str) -> None:
    """A responder's quick mode failed after QM2: its inbound SA goes again."""
    if not qm.inbound_installed or qm.keys is None:
        return
    qm.inbound_installed = False
    spi = qm.keys[0].spi
    ctx.ipsec(f"IPSEC: inbound spi 0x{spi:08X} from {sa.peer} withdrawn ({reason})")
    ctx.emit(InboundSaDown(sa.local, sa.peer, spi, reason))


def install(ctx: Context, sa: IkeSa, qm: QuickMode, encap_mode: int, g_qm: bytes | None) -> None:
    """Derive both directions (or take those derived for QM2), record the pair and emit
    :class:`ChildSaUp`."""
    ts = qm.transform_set
    if ts is None:
        raise RuntimeError("quick mode finished without a transform set")
    inbound, outbound = derive(sa, qm, g_qm)
    qm.inbound_installed = False  # the pair owns it now
    encap = _encapsulation(sa, encap_mode)
    margin = ctx.policy.rekey_margin
    if not qm.initiator:  # the responder waits a little longer before it rekeys itself
        margin += (1.0 - margin) / 2
    old, superseded = _superseded(ctx, sa, qm)
    replaces = (old.inbound.spi, old.outbound.spi) if old is not None else None
    for previous in superseded:
        previous.state = ChildState.REKEYED
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
    )
    ctx.table.children[inbound.spi] = child
    _log_created(ctx, sa, child)
    ctx.emit(_event(sa, qm, child))
