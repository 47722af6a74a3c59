"""Security Policy Database: traffic selectors and the outbound policy lookup (sans-I/O).

RFC 4301 section 4.4.1 (SPD: ordered entries, PROTECT / BYPASS / DISCARD, selectors of
addresses, next-layer protocol and ports, OPAQUE ports of non-initial fragments) as Cisco IOS
applies it to crypto maps: the ``permit`` entries of a crypto map's ACL are PROTECT policies,
``deny`` entries are BYPASS, and a PROTECT match with no SA yet is an *acquire*: the packet is
dropped and the IKE engine is asked to negotiate (IOS drops the first packet of a new flow and
counts it as a send error).

Policies carrying the same non-empty tag are one crypto map entry's ACL, and the entries
follow each other in sequence order. Within an entry the first matching line decides: a
``permit`` protects the packet by this entry, a ``deny`` only says this entry does not protect
it, and the packet is evaluated against the next entry ("cascading ACLs", Cisco ASA/PIX and
IOS crypto map sets: "whenever the packet matches a deny ACE, [it] ignores the remaining ACEs
in the crypto map and resumes evaluation of the packet against the next crypto map, as
determined by the sequence number"). Traffic no entry protects is BYPASS: routed in the
clear. An untagged BYPASS or DISCARD policy ends the lookup where it stands (hand-keyed SPDs).

SAs negotiated by IKE are *bound* to the SPD with the selectors quick mode agreed on. A PROTECT
policy uses the first bound SA whose selector matches the packet and whose tag is compatible
(equal tags, or either empty). Traffic no policy protects may still be protected by a bound SA
whose tag no policy carries: that is how dynamic crypto maps (remote-access clients) work, with
no ACL in the configuration, evaluated after every static entry as IOS does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from ipaddress import IPv4Address, IPv4Network
from typing import Generic, NamedTuple, TypeVar

from vpnrouter.esp.ipv4 import OPAQUE_PORT, FlowKey

PROTO_ANY = 0
MAX_CACHE = 8192


@dataclass(frozen=True, slots=True)
class PortRange:
    """An inclusive port range; (0, 65535) is "any" and also matches OPAQUE ports."""

    lo: int = 0
    hi: int = 65535

    def __post_init__(self) -> None:
        if not 0 <= self.lo <= self.hi <= 65535:
            raise ValueError(f"bad port range {self.lo}-{self.hi}")

    @classmethod
    def single(cls, port: int) -> PortRange:
        """IKEv1 ID payload semantics: port 0 means any port."""
        return ANY_PORT if port == 0 else cls(port, port)

    @property
    def is_any(self) -> bool:
        return self.lo == 0 and self.hi == 65535

    def contains(self, port: int) -> bool:
        if port == OPAQUE_PORT:
            return self.is_any
        return self.lo <= port <= self.hi

    def __str__(self) -> str:
        if self.is_any:
            return "0"
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"


ANY_PORT = PortRange()


@dataclass(frozen=True, slots=True)
class Selector:
    """Which inner packets a policy or SA covers, in the direction they travel (src -> dst).

    ``protocol`` 0 means any; ports apply to TCP/UDP/SCTP (other protocols have OPAQUE ports).
    """

    src_net: IPv4Network
    dst_net: IPv4Network
    protocol: int = PROTO_ANY
    src_port: PortRange = ANY_PORT
    dst_port: PortRange = ANY_PORT
    _src: tuple[int, int] = field(init=False, repr=False, compare=False)
    _dst: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.protocol <= 255:
            raise ValueError(f"bad protocol {self.protocol}")
        src = (int(self.src_net.network_address), int(self.src_net.netmask))
        dst = (int(self.dst_net.network_address), int(self.dst_net.netmask))
        object.__setattr__(self, "_src", src)
        object.__setattr__(self, "_dst", dst)

    @classmethod
    def of(
        cls,
        src: str | IPv4Network,
        dst: str | IPv4Network,
        protocol: int = PROTO_ANY,
        src_port: int | tuple[int, int] = 0,
        dst_port: int | tuple[int, int] = 0,
    ) -> Selector:
        """Convenience constructor: ``Selector.of("10.10.10.0/24", "10.10.20.0/24")``."""
        return cls(
            IPv4Network(src),
            IPv4Network(dst),
            protocol,
            _port_range(src_port),
            _port_range(dst_port),
        )

    def matches(self, key: FlowKey) -> bool:
        src_net, src_mask = self._src
        dst_net, dst_mask = self._dst
        if key.src & src_mask != src_net or key.dst & dst_mask != dst_net:
            return False
        if self.protocol and key.protocol != self.protocol:
            return False
        return self.src_port.contains(key.src_port) and self.dst_port.contains(key.dst_port)

    def reversed(self) -> Selector:
        """The selector of the return traffic (inbound SA of a pair)."""
        return Selector(self.dst_net, self.src_net, self.protocol, self.dst_port, self.src_port)

    def __str__(self) -> str:
        return (
            f"{self.src_net}:{self.src_port} -> {self.dst_net}:{self.dst_port}"
            f" proto {self.protocol}"
        )


def _port_range(value: int | tuple[int, int]) -> PortRange:
    if isinstance(value, tuple):
        return PortRange(value[0], value[1])
    return PortRange.single(value)


class Action(Enum):
    PROTECT = "protect"
    BYPASS = "bypass"
    DISCARD = "discard"


@dataclass(frozen=True, slots=True)
class Policy:
    """One ordered SPD entry. ``tag`` names its origin (e.g. "mymap 10") for acquire events."""

    selector: Selector
    action: Action
    tag: str = ""
    peer: IPv4Address | None = None


class Verdict(Enum):
    PROTECT = "protect"  # encrypt with the SA in the decision
    ACQUIRE = "acquire"  # PROTECT policy, no SA yet: drop the packet, ask IKE to negotiate
    BYPASS = "bypass"  # deny entry, or no entry at all
    DISCARD = "discard"


SaT = TypeVar("SaT")


class Decision(NamedTuple, Generic[SaT]):
    verdict: Verdict
    policy: Policy | None
    sa: SaT | None


@dataclass(slots=True)
class _Binding(Generic[SaT]):
    selector: Selector
    tag: str
    sa: SaT


class Spd(Generic[SaT]):
    """Ordered policies plus the outbound SAs bound to them, with a per-flow decision cache."""

    def __init__(self, policies: list[Policy] | None = None) -> None:
        self._policies: list[Policy] = list(policies or [])
        self._policy_tags = {p.tag for p in self._policies if p.tag}
        self._bindings: list[_Binding[SaT]] = []
        self._cache: dict[FlowKey, Decision[SaT]] = {}

    @property
    def policies(self) -> tuple[Policy, ...]:
        return tuple(self._policies)

    def set_policies(self, policies: list[Policy]) -> None:
        self._policies = list(policies)
        self._policy_tags = {p.tag for p in self._policies if p.tag}
        self._cache.clear()

    def bind(self, selector: Selector, sa: SaT, tag: str = "") -> None:
        """Protect traffic matching ``selector`` with ``sa``. Newer bindings win (rekeys)."""
        self._bindings.insert(0, _Binding(selector, tag, sa))
        self._cache.clear()

    def unbind(self, sa: SaT) -> bool:
        before = len(self._bindings)
        self._bindings = [b for b in self._bindings if b.sa is not sa]
        self._cache.clear()
        return len(self._bindings) != before

    def bound(self) -> list[tuple[Selector, str, SaT]]:
        return [(b.selector, b.tag, b.sa) for b in self._bindings]

    def lookup(self, key: FlowKey) -> Decision[SaT]:
        decision = self._cache.get(key)
        if decision is None:
            decision = self._decide(key)
            if len(self._cache) >= MAX_CACHE:
                self._cache.clear()
            self._cache[key] = decision
        return decision

    def _decide(self, key: FlowKey) -> Decision[SaT]:
        first_deny: Policy | None = None
        skipping = ""  # the entry whose deny line matched: its later lines do not apply
        for policy in self._policies:
            if skipping and policy.tag == skipping:
                continue
            if not policy.selector.matches(key):
                continue
            if policy.action is Action.BYPASS and policy.tag:
                skipping = policy.tag
                first_deny = first_deny or policy
                continue  # the next crypto map entry may still protect the packet
            if policy.action is Action.BYPASS:
                return Decision(Verdict.BYPASS, policy, None)
            if policy.action is Action.DISCARD:
                return Decision(Verdict.DISCARD, policy, None)
            for binding in self._bindings:
                compatible = not binding.tag or not policy.tag or binding.tag == policy.tag
                if compatible and binding.selector.matches(key):
                    return Decision(Verdict.PROTECT, policy, binding.sa)
            return Decision(Verdict.ACQUIRE, policy, None)
        for binding in self._bindings:
            # entries without ACL lines here (dynamic maps) come last; an entry with ACL
            # lines protects only what they permit
            if binding.tag not in self._policy_tags and binding.selector.matches(key):
                return Decision(Verdict.PROTECT, None, binding.sa)
        return Decision(Verdict.BYPASS, first_deny, None)
