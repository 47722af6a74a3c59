"""Remote access going wrong: wrong group key, unknown group, wrong password (3 tries),
exhausted pool, max-users, missing configuration, quick modes a client may not make, and
which main-mode peers XAuth applies to."""

from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from ikepair import FLOW_3640, VPN3640
from pytest import MonkeyPatch
from ranet import (
    PASSWORD,
    USER,
    Host,
    Net,
    add_client,
    connect,
    router_aaa,
    seed_group,
    seed_net,
)

from vpnrouter.ike.events import (
    ChildSaUp,
    ClientConnected,
    IkeSaDown,
    IkeSaUp,
    ModeConfigReceived,
    NegotiationFailed,
    XauthFailed,
    XauthRequested,
    XauthSucceeded,
)
from vpnrouter.ike.exchanges import cfgmsg, quick_mode
from vpnrouter.ike.policy import AUTH_PRE_SHARE, ClientMapConfig, PreSharedKey, TrafficSelector
from vpnrouter.ike.sa import ChildRequest
from vpnrouter.wire import decode_header, encode_message
from vpnrouter.wire.constants import ExchangeType, NotifyType
from vpnrouter.wire.header import Header
from vpnrouter.wire.message import decode_message
from vpnrouter.wire.payloads import HashPayload, NotifyPayload

A = IPv4Address
TOTAL = 62.0  # RetransmitPolicy(): 2+4+8+16+16+16 seconds


def router(net: Net) -> Host:
    return net.hosts["vpn2611"]


def test_wrong_group_key_fails_on_hash_r_and_the_router_times_out() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, key="not-the-key")
    assert not client.of(IkeSaUp) and not client.of(XauthRequested)
    assert "%CRYPTO-4-IKMP_HASH_FAIL: IKE message from 172.18.124.159 failed its hash check" in (
        client.log_text()
    )
    net.advance(TOTAL + 1)
    (failed,) = client.of(NegotiationFailed)
    assert failed.phase == 1 and failed.reason == "Death by retransmission P1"
    (client_row,) = client.engine.isakmp_sas(net.now)
    assert client_row.status == "FAILED" and "pre-shared key mismatch" in client_row.failure
    (router_failed,) = router(net).of(NegotiationFailed)
    assert "group key mismatch?" in router_failed.reason
    (row,) = router(net).engine.isakmp_sas(net.now)
    assert row.status == "FAILED" and row.state == "AG_INIT_EXCH"
    assert not router(net).engine.aaa.pools.leases()  # type: ignore[union-attr]


def test_a_forged_message_3_fails_hash_i_and_changes_nothing() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    held: list[bytes] = []

    def swap(sender: str, data: bytes, dest: tuple[str, int], sport: int) -> bytes | None:
        header = decode_header(data)
        if sender == "c1" and header.exchange_type == ExchangeType.AGGRESSIVE and header.encrypted:
            held.append(data)
            forged = Header(header.icookie, header.rcookie, ExchangeType.AGGRESSIVE)
            return encode_message(forged, [HashPayload(bytes(20))])
        return data

    net.hook = swap
    connect(net, client)
    text = router(net).log_text()
    assert "%CRYPTO-4-IKMP_HASH_FAIL: IKE message from 64.102.55.142 failed its hash check" in text
    assert not router(net).of(IkeSaUp)
    net.hook = None
    router(net).engine.receive_datagram(held[0], ("64.102.55.142", 500), 500, net.now)
    net.pump()
    (asked,) = [e for e in client.of(XauthRequested)]
    assert asked.fields == ("username", "password")
    assert client.engine.provide_xauth(USER, PASSWORD, net.now)
    net.pump()
    assert client.of(ModeConfigReceived)[0].address == A("14.1.1.100")


def test_unknown_group_is_refused_with_invalid_id_information() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, group="nosuchgroup")
    answers = [d for s, d, _, _ in net.trace if s == "vpn2611"]
    assert answers
    notify = decode_message(answers[0]).payloads[0]
    assert isinstance(notify, NotifyPayload)
    assert notify.notify_type == NotifyType.INVALID_ID_INFORMATION
    text = router(net).log_text()
    assert "No pre-shared key with nosuchgroup! (no such client group)" in text
    assert (
        "%CRYPTO-6-IKMP_MODE_FAILURE: Processing of Aggressive mode failed with peer at "
        "64.102.55.142"
    ) in text
    net.advance(TOTAL + 1)
    (failed,) = client.of(NegotiationFailed)
    assert failed.notify == NotifyType.INVALID_ID_INFORMATION


