"""Building and matching SA proposals the IOS way.

Phase 1 (RFC 2409 section 5 and appendix A): the initiator offers one ISAKMP proposal whose
transforms are the ``crypto isakmp policy`` entries in priority order; the responder checks
each offered transform, in the peer's order, against its policies in priority order and takes
the first that matches ("Checking ISAKMP transform 1 against priority 3 policy"). Lifetimes
never make a transform unacceptable: the lower lifetime wins.

Phase 2 (RFC 2409 section 5.5, RFC 2407 section 4.5): one ESP proposal per transform set of
the crypto map entry, all with the same SPI; the responder takes the first offered proposal
whose transform matches one of its transform sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from vpnrouter.ike.errors import ProtocolError
from vpnrouter.ike.names import (
    auth_name,
    encap_name,
    encryption_name,
    esp_auth_name,
    esp_transform_name,
    hash_name,
)
from vpnrouter.ike.policy import (
    AUTH_PRE_SHARE,
    AUTH_XAUTH_INIT_PSK,
    IsakmpPolicy,
    TransformSet,
)
from vpnrouter.wire.attributes import (
    DataAttribute,
    ipsec_attribute,
    make_attribute,
    phase1_attribute,
)
from vpnrouter.wire.constants import (
    EncapsulationMode,
    IpsecAttr,
    IsakmpTransformId,
    LifeType,
    NotifyType,
    Phase1Attr,
    ProtocolId,
)
from vpnrouter.wire.errors import DecodeError
from vpnrouter.wire.payloads import Proposal, SaPayload, Transform

Note = Callable[[str], None]

# RFC 2407 section 4.5: without a lifetime attribute an IPsec SA lives 28800 seconds.
IPSEC_DEFAULT_LIFETIME = 28800
_PHASE1_KNOWN = frozenset(
    {
        Phase1Attr.ENCRYPTION,
        Phase1Attr.HASH,
        Phase1Attr.AUTH_METHOD,
        Phase1Attr.GROUP_DESCRIPTION,
        Phase1Attr.LIFE_TYPE,
        Phase1Attr.LIFE_DURATION,
        Phase1Attr.KEY_LENGTH,
    }
)
_IPSEC_KNOWN = frozenset(
    {
        IpsecAttr.SA_LIFE_TYPE,
        IpsecAttr.SA_LIFE_DURATION,
        IpsecAttr.GROUP_DESCRIPTION,
        IpsecAttr.ENCAPSULATION_MODE,
        IpsecAttr.AUTH_ALGORITHM,
        IpsecAttr.KEY_LENGTH,
    }
)
TUNNEL_MODES = frozenset(
    {EncapsulationMode.TUNNEL, EncapsulationMode.UDP_TUNNEL, EncapsulationMode.UDP_TUNNEL_DRAFT}
)
UDP_MODES = frozenset(
    {
        EncapsulationMode.UDP_TUNNEL,
        EncapsulationMode.UDP_TRANSPORT,
        EncapsulationMode.UDP_TUNNEL_DRAFT,
        EncapsulationMode.UDP_TRANSPORT_DRAFT,
    }
)


def _duration_text(attr: DataAttribute) -> str:
    """IOS prints TV durations as ``(basic) of 3600`` and TLV ones byte by byte."""
    if isinstance(attr.value, int):
        return f"(basic) of {attr.value}"
    return "(VPI) of  " + " ".join(f"0x{b:x}" for b in attr.value)


# RFC 2408 3.3: a variable-length attribute whose value fits 16 bits may go as TV, which is
# what IOS does ("SA life duration (basic) of 3600"); larger values are 4-byte TLVs.
def duration(attr_type: int, value: int) -> DataAttribute:
    return make_attribute(attr_type, value, basic=True)


# --- phase 1 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase1Suite:
    """A negotiated (or offered) phase-1 suite; ``priority`` is our matching policy's."""

    encryption: int
    key_length: int | None
    hash: int
    auth: int
    group: int
    lifetime: int
    priority: int


