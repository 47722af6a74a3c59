"""The connect flow's decisions, fed the engine events a gateway would cause (no network):
what the user is asked and told at each step, how often, and that no secret is printed."""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from vpnrouter.client.connect import ConnectFailed, Connection, Options
from vpnrouter.client.profiles import Profile
from vpnrouter.client.prompt import LinesPrompter, TerminalPrompter
from vpnrouter.client.session import GroupKeyRefused
from vpnrouter.ike.events import (
    ChildSaDown,
    ChildSaUp,
    EspKeys,
    IkeSaDown,
    IkeSaUp,
    ModeConfigReceived,
    NegotiationFailed,
    Phase1Algorithms,
    XauthFailed,
    XauthRequested,
    XauthSucceeded,
)
from vpnrouter.ike.policy import TrafficSelector
from vpnrouter.wire.constants import NotifyType

GW = "172.18.124.159"
ASK = XauthRequested(1, GW, ("username", "password"))
AGAIN = XauthRequested(1, GW, ("username", "password"), "Authentication failed. Try again.")
ADDRESS = IPv4Address("14.1.1.100")


class Typist:
    """Answers questions from a list and remembers them; never echoes."""

    def __init__(self, answers: Sequence[str], out: io.StringIO) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []
        self.out = out

    async def ask(self, prompt: str, *, secret: bool) -> str:
        self.asked.append(prompt)
        self.out.write(prompt + "\n")
        return self.answers.pop(0)


class Silent:
    """A user who never answers."""

    def __init__(self) -> None:
        self.cancelled = False

    async def ask(self, prompt: str, *, secret: bool) -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return ""


class FakeSession:
    """What the flow uses of a ClientSession; ``script[n]`` follows the n-th XAuth answer."""

    def __init__(self, first: Sequence[Any], script: Sequence[Sequence[Any]] = ()) -> None:
        self.events: asyncio.Queue[Any] = asyncio.Queue()
        for event in first:
            self.events.put_nowait(event)
        self.script = [list(s) for s in script]
        self.ended = asyncio.Event()
        self.provided: list[tuple[str, str]] = []
        self.heard_from_gateway = True
        self.conn_id = 1
        self.config: ModeConfigReceived | None = None
        self.pairs: dict[int, Any] = {}
        self.row: Any = None
        self.plane = SimpleNamespace(tun=None)

    def connect(self) -> int:
        return 1

    async def next_event(self) -> Any:
        return await self.events.get()

    def provide_xauth(self, username: str, password: str) -> bool:
        self.provided.append((username, password))
        for event in self.script.pop(0) if self.script else []:
            self.events.put_nowait(event)
        return True

    def isakmp_row(self) -> Any:
        return self.row


def child(n: int, remote: str) -> ChildSaUp:
    keys = EspKeys(0x1000 + n, 3, None, 1, bytes(24), bytes(16))
    return ChildSaUp(
        local="198.51.100.10",
        peer=GW,
        inbound=keys,
        outbound=EspKeys(0x2000 + n, 3, None, 1, bytes(24), bytes(16)),
        selector=TrafficSelector(IPv4Network(ADDRESS), IPv4Network(remote)),
        mode="tunnel",
        encapsulation=None,
        lifetime_seconds=3600,
        lifetime_kilobytes=4608000,
        map_name="vpnclient",
        map_seq=1,
        transform_names="esp-3des esp-md5-hmac",
        pfs_group=None,
        ike_conn_id=1,
        initiator=True,
    )


