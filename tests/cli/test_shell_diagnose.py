"""``show crypto isakmp diagnose``: two routers built from the seed configurations (one of them
deliberately broken) negotiate in memory with a fake clock; the diagnosis the router builds
(``router.diagnose``) names what went wrong and the configuration lines on its own side, and
the shell prints it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

from shellfakes import FakeBackend, vpn2611

from vpnrouter.cli.shell.grammar import ENABLE
from vpnrouter.cli.shell.session import Session
from vpnrouter.cli.shell.snapshot import ConfigRef, Diagnosis, Snapshot
from vpnrouter.config import RunningConfig, parse
from vpnrouter.ike.engine import IkeEngine
from vpnrouter.ike.policy import Flow, IkePolicy
from vpnrouter.router.diagnose import diagnose
from vpnrouter.router.policy_builder import build, build_aaa
from vpnrouter.wire.constants import IdType

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
A2611, A3640, PC = "172.18.124.159", "172.18.124.199", "198.51.100.10"
MAX_ROUNDS = 200


@dataclass
class Router:
    name: str
    config: RunningConfig
    engine: IkeEngine

    def diagnoses(self, now: float) -> tuple[Diagnosis, ...]:
        interface = self.config.crypto_interfaces()[0].name
        crypto_map = self.config.crypto_map_for_interface(interface)
        engine = self.engine
        return diagnose(self.config, crypto_map, engine.isakmp_sas(now), engine.ipsec_sas(now), now)

    def diagnosis(self, peer: str, now: float) -> Diagnosis:
        (found,) = [d for d in self.diagnoses(now) if d.peer == peer]
        return found


def router(name: str, text: str, seed: int) -> Router:
    config = parse(text, f"{name}.cfg").config
    plan = build(config)
    engine = IkeEngine(
        plan.ike_policy, [str(plan.local_address)], random.Random(seed).randbytes,
        aaa=build_aaa(config),
    )  # fmt: skip
    return Router(name, config, engine)


def seed_text(name: str, *changes: tuple[str, str]) -> str:
    text = (SEED / f"{name}.cfg").read_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    return text


class Net:
    """The two routers on one wire; ``None`` for a peer that never answers."""

    def __init__(self, r2611: Router, r3640: Router | None) -> None:
        self.now = 0.0
        self.by_addr: dict[str, Router | Client] = {A2611: r2611}
        if r3640 is not None:
            self.by_addr[A3640] = r3640

    def pump(self) -> None:
        for _ in range(MAX_ROUNDS):
            moved = False
            for addr, node in list(self.by_addr.items()):
                for out in node.engine.datagrams_to_send(self.now):
                    moved = True
                    other = self.by_addr.get(out.addr[0])
                    if other is not None and out.data:  # (NAT keepalives are not needed)
                        src = (addr, out.local_port)
                        other.engine.receive_datagram(out.data, src, out.addr[1], self.now)
            for node in self.by_addr.values():
                while node.engine.next_event() is not None:
                    pass
            if not moved:
                return
        raise AssertionError("datagrams still flowing")

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        for _ in range(MAX_ROUNDS):
            timers = [t for n in self.by_addr.values() if (t := n.engine.get_timer()) is not None]
            upcoming = min((t for t in timers if t <= end), default=None)
            if upcoming is None:
                break
            self.now = max(self.now, upcoming)
            for node in self.by_addr.values():
                timer = node.engine.get_timer()
                if timer is not None and timer <= self.now:
                    node.engine.handle_timer(self.now)
            self.pump()
        self.now = end

    def traffic(self, node: Router, src: str, dst: str) -> None:
        """Interesting traffic at ``node``: its crypto map entry 1 (or 10) asks for an SA."""
        entry = next(e for e in node.engine.policy.crypto_maps if not e.dynamic)
        assert node.engine.initiate(entry, Flow(src, dst, 1), self.now)
        self.pump()


def refs(diagnosis: Diagnosis) -> list[tuple[int, str]]:
    return [(ref.line, ref.text) for ref in diagnosis.config]


def test_peer_offers_a_policy_we_do_not_have() -> None:
    """The issue's example: vpn3640 asks for AES-256/SHA/group 14; vpn2611 (seed) refuses."""
    aes = "crypto isakmp policy 10\nencr aes 256\ngroup 14\n"
    broken = seed_text("vpn3640", ("crypto isakmp policy 10\nhash md5\n", aes))
    r2611, r3640 = router("vpn2611", seed_text("vpn2611"), 1), router("vpn3640", broken, 2)
    net = Net(r2611, r3640)
    net.traffic(r3640, "10.10.20.10", "10.10.10.10")
    net.advance(3)
    ours = r2611.diagnosis(A3640, net.now)
    assert (ours.verdict, ours.phase, ours.state) == ("failed", 1, "MM_NO_STATE")
    assert ours.text == (
        "peer 172.18.124.199 offered AES-256/SHA/group 14; our policies 3 and 10 allow"
        " 3DES/SHA/group 2 and DES/MD5/group 1 — no match."
    )
    assert refs(ours) == [(51, "crypto isakmp policy 3"), (61, "crypto isakmp policy 10")]
    # vpn3640 initiated: the refusal of its main mode 1 ended the negotiation at once
    theirs = r3640.diagnosis(A2611, net.now)
    assert (theirs.verdict, theirs.phase, theirs.state) == ("failed", 1, "MM_NO_STATE")
    assert theirs.text == (
        "peer 172.18.124.159 refused all of our ISAKMP proposals (NO_PROPOSAL_CHOSEN): we"
        " offered policy 10 (AES-256/SHA/pre-share/group 14) and it accepts none of them."
    )
    assert refs(theirs) == [(22, "crypto isakmp policy 10")]
    net.advance(120)
    theirs = r3640.diagnosis(A2611, net.now)
    assert (theirs.verdict, theirs.phase) == ("failed", 1)
    assert theirs.age == net.now  # it ended when the refusal arrived, at the start


