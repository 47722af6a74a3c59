"""vpnclient with a profile exported from the Cisco client (``enc_GroupPwd``, a key vpnclient
does not know: warned about, kept), and from behind the masquerading NAT: NAT-T moves IKE
and ESP to UDP 4500, and nothing but IKE and ESP-in-UDP crosses the Internet (tshark)."""

from __future__ import annotations

from collections.abc import Callable

from _l2l_helpers import wait_until
from _vpnclient_helpers import (
    SCRIPT_LOGIN,
    client_status,
    resolv_confs,
    run_vpnclient,
    start_client,
    start_vpn2611,
)

from vpnrouter.lab.capture import IPSEC_KINDS, Capture
from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import NAT_OUTSIDE, OUTSIDE, VPN2611, SeedLab

SeedFactory = Callable[..., SeedLab]
CaptureFactory = Callable[..., Capture]

# "cisco123" obfuscated the Cisco way; Debian vpnc 0.5.3's cisco-decrypt gives it back
# (tests/client/pcf_samples.py SEED_ENC).
SEED_ENC = (
    "000102030405060708090A0B0C0D0E0F101112135B5FBF34B516CD493BE3E83E"
    "2CC2FC1A03F834A6C44C35D11E49A7DBFA74D1486F9FA71A"
)
EXPORT_LINES = [
    "[main]",
    "Description=Seed remote access to vpn2611",
    "!Host=172.18.124.159",
    "!AuthType=1",
    "!GroupName=3000client",
    "GroupPwd=",
    f"enc_GroupPwd={SEED_ENC}",
    "Username=cisco",
    "SaveUserPassword=0",
    "EnableNat=1",
    "TunnelingMode=0",
    "X-Lab-Note=exported for the vpnrouter lab",
    "PeerTimeOut=90",
    "EnableLocalLAN=0",
    "",
]
EXPORT = ("\r\n".join(EXPORT_LINES) + "\r\n").encode("ascii")


def test_imported_profile_with_enc_group_pwd_connects(
    topology: Topology, seed_factory: SeedFactory
) -> None:
    lab = seed_factory(assign_router_addresses=False)
    start_vpn2611(topology, lab)
    export = topology.workdir / "Seed Office.pcf"
    export.write_bytes(EXPORT)
    profiles = topology.workdir / "profiles"
    imported = run_vpnclient(
        topology, "pc", "import", str(export), "--name", "office", "--profile-dir", str(profiles)
    )
    assert imported.returncode == 0, imported.stderr
    assert "unknown key 'X-Lab-Note' kept as is" in imported.stderr
    assert "Group password: <saved, obfuscated> (enc_GroupPwd)" in imported.stdout
    socket = topology.workdir / "office.sock"
    with resolv_confs() as confs:
        confs.prepare(lab["pc"])
        client = start_client(
            topology,
            "pc",
            "office",
            profiles,
            socket=socket,
            args=["--password-stdin", "--debug", "all"],
            stdin="cisco\n",
        )
        try:
            client.expect(r"Your link is now secure\.")
            client.expect(r"to disconnect\.")
            assert lab.ping("pc", VPN2611.host_addr, count=3, deadline=15)
            client.interrupt()
            assert client.wait() == 0
        finally:
            client.close()
    out = client.transcript
    warning = out.index("unknown key 'X-Lab-Note' kept as is")
    assert warning < out.index("Initializing the connection...")  # warned, then used
    assert "ISAKMP (0:1): XAUTH authentication of cisco succeeded" in out  # --debug all
    assert "cisco123" not in out  # the group key: not even with --debug all
    # the entry is still the Cisco export: the unknown key, the locks and CRLF kept
    stored = (profiles / "office.pcf").read_bytes()
    assert b"\r\nX-Lab-Note=exported for the vpnrouter lab\r\n" in stored
    assert b"\r\n!GroupName=3000client\r\n" in stored
    assert f"enc_GroupPwd={SEED_ENC}".encode() in stored


def test_behind_nat_ike_and_esp_travel_in_udp_4500(
    topology: Topology, seed_factory: SeedFactory, capture: CaptureFactory
) -> None:
    lab = seed_factory(assign_router_addresses=False)
    router = start_vpn2611(topology, lab)
    export = topology.workdir / "office.pcf"
    export.write_bytes(EXPORT)
    profiles = topology.workdir / "profiles"
    assert (
        run_vpnclient(
            topology, "natpc", "import", str(export), "--profile-dir", str(profiles)
        ).returncode
        == 0
    )
    socket = topology.workdir / "office.sock"
    tap = capture(lab, OUTSIDE, name="outside")
    with resolv_confs() as confs:
        confs.prepare(lab["natpc"])
        client = start_client(
            topology,
            "natpc",
            "office",
            profiles,
            socket=socket,
            args=[*SCRIPT_LOGIN],
            stdin="cisco\n",
        )
        try:
            client.expect(r"Your link is now secure\.")
            client.expect(r"to disconnect\.")
            assert "NAT passthrough is active on port UDP 4500" in client.transcript
            assert lab.ping("natpc", VPN2611.host_addr, count=5, deadline=15)
            assert lab.ping("host1", "14.1.1.100", count=5, deadline=15)
            ours = client_status(topology, "natpc", socket)
            assert ours["nat_t"] is True and ours["gateway_port"] == 4500
            assert ours["local"] == "192.168.1.10"
            assert all(pair["udp_encapsulation"] for pair in ours["ipsec"])
            (seen,) = router.status()["clients"]
            assert seen["peer"] == NAT_OUTSIDE and seen["address"] == "14.1.1.100"
            client.interrupt()
            assert client.wait() == 0
        finally:
            client.close()
    wait_until("router forgets the client", lambda: not router.ipsec() and not router.isakmp())
    tap.stop()
    packets = [p for p in tap.packets() if {p.src, p.dst} == {NAT_OUTSIDE, VPN2611.outside_ip}]
    summary = tap.summary()
    assert summary.only(IPSEC_KINDS), str(summary)
    kinds = {p.kind for p in packets}
    assert kinds <= {"isakmp", "esp_udp", "natt_keepalive"}, kinds
    assert sum(p.kind == "esp_udp" for p in packets) >= 20  # 5 + 5 echoes, both ways
    assert not any(p.kind == "esp" for p in packets)
    # IKE starts on 500 and floats to 4500 once the NAT is seen (RFC 3947)
    ike_ports = [p.dport for p in packets if p.kind == "isakmp" and p.dst == VPN2611.outside_ip]
    assert ike_ports[0] == 500 and 4500 in ike_ports