def test_wrong_password_three_times_then_the_sa_is_deleted() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, passwords=["guess-1", "guess-2", "guess-3"])
    assert len(client.of(XauthRequested)) == 3
    retry = client.of(XauthRequested)[1]
    assert "Authentication failed" in retry.message
    assert [e.attempts_left for e in client.of(XauthFailed)] == [None, None, 0]
    assert [e.attempts_left for e in router(net).of(XauthFailed)] == [2, 1, 0]
    assert all(e.username == USER for e in router(net).of(XauthFailed))
    assert "wrong password" in router(net).of(XauthFailed)[0].reason
    (down,) = router(net).of(IkeSaDown)
    assert down.reason == "XAuth failed"
    assert client.of(IkeSaDown)  # the client dropped its side after STATUS=FAIL
    assert not client.of(ModeConfigReceived) and not router(net).of(ClientConnected)
    text = router(net).log_text()
    assert text.count("User Authentication failed (wrong password for user 'cisco')") == 3
    assert "0 attempt(s) left" in text
    for word in ("guess-1", "guess-2", "guess-3"):
        assert word not in text and word not in client.log_text()
    (row,) = router(net).engine.isakmp_sas(net.now)
    assert row.status == "DELETED" and row.xauth == "failed"


def test_a_retry_logs_attribute_types_never_a_password_even_at_the_secrets_level() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    for node in (router(net), client):
        node.engine.set_secrets_logging(True)
    connect(net, client, passwords=["Typo-Pw-41", PASSWORD])
    text = router(net).log_text()
    assert text.count("ISAKMP (0:1): Need XAUTH") == 1  # once per ISAKMP SA, not per try
    assert text.count("ISAKMP/xauth: request attribute XAUTH_MESSAGE_V2") == 1  # the retry
    assert text.count("ISAKMP/xauth: request attribute XAUTH_USER_PASSWORD_V2") == 2
    assert text.count("ISAKMP/xauth: reply attribute XAUTH_USER_PASSWORD_V2") == 2
    assert "XAUTH authentication of cisco failed: wrong password for user 'cisco'" in text
    assert router(net).of(XauthSucceeded)
    for node in (router(net), client):
        for secret in ("Typo-Pw-41", PASSWORD):
            assert secret not in node.log_text()


def test_second_try_succeeds() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, passwords=["typo", PASSWORD])
    assert [e.attempts_left for e in router(net).of(XauthFailed)] == [2]
    assert router(net).of(XauthSucceeded) and client.of(ChildSaUp)


def test_unknown_user_counts_as_a_failure() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, user="mallory", passwords=[PASSWORD] * 3)
    assert "unknown user 'mallory'" in router(net).of(XauthFailed)[0].reason
    assert router(net).of(IkeSaDown)


def test_client_that_never_answers_xauth_is_dropped() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, passwords=[])
    assert len(client.of(XauthRequested)) == 1
    net.advance(TOTAL + 1)
    (down,) = router(net).of(IkeSaDown)
    assert "XAuth: XAuth request not answered" in down.reason
    assert "User Authentication timed out" in router(net).log_text()
    # the router's retransmissions did not ask the user again
    assert len(client.of(XauthRequested)) == 1
    assert client.of(IkeSaDown)  # the router's Delete reached it
    assert not client.engine.provide_xauth(USER, PASSWORD, net.now)


def test_pool_exhausted_refuses_the_next_client_clearly() -> None:
    net = seed_net(aaa=router_aaa("14.1.1.100", "14.1.1.100"))
    first, second = add_client(net, "c1", "64.102.55.142"), add_client(net, "c2", "64.102.55.143")
    connect(net, first)
    connect(net, second)
    assert first.of(ChildSaUp)
    (config,) = second.of(ModeConfigReceived)
    assert config.address is None
    (failed,) = second.of(NegotiationFailed)
    assert failed.reason == "Mode Config: the gateway assigned no address"
    assert not second.of(ChildSaUp)
    text = router(net).log_text()
    assert "no address for client 64.102.55.143: no free address in pool ippool" in text
    assert "Mode Config refused: no free address in pool ippool" in text
    downs = router(net).of(IkeSaDown)
    assert [d.peer for d in downs] == ["64.102.55.143"]


def test_max_users_of_the_group() -> None:
    net = seed_net(group=seed_group(max_users=1))
    first, second = add_client(net, "c1", "64.102.55.142"), add_client(net, "c2", "64.102.55.143")
    connect(net, first)
    connect(net, second)
    assert first.of(ChildSaUp) and not second.of(ChildSaUp)
    assert "group 3000client has reached max-users 1" in router(net).log_text()


def test_without_an_authentication_list_no_xauth_and_plain_pre_shared_key() -> None:
    settings = ClientMapConfig("clientmap", address="respond")
    net = seed_net(client_maps=(settings,))
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    (ike,) = client.of(IkeSaUp)
    assert ike.algorithms.auth == AUTH_PRE_SHARE
    assert not client.of(XauthRequested)
    assert client.of(ModeConfigReceived)[0].address == A("14.1.1.100")
    assert client.of(ChildSaUp)
    (row,) = router(net).engine.isakmp_sas(net.now)
    assert row.username == "" and row.xauth == ""


def test_without_client_configuration_address_the_request_goes_unanswered() -> None:
    settings = ClientMapConfig("clientmap", authentication_list="userauthen")
    net = seed_net(client_maps=(settings,))
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    assert client.of(XauthSucceeded) and not client.of(ModeConfigReceived)
    assert "client configuration address is not configured" in router(net).log_text()
    net.advance(TOTAL + 1)
    (failed,) = client.of(NegotiationFailed)
    assert failed.reason == "Mode Config: Mode Config request not answered"