def test_preshared_keys_differ() -> None:
    broken = seed_text("vpn3640", ("crypto isakmp key cisco123 address",
                                   "crypto isakmp key wrongkey address"))  # fmt: skip
    r2611, r3640 = router("vpn2611", seed_text("vpn2611"), 1), router("vpn3640", broken, 2)
    net = Net(r2611, r3640)
    net.traffic(r3640, "10.10.20.10", "10.10.10.10")
    early = r2611.diagnosis(A3640, net.now)
    assert early.verdict == "negotiating" and early.text.endswith(
        "The pre-shared key differs on the two sides (still retrying: MM_KEY_EXCH, the peer"
        " started it 0 s ago)."
    )
    net.advance(120)
    ours = r2611.diagnosis(A3640, net.now)
    assert (ours.verdict, ours.state) == ("failed", "MM_KEY_EXCH")
    assert "The pre-shared key differs on the two sides." in ours.text
    assert refs(ours) == [(70, "crypto isakmp key ***** address 172.18.124.199 no-xauth")]
    theirs = r3640.diagnosis(A2611, net.now)
    assert theirs.verdict == "failed" and "pre-shared key differs" in theirs.text
    for diagnosis in (ours, theirs):
        assert "cisco123" not in str(diagnosis) and "wrongkey" not in str(diagnosis)


