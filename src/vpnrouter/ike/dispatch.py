"""Receiving one ISAKMP message: header, SA lookup, duplicate cache, routing to the exchange,
and the error taxonomy of DESIGN.md principle 4. The message is bare: on port 4500 the data
plane has removed the RFC 3948 non-ESP marker and kept NAT keepalives to itself.

- ``DecodeError``: drop, count, log (``%CRYPTO-4-IKMP_BAD_MESSAGE``).
- ``AuthenticationError``: a HASH did not verify; log, answer INVALID-HASH-INFORMATION, no
  state change.
- ``ProtocolError``: answer with its notify; only an SA the message itself created is dropped.
- anything else: counted and logged as an internal error; nothing escapes the engine.
"""

from __future__ import annotations

from collections.abc import Callable

from vpnrouter.ike import codec, lifecycle, rules
from vpnrouter.ike.context import IKE_PORT, Context
from vpnrouter.ike.errors import AuthenticationError, ProtocolError
from vpnrouter.ike.events import LogFacility, NegotiationFailed
from vpnrouter.ike.exchanges import (
    aggressive_mode,
    informational,
    main_mode,
    phase1,
    quick_mode,
    transaction,
)
from vpnrouter.ike.sa import ZERO_COOKIE, IkeSa, Phase1State, QmState
from vpnrouter.wire.constants import ExchangeType, NotifyType
from vpnrouter.wire.errors import DecodeError
from vpnrouter.wire.header import Header, decode_header

Handler = Callable[[], None]
Step = Callable[[Context, IkeSa, codec.Inbound, bytes], None]


def receive(ctx: Context, data: bytes, src: tuple[str, int], local: tuple[str, int]) -> None:
    """Entry point for one ISAKMP message received on ``local`` (address, port) from
    ``src``."""
    ctx.counters["received"] += 1
    try:
        _receive(ctx, data, src, local)
    except Exception as exc:  # principle 4: nothing from the network may raise out
        ctx.counters["internal_errors"] += 1
        ctx.log(LogFacility.ENGINE, f"ISAKMP: internal error on packet from {src[0]}: {exc!r}")


def _receive(ctx: Context, data: bytes, src: tuple[str, int], local: tuple[str, int]) -> None:
    try:
        header = decode_header(data)
    except DecodeError as exc:
        bad_message(ctx, None, None, src, exc)
        return
    if header.major_version != 1:
        ctx.counters["bad_version"] += 1
        ctx.isakmp(f"ISAKMP: version {header.major_version} packet from {src[0]} ignored")
        return
    routed = _route(ctx, header, data, src, local)
    if routed is None:
        return
    sa, handler = routed
    try:
        handler()
    except DecodeError as exc:
        bad_message(ctx, sa, header, src, exc)
    except AuthenticationError as exc:
        _hash_failed(ctx, sa, src, str(exc))
    except ProtocolError as exc:
        _protocol_error(ctx, sa, data, exc, header.exchange_type)


def bad_message(
    ctx: Context, sa: IkeSa | None, header: Header | None, src: tuple[str, int], exc: Exception
) -> None:
    ctx.counters["malformed"] += 1
    tag = sa.tag if sa is not None else "ISAKMP (0:0)"
    main = header is not None and header.exchange_type == ExchangeType.MAIN
    if sa is not None and header is not None and header.encrypted and main:
        # IOS 12.x prints this when a main mode message decrypts to garbage (wrong key).
        ctx.isakmp(f"{tag}: reserved not zero on payload {header.next_payload}!")
        sa.failure = "main mode message did not decrypt (pre-shared key mismatch?)"
    ctx.isakmp(f"{tag}: malformed message from {src[0]}: {exc}")
    ctx.syslog(
        f"%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from {src[0]} failed its sanity check "
        f"or is malformed"
    )


def _hash_failed(ctx: Context, sa: IkeSa | None, src: tuple[str, int], why: str) -> None:
    ctx.counters["hash_failures"] += 1
    if sa is None:
        return
    ctx.isakmp(f"{sa.tag}: {why}")
    ctx.syslog(f"%CRYPTO-4-IKMP_HASH_FAIL: IKE message from {src[0]} failed its hash check")
    if not sa.established:
        sa.failure = "phase 1 hash check failed (pre-shared key mismatch?)"
    informational.send_notify(ctx, sa, NotifyType.INVALID_HASH_INFORMATION)


