"""Remote access in memory: the seed's vpn2611 (with its client group, XAuth user and pool),
any number of client-half engines, optionally behind one NAT, plus vpn3640 for the LAN-to-LAN
tunnel. Fake clock, seeded randomness, byte-for-byte reproducible."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from ikepair import NAT_KEEPALIVE, VPN2611, VPN3640, seed_2611, seed_3640, wire

from vpnrouter.aaa import Aaa, LocalUser, PoolSet
from vpnrouter.ike.engine import IkeEngine
from vpnrouter.ike.events import Event, LogLine, XauthRequested
from vpnrouter.ike.policy import ClientGroup, ClientMapConfig, IkePolicy, TrafficSelector

GROUP = "3000client"
GROUP_KEY = "cisco123"
USER, PASSWORD = "cisco", "Secret-Pw-42"
NAT_PUBLIC = "198.51.100.7"
INSIDE = IPv4Network("10.10.10.0/24")


def seed_group(**kw: Any) -> ClientGroup:
    """``crypto isakmp client configuration group 3000client`` of vpn2611.cfg."""
    base = ClientGroup(
        GROUP,
        key=GROUP_KEY,
        dns=(IPv4Address("10.10.10.10"),),
        wins=(IPv4Address("10.10.10.20"),),
        domain="cisco.com",
        pool="ippool",
    )
    return replace(base, **kw)


def split_acl(*nets: str) -> tuple[TrafficSelector, ...]:
    """A split-tunnel ACL: ``permit ip NET any`` lines seen from the router."""
    return tuple(TrafficSelector(IPv4Network(n), IPv4Network("0.0.0.0/0")) for n in nets)


def router_policy(group: ClientGroup | None = None, **kw: Any) -> IkePolicy:
    """vpn2611.cfg as the router builds it: policies 3/10, the L2L key (no-xauth), clientmap
    1 + dynamic 10, the client group and clientmap's client settings."""
    settings = ClientMapConfig(
        "clientmap",
        authentication_list="userauthen",
        authorization_list="groupauthor",
        address="respond",
    )
    kw.setdefault("client_maps", (settings,))
    return seed_2611(client_groups=(group or seed_group(),), **kw)


def router_aaa(first: str = "14.1.1.100", last: str = "14.1.1.200") -> Aaa:
    return Aaa(
        [LocalUser(USER, password=PASSWORD), LocalUser("alice", password="Wonder-Land-7")],
        login_lists={"userauthen": ["local"]},
        network_lists={"groupauthor": ["local"]},
        pools=PoolSet.from_ranges([("ippool", IPv4Address(first), IPv4Address(last))]),
    )


@dataclass
class Host:
    name: str
    addr: str
    engine: IkeEngine
    nat: str | None = None  # public address of the NAT this host sits behind
    events: list[Event] = field(default_factory=list)
    gone: bool = False  # vanished: nothing in, nothing out

    def drain(self) -> None:
        while (event := self.engine.next_event()) is not None:
            self.events.append(event)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.events if isinstance(e, kind)]

    def log_text(self) -> str:
        return "\n".join(e.text for e in self.events if isinstance(e, LogLine))


Hook = Callable[[str, bytes, tuple[str, int], int], bytes | None]