def test_transform_sets_do_not_match() -> None:
    broken = seed_text("vpn3640", ("transform-set myset esp-3des esp-md5-hmac",
                                   "transform-set myset esp-aes 256 esp-sha-hmac"))  # fmt: skip
    r2611, r3640 = router("vpn2611", seed_text("vpn2611"), 1), router("vpn3640", broken, 2)
    net = Net(r2611, r3640)
    net.traffic(r3640, "10.10.20.10", "10.10.10.10")
    ours = r2611.diagnosis(A3640, net.now)
    assert (ours.verdict, ours.phase, ours.state) == ("failed", 2, "QM_IDLE")
    assert ours.text == (
        "peer 172.18.124.199 proposed ESP esp-aes 256 esp-sha-hmac for 10.10.10.0/24 <->"
        " 10.10.20.0/24; crypto map clientmap 1 allows transform set myset (esp-3des"
        " esp-md5-hmac) — no match."
    )
    assert refs(ours) == [
        (91, "crypto ipsec transform-set myset esp-3des esp-md5-hmac"),
        (114, "crypto map clientmap 1 ipsec-isakmp"),
    ]
    theirs = r3640.diagnosis(A2611, net.now)
    assert theirs.phase == 2 and theirs.text.startswith(
        "peer 172.18.124.159 refused our phase 2 proposal (NO_PROPOSAL_CHOSEN): crypto map"
        " mymap 10 allows transform set myset (esp-aes 256 esp-sha-hmac)"
    )
    assert refs(theirs) == [
        (40, "crypto ipsec transform-set myset esp-aes 256 esp-sha-hmac"),
        (48, "crypto map mymap 10 ipsec-isakmp"),
    ]


def test_crypto_acls_are_not_mirror_images() -> None:
    broken = seed_text("vpn2611", ("10.10.20.0 0.0.0.255\n!", "10.10.30.0 0.0.0.255\n!"))
    r2611, r3640 = router("vpn2611", broken, 1), router("vpn3640", seed_text("vpn3640"), 2)
    net = Net(r2611, r3640)
    net.traffic(r2611, "10.10.10.10", "10.10.30.10")
    theirs = r3640.diagnosis(A2611, net.now)
    assert (theirs.verdict, theirs.phase) == ("failed", 2)
    assert theirs.text == (
        "peer 172.18.124.159 proposed traffic 10.10.30.0/24 <-> 10.10.10.0/24 but no crypto"
        " map entry for it covers that: access-list 100 permits 10.10.20.0/24 -> 10.10.10.0/24"
        " (seen from 172.18.124.159 the crypto ACL must be its mirror image)."
    )
    assert (82, "access-list 100 permit ip 10.10.20.0 0.0.0.255 10.10.10.0 0.0.0.255") in refs(
        theirs
    )
    ours = r2611.diagnosis(A3640, net.now)
    assert ours.text == (
        "peer 172.18.124.199 refused our proxy identities (INVALID_ID_INFORMATION): access-list"
        " 100 permits 10.10.10.0/24 -> 10.10.30.0/24; the peer's crypto ACL must be its mirror"
        " image."
    )


def test_silent_peer_then_idle_and_up() -> None:
    r2611 = router("vpn2611", seed_text("vpn2611"), 1)
    idle = r2611.diagnosis(A3640, 0.0)
    assert idle.verdict == "idle" and idle.conn_id is None
    assert idle.text == (
        "no ISAKMP SA with 172.18.124.199 yet: crypto map clientmap 1 names it as peer; the"
        " first packet that matches (access-list 100 permits 10.10.10.0/24 -> 10.10.20.0/24)"
        " starts the negotiation."
    )
    assert [line for line, _ in refs(idle)] == [70, 114, 162]
    net = Net(r2611, None)
    net.traffic(r2611, "10.10.10.10", "10.10.20.10")
    net.advance(120)
    silent = r2611.diagnosis(A3640, net.now)
    assert (silent.verdict, silent.state) == ("failed", "MM_NO_STATE")
    assert silent.text.startswith(
        "peer 172.18.124.199 never answered our main mode message 1 (Death by retransmission"
        " P1): is it up, reachable on UDP 500, and does its crypto map name 172.18.124.159"
    )
    # the peer comes up: the next interesting packet brings the tunnel up
    r3640 = router("vpn3640", seed_text("vpn3640"), 2)
    net = Net(r2611, r3640)
    net.now = 130.0
    net.traffic(r2611, "10.10.10.10", "10.10.20.10")
    up = r2611.diagnosis(A3640, net.now)
    assert up.verdict == "up"
    assert up.text == (
        f"phase 1 with 172.18.124.199 is up (QM_IDLE, conn-id {up.conn_id}, DES/MD5/group 1 by"
        " policy 10), with 1 IPsec SA pair: 10.10.10.0/24 <-> 10.10.20.0/24 (crypto map"
        " clientmap 1). Nothing failed."
    )


