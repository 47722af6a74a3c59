"""Two IKE engines talking in memory: fake clock, seeded randomness, optional NAT, loss and
tampering hooks. Byte-for-byte reproducible for a given seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import ClassVar

from vpnrouter.ike.engine import IkeEngine
from vpnrouter.ike.events import Event, LogLine
from vpnrouter.ike.manager import Datagram
from vpnrouter.ike.policy import (
    AUTH_PRE_SHARE,
    ENCR_3DES,
    ESP_3DES,
    ESP_AUTH_MD5,
    HASH_MD5,
    CryptoMapEntry,
    Flow,
    IkePolicy,
    IsakmpPolicy,
    PreSharedKey,
    TrafficSelector,
    TransformSet,
)

VPN2611 = "172.18.124.159"
VPN3640 = "172.18.124.199"
NAT_PUBLIC = "198.51.100.1"
MYSET = TransformSet("myset", ESP_3DES, esp_auth=ESP_AUTH_MD5, ios_names="esp-3des esp-md5-hmac")
NET_2611 = IPv4Network("10.10.10.0/24")
NET_3640 = IPv4Network("10.10.20.0/24")


def seed_2611(key: str = "cisco123", **kw: object) -> IkePolicy:
    """vpn2611.cfg: policies 3 and 10, key for vpn3640, clientmap 1 + dynamic dynmap."""
    static = CryptoMapEntry(
        "clientmap",
        1,
        peers=(IPv4Address(VPN3640),),
        transform_sets=(MYSET,),
        acl=(TrafficSelector(NET_2611, NET_3640),),
        acl_name="100",
    )
    dynamic = CryptoMapEntry(
        "clientmap", 10, transform_sets=(MYSET,), dynamic=True, dynamic_map="dynmap", dynamic_seq=10
    )
    return IkePolicy(
        isakmp_policies=(
            IsakmpPolicy(3, encryption=ENCR_3DES, auth=AUTH_PRE_SHARE, group=2),
            IsakmpPolicy(10, hash=HASH_MD5, auth=AUTH_PRE_SHARE),
        ),
        preshared_keys=(PreSharedKey(key, IPv4Network(VPN3640 + "/32"), no_xauth=True),),
        crypto_maps=(static, dynamic),
        **kw,  # type: ignore[arg-type]
    )


def seed_3640(key: str = "cisco123", **kw: object) -> IkePolicy:
    """vpn3640.cfg: policy 10, key for vpn2611, mymap 10."""
    entry = CryptoMapEntry(
        "mymap",
        10,
        peers=(IPv4Address(VPN2611),),
        transform_sets=(MYSET,),
        acl=(TrafficSelector(NET_3640, NET_2611),),
        acl_name="100",
    )
    return IkePolicy(
        isakmp_policies=(IsakmpPolicy(10, hash=HASH_MD5, auth=AUTH_PRE_SHARE),),
        preshared_keys=(PreSharedKey(key, IPv4Network(VPN2611 + "/32")),),
        crypto_maps=(entry,),
        **kw,  # type: ignore[arg-type]
    )


FLOW_2611 = Flow("10.10.10.5", "10.10.20.5", 1)
FLOW_3640 = Flow("10.10.20.5", "10.10.10.5", 1)


@dataclass
class Node:
    name: str
    addr: str  # the address the engine thinks it has
    engine: IkeEngine
    events: list[Event] = field(default_factory=list)
    behind_nat: bool = False

    def drain(self) -> None:
        while (event := self.engine.next_event()) is not None:
            self.events.append(event)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.events if isinstance(e, kind)]

    def log_text(self) -> str:
        return "\n".join(e.text for e in self.events if isinstance(e, LogLine))


Wire = tuple[str, bytes, tuple[str, int], int]  # (sender name, data, dest, sender local port)
NAT_KEEPALIVE = b"\xff"


def wire(datagram: Datagram) -> bytes:
    """What the data plane puts in the UDP payload for an engine datagram, as far as the
    engines are concerned: the ISAKMP message (the non-ESP marker on 4500 is added and
    removed again by netio, so it is left out here), or a keepalive's 0xFF byte."""
    return NAT_KEEPALIVE if datagram.keepalive else datagram.data


Hook = Callable[[str, bytes, tuple[str, int], int], bytes | None]


class Pair:
    """Node ``a`` and node ``b``; ``a`` may sit behind a NAT (public address NAT_PUBLIC)."""

    NAT_PORTS: ClassVar[dict[int, int]] = {500: 31000, 4500: 31001}

    def __init__(
        self,
        policy_a: IkePolicy,
        policy_b: IkePolicy,
        *,
        addr_a: str = VPN2611,
        addr_b: str = VPN3640,
        seed: int = 1,
        a_behind_nat: bool = False,
    ) -> None:
        self.now = 0.0
        rng_a = random.Random(seed).randbytes
        rng_b = random.Random(seed + 1000).randbytes
        self.a = Node("a", addr_a, IkeEngine(policy_a, [addr_a], rng_a), behind_nat=a_behind_nat)
        self.b = Node("b", addr_b, IkeEngine(policy_b, [addr_b], rng_b))
        self.hook: Hook | None = None  # may drop (return None) or rewrite a datagram
        self.trace: list[Wire] = []

    def node(self, name: str) -> Node:
        return self.a if name == "a" else self.b

    def _deliver(self, sender: Node, data: bytes, dest: tuple[str, int], sport: int) -> None:
        self.trace.append((sender.name, data, dest, sport))
        if self.hook is not None:
            changed = self.hook(sender.name, data, dest, sport)
            if changed is None:
                return
            data = changed
        if data == NAT_KEEPALIVE:  # the receiving data plane keeps it (RFC 3948 2.3)
            return
        other = self.b if sender is self.a else self.a
        src = (sender.addr, sport)
        if sender.behind_nat:
            src = (NAT_PUBLIC, self.NAT_PORTS[sport])
        if other.behind_nat:
            if dest[0] != NAT_PUBLIC:
                return
            inverse = {v: k for k, v in self.NAT_PORTS.items()}
            if dest[1] not in inverse:
                return
            dest = (other.addr, inverse[dest[1]])
        elif dest[0] != other.addr:
            return
        other.engine.receive_datagram(data, src, dest[1], self.now)

    def pump(self, rounds: int = 50) -> None:
        for _ in range(rounds):
            moved = False
            for node in (self.a, self.b):
                for datagram in node.engine.datagrams_to_send(self.now):
                    moved = True
                    self._deliver(node, wire(datagram), datagram.addr, datagram.local_port)
            self.a.drain()
            self.b.drain()
            if not moved:
                return
        raise AssertionError("datagrams still flowing after many rounds")

    def advance(self, seconds: float) -> None:
        """Run both engines' timers until ``now + seconds``, pumping after each."""
        end = self.now + seconds
        while True:
            timers = [t for t in (self.a.engine.get_timer(), self.b.engine.get_timer()) if t]
            upcoming = min((t for t in timers if t <= end), default=None)
            if upcoming is None:
                break
            self.now = max(self.now, upcoming)
            for node in (self.a, self.b):
                timer = node.engine.get_timer()
                if timer is not None and timer <= self.now:
                    node.engine.handle_timer(self.now)
            self.pump()
        self.now = end
        self.a.drain()
        self.b.drain()


def start(pair: Pair) -> None:
    """Interesting traffic at vpn2611 (node ``a``) for its first crypto map entry; the
    datagrams flow until none is left."""
    assert pair.a.engine.initiate(pair.a.engine.policy.crypto_maps[0], FLOW_2611, pair.now)
    pair.pump()