def _protocol_error(
    ctx: Context, sa: IkeSa | None, request: bytes, exc: ProtocolError, exchange: int
) -> None:
    ctx.counters["protocol_errors"] += 1
    if sa is None:
        return
    ctx.isakmp(f"{sa.tag}: {exc.message}")
    spi = exc.spi if exc.protocol != 1 else None
    message = informational.send_notify(
        ctx, sa, exc.notify, protocol=exc.protocol, spi=spi, data=exc.data
    )
    if exchange == ExchangeType.QUICK and sa.established:
        ctx.syslog(
            f"%CRYPTO-6-IKMP_MODE_FAILURE: Processing of Quick mode failed with peer at {sa.peer}"
        )
        ctx.emit(NegotiationFailed(sa.peer, 2, exc.message, exc.notify))
    if sa.state in (Phase1State.R_MM1, Phase1State.R_AM1):
        # The SA exists only because of this message: it fails, and a retransmitted MM1/AM1
        # gets the same answer from the cache.
        mode = "Aggressive" if sa.aggressive else "Main"
        ctx.syslog(
            f"%CRYPTO-6-IKMP_MODE_FAILURE: Processing of {mode} mode failed with peer at {sa.peer}"
        )
        if message is not None:
            ctx.no_sa_replies.remember(request, (message,))
        lifecycle.drop_ike(ctx, sa, exc.message, exc.notify)


def _resend(
    ctx: Context,
    sa: IkeSa | None,
    replies: tuple[bytes, ...],
    src: tuple[str, int],
    local: tuple[str, int],
) -> None:
    ctx.counters["duplicates"] += 1
    for reply in replies:
        if sa is not None:
            ctx.send(sa, reply)
        else:
            ctx.send_raw(reply, src, (local[0], IKE_PORT))
    tag = sa.tag if sa is not None else "ISAKMP (0:0)"
    ctx.isakmp(f"{tag}: retransmission detected, resending the previous answer to {src[0]}")


def _route(
    ctx: Context, header: Header, data: bytes, src: tuple[str, int], local: tuple[str, int]
) -> tuple[IkeSa | None, Handler] | None:
    initial = (ExchangeType.MAIN, ExchangeType.AGGRESSIVE)
    if header.exchange_type in initial and header.rcookie == ZERO_COOKIE:
        cached = ctx.no_sa_replies.lookup(data)
        existing = ctx.table.find_responder(header.icookie, src[0])
        if existing is not None:
            cached = existing.replies.lookup(data)
        if cached is not None:
            _resend(ctx, existing, cached, src, local)
            return None
        if existing is not None:
            ctx.counters["dropped"] += 1
            return None
        ctx.isakmp(
            f"ISAKMP (0:0): received packet from {src[0]} dport {local[1]} sport {src[1]} "
            f"(N) NEW SA"
        )
        return None, lambda: _new_responder(ctx, header, data, src, local)
    sa = ctx.table.find(header.icookie, header.rcookie)
    if sa is None:
        ctx.counters["no_sa"] += 1
        ctx.syslog(
            f"%CRYPTO-4-IKMP_NO_SA: IKE message from {src[0]} has no SA and is not an "
            f"initialization offer"
        )
        return None
    cached = sa.replies.lookup(data)
    if cached is not None:
        _resend(ctx, sa, cached, src, local)
        return None
    if src[0] != sa.peer:
        ctx.counters["dropped"] += 1
        return None
    ctx.isakmp(
        f"{sa.tag}: received packet from {src[0]} dport {local[1]} sport {src[1]} "
        f"({sa.role}) {sa.ios_state}"
    )
    handler = _handler(ctx, sa, header, data, src, local)
    if handler is None:
        ctx.counters["dropped"] += 1
        return None
    return sa, handler


# The first message of each phase-1 exchange we answer: its payload rule and responder step.
_FIRST_MESSAGES: dict[int, tuple[rules.Kind, Step]] = {
    ExchangeType.MAIN: (rules.Kind.MM1, main_mode.responder_mm1),
    ExchangeType.AGGRESSIVE: (rules.Kind.AM1, aggressive_mode.responder_am1),
}


def _new_responder(
    ctx: Context, header: Header, data: bytes, src: tuple[str, int], local: tuple[str, int]
) -> None:
    """Main mode message 1 or aggressive mode message 1: a new responder SA judges it."""
    kind, step = _FIRST_MESSAGES[header.exchange_type]
    if header.encrypted or header.message_id != 0:
        raise DecodeError(f"initial {kind.value} must be plain with message ID 0")
    inbound = codec.decode_plain(header, data)
    sa = phase1.new_responder(ctx, header, local, src)
    try:
        rules.check(kind, inbound.payloads)
        step(ctx, sa, inbound, data)
    except ProtocolError as exc:
        _protocol_error(ctx, sa, data, exc, header.exchange_type)


def _not_encrypted(ctx: Context, sa: IkeSa) -> None:
    ctx.syslog(
        f"%CRYPTO-6-IKMP_NOT_ENCRYPTED: IKE packet from {sa.peer} was not encrypted and it "
        f"should've been."
    )