def test_address_initiate_pushes_the_configuration() -> None:
    settings = ClientMapConfig("clientmap", authentication_list="userauthen", address="initiate")
    net = seed_net(client_maps=(settings,))
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    (config,) = client.of(ModeConfigReceived)
    assert config.address == A("14.1.1.100") and config.domain == "cisco.com"
    assert len(router(net).of(ClientConnected)) == 1 and len(client.of(ChildSaUp)) == 1
    assert "Mode Config SET acknowledged" in router(net).log_text()


def _client_sa(client: Host):  # type: ignore[no-untyped-def]
    return client.engine._ctx.table.ike[1]


def test_quick_mode_before_xauth_is_ignored() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client, passwords=[])
    sa = _client_sa(client)
    entry = router(net).engine.policy.crypto_maps[1]
    selector = TrafficSelector(IPv4Network("14.1.1.100/32"), IPv4Network("0.0.0.0/0"))
    quick_mode.start(client.engine._ctx, sa, ChildRequest(entry, selector))
    net.pump()
    assert "Quick Mode from 64.102.55.142 before XAUTH finished: ignored" in router(net).log_text()
    assert not router(net).of(ChildSaUp)


def test_a_client_may_only_protect_its_own_address() -> None:
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    sa = _client_sa(client)
    entry = router(net).engine.policy.crypto_maps[1]
    selector = TrafficSelector(IPv4Network("14.1.1.150/32"), IPv4Network("0.0.0.0/0"))
    quick_mode.start(client.engine._ctx, sa, ChildRequest(entry, selector))
    net.pump()
    assert len(router(net).of(ChildSaUp)) == 1
    assert "client proxy 14.1.1.150/32 is not its address 14.1.1.100" in router(net).log_text()
    failed = client.of(NegotiationFailed)
    assert failed and failed[-1].notify == NotifyType.INVALID_ID_INFORMATION


def test_main_mode_peer_with_no_xauth_key_is_never_asked() -> None:
    net = seed_net(with_3640=True)
    vpn3640 = net.hosts["vpn3640"]
    assert vpn3640.engine.initiate(vpn3640.engine.policy.crypto_maps[0], FLOW_3640, net.now)
    net.pump()
    assert len(vpn3640.of(ChildSaUp)) == 1
    exchanges = {decode_header(d).exchange_type for s, d, _, _ in net.trace if s == "vpn2611"}
    assert ExchangeType.TRANSACTION not in exchanges
    (row,) = [r for r in router(net).engine.isakmp_sas(net.now) if r.peer == VPN3640]
    assert row.xauth == "" and not row.aggressive


def test_main_mode_peer_without_no_xauth_is_asked_and_dropped_when_silent() -> None:
    net = seed_net(with_3640=True)
    policy = router(net).engine.policy
    keys = (PreSharedKey("cisco123", IPv4Network(VPN3640 + "/32")),)  # no "no-xauth"
    router(net).engine.update_policy(replace(policy, preshared_keys=keys))
    vpn3640 = net.hosts["vpn3640"]
    assert vpn3640.engine.initiate(vpn3640.engine.policy.crypto_maps[0], FLOW_3640, net.now)
    net.pump()
    assert "Need XAUTH" in router(net).log_text()
    # vpn3640 (no remote-access role) ignores the transaction exchange, so XAuth times out
    assert "transaction exchange from a peer without XAuth/Mode Config" in vpn3640.log_text()
    assert not router(net).of(ChildSaUp)
    net.advance(TOTAL + 1)
    assert "XAuth: XAuth request not answered" in router(net).of(IkeSaDown)[0].reason
    assert router(net).engine.isakmp_sas(net.now)[0].xauth == "failed"


def test_answers_with_identifier_zero_are_accepted(monkeypatch: MonkeyPatch) -> None:
    # strongSwan 5.9 answers XAuth and Mode Config with ATTR identifier 0, not ours.
    answer = cfgmsg.answer

    def zero(*args: Any, **kw: Any) -> bytes:
        ctx, sa, mid, cfg_type, _identifier, *rest = args
        return answer(ctx, sa, mid, cfg_type, 0, *rest, **kw)

    monkeypatch.setattr(cfgmsg, "answer", zero)
    net = seed_net()
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    assert client.of(ModeConfigReceived)[0].address == A("14.1.1.100")
    assert "Config payload identifier 0 (expected" in router(net).log_text()


def test_an_authorization_list_without_local_refuses_the_group() -> None:
    aaa = router_aaa()
    aaa.network_lists["groupauthor"] = ("group",)  # "aaa authorization network ... group radius"
    net = seed_net(aaa=aaa)
    client = add_client(net, "c1", "64.102.55.142")
    connect(net, client)
    assert not client.of(IkeSaUp)
    assert "authorization list groupauthor has no local method" in router(net).log_text()
