"""Vendor ID payloads (RFC 2408 3.16): what we announce and what we learn from the peer.

NAT-T support is announced by vendor IDs (RFC 3947 section 3.1; the draft-02/03 values for
older peers). The responder echoes the best NAT-T VID the initiator sent; NAT-T is in use when
both sides sent one. DPD (RFC 3706 section 5.1) is announced because we answer R-U-THERE.

Remote access (Cisco VPN Client / vpnc): the client announces XAUTH, Cisco Unity, NAT-T and
DPD; the gateway answers with Unity, XAUTH, DPD and the NAT-T VID it chose (vpnc switches
NAT-T and DPD on only when it sees them in aggressive mode message 2). IKE fragmentation
(Cisco's FRAGMENTATION VID) is recognised but never announced: we do not reassemble.
"""

from __future__ import annotations

from collections.abc import Iterable

from vpnrouter.ike.context import Context
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire import vendor_ids
from vpnrouter.wire.payloads import Payload, VendorIdPayload

# Most preferred first (RFC 3947 supersedes the drafts).
NATT_PREFERENCE: tuple[bytes, ...] = (
    vendor_ids.NATT_RFC3947,
    vendor_ids.NATT_DRAFT_03,
    vendor_ids.NATT_DRAFT_02_N,
    vendor_ids.NATT_DRAFT_02,
)
_IOS_NAMES = {
    vendor_ids.NATT_RFC3947: "NAT-T RFC 3947",
    vendor_ids.NATT_DRAFT_03: "NAT-T v3",
    vendor_ids.NATT_DRAFT_02_N: "NAT-T v2",
    vendor_ids.NATT_DRAFT_02: "NAT-T v2",
    vendor_ids.DPD: "DPD",
    vendor_ids.XAUTH: "XAUTH",
    vendor_ids.CISCO_UNITY: "Unity",
}


# RFC 3947 3.1 / RFC 3706 5.1: the VIDs of main mode message 1.
def initiator_vids(ctx: Context) -> list[Payload]:
    vids: list[Payload] = []
    if ctx.policy.nat_traversal:
        vids += [VendorIdPayload(v) for v in NATT_PREFERENCE]
    vids.append(VendorIdPayload(vendor_ids.DPD))
    return vids


# RFC 3947 3.1: the responder answers with the NAT-T VID it chose (and DPD); a remote-access
# peer also gets Cisco Unity and XAUTH, as IOS sends them.
def responder_vids(sa: IkeSa) -> list[Payload]:
    vids: list[Payload] = []
    if sa.ra is not None:
        vids += [VendorIdPayload(vendor_ids.CISCO_UNITY), VendorIdPayload(vendor_ids.XAUTH)]
    if sa.nat.vid:
        vids.append(VendorIdPayload(sa.nat.vid))
    vids.append(VendorIdPayload(vendor_ids.DPD))
    return vids


# What a Cisco VPN Client 4.x / vpnc puts in aggressive mode message 1.
def client_vids(ctx: Context, nat_t: bool) -> list[Payload]:
    vids: list[Payload] = [
        VendorIdPayload(vendor_ids.XAUTH),
        VendorIdPayload(vendor_ids.CISCO_UNITY),
    ]
    if nat_t and ctx.policy.nat_traversal:
        vids += [VendorIdPayload(v) for v in NATT_PREFERENCE]
    vids.append(VendorIdPayload(vendor_ids.DPD))
    return vids


def does_dpd(sa: IkeSa) -> bool:
    """RFC 3706 5.1 wants the DPD VID; Unity clients (vpnc sends no DPD VID) answer
    R-U-THERE all the same, so IOS probes them too."""
    return sa.peer_dpd or vendor_ids.CISCO_UNITY in sa.peer_vids


def process(ctx: Context, sa: IkeSa, payloads: Iterable[Payload]) -> None:
    """Log the peer's VIDs the IOS way and record NAT-T / DPD support."""
    seen: list[bytes] = []
    for payload in payloads:
        if not isinstance(payload, VendorIdPayload):
            continue
        seen.append(payload.data)
        ctx.isakmp(f"{sa.tag}: processing vendor id payload")
        name = _IOS_NAMES.get(payload.data)
        if name is not None:
            ctx.isakmp(f"{sa.tag}: vendor ID is {name}")
        else:
            ctx.isakmp(f"{sa.tag}: vendor ID is {vendor_ids.describe(payload.data)}")
        sa.vendor_ids.append(vendor_ids.describe(payload.data))
        sa.peer_vids.add(payload.data)
        if payload.data == vendor_ids.DPD:
            sa.peer_dpd = True
    if not ctx.policy.nat_traversal:
        return
    for candidate in NATT_PREFERENCE:
        if candidate in seen:
            sa.nat.vid = candidate
            sa.nat.version = "rfc" if candidate == vendor_ids.NATT_RFC3947 else "draft"
            return
