"""Vendor ID payloads (RFC 2408 3.16): what we announce and what we learn from the peer.

NAT-T support is announced by vendor IDs (RFC 3947 section 3.1; the draft-02/03 values for
older peers). The responder echoes the best NAT-T VID the initiator sent; NAT-T is in use when
both sides sent one. DPD (RFC 3706 section 5.1) is announced because we answer R-U-THERE.
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


# RFC 3947 3.1: the responder answers with the NAT-T VID it chose (and DPD).
def responder_vids(sa: IkeSa) -> list[Payload]:
    vids: list[Payload] = []
    if sa.nat.vid:
        vids.append(VendorIdPayload(sa.nat.vid))
    vids.append(VendorIdPayload(vendor_ids.DPD))
    return vids


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
        if payload.data == vendor_ids.DPD:
            sa.peer_dpd = True
    if not ctx.policy.nat_traversal:
        return
    for candidate in NATT_PREFERENCE:
        if candidate in seen:
            sa.nat.vid = candidate
            sa.nat.version = "rfc" if candidate == vendor_ids.NATT_RFC3947 else "draft"
            return