def connection(
    tmp_path: Path, prompter: Any = None, *, peer_timeout: int = 90, username: str | None = None
) -> tuple[Connection, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    profile = Profile(
        name="office",
        host=GW,
        group_name="3000client",
        group_password="cisco123",
        username="cisco",
        peer_timeout=peer_timeout,
    )
    options = Options(
        entry="office",
        profile=profile,
        group_key="cisco123",
        gateway=IPv4Address(GW),
        prompter=prompter or Typist([], out),
        username=username,
        socket_path=tmp_path / "office.sock",
        resolv_conf=tmp_path / "resolv.conf",
    )
    return Connection(options, out, err), out, err


def negotiate(conn: Connection, session: FakeSession) -> list[str] | None:
    """Run the flow up to "secure"; the failure's lines, or None when it got there."""
    conn.session = session  # type: ignore[assignment]

    async def run() -> list[str] | None:
        try:
            await asyncio.wait_for(conn._negotiate(), 10)
        except ConnectFailed as exc:
            return exc.lines
        return None

    return asyncio.run(run())


def test_credentials_asked_then_security_profiles(tmp_path: Path) -> None:
    out = io.StringIO()
    typist = Typist(["", "cisco"], out)
    conn, stdout, _ = connection(tmp_path, typist)
    config = ModeConfigReceived(
        1,
        GW,
        ADDRESS,
        split_include=(IPv4Network("10.10.10.0/24"), IPv4Network("10.10.30.0/24")),
    )
    after = [XauthSucceeded(1, GW, "cisco"), config, child(1, "10.10.10.0/24")]
    session = FakeSession([ASK], [[*after, child(2, "10.10.30.0/24")]])
    assert negotiate(conn, session) is None
    assert typist.asked == ["Username [cisco]: ", "Password: "]
    assert session.provided == [("cisco", "cisco")]  # Enter kept the entry's user name
    assert stdout.getvalue().splitlines() == [
        "Contacting the security gateway at 172.18.124.159...",
        "User Authentication for office...",
        "Authenticating user...",
        "Negotiating security profiles...",
    ]


def test_wrong_password_is_asked_again_until_the_gateway_refuses(tmp_path: Path) -> None:
    out = io.StringIO()
    typist = Typist(["", "guess-1", "alice", "guess-2"], out)
    conn, stdout, _ = connection(tmp_path, typist)
    session = FakeSession(
        [ASK],
        [
            [XauthFailed(1, GW, None, "cisco"), AGAIN],
            [XauthFailed(1, GW, 0, "alice", "the gateway refused the login")],
        ],
    )
    lines = negotiate(conn, session)
    assert lines == [
        "Secure VPN Connection terminated by Peer.",
        "Reason 413: User authentication failed.",
        "The gateway refused the login of 'alice' and ended the connection.",
    ]
    assert typist.asked == ["Username [cisco]: ", "Password: ", "Username [cisco]: ", "Password: "]
    assert session.provided == [("cisco", "guess-1"), ("alice", "guess-2")]
    text = stdout.getvalue()
    assert "Authentication failed. Try again." in text  # the gateway's own words
    assert "guess" not in text


def test_a_repeated_request_without_words_gets_ours(tmp_path: Path) -> None:
    conn, stdout, _ = connection(tmp_path, LinesPrompter(["a", "b"], io.StringIO()))
    session = FakeSession(
        [ASK],
        [[XauthFailed(1, GW, None, "cisco"), ASK], [IkeSaDown(1, "198.51.100.10", GW, "x")]],
    )
    negotiate(conn, session)
    assert "User authentication failed. Enter the user name and password again." in (
        stdout.getvalue()
    )
    assert session.provided == [("cisco", "a"), ("cisco", "b")]


def test_wrong_group_password(tmp_path: Path) -> None:
    conn, _, _ = connection(tmp_path)
    lines = negotiate(conn, FakeSession([GroupKeyRefused(GW, 1)]))
    assert lines == [
        "Secure VPN Connection terminated locally by the Client.",
        "The group password of group '3000client' is wrong: the gateway's answer does not"
        " verify with it (or the group name is not the gateway's).",
    ]


def test_silent_gateway_counts_the_transmissions_peer_timeout_allows(tmp_path: Path) -> None:
    conn, _, _ = connection(tmp_path, peer_timeout=15)
    session = FakeSession([NegotiationFailed(GW, 1, "Death by retransmission P1")])
    session.heard_from_gateway = False
    lines = negotiate(conn, session)
    assert lines is not None and lines[1] == "Reason 403: Unable to contact the security gateway."
    assert "to 3 transmissions in 14 seconds" in lines[2]


@pytest.mark.parametrize(
    ("notify", "failure", "expected"),
    [
        (NotifyType.INVALID_ID_INFORMATION, "", "does not know the group '3000client'"),
        (NotifyType.NO_PROPOSAL_CHOSEN, "", "accepted none of the client's proposals"),
        (None, "phase 1 hash check failed (pre-shared key mismatch?)", "group password"),
        (None, "", "failed: Death by retransmission P1."),
    ],
)
def test_phase_1_failures_after_an_answer(
    tmp_path: Path, notify: int | None, failure: str, expected: str
) -> None:
    conn, _, _ = connection(tmp_path)
    session = FakeSession([NegotiationFailed(GW, 1, "Death by retransmission P1", notify)])
    session.row = SimpleNamespace(failure=failure)
    lines = negotiate(conn, session)
    assert lines is not None and expected in lines[-1]


def test_no_address_and_a_failed_quick_mode(tmp_path: Path) -> None:
    conn, _, _ = connection(tmp_path)
    reason = "Mode Config: the gateway assigned no address"
    lines = negotiate(
        conn, FakeSession([ModeConfigReceived(1, GW, None), NegotiationFailed(GW, 1, reason)])
    )
    assert lines is not None and "assigned no address" in lines[-1]
    conn, _, _ = connection(tmp_path)
    lines = negotiate(
        conn,
        FakeSession(
            [ModeConfigReceived(1, GW, ADDRESS), NegotiationFailed(GW, 2, "no proposal chosen")]
        ),
    )
    assert lines == [
        "Secure VPN Connection terminated locally by the Client.",
        "Negotiating security profiles with 172.18.124.159 failed: no proposal chosen.",
    ]


def test_the_question_is_abandoned_when_the_gateway_gives_up(tmp_path: Path) -> None:
    silent = Silent()
    conn, _, _ = connection(tmp_path, silent)
    session = FakeSession([ASK])

    async def run() -> list[str]:
        conn.session = session  # type: ignore[assignment]
        task = asyncio.ensure_future(conn._negotiate())
        await asyncio.sleep(0.05)
        session.events.put_nowait(IkeSaDown(1, "198.51.100.10", GW, "XAuth timed out"))
        session.ended.set()
        try:
            await asyncio.wait_for(task, 5)
        except ConnectFailed as exc:
            return exc.lines
        return []

    lines = asyncio.run(run())
    assert silent.cancelled and session.provided == []
    assert lines[-1] == "The security association with 172.18.124.159 failed: XAuth timed out."


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (ChildSaDown("198.51.100.10", GW, 1, 2, "DPD: peer not responding"), "Reason 412"),
        (IkeSaDown(1, "198.51.100.10", GW, "Receive delete from peer"), "Reason 433"),
        (ChildSaDown("198.51.100.10", GW, 1, 2, "deleted by peer"), "Reason 433"),
        (ChildSaDown("198.51.100.10", GW, 1, 2, "lifetime expired"), "are gone"),
    ],
)
def test_a_secure_link_lost(tmp_path: Path, event: Any, expected: str) -> None:
    conn, _, _ = connection(tmp_path)
    session = FakeSession([event])
    conn.session = session  # type: ignore[assignment]

    async def run() -> list[str]:
        try:
            await asyncio.wait_for(conn._watch(), 5)
        except ConnectFailed as exc:
            return exc.lines
        return []

    assert any(expected in line for line in asyncio.run(run()))