@dataclass
class Client:
    """A remote-access client (the engine's client half) on 198.51.100.10."""

    engine: IkeEngine


def client(net: Net, group_key: str = "cisco123") -> IkeEngine:
    engine = IkeEngine(IkePolicy((), (), ()), [PC], random.Random(3).randbytes)
    net.by_addr[PC] = Client(engine)
    engine.initiate_remote_access(A2611, "3000client", group_key, net.now)
    net.pump()
    return engine


def test_client_fails_xauth() -> None:
    r2611 = router("vpn2611", seed_text("vpn2611"), 1)
    net = Net(r2611, None)
    pc = client(net)
    for _ in range(3):  # the router's three tries, each refused
        assert pc.provide_xauth("cisco", "not-the-password", net.now)
        net.pump()
    assert not pc.provide_xauth("cisco", "again", net.now)
    found = r2611.diagnosis(PC, net.now)
    assert (found.verdict, found.phase) == ("failed", 1)
    assert found.text == (
        "client 198.51.100.10 passed group authentication (group 3000client) but user cisco"
        " failed XAuth against list userauthen (local): wrong user name or password."
    )
    assert refs(found) == [
        (23, "aaa authentication login userauthen local"),
        (37, "username cisco ..."),
        (79, "crypto isakmp client configuration group 3000client"),
        (111, "crypto map clientmap client authentication list userauthen"),
    ]
    assert "not-the-password" not in str(found)


def test_client_with_the_wrong_group_key() -> None:
    r2611 = router("vpn2611", seed_text("vpn2611"), 1)
    net = Net(r2611, None)
    client(net, group_key="not-cisco123")
    net.advance(120)
    found = r2611.diagnosis(PC, net.now)
    assert (found.verdict, found.state) == ("failed", "AG_INIT_EXCH")
    assert found.text.endswith("The group key of 3000client differs on the two sides.")
    assert refs(found) == [(79, "crypto isakmp client configuration group 3000client")]


def test_shell_prints_the_diagnosis() -> None:
    found = Diagnosis(
        peer=A3640, verdict="failed", phase=1, conn_id=3, state="MM_NO_STATE", age=12.0,
        text="peer 172.18.124.199 offered AES-256/SHA/group 14; our policies 3 and 10 allow"
        " 3DES/SHA/group 2 and DES/MD5/group 1 — no match.",
        config=(ConfigRef(51, "crypto isakmp policy 3"), ConfigRef(61, "crypto isakmp policy 10")),
    )  # fmt: skip
    snap: Snapshot = replace(vpn2611(), diagnoses=(found,))
    session = Session(FakeBackend(snap), privilege=ENABLE)
    assert session.run_command("show crypto isakmp diagnose 172.18.124.199").splitlines() == [
        "Peer 172.18.124.199: phase 1 FAILED in MM_NO_STATE, conn-id 3, 00:00:12 ago",
        "  Peer 172.18.124.199 offered AES-256/SHA/group 14; our policies 3 and 10 allow"
        " 3DES/SHA/group 2 and DES/MD5/group 1 — no match.",
        "  Configuration lines involved (vpn2611.cfg):",
        "    51  crypto isakmp policy 3",
        "    61  crypto isakmp policy 10",
    ]
    assert session.run_command("sh cry isa diag 10.0.0.1") == (
        "No ISAKMP SA with 10.0.0.1, and no crypto map names it as a peer.\n"
    )
    assert Snapshot.from_json(snap.to_json()).diagnoses == (found,)


HOSTNAME_KEY = "crypto isakmp key branchkey hostname branch.example.net no-xauth"