@dataclass(frozen=True)
class Phase1Offer:
    """One phase-1 transform as the peer sent it (RFC 2409 appendix A attributes)."""

    number: int
    transform_id: int
    encryption: int | None = None
    key_length: int | None = None
    hash: int | None = None
    auth: int | None = None
    group: int | None = None
    life_seconds: int | None = None
    life_kilobytes: int | None = None
    unsupported: tuple[int, ...] = ()


def suite_from_policy(policy: IsakmpPolicy, auth: int | None = None) -> Phase1Suite:
    """The suite of ``policy``; ``auth`` is the method actually agreed (65001 for XAuth)."""
    return Phase1Suite(
        policy.encryption,
        policy.effective_key_length(),
        policy.hash,
        auth if auth is not None else policy.auth,
        policy.group,
        policy.lifetime,
        policy.priority,
    )


# RFC 2409 appendix A: one KEY_IKE transform per policy, basic attributes, life in seconds.
def phase1_transform(number: int, policy: IsakmpPolicy) -> Transform:
    attrs = [phase1_attribute(Phase1Attr.ENCRYPTION, policy.encryption)]
    key_length = policy.effective_key_length()
    if key_length is not None:
        attrs.append(phase1_attribute(Phase1Attr.KEY_LENGTH, key_length))
    attrs += [
        phase1_attribute(Phase1Attr.HASH, policy.hash),
        phase1_attribute(Phase1Attr.AUTH_METHOD, policy.auth),
        phase1_attribute(Phase1Attr.GROUP_DESCRIPTION, policy.group),
        phase1_attribute(Phase1Attr.LIFE_TYPE, LifeType.SECONDS),
        duration(Phase1Attr.LIFE_DURATION, policy.lifetime),
    ]
    return Transform(number, IsakmpTransformId.KEY_IKE, tuple(attrs))


# RFC 2409 section 5: the initiator's SA payload; RFC 2408 3.5: ISAKMP proposals have no SPI.
def phase1_sa_payload(policies: Sequence[IsakmpPolicy]) -> SaPayload:
    transforms = tuple(phase1_transform(i + 1, p) for i, p in enumerate(policies))
    return SaPayload((Proposal(1, ProtocolId.ISAKMP, b"", transforms),))


# RFC 2409 appendix A: attribute classes; a life duration applies to the life type before it.
def parse_phase1_transform(transform: Transform) -> Phase1Offer:
    values: dict[str, int] = {}
    unsupported: list[int] = []
    life_type: int | None = None
    life: dict[int, int] = {}
    for attr in transform.attributes:
        if attr.type not in _PHASE1_KNOWN:
            unsupported.append(attr.type)
            continue
        value = attr.as_int()
        match attr.type:
            case Phase1Attr.ENCRYPTION:
                values["encryption"] = value
            case Phase1Attr.KEY_LENGTH:
                values["key_length"] = value
            case Phase1Attr.HASH:
                values["hash"] = value
            case Phase1Attr.AUTH_METHOD:
                values["auth"] = value
            case Phase1Attr.GROUP_DESCRIPTION:
                values["group"] = value
            case Phase1Attr.LIFE_TYPE:
                life_type = value
            case Phase1Attr.LIFE_DURATION:
                if life_type is None:
                    unsupported.append(attr.type)
                else:
                    life[life_type] = value
    return Phase1Offer(
        transform.number,
        transform.transform_id,
        life_seconds=life.get(LifeType.SECONDS),
        life_kilobytes=life.get(LifeType.KILOBYTES),
        unsupported=tuple(unsupported),
        **values,
    )


MAX_KEPT_OFFERS = 16  # a peer's phase-1 transforms kept for diagnostics


def phase1_offers(sa: SaPayload) -> tuple[Phase1Offer, ...]:
    """The ISAKMP transforms of an initiator's SA payload, as far as they parse (kept on
    the SA for ``show crypto isakmp diagnose``; never acted on)."""
    found: list[Phase1Offer] = []
    for proposal in sa.proposals:
        if proposal.protocol_id != ProtocolId.ISAKMP:
            continue
        for transform in proposal.transforms:
            try:
                found.append(parse_phase1_transform(transform))
            except DecodeError:
                continue
    return tuple(found[:MAX_KEPT_OFFERS])