class FakeChanges:
    def __init__(self) -> None:
        self.pinned: list[Any] = []

    async def pin_gateway(self, path: Any) -> bool:
        self.pinned.append(path)
        return True


@pytest.mark.parametrize("split", [(), (IPv4Network("10.10.10.0/24"),)])
def test_secure_link_routes_dns_and_banner(tmp_path: Path, split: tuple[IPv4Network, ...]) -> None:
    conn, stdout, _ = connection(tmp_path)
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 192.0.2.53\n")
    routes: list[IPv4Network] = []

    async def add_route(network: IPv4Network) -> None:
        routes.append(network)

    session = FakeSession([])
    session.plane = SimpleNamespace(tun=None, add_route=add_route)
    session.config = ModeConfigReceived(
        1,
        GW,
        ADDRESS,
        dns=(IPv4Address("10.10.10.10"),),
        domain="cisco.com",
        banner="Authorized users only.\r\nAll access is logged.",
        split_include=split,
    )
    session.pairs = {0x1001: child(1, "0.0.0.0/0")}
    session.counters = lambda: {}  # type: ignore[attr-defined]
    session.sa_counters = lambda spi, inbound: None  # type: ignore[attr-defined]
    session.ike = None  # type: ignore[attr-defined]
    session.connected_at = 0.0  # type: ignore[attr-defined]
    session.now = lambda: 5.0  # type: ignore[attr-defined]
    changes = FakeChanges()
    conn.session = session  # type: ignore[assignment]
    conn.changes = changes  # type: ignore[assignment]
    conn.path = SimpleNamespace(source=IPv4Address("198.51.100.10"))  # type: ignore[assignment]
    asyncio.run(conn._secure())
    lines = stdout.getvalue().splitlines()
    assert lines[:4] == [
        "Your link is now secure.",
        "",
        "Authorized users only.",
        "All access is logged.",
    ]
    if split:
        assert routes == list(split) and changes.pinned == []
        assert "Secured routes: 10.10.10.0/24 via cipsec0" in lines
    else:
        assert [str(n) for n in routes] == ["0.0.0.0/1", "128.0.0.0/1"]
        assert len(changes.pinned) == 1  # the host route to the gateway
    assert "DNS: applied to " + str(resolv) in lines
    assert resolv.read_text().splitlines()[1:3] == ["search cisco.com", "nameserver 10.10.10.10"]
    assert conn.status({})["connected_for"] == 5.0


# --- re-authentication (the engine renews phase 1 before it expires) -------------------------

RENEWED = IkeSaUp(
    2,
    "198.51.100.10",
    GW,
    500,
    500,
    True,
    bytes(8),
    bytes(8),
    Phase1Algorithms(5, None, 2, 65001, 2, 86400, 1),
    False,
    replaces=1,
)
ASK_RENEWED = XauthRequested(2, GW, ("username", "password"))
AGAIN_RENEWED = XauthRequested(2, GW, ("username", "password"))