def aggressive_peer(net: Net, name: str, key: str) -> IkeEngine:
    """A LAN-to-LAN peer on 198.51.100.10 that starts aggressive mode identifying as
    ``name`` (ID_FQDN), as IOS does with ``crypto isakmp identity hostname``."""
    engine = IkeEngine(IkePolicy((), (), ()), [PC], random.Random(4).randbytes)
    net.by_addr[PC] = Client(engine)
    engine.initiate_remote_access(A2611, name, key, net.now, id_type=IdType.FQDN)
    net.pump()
    return engine


def with_hostname_key() -> str:
    group = "crypto isakmp client configuration group"
    return seed_text("vpn2611", (group, f"{HOSTNAME_KEY}\n{group}"))


def test_a_peer_identified_by_name_with_the_wrong_key_names_the_hostname_key() -> None:
    r2611 = router("vpn2611", with_hostname_key(), 1)
    net = Net(r2611, None)
    aggressive_peer(net, "Branch.Example.NET", "not-branchkey")
    net.advance(120)
    found = r2611.diagnosis(PC, net.now)
    assert (found.verdict, found.phase, found.state) == ("failed", 1, "AG_INIT_EXCH")
    assert found.text.endswith(
        "The pre-shared key of hostname branch.example.net (the name it identified by)"
        " differs on the two sides."
    )
    assert refs(found) == [
        (79, "crypto isakmp key ***** hostname branch.example.net no-xauth")
    ]  # not the address key of line 70, and no secret
    assert "branchkey" not in str(found) and "not-branchkey" not in str(found)


def test_a_name_that_is_neither_a_group_nor_a_hostname_key() -> None:
    r2611 = router("vpn2611", with_hostname_key(), 1)
    net = Net(r2611, None)
    aggressive_peer(net, "stranger.example.net", "branchkey")
    found = r2611.diagnosis(PC, net.now)
    assert (found.verdict, found.phase) == ("failed", 1)
    assert found.text == (
        "peer 198.51.100.10 identified itself as 'stranger.example.net' in aggressive mode:"
        " no client group and no crypto isakmp key ... hostname has that name. Our hostname"
        " key is for branch.example.net."
    )
    assert refs(found) == [
        (79, "crypto isakmp key ***** hostname branch.example.net no-xauth"),
        (80, "crypto isakmp client configuration group 3000client"),
    ]


def test_a_static_peer_with_only_a_hostname_key_must_start_the_tunnel_itself() -> None:
    by_name = "crypto isakmp key cisco123 hostname vpn3640.example.net no-xauth"
    text = seed_text("vpn2611", ("crypto isakmp key cisco123 address 172.18.124.199 no-xauth",
                                 by_name))  # fmt: skip
    r2611 = router("vpn2611", text, 1)
    idle = r2611.diagnosis(A3640, 0.0)
    assert idle.verdict == "idle"
    assert idle.text == (
        "no ISAKMP SA with 172.18.124.199 yet: crypto map clientmap 1 names it as peer, but"
        " no crypto isakmp key ... address line covers it, so our traffic (access-list 100"
        " permits 10.10.10.0/24 -> 10.10.20.0/24) cannot start the negotiation. We key"
        " vpn3640.example.net by name only (crypto isakmp key ... hostname), which main mode"
        " cannot use: only the peer can bring this tunnel up, identifying by name in"
        " aggressive mode."
    )
    hostname_ref = (70, "crypto isakmp key ***** hostname vpn3640.example.net no-xauth")
    assert hostname_ref in refs(idle)
    # our own traffic tries anyway: main mode has no key to use
    net = Net(r2611, None)
    net.traffic(r2611, "10.10.10.10", "10.10.20.10")
    failed = r2611.diagnosis(A3640, net.now)
    assert (failed.verdict, failed.phase) == ("failed", 1)
    assert failed.text.startswith("we have no pre-shared key for 172.18.124.199")
    assert failed.text.endswith("only the peer can bring this tunnel up, identifying by name"
                                " in aggressive mode.")  # fmt: skip
    assert refs(failed) == [hostname_ref, (114, "crypto map clientmap 1 ipsec-isakmp")]