def describe_phase1(transform: Transform, note: Note) -> None:
    """The attribute lines IOS prints under "Checking ISAKMP transform…"."""
    for attr in transform.attributes:
        value = attr.value if isinstance(attr.value, int) else None
        match attr.type:
            case Phase1Attr.ENCRYPTION:
                note(f"ISAKMP:      encryption {encryption_name(value)}")
            case Phase1Attr.KEY_LENGTH:
                note(f"ISAKMP:      keylength of {value}")
            case Phase1Attr.HASH:
                note(f"ISAKMP:      hash {hash_name(value)}")
            case Phase1Attr.AUTH_METHOD:
                note(f"ISAKMP:      auth {auth_name(value)}")
            case Phase1Attr.GROUP_DESCRIPTION:
                note(f"ISAKMP:      default group {value}")
            case Phase1Attr.LIFE_TYPE:
                unit = "seconds" if value == LifeType.SECONDS else "kilobytes"
                note(f"ISAKMP:      life type in {unit}")
            case Phase1Attr.LIFE_DURATION:
                note(f"ISAKMP:      life duration {_duration_text(attr)}")
            case _:
                note(f"ISAKMP:      attribute {attr.type} not supported")


def auth_matches(offered: int | None, configured: int, xauth: bool) -> bool:
    """draft-beaulieu-ike-xauth-02 7.2: with XAuth configured, IOS takes a client's
    XAUTHInitPreShared transform as matching an ``authentication pre-share`` policy."""
    if offered == configured:
        return True
    return xauth and configured == AUTH_PRE_SHARE and offered == AUTH_XAUTH_INIT_PSK


def phase1_mismatches(
    offer: Phase1Offer, policy: IsakmpPolicy, *, xauth: bool = False
) -> list[str]:
    """IOS's reasons why ``offer`` does not match ``policy`` (empty list: acceptable)."""
    reasons: list[str] = []
    if offer.transform_id != IsakmpTransformId.KEY_IKE or offer.unsupported:
        reasons.append("Unsupported attribute offered!")
    if offer.encryption != policy.encryption or offer.key_length != policy.effective_key_length():
        reasons.append("Encryption algorithm offered does not match policy!")
    if offer.hash != policy.hash:
        reasons.append("Hash algorithm offered does not match policy!")
    if not auth_matches(offer.auth, policy.auth, xauth):
        reasons.append("Authentication method offered does not match policy!")
    if offer.group != policy.group:
        reasons.append("Diffie-Hellman group offered does not match policy!")
    return reasons


@dataclass(frozen=True)
class Phase1Choice:
    """What the responder accepted: the proposal to echo (one transform) and the suite."""

    proposal: Proposal
    suite: Phase1Suite


def _lower_lifetime(ours: int, theirs: int | None) -> int:
    return ours if theirs is None or theirs <= 0 else min(ours, theirs)


def _select_in_proposal(
    proposal: Proposal, policies: Sequence[IsakmpPolicy], tag: str, note: Note, xauth: bool
) -> Phase1Choice | None:
    for index, transform in enumerate(proposal.transforms):
        offer = parse_phase1_transform(transform)
        following = 3 if index + 1 < len(proposal.transforms) else 0
        for policy in policies:
            note(
                f"{tag}: Checking ISAKMP transform {offer.number} against priority "
                f"{policy.priority} policy"
            )
            describe_phase1(transform, note)
            reasons = phase1_mismatches(offer, policy, xauth=xauth)
            if not reasons:
                note(f"{tag}: atts are acceptable. Next payload is {following}")
                suite = suite_from_policy(policy, offer.auth)
                lifetime = _lower_lifetime(policy.lifetime, offer.life_seconds)
                echoed = Proposal(proposal.number, proposal.protocol_id, proposal.spi, (transform,))
                return Phase1Choice(echoed, _with_lifetime(suite, lifetime))
            for reason in reasons:
                note(f"{tag}: {reason}")
            note(f"{tag}: atts are not acceptable. Next payload is {following}")
    return None


