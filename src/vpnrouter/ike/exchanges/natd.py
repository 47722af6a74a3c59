"""NAT detection and NAT keepalives (RFC 3947 sections 3.2-4, RFC 3948 section 2.3).

NAT-D payloads ride in main mode messages 3 and 4: the first hashes the address and port the
sender sends *to*, the others the sender's own. A receiver whose own address/port does not
hash to the first value is behind a NAT; if none of the others matches the peer's source, the
peer is. strongSwan's kernel-libipsec data plane fakes a NAT (its hashes never match) so it
always floats to UDP 4500: we follow a peer that floats even when we detected no NAT.
"""

from __future__ import annotations

import hmac
from ipaddress import IPv4Address

from vpnrouter.crypto.prf import Prf
from vpnrouter.ike.context import NAT_T_PORT, Context
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.payloads import NatDPayload, Payload


# RFC 3947 3.2: HASH = HASH(CKY-I | CKY-R | IP | Port), the negotiated hash (not the PRF).
def natd_hash(prf: Prf, icookie: bytes, rcookie: bytes, addr: str, port: int) -> bytes:
    return prf.digest(icookie + rcookie + IPv4Address(addr).packed + port.to_bytes(2, "big"))


def _prf(sa: IkeSa) -> Prf:
    if sa.suite is None:
        raise RuntimeError("NAT-D before the phase-1 suite is known")
    return Prf(sa.suite.hash)


# RFC 3947 3.2: first the remote end as we send to it, then our own address and port.
def payloads(sa: IkeSa) -> list[Payload]:
    if sa.nat.version is None:
        return []
    prf = _prf(sa)
    draft = sa.nat.version == "draft"
    remote = natd_hash(prf, sa.icookie, sa.rcookie, sa.peer, sa.peer_port)
    local = natd_hash(prf, sa.icookie, sa.rcookie, sa.local, sa.local_port)
    return [NatDPayload(remote, draft), NatDPayload(local, draft)]


# RFC 3947 3.2: compare the received hashes with what we see.
def detect(ctx: Context, sa: IkeSa, received: list[Payload]) -> None:
    hashes = [p.data for p in received if isinstance(p, NatDPayload)]
    if sa.nat.version is None or len(hashes) < 2:
        return
    prf = _prf(sa)
    mine = natd_hash(prf, sa.icookie, sa.rcookie, sa.local, sa.local_port)
    theirs = natd_hash(prf, sa.icookie, sa.rcookie, sa.peer, sa.peer_port)
    sa.nat.local_behind = not hmac.compare_digest(hashes[0], mine)
    sa.nat.peer_behind = not any(hmac.compare_digest(h, theirs) for h in hashes[1:])
    if sa.nat.local_behind:
        ctx.isakmp(f"{sa.tag}: My hash no match -  this node inside NAT")
    if sa.nat.peer_behind:
        ctx.isakmp(f"{sa.tag}: His hash no match - this node outside NAT")
    if not (sa.nat.local_behind or sa.nat.peer_behind):
        ctx.isakmp(f"{sa.tag}: No NAT Found for self or peer")


# RFC 3947 section 4: after NAT was detected the initiator moves to port 4500 for MM5.
def float_ports(ctx: Context, sa: IkeSa) -> None:
    if sa.nat.version is None or not (sa.nat.local_behind or sa.nat.peer_behind):
        return
    if not sa.nat.floated:
        sa.local_port = NAT_T_PORT
        sa.peer_port = NAT_T_PORT
        sa.nat.floated = True
        ctx.isakmp(f"{sa.tag}: NAT found, switching to port {NAT_T_PORT}")


# RFC 3947 section 4: the responder follows an authenticated message that arrived on 4500.
def follow_peer(ctx: Context, sa: IkeSa, local_port: int, src: tuple[str, int]) -> None:
    if local_port == NAT_T_PORT and not sa.nat.floated:
        sa.nat.floated = True
        ctx.isakmp(f"{sa.tag}: peer floated to port {src[1]}, following it to {NAT_T_PORT}")
    if (sa.local_port, sa.peer_port) != (local_port, src[1]):
        sa.local_port = local_port
        sa.peer_port = src[1]


def schedule_keepalive(ctx: Context, sa: IkeSa) -> None:
    """RFC 3948 2.3: keepalives only when we are the one behind the NAT."""
    interval = ctx.policy.nat_keepalive
    if sa.nat.floated and sa.nat.local_behind and interval:
        sa.nat.next_keepalive = ctx.now + interval
    else:
        sa.nat.next_keepalive = None


def keepalive_due(ctx: Context, sa: IkeSa) -> None:
    if sa.nat.next_keepalive is not None and ctx.now >= sa.nat.next_keepalive:
        ctx.send_keepalive(sa)
        schedule_keepalive(ctx, sa)
