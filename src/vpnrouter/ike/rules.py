"""Which payloads each message may carry, checked in one place (DESIGN.md principle 3).

The engine classifies a received message (main mode 1..6, aggressive mode 1..3, quick mode
1..3, informational, transaction) and calls :func:`check` before any exchange code looks at
it. Sources: RFC 2409 section 5 (main and aggressive mode), 5.5 (quick mode), 5.7
(informational), RFC 2408 section 4.8, RFC 3947 sections 3.2 and 5.2 (NAT-D, NAT-OA), RFC 2407
section 4.6.3 (notifies such as INITIAL-CONTACT), draft-dukes-ike-mode-cfg-02 3.2 and
draft-beaulieu-ike-xauth-02 (transaction exchange: HASH, ATTR).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

from vpnrouter.ike.errors import ProtocolError
from vpnrouter.wire.constants import NotifyType, PayloadType
from vpnrouter.wire.payloads import Payload

MANY: Final = 32


class Kind(Enum):
    MM1 = "main mode message 1"
    MM2 = "main mode message 2"
    MM3 = "main mode message 3"
    MM4 = "main mode message 4"
    MM5 = "main mode message 5"
    MM6 = "main mode message 6"
    AM1 = "aggressive mode message 1"
    AM2 = "aggressive mode message 2"
    AM3 = "aggressive mode message 3"
    QM1 = "quick mode message 1"
    QM2 = "quick mode message 2"
    QM3 = "quick mode message 3"
    INFO = "informational (protected)"
    INFO_PLAIN = "informational (unprotected)"
    TRANSACTION = "transaction exchange"


@dataclass(frozen=True)
class Rule:
    """``counts`` maps a payload type to (minimum, maximum); ``hash_first`` demands the HASH
    payload lead the message; ``one_of`` lists types of which at least one must appear."""

    counts: Mapping[int, tuple[int, int]]
    hash_first: bool = False
    one_of: tuple[int, ...] = ()


_P = PayloadType
_NAT_D: dict[int, tuple[int, int]] = {_P.NAT_D: (0, MANY), _P.NAT_D_DRAFT: (0, MANY)}
_MM_KE: dict[int, tuple[int, int]] = {
    _P.KE: (1, 1),
    _P.NONCE: (1, 1),
    _P.VID: (0, MANY),
    _P.CR: (0, MANY),
    **_NAT_D,
}
_MM_AUTH: dict[int, tuple[int, int]] = {
    _P.ID: (1, 1),
    _P.HASH: (1, 1),
    _P.N: (0, MANY),
    _P.VID: (0, MANY),
}
_QM: dict[int, tuple[int, int]] = {
    _P.HASH: (1, 1),
    _P.SA: (1, 1),
    _P.NONCE: (1, 1),
    _P.KE: (0, 1),
    _P.ID: (0, 2),
    _P.N: (0, MANY),
    _P.NAT_OA: (0, 2),
    _P.NAT_OA_DRAFT: (0, 2),
}

RULES: Final[dict[Kind, Rule]] = {
    # RFC 2409 5: HDR, SA [, VID...] — strongSwan and IOS add vendor IDs.
    Kind.MM1: Rule({_P.SA: (1, 1), _P.VID: (0, MANY)}),
    Kind.MM2: Rule({_P.SA: (1, 1), _P.VID: (0, MANY)}),
    # RFC 2409 5 / RFC 3947 3.2: HDR, KE, Ni [, NAT-D, NAT-D...]
    Kind.MM3: Rule(_MM_KE),
    Kind.MM4: Rule(_MM_KE),
    # RFC 2409 5.4 / RFC 2407 4.6.3.3: HDR*, IDii, HASH_I [, N(INITIAL-CONTACT)]
    Kind.MM5: Rule(_MM_AUTH),
    Kind.MM6: Rule(_MM_AUTH),
    # RFC 2409 5: HDR, SA, KE, Ni, IDii [, VID...] (vpnc: XAUTH, Unity, NAT-T, DPD VIDs).
    Kind.AM1: Rule(
        {_P.SA: (1, 1), _P.KE: (1, 1), _P.NONCE: (1, 1), _P.ID: (1, 1), _P.VID: (0, MANY)}
    ),
    # RFC 2409 5 / RFC 3947 3.2: HDR, SA, KE, Nr, IDir, HASH_R [, VID] [, NAT-D x2]
    # [, N(RESPONDER-LIFETIME)].
    Kind.AM2: Rule(
        {
            _P.SA: (1, 1),
            _P.KE: (1, 1),
            _P.NONCE: (1, 1),
            _P.ID: (1, 1),
            _P.HASH: (1, 1),
            _P.VID: (0, MANY),
            _P.N: (0, MANY),
            **_NAT_D,
        }
    ),
    # RFC 2409 5 / RFC 3947 3.2: HDR*, HASH_I [, N(INITIAL-CONTACT)] [, VID] [, NAT-D x2].
    Kind.AM3: Rule({_P.HASH: (1, 1), _P.N: (0, MANY), _P.VID: (0, MANY), **_NAT_D}),
    # RFC 2409 5.5: HDR*, HASH, SA, Ni [, KE] [, IDci, IDcr] (+ RESPONDER-LIFETIME, NAT-OA)
    Kind.QM1: Rule(_QM, hash_first=True),
    Kind.QM2: Rule(_QM, hash_first=True),
    Kind.QM3: Rule({_P.HASH: (1, 1)}, hash_first=True),
    # RFC 2409 5.7: HDR*, HASH(1), N/D. vpnc's NAT keepalive is a HASH alone: authenticated,
    # harmless, accepted as a sign of life.
    Kind.INFO: Rule({_P.HASH: (1, 1), _P.N: (0, MANY), _P.D: (0, MANY)}, hash_first=True),
    Kind.INFO_PLAIN: Rule({_P.N: (0, MANY), _P.D: (0, MANY)}, one_of=(_P.N, _P.D)),
    # draft-dukes-ike-mode-cfg-02 3.2: HDR*, HASH, ATTR.
    Kind.TRANSACTION: Rule({_P.HASH: (1, 1), _P.ATTR: (1, 1)}, hash_first=True),
}


def check(kind: Kind, payloads: Sequence[Payload]) -> None:
    """Raise ProtocolError unless ``payloads`` is a valid set for ``kind``.

    A payload type the message may not carry is INVALID-PAYLOAD-TYPE (RFC 2408 5.2); a missing
    or repeated one is PAYLOAD-MALFORMED (RFC 2408 5.1).
    """
    rule = RULES[kind]
    counts = Counter(p.payload_type for p in payloads)
    for payload_type in counts:
        if payload_type not in rule.counts:
            raise ProtocolError(
                NotifyType.INVALID_PAYLOAD_TYPE,
                f"payload type {payload_type} not allowed in {kind.value}",
                data=bytes([payload_type & 0xFF]),
            )
    for payload_type, (low, high) in rule.counts.items():
        if not low <= counts.get(payload_type, 0) <= high:
            raise ProtocolError(
                NotifyType.PAYLOAD_MALFORMED,
                f"{kind.value} carries {counts.get(payload_type, 0)} payloads of type "
                f"{payload_type}",
            )
    if rule.hash_first and payloads[0].payload_type != _P.HASH:
        raise ProtocolError(NotifyType.PAYLOAD_MALFORMED, f"{kind.value} must start with HASH")
    if rule.one_of and not any(counts.get(t, 0) for t in rule.one_of):
        raise ProtocolError(NotifyType.PAYLOAD_MALFORMED, f"{kind.value} carries nothing")
    if kind in (Kind.QM1, Kind.QM2) and counts.get(_P.ID, 0) == 1:
        raise ProtocolError(NotifyType.PAYLOAD_MALFORMED, "quick mode needs both IDci and IDcr")