def _with_lifetime(suite: Phase1Suite, lifetime: int) -> Phase1Suite:
    return Phase1Suite(
        suite.encryption,
        suite.key_length,
        suite.hash,
        suite.auth,
        suite.group,
        lifetime,
        suite.priority,
    )


# RFC 2409 section 5 / RFC 2408 4.2: the responder picks exactly one transform of one proposal.
def select_phase1(
    sa: SaPayload,
    policies: Sequence[IsakmpPolicy],
    tag: str,
    note: Note,
    *,
    xauth: bool = False,
) -> Phase1Choice:
    """Responder: the first of the peer's transforms that matches any policy (IOS order).

    ``xauth``: XAUTHInitPreShared transforms match pre-share policies. Raises
    ProtocolError(NO-PROPOSAL-CHOSEN) when nothing matches.
    """
    for proposal in sa.proposals:
        if proposal.protocol_id != ProtocolId.ISAKMP:
            continue
        choice = _select_in_proposal(proposal, policies, tag, note, xauth)
        if choice is not None:
            return choice
    note(f"{tag}: no offers accepted!")
    raise ProtocolError(NotifyType.NO_PROPOSAL_CHOSEN, "no acceptable ISAKMP transform")


# RFC 2409 section 5: the responder returns one of the offered transforms unchanged.
def accept_phase1_reply(sa: SaPayload, offered: Sequence[IsakmpPolicy]) -> Phase1Suite:
    """Initiator: the responder's choice must be exactly one transform we offered."""
    if len(sa.proposals) != 1 or len(sa.proposals[0].transforms) != 1:
        raise ProtocolError(NotifyType.BAD_PROPOSAL_SYNTAX, "reply must carry one transform")
    if sa.proposals[0].protocol_id != ProtocolId.ISAKMP:
        raise ProtocolError(NotifyType.INVALID_PROTOCOL_ID, "reply is not an ISAKMP proposal")
    offer = parse_phase1_transform(sa.proposals[0].transforms[0])
    for policy in offered:
        if not phase1_mismatches(offer, policy):
            lifetime = _lower_lifetime(policy.lifetime, offer.life_seconds)
            return _with_lifetime(suite_from_policy(policy), lifetime)
    raise ProtocolError(NotifyType.NO_PROPOSAL_CHOSEN, "responder chose a transform not offered")


# --- phase 2 (ESP) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EspOffer:
    """One ESP transform as proposed (RFC 2407 section 4.5 attributes)."""

    number: int
    transform_id: int
    key_length: int | None = None
    auth: int | None = None
    encap: int = EncapsulationMode.TUNNEL
    group: int | None = None
    life_seconds: int | None = None
    life_kilobytes: int | None = None
    unsupported: tuple[int, ...] = ()


@dataclass(frozen=True)
class EspChoice:
    """An agreed ESP suite: the peer's proposal (for its SPI), the transform, our set."""

    proposal: Proposal
    transform: Transform
    offer: EspOffer
    transform_set: TransformSet


def _encap_for(transform_set: TransformSet, udp_mode: int | None) -> int:
    tunnel = transform_set.mode == "tunnel"
    if udp_mode is None:
        return EncapsulationMode.TUNNEL if tunnel else EncapsulationMode.TRANSPORT
    if udp_mode == EncapsulationMode.UDP_TUNNEL:
        return udp_mode if tunnel else EncapsulationMode.UDP_TRANSPORT
    return udp_mode if tunnel else EncapsulationMode.UDP_TRANSPORT_DRAFT