def renew(conn: Connection, session: FakeSession, *, then: Sequence[Any] = ()) -> list[str]:
    """Connect with the session's first events, then the renewal: the failure's lines."""
    conn.session = session  # type: ignore[assignment]

    async def run() -> list[str]:
        await asyncio.wait_for(conn._negotiate(), 10)
        session.conn_id = 2  # ClientSession follows IkeSaUp.replaces
        for event in (RENEWED, ASK_RENEWED, *then):
            session.events.put_nowait(event)
        watch = asyncio.ensure_future(conn._watch())
        for _ in range(200):  # until the renewal is settled
            if (conn.state == "connected" and not conn._renewing) or watch.done():
                break
            await asyncio.sleep(0.01)
        watch.cancel()
        try:
            await watch
        except ConnectFailed as exc:
            return exc.lines
        except asyncio.CancelledError:
            pass
        return []

    return asyncio.run(run())


def secured(*script: Sequence[Any]) -> FakeSession:
    config = ModeConfigReceived(1, GW, ADDRESS)
    first = [XauthSucceeded(1, GW, "cisco"), config, child(1, "0.0.0.0/0")]
    return FakeSession([ASK], [first, *script])


def test_renewal_reuses_the_password_from_standard_input(tmp_path: Path) -> None:
    lines = LinesPrompter(["first-pw"], io.StringIO())
    conn, stdout, _ = connection(tmp_path, lines, username="cisco")
    session = secured([XauthSucceeded(2, GW, "cisco")])
    assert renew(conn, session) == []
    assert session.provided == [("cisco", "first-pw"), ("cisco", "first-pw")]
    assert lines.left == 0  # nothing more read: the password kept in memory
    text = stdout.getvalue()
    assert text.splitlines()[-3:] == [
        "Re-authenticating user...",
        "Authenticating user...",
        "Your link is now secure.",
    ]
    assert "first-pw" not in text and conn.state == "connected"


class PtyTypist(threading.Thread):
    """A user at a pseudo-terminal: types the next answer whenever a new question shows."""

    def __init__(self, master: int, prompts: io.StringIO, answers: Sequence[bytes]) -> None:
        super().__init__(daemon=True)
        self.master, self.prompts, self.answers = master, prompts, list(answers)

    def run(self) -> None:
        typed = 0
        for _ in range(1000):  # at most 10 s
            if not self.answers:
                return
            if self.prompts.getvalue().count("Password: ") > typed:
                typed += 1
                os.write(self.master, self.answers.pop(0))
            time.sleep(0.01)


def test_renewal_asks_again_on_the_terminal_the_password_was_typed_on(tmp_path: Path) -> None:
    master, slave = os.openpty()
    try:
        prompts = io.StringIO()
        conn, stdout, _ = connection(tmp_path, TerminalPrompter(slave, prompts), username="cisco")
        session = secured([XauthSucceeded(2, GW, "cisco")])
        user = PtyTypist(master, prompts, [b"typed-1\n", b"typed-2\n"])
        user.start()
        assert renew(conn, session) == []
        user.join(10)
        assert session.provided == [("cisco", "typed-1"), ("cisco", "typed-2")]
        assert prompts.getvalue().count("Password: ") == 2
        assert "Re-authenticating user..." in stdout.getvalue()
    finally:
        os.close(master)
        os.close(slave)


def test_renewal_with_a_saved_password_asks_nothing(tmp_path: Path) -> None:
    typist = Typist([], io.StringIO())
    conn, _, _ = connection(tmp_path, typist, username="cisco")
    conn.options.profile = replace(
        conn.options.profile, save_user_password=True, user_password="saved-pw"
    )
    session = secured([XauthSucceeded(2, GW, "cisco")])
    assert renew(conn, session) == []
    assert typist.asked == [] and session.provided == [("cisco", "saved-pw")] * 2


def test_renewal_refused_ends_the_connection(tmp_path: Path) -> None:
    lines = LinesPrompter(["old-pw", "other-pw"], io.StringIO())
    conn, stdout, _ = connection(tmp_path, lines, username="cisco")
    session = secured(
        [XauthFailed(2, GW, None, "cisco"), AGAIN_RENEWED],
        [XauthFailed(2, GW, 0, "cisco", "the gateway refused the login")],
    )
    failure = renew(conn, session)
    assert failure[:2] == [
        "Secure VPN Connection terminated by Peer.",
        "Reason 413: User authentication failed.",
    ]
    # the kept password first, then the next line once the gateway refused it
    assert session.provided == [("cisco", "old-pw"), ("cisco", "old-pw"), ("cisco", "other-pw")]
    assert "User authentication failed. Enter the user name" in stdout.getvalue()