class Net:
    """Hosts by name; a NAT maps each (host, private port) to its own public port."""

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self.now = 0.0
        self.hosts: dict[str, Host] = {}
        self.hook: Hook | None = None
        self.trace: list[tuple[str, bytes, tuple[str, int], int]] = []
        self._out: dict[tuple[str, int], int] = {}  # (host, private port) -> public port
        self._in: dict[tuple[str, int], tuple[str, int]] = {}  # (public, port) -> host, port

    def add(
        self,
        name: str,
        addr: str,
        policy: IkePolicy,
        *,
        aaa: Aaa | None = None,
        nat: str | None = None,
    ) -> Host:
        rng = random.Random(self.seed * 7919 + len(self.hosts)).randbytes
        host = Host(name, addr, IkeEngine(policy, [addr], rng, aaa=aaa), nat=nat)
        self.hosts[name] = host
        return host

    def _source(self, host: Host, sport: int) -> tuple[str, int]:
        if host.nat is None:
            return host.addr, sport
        key = (host.name, sport)
        if key not in self._out:
            public = 31000 + len(self._out)
            self._out[key] = public
            self._in[(host.nat, public)] = key
        return host.nat, self._out[key]

    def _target(self, dest: tuple[str, int]) -> tuple[Host, int] | None:
        inside = self._in.get(dest)
        if inside is not None:
            return self.hosts[inside[0]], inside[1]
        for host in self.hosts.values():
            if host.nat is None and host.addr == dest[0]:
                return host, dest[1]
        return None

    def _deliver(self, sender: Host, data: bytes, dest: tuple[str, int], sport: int) -> None:
        self.trace.append((sender.name, data, dest, sport))
        if self.hook is not None:
            changed = self.hook(sender.name, data, dest, sport)
            if changed is None:
                return
            data = changed
        if data == NAT_KEEPALIVE:  # the receiving data plane keeps it (RFC 3948 2.3)
            return
        target = self._target(dest)
        if target is None or target[0].gone:
            return
        host, port = target
        host.engine.receive_datagram(data, self._source(sender, sport), port, self.now)

    def pump(self, rounds: int = 100) -> None:
        for _ in range(rounds):
            moved = False
            for host in list(self.hosts.values()):
                for datagram in host.engine.datagrams_to_send(self.now):
                    moved = True
                    if not host.gone:
                        self._deliver(host, wire(datagram), datagram.addr, datagram.local_port)
                host.drain()
            if not moved:
                return
        raise AssertionError("datagrams still flowing after many rounds")

    def advance(self, seconds: float, step: Callable[[], None] | None = None) -> None:
        """Run every engine's timers until ``now + seconds``, pumping after each."""
        end = self.now + seconds
        while True:
            timers = [h.engine.get_timer() for h in self.hosts.values()]
            upcoming = min((t for t in timers if t is not None and t <= end), default=None)
            if upcoming is None:
                break
            self.now = max(self.now, upcoming)
            for host in self.hosts.values():
                timer = host.engine.get_timer()
                if timer is not None and timer <= self.now:
                    host.engine.handle_timer(self.now)
            self.pump()
            if step is not None:
                step()
        self.now = end
        for host in self.hosts.values():
            host.drain()


def seed_net(
    *,
    group: ClientGroup | None = None,
    aaa: Aaa | None = None,
    with_3640: bool = False,
    seed: int = 1,
    **policy: Any,
) -> Net:
    net = Net(seed)
    net.add("vpn2611", VPN2611, router_policy(group, **policy), aaa=aaa or router_aaa())
    if with_3640:
        net.add("vpn3640", VPN3640, seed_3640())
    return net


def add_client(
    net: Net, name: str, addr: str, *, nat: str | None = None, policy: IkePolicy | None = None
) -> Host:
    return net.add(name, addr, policy or IkePolicy(), nat=nat)


def connect(
    net: Net,
    client: Host,
    *,
    user: str = USER,
    passwords: Iterable[str] = (PASSWORD,),
    group: str = GROUP,
    key: str = GROUP_KEY,
    **kw: Any,
) -> int:
    """Start the client half and answer every XAuth request with the next password."""
    answers = iter(passwords)
    conn_id = client.engine.initiate_remote_access(VPN2611, group, key, net.now, **kw)
    net.pump()
    answered = 0
    while len(client.of(XauthRequested)) > answered:
        answered += 1
        password = next(answers, None)
        if password is None:
            break
        assert client.engine.provide_xauth(user, password, net.now)
        net.pump()
    return conn_id