# RFC 2407 section 4.5 attributes, in the order IOS sends them.
def esp_transform(
    transform_set: TransformSet,
    udp_mode: int | None,
    lifetime_seconds: int,
    lifetime_kilobytes: int,
    pfs_group: int | None,
) -> Transform:
    attrs = [
        ipsec_attribute(IpsecAttr.ENCAPSULATION_MODE, _encap_for(transform_set, udp_mode)),
        ipsec_attribute(IpsecAttr.SA_LIFE_TYPE, LifeType.SECONDS),
        duration(IpsecAttr.SA_LIFE_DURATION, lifetime_seconds),
        ipsec_attribute(IpsecAttr.SA_LIFE_TYPE, LifeType.KILOBYTES),
        duration(IpsecAttr.SA_LIFE_DURATION, lifetime_kilobytes),
    ]
    if transform_set.esp_auth is not None:
        attrs.append(ipsec_attribute(IpsecAttr.AUTH_ALGORITHM, transform_set.esp_auth))
    key_length = transform_set.effective_key_length()
    if key_length is not None:
        attrs.append(ipsec_attribute(IpsecAttr.KEY_LENGTH, key_length))
    if pfs_group is not None:
        attrs.append(ipsec_attribute(IpsecAttr.GROUP_DESCRIPTION, pfs_group))
    return Transform(1, transform_set.esp_transform, tuple(attrs))


# RFC 2409 5.5 / RFC 2408 4.2: one proposal per transform set, distinct proposal numbers.
def esp_sa_payload(
    transform_sets: Iterable[TransformSet],
    spi: bytes,
    udp_mode: int | None,
    lifetime_seconds: int,
    lifetime_kilobytes: int,
    pfs_group: int | None,
) -> SaPayload:
    proposals = tuple(
        Proposal(
            i + 1,
            ProtocolId.IPSEC_ESP,
            spi,
            (esp_transform(ts, udp_mode, lifetime_seconds, lifetime_kilobytes, pfs_group),),
        )
        for i, ts in enumerate(transform_sets)
    )
    return SaPayload(proposals)


# RFC 2407 section 4.5: life type/duration pairs; encapsulation mode defaults per 4.5.
def parse_esp_transform(transform: Transform) -> EspOffer:
    values: dict[str, int] = {}
    unsupported: list[int] = []
    life_type: int | None = None
    life: dict[int, int] = {}
    for attr in transform.attributes:
        if attr.type not in _IPSEC_KNOWN:
            unsupported.append(attr.type)
            continue
        value = attr.as_int()
        match attr.type:
            case IpsecAttr.SA_LIFE_TYPE:
                life_type = value
            case IpsecAttr.SA_LIFE_DURATION:
                if life_type is None:
                    unsupported.append(attr.type)
                else:
                    life[life_type] = value
            case IpsecAttr.GROUP_DESCRIPTION:
                values["group"] = value
            case IpsecAttr.ENCAPSULATION_MODE:
                values["encap"] = value
            case IpsecAttr.AUTH_ALGORITHM:
                values["auth"] = value
            case IpsecAttr.KEY_LENGTH:
                values["key_length"] = value
    return EspOffer(
        transform.number,
        transform.transform_id,
        life_seconds=life.get(LifeType.SECONDS),
        life_kilobytes=life.get(LifeType.KILOBYTES),
        unsupported=tuple(unsupported),
        **values,
    )


def describe_esp(transform: Transform, note: Note) -> None:
    """The attribute lines IOS prints under "Checking IPSec proposal…"."""
    note(f"ISAKMP: transform {transform.number}, {esp_transform_name(transform.transform_id)}")
    note("ISAKMP:   attributes in transform:")
    for attr in transform.attributes:
        value = attr.value if isinstance(attr.value, int) else None
        match attr.type:
            case IpsecAttr.ENCAPSULATION_MODE:
                note(f"ISAKMP:      encaps is {int.from_bytes(attr.as_bytes(), 'big')}")
            case IpsecAttr.SA_LIFE_TYPE:
                unit = "seconds" if value == LifeType.SECONDS else "kilobytes"
                note(f"ISAKMP:      SA life type in {unit}")
            case IpsecAttr.SA_LIFE_DURATION:
                note(f"ISAKMP:      SA life duration {_duration_text(attr)}")
            case IpsecAttr.AUTH_ALGORITHM:
                note(f"ISAKMP:      authenticator is {esp_auth_name(value)}")
            case IpsecAttr.KEY_LENGTH:
                note(f"ISAKMP:      key length is {value}")
            case IpsecAttr.GROUP_DESCRIPTION:
                note(f"ISAKMP:      group is {value}")
            case _:
                note(f"ISAKMP:      attribute {attr.type} not supported")


