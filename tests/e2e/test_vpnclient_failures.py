"""vpnclient when things go wrong, judged by what the user sees: a gateway that does not
answer, a wrong group password, a wrong user password (asked again as often as vpn2611
allows, then refused). Each time the exit status is 1, the TUN device is gone and no route
or resolv.conf change is left behind."""

from __future__ import annotations

from collections.abc import Callable

from _l2l_helpers import wait_until
from _vpnclient_helpers import (
    ORIGINAL_RESOLV,
    resolv_confs,
    run_vpnclient,
    seed_pcf,
    start_seed_client,
    start_vpn2611,
    write_profile,
)

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import SeedLab

SeedFactory = Callable[..., SeedLab]
SECRETS = ("cisco123", "wrong-key", "guess-1", "guess-2", "guess-3")


def assert_clean(topology: Topology, lab: SeedLab) -> None:
    """No TUN device, no route of vpnclient's left in the client's namespace."""
    names = [link["ifname"] for link in topology.links(lab["pc"])]
    assert "cipsec0" not in names
    dsts = sorted(r["dst"] for r in topology.routes(lab["pc"]))
    assert dsts == ["198.51.100.0/24", "default"]


def test_unreachable_gateway_says_so_after_the_retransmissions(
    topology: Topology, seed_lab: SeedLab
) -> None:
    profiles = topology.workdir / "profiles"
    # nothing answers at .99; PeerTimeout=10 bounds the retransmissions (2 and 4 s)
    write_profile(
        profiles, "nowhere", seed_pcf("172.18.124.99", group_pwd="cisco123") + "PeerTimeout=10\r\n"
    )
    socket = topology.workdir / "nowhere.sock"
    with resolv_confs() as confs:
        resolv = confs.prepare(seed_lab["pc"])
        argv = ["connect", "nowhere", "--profile-dir", str(profiles), "--socket", str(socket)]
        proc = run_vpnclient(
            topology, "pc", *argv, "--username", "cisco", "--password-stdin", input="cisco\n"
        )
        assert resolv.read_text() == ORIGINAL_RESOLV
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "Initializing the connection...",
        "Contacting the security gateway at 172.18.124.99...",
        "Not connected.",
    ]
    assert proc.stderr.splitlines() == [
        "Secure VPN Connection terminated locally by the Client.",
        "Reason 403: Unable to contact the security gateway.",
        "No answer from 172.18.124.99 (UDP 500) to 2 transmissions in 6 seconds: check the"
        " Host of connection entry 'nowhere' and that the gateway can be reached.",
    ]
    assert_clean(topology, seed_lab)
    assert not socket.exists()


def test_wrong_group_password_says_so(topology: Topology, seed_factory: SeedFactory) -> None:
    lab = seed_factory(assign_router_addresses=False)
    router = start_vpn2611(topology, lab)
    profiles = topology.workdir / "profiles"
    write_profile(profiles, "office", seed_pcf(group_pwd="wrong-key"))
    socket = topology.workdir / "office.sock"
    with resolv_confs() as confs:
        confs.prepare(lab["pc"])
        argv = ["connect", "office", "--profile-dir", str(profiles), "--socket", str(socket)]
        proc = run_vpnclient(topology, "pc", *argv, "--password-stdin", input="cisco\n")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == "Not connected."
    assert "Authenticating user..." not in proc.stdout
    assert proc.stderr.splitlines() == [
        "Secure VPN Connection terminated locally by the Client.",
        "The group password of group '3000client' is wrong: the gateway's answer does not"
        " verify with it (or the group name is not the gateway's).",
    ]
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr
    assert_clean(topology, lab)
    # the router saw an aggressive mode that never got its message 3, and gave no address
    assert not router.ipsec()
    assert [c["address"] for c in router.status()["clients"]] in ([], [None])


def test_wrong_user_password_is_asked_again_then_refused(
    topology: Topology, seed_factory: SeedFactory
) -> None:
    lab = seed_factory(assign_router_addresses=False)
    router = start_vpn2611(topology, lab)
    with resolv_confs() as confs:
        resolv = confs.prepare(lab["pc"])
        client, _ = start_seed_client(topology, "pc", script_login=False)
        try:
            start = 0
            for attempt, guess in enumerate(("guess-1", "guess-2", "guess-3"), 1):
                found = client.expect(r"Username \[cisco\]: ", start=start)
                client.type("\n")
                found = client.expect(r"Password: ", start=found.end())
                client.type(guess + "\n")
                found = client.expect(r"Authenticating user\.\.\.\n", start=found.end())
                start = found.end()
                if attempt < 3:  # vpn2611 says why it asks again (XAUTH-MESSAGE)
                    client.expect(r"Authentication failed\. Please enter", start=start)
            assert client.wait() == 1
            client.expect(r"Not connected\.", start=start)
        finally:
            client.close()
        assert resolv.read_text() == ORIGINAL_RESOLV
    out = client.transcript
    assert out.count("Password: ") == 3
    assert out.count("Username [cisco]: ") == 3
    assert (
        "Secure VPN Connection terminated by Peer.\n"
        "Reason 413: User authentication failed.\n"
        "The gateway refused the login of 'cisco' and ended the connection.\n"
    ) in out
    assert "Negotiating security profiles" not in out
    for secret in SECRETS:
        assert secret not in out  # typed without echo, never printed
    assert_clean(topology, lab)
    wait_until("the router forgets the client", lambda: not router.isakmp())
    assert router.status()["clients"] == []