def _handler(
    ctx: Context,
    sa: IkeSa,
    header: Header,
    data: bytes,
    src: tuple[str, int],
    local: tuple[str, int],
) -> Handler | None:
    if sa.dead:
        return None
    match header.exchange_type:
        case ExchangeType.MAIN:
            return _main(ctx, sa, header, data, src, local)
        case ExchangeType.QUICK:
            return _quick(ctx, sa, header, data)
        case ExchangeType.INFORMATIONAL:
            return _informational(ctx, sa, header, data)
        case ExchangeType.AGGRESSIVE:
            return _aggressive(ctx, sa, header, data, src, local)
        case ExchangeType.TRANSACTION:
            return _transaction(ctx, sa, header, data)
    ctx.syslog(
        f"%CRYPTO-6-IKMP_UNK_EXCHANGE: IKE peer at {src[0]} sent a message with unknown "
        f"exchange {header.exchange_type}"
    )
    return None


def _plain_step(
    ctx: Context,
    sa: IkeSa,
    header: Header,
    data: bytes,
    kind: rules.Kind,
    step: Step,
) -> Handler:
    def run() -> None:
        if header.encrypted:
            raise DecodeError(f"{kind.value} must not be encrypted")
        inbound = codec.decode_plain(header, data)
        rules.check(kind, inbound.payloads)
        step(ctx, sa, inbound, data)

    return run


def _main(
    ctx: Context,
    sa: IkeSa,
    header: Header,
    data: bytes,
    src: tuple[str, int],
    local: tuple[str, int],
) -> Handler | None:
    state = sa.state
    if state in (Phase1State.I_MM5, Phase1State.R_MM4) and not header.encrypted:
        _not_encrypted(ctx, sa)
        return None
    match state:
        case Phase1State.I_MM1:
            return _plain_step(ctx, sa, header, data, rules.Kind.MM2, main_mode.initiator_mm2)
        case Phase1State.I_MM3:
            return _plain_step(ctx, sa, header, data, rules.Kind.MM4, main_mode.initiator_mm4)
        case Phase1State.R_MM2:
            return _plain_step(ctx, sa, header, data, rules.Kind.MM3, main_mode.responder_mm3)
        case Phase1State.I_MM5:
            return lambda: main_mode.initiator_mm6(ctx, sa, header, data)
        case Phase1State.R_MM4:
            return lambda: main_mode.responder_mm5(ctx, sa, header, data, (local[1], src))
    return None


def _aggressive(
    ctx: Context,
    sa: IkeSa,
    header: Header,
    data: bytes,
    src: tuple[str, int],
    local: tuple[str, int],
) -> Handler | None:
    if sa.state is Phase1State.I_AM1:
        return _plain_step(ctx, sa, header, data, rules.Kind.AM2, aggressive_mode.initiator_am2)
    if sa.state is Phase1State.R_AM2:
        return lambda: aggressive_mode.responder_am3(ctx, sa, header, data, (local[1], src))
    return None


def _transaction(ctx: Context, sa: IkeSa, header: Header, data: bytes) -> Handler | None:
    if not sa.established:
        ctx.syslog(
            f"%CRYPTO-6-IKMP_SA_NOT_AUTH: Cannot accept Transaction exchange from {sa.peer} "
            f"if SA is not authenticated!"
        )
        return None
    if not header.encrypted:
        _not_encrypted(ctx, sa)
        return None
    return lambda: transaction.handle(ctx, sa, header, data)


def _quick(ctx: Context, sa: IkeSa, header: Header, data: bytes) -> Handler | None:
    if not sa.established:
        ctx.syslog(
            f"%CRYPTO-6-IKMP_SA_NOT_AUTH: Cannot accept Quick Mode exchange from {sa.peer} if "
            f"SA is not authenticated!"
        )
        return None
    if not header.encrypted:
        _not_encrypted(ctx, sa)
        return None
    if sa.ra is not None and sa.ra.server and not sa.ra.ready:
        # IOS: a client must finish XAuth before it may negotiate IPsec SAs.
        ctx.isakmp(f"{sa.tag}: Quick Mode from {sa.peer} before XAUTH finished: ignored")
        return None
    qm = sa.quick.get(header.message_id)
    if qm is None:
        return lambda: quick_mode.responder_qm1(ctx, sa, header, data)
    if qm.initiator and qm.state is QmState.I_QM1:
        return lambda: quick_mode.initiator_qm2(ctx, sa, qm, header, data)
    if not qm.initiator and qm.state is QmState.R_QM2:
        return lambda: quick_mode.responder_qm3(ctx, sa, qm, header, data)
    return None


def _informational(ctx: Context, sa: IkeSa, header: Header, data: bytes) -> Handler:
    if header.encrypted:
        return lambda: informational.receive_protected(ctx, sa, header, data)

    def plain() -> None:
        inbound = codec.decode_plain(header, data)
        rules.check(rules.Kind.INFO_PLAIN, inbound.payloads)
        informational.receive_plain(ctx, sa, header, inbound.payloads)

    return plain