def esp_mismatch(
    offer: EspOffer, ts: TransformSet, pfs_group: int | None, nat_t: bool
) -> str | None:
    """Why ``offer`` does not fit transform set ``ts`` (None: it fits)."""
    if offer.unsupported:
        return f"attributes {list(offer.unsupported)} not supported"
    if offer.transform_id != ts.esp_transform or offer.key_length != ts.effective_key_length():
        return "cipher does not match"
    if offer.auth != ts.esp_auth:
        return "authenticator does not match"
    tunnel = offer.encap in TUNNEL_MODES
    if tunnel != (ts.mode == "tunnel"):
        return f"encapsulation {encap_name(offer.encap)} does not match mode {ts.mode}"
    if offer.encap in UDP_MODES and not nat_t:
        return "UDP encapsulation without NAT-T"
    if offer.encap not in TUNNEL_MODES | UDP_MODES | {EncapsulationMode.TRANSPORT}:
        return f"encapsulation {offer.encap} unknown"
    if pfs_group is not None and offer.group != pfs_group:
        return "PFS group does not match"
    return None


def _grouped(sa: SaPayload) -> list[list[Proposal]]:
    """RFC 2408 4.2: proposals sharing a number are one (ANDed) suite."""
    groups: list[list[Proposal]] = []
    for proposal in sa.proposals:
        if groups and groups[-1][0].number == proposal.number:
            groups[-1].append(proposal)
        else:
            groups.append([proposal])
    return groups


# RFC 2409 section 5.5: the responder picks one proposal (with one transform) of the offer.
def select_esp(
    sa: SaPayload,
    transform_sets: Sequence[TransformSet],
    pfs_group: int | None,
    nat_t: bool,
    tag: str,
    note: Note,
) -> EspChoice | None:
    """Responder: the first offered ESP proposal/transform matching one of our sets."""
    for group in _grouped(sa):
        note(f"{tag}: Checking IPSec proposal {group[0].number}")
        if len(group) != 1 or group[0].protocol_id != ProtocolId.IPSEC_ESP:
            note(f"{tag}: skipping ANDed proposal {group[0].number} (only ESP is supported)")
            continue
        proposal = group[0]
        if len(proposal.spi) != 4:
            note(f"{tag}: proposal {proposal.number} has a {len(proposal.spi)}-byte SPI")
            continue
        for transform in proposal.transforms:
            describe_esp(transform, note)
            offer = parse_esp_transform(transform)
            for ts in transform_sets:
                if esp_mismatch(offer, ts, pfs_group, nat_t) is None:
                    note(f"{tag}: atts are acceptable.")
                    return EspChoice(proposal, transform, offer, ts)
            note(f"{tag}: atts not acceptable.")
    return None


# RFC 2409 section 5.5: the reply carries one of our proposals with the responder's SPI.
def accept_esp_reply(
    sa: SaPayload,
    offered: Sequence[TransformSet],
    pfs_group: int | None,
    nat_t: bool,
) -> EspChoice:
    """Initiator: the responder's SA must be one ESP proposal we offered, with a 4-byte SPI."""
    if len(sa.proposals) != 1 or len(sa.proposals[0].transforms) != 1:
        raise ProtocolError(NotifyType.BAD_PROPOSAL_SYNTAX, "reply must carry one proposal")
    proposal = sa.proposals[0]
    if proposal.protocol_id != ProtocolId.IPSEC_ESP or len(proposal.spi) != 4:
        raise ProtocolError(NotifyType.INVALID_SPI, "reply is not an ESP proposal with an SPI")
    transform = proposal.transforms[0]
    offer = parse_esp_transform(transform)
    if offer.group != pfs_group:
        raise ProtocolError(NotifyType.NO_PROPOSAL_CHOSEN, "responder changed the PFS group")
    for ts in offered:
        if esp_mismatch(offer, ts, pfs_group, nat_t) is None:
            return EspChoice(proposal, transform, offer, ts)
    raise ProtocolError(NotifyType.NO_PROPOSAL_CHOSEN, "responder chose a transform not offered")
