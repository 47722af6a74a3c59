"""Transaction exchange messages (exchange type 6) for XAuth and Mode Config.

draft-dukes-ike-mode-cfg-02 section 3.2 / draft-beaulieu-ike-xauth-02 section 4: after phase 1
every message is ``HDR*, HASH, ATTR`` with ``HASH = prf(SKEYID_a, M-ID | ATTR)``; a
REQUEST is answered by a REPLY and a SET by an ACK with the same message ID, each message
chaining its IV from the previous one of that exchange (RFC 2409 appendix B). We retransmit
our REQUEST/SET until the answer comes; an answer is repeated from the reply cache when the
same request arrives again.

Debug wording: the ``sending packet to <peer> my_port <n> peer_port <n> (R|I) <state>`` form
is a real IOS line (a ``debug crypto isakmp`` paste from a later IOS, ``ISAKMP:(0):``
prefix, shows ``ISAKMP:(0): sending packet to 213.100.24.75 my_port 500 peer_port 500 (I)
MM_NO_STATE``, https://pastebin.com/f67de1fb5; we keep the ``ISAKMP (0:N):`` prefix of the
seed's 12.2 era). The state name ``CONF_XAUTH``, ``initiating peer config to <peer>. ID = <mid>``
and ``deleting node <mid> error FALSE reason "..."`` are remembered 12.x lines, unconfirmed
(see :mod:`vpnrouter.ike.exchanges.xauth`).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from vpnrouter.crypto import keymat
from vpnrouter.ike import codec, rules
from vpnrouter.ike.context import Context
from vpnrouter.ike.errors import AuthenticationError
from vpnrouter.ike.manager import Retransmission, signed_mid
from vpnrouter.ike.ra import Transaction, TxKind
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.attributes import DataAttribute
from vpnrouter.wire.constants import ExchangeType
from vpnrouter.wire.header import Header
from vpnrouter.wire.message import encode_payloads
from vpnrouter.wire.payloads import AttributePayload, HashPayload

MAX_CLOSED = 64  # finished exchanges remembered per SA, so a late answer is not "malformed"


def _keys(sa: IkeSa) -> tuple[keymat.Prf, bytes]:
    if sa.crypto is None:
        raise RuntimeError("transaction exchange without phase-1 keys")
    return sa.crypto.prf, sa.crypto.keys.skeyid_a


# draft-dukes-ike-mode-cfg-02 3.2: HASH = prf(SKEYID_a, M-ID | ATTR), then encrypt.
def encode(sa: IkeSa, mid: int, payload: AttributePayload) -> bytes:
    prf, skeyid_a = _keys(sa)
    digest = keymat.informational_hash(prf, skeyid_a, mid, encode_payloads([payload]))
    return codec.encrypted(sa, ExchangeType.TRANSACTION, [HashPayload(digest), payload], mid)


# draft-dukes-ike-mode-cfg-02 3.2: verify the HASH before anything else (principle 2).
def receive(sa: IkeSa, header: Header, data: bytes) -> AttributePayload:
    """Decrypt, check the payload rules and the HASH, then commit the IV."""
    prf, skeyid_a = _keys(sa)
    inbound = codec.decrypt(sa, header, data)
    rules.check(rules.Kind.TRANSACTION, inbound.payloads)
    expected = keymat.informational_hash(prf, skeyid_a, header.message_id, inbound.after_hash())
    if not hmac.compare_digest(expected, inbound.hash_data()):
        raise AuthenticationError("transaction exchange HASH mismatch")
    codec.commit(sa, inbound)
    return codec.first_of(inbound.payloads, AttributePayload)


def _sent(ctx: Context, sa: IkeSa, message: bytes) -> None:
    ctx.send(sa, message)
    ctx.isakmp(
        f"{sa.tag}: sending packet to {sa.peer} my_port {sa.local_port} peer_port "
        f"{sa.peer_port} ({sa.role}) {sa.ios_state}"
    )


def start(
    ctx: Context, sa: IkeSa, kind: TxKind, cfg_type: int, attributes: Sequence[DataAttribute]
) -> Transaction:
    """Open an exchange: a new message ID, our REQUEST or SET, retransmitted until answered."""
    if sa.ra is None:
        raise RuntimeError("transaction exchange on a SA without remote-access state")
    mid = sa.message_ids.allocate(ctx.random)
    identifier = int.from_bytes(ctx.random(2), "big")
    message = encode(sa, mid, AttributePayload(cfg_type, identifier, tuple(attributes)))
    tx = Transaction(mid, kind, identifier)
    sa.ra.transactions[mid] = tx
    tx.retransmit = Retransmission.start((message,), ctx.policy.retransmit, ctx.now, kind.value)
    tx.deadline = ctx.now + ctx.policy.retransmit.total()
    ctx.isakmp(f"{sa.tag}: initiating peer config to {sa.peer}. ID = {signed_mid(mid)}")
    _sent(ctx, sa, message)
    return tx


def answer(
    ctx: Context,
    sa: IkeSa,
    mid: int,
    cfg_type: int,
    identifier: int,
    attributes: Sequence[DataAttribute],
    request: bytes,
) -> bytes:
    """Our REPLY or ACK to the peer's message ``request`` (kept in the reply cache)."""
    message = encode(sa, mid, AttributePayload(cfg_type, identifier, tuple(attributes)))
    _sent(ctx, sa, message)
    cached = sa.replies.lookup(request) or ()
    sa.replies.remember(request, (*cached, message))
    if sa.crypto is not None:
        sa.crypto.ivs.forget(mid)
    ctx.isakmp(f'{sa.tag}: deleting node {signed_mid(mid)} error FALSE reason "No Error"')
    return message


def also_answers(sa: IkeSa, request: bytes, message: bytes) -> None:
    """A later message of ours that a retransmitted ``request`` should bring again."""
    cached = sa.replies.lookup(request) or ()
    sa.replies.remember(request, (*cached, message))


def last_message(tx: Transaction) -> bytes:
    return tx.retransmit.messages[-1] if tx.retransmit is not None else b""


def finish(ctx: Context, sa: IkeSa, tx: Transaction, reason: str) -> None:
    """The exchange we started got its answer (or was given up)."""
    if sa.ra is not None:
        sa.ra.transactions.pop(tx.mid, None)
        if len(sa.ra.closed) < MAX_CLOSED:
            sa.ra.closed.add(tx.mid)
    tx.retransmit = None
    tx.deadline = None
    if sa.crypto is not None:
        sa.crypto.ivs.forget(tx.mid)
    ctx.isakmp(f'{sa.tag}: deleting node {signed_mid(tx.mid)} error FALSE reason "{reason}"')
