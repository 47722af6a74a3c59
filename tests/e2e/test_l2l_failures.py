"""What goes wrong between our router and strongSwan, seen from both sides.

Each case is asserted by our log line (IOS wording), our ``status`` and the peer's view
(strongSwan's log or SAs, or the capture when the peer is silent):

- wrong pre-shared key, both directions;
- no common ISAKMP policy (NO-PROPOSAL-CHOSEN), both directions (when we initiate, the
  refusal of main mode 1 ends the negotiation at once, as on IOS);
- no common transform set (NO-PROPOSAL-CHOSEN in quick mode), both directions;
- proxy identities that do not match the crypto ACL (INVALID-ID-INFORMATION), both directions
  (our side runs vpn3640.cfg here: vpn2611.cfg's dynamic map accepts any proxies, as on IOS);
- a silent peer: main mode retransmitted five times, then given up; traffic tries again;
- a peer that deletes its SAs: we follow, and traffic brings the tunnel back;
- garbage datagrams at UDP 500 and 4500 during a running tunnel change nothing.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _l2l_helpers import (
    VPN2611_CFG,
    VPN3640_CFG,
    RouterProc,
    shell,
    spis_match,
    start_router,
    tcp_transfer,
    wait_until,
)

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import OUTSIDE, VPN2611, VPN3640, SeedLab
from vpnrouter.lab.strongswan import Charon, L2LConn, StrongSwanError, seed_l2l

pytestmark = pytest.mark.netns

PEER = VPN3640.outside_ip
NO_TUNNEL_DEADLINE = 2.0
RETRANSMIT_WINDOW = 5.0  # well past our first phase-1 retransmission (2 s after message 1)


def charon_log(peer: Charon) -> str:
    return peer.log_path.read_text(errors="replace")


def wait_charon_log(peer: Charon, text: str, timeout: float = 15.0) -> None:
    wait_until(f"strongSwan log line {text!r}", lambda: text in charon_log(peer), timeout)


def setup(
    topology: Topology,
    lab: SeedLab,
    strongswan: Any,
    *,
    ours: str = "vpn2611",
    **changes: Any,
) -> tuple[RouterProc, Charon, L2LConn]:
    """Our router in ``ours`` (seed configuration), strongSwan in the other router's place
    with the seed's parameters modified by ``changes``."""
    mine, theirs = (VPN2611, VPN3640) if ours == "vpn2611" else (VPN3640, VPN2611)
    config = VPN2611_CFG if ours == "vpn2611" else VPN3640_CFG
    router = start_router(topology, lab[mine.name], config, name=mine.name)
    peer: Charon = strongswan(lab[theirs.name], theirs.name)
    conn = dataclasses.replace(seed_l2l(theirs, mine), **changes)
    peer.load([conn])
    return router, peer, conn


def initiate_fails(peer: Charon) -> str:
    with pytest.raises(StrongSwanError) as failure:
        peer.initiate("l2l", timeout=8)
    return str(failure.value)


def no_established(peer: Charon) -> bool:
    return not any(sa.state == "ESTABLISHED" for sa in peer.list_sas())


# -- wrong pre-shared key ----------------------------------------------------------------------


def test_wrong_psk_peer_initiates(topology: Topology, seed_lab: SeedLab, strongswan: Any) -> None:
    ours, peer, _ = setup(topology, seed_lab, strongswan, psk="not-cisco123")
    initiate_fails(peer)
    # IOS 12.x: the peer's main mode 5 decrypts to garbage under our key
    ours.wait_log(r"ISAKMP \(0:1\): reserved not zero on payload 5!")
    ours.wait_log(
        rf"%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from {PEER} failed its sanity check or is"
        r" malformed"
    )
    (row,) = ours.status()["isakmp"]
    assert row["state"] == "MM_KEY_EXCH" and row["peer"] == PEER
    assert "pre-shared key mismatch" in row["failure"]
    assert ours.ipsec() == [] and ours.status()["engine_counters"]["malformed"] >= 1
    assert no_established(peer)
    assert "sending retransmit 1 of request message ID 0" in charon_log(peer)
    assert not seed_lab.ping("host1", VPN3640.host_addr, deadline=NO_TUNNEL_DEADLINE)
    # when the negotiation is given up, one line says why
    ours.wait_log(
        rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 1 with {PEER} failed: .*pre-shared key"
        r" mismatch\?",
        timeout=90,
    )
    assert all(row["state"] != "QM_IDLE" for row in ours.isakmp())  # (the ping tried again)
    assert ours.ipsec() == []


def test_wrong_psk_we_initiate(topology: Topology, seed_lab: SeedLab, strongswan: Any) -> None:
    ours, peer, _ = setup(topology, seed_lab, strongswan, psk="not-cisco123")
    assert not seed_lab.ping("host1", VPN3640.host_addr, count=1, deadline=NO_TUNNEL_DEADLINE)
    # strongSwan cannot decrypt our main mode 5 (its key differs): it drops it, we resend
    wait_charon_log(peer, "decryption failed?")
    ours.wait_log(r"ISAKMP \(0:1\): retransmitting phase 1 MM_KEY_EXCH")
    (row,) = ours.isakmp()
    assert row["state"] == "MM_KEY_EXCH" and row["initiator"]
    assert ours.ipsec() == [] and no_established(peer)


# -- no common ISAKMP policy -------------------------------------------------------------------


def test_no_common_isakmp_policy_peer_initiates(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    ours, peer, _ = setup(topology, seed_lab, strongswan, ike_proposals=("aes128-sha1-modp1024",))
    assert "received NO_PROPOSAL_CHOSEN error notify" in initiate_fails(peer)
    ours.wait_log(r"ISAKMP \(0:1\): atts are not acceptable")
    ours.wait_log(r"sending NOTIFY NO_PROPOSAL_CHOSEN protocol 1")
    ours.wait_log(
        rf"%CRYPTO-6-IKMP_MODE_FAILURE: Processing of Main mode failed with peer at {PEER}"
    )
    ours.wait_log(
        rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 1 with {PEER} failed: no acceptable ISAKMP"
        r" transform, notify NO_PROPOSAL_CHOSEN"
    )
    assert ours.isakmp() == [] and ours.ipsec() == []
    assert no_established(peer)


def test_no_common_isakmp_policy_we_initiate(
    topology: Topology, seed_lab: SeedLab, strongswan: Any, capture: Any
) -> None:
    """strongSwan refuses our main mode 1 with an unprotected NO-PROPOSAL-CHOSEN: as on IOS
    the negotiation ends at once instead of retransmitting message 1 for a minute."""
    ours, peer, _ = setup(topology, seed_lab, strongswan, ike_proposals=("aes128-sha1-modp1024",))
    tap = capture(seed_lab, OUTSIDE, name="refused")
    assert not seed_lab.ping("host1", VPN3640.host_addr, count=1, deadline=NO_TUNNEL_DEADLINE)
    wait_charon_log(peer, "no proposal found")
    ours.wait_log(
        r"ISAKMP \(0:1\): processing NOTIFY NO_PROPOSAL_CHOSEN protocol 1 spi 0, message ID = "
    )
    ours.wait_log(
        r'ISAKMP \(0:1\): deleting SA reason "Informational \(in\) state 1" state \(I\)'
        rf" MM_NO_STATE \(peer {PEER}\)"
    )
    ours.wait_log(
        rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 1 with {PEER} failed: Informational \(in\)"
        r" state 1, notify NO_PROPOSAL_CHOSEN"
    )
    assert ours.isakmp() == [] and ours.ipsec() == [] and no_established(peer)
    # the failed SA stays visible in its last state
    (failed,) = ours.status()["isakmp"]
    assert (failed["status"], failed["state"]) == ("FAILED", "MM_NO_STATE")
    show = shell(ours, "show crypto isakmp sa")  # dst (the responder), src, state
    assert re.search(rf"^{PEER} +{VPN2611.outside_ip} +MM_NO_STATE ", show, re.M), show
    diagnosis = shell(ours, f"show crypto isakmp diagnose {PEER}")
    assert (
        f"Peer {PEER} refused all of our ISAKMP proposals (NO_PROPOSAL_CHOSEN): we offered"
        " policies 3 and 10 (3DES/SHA/pre-share/group 2, DES/MD5/pre-share/group 1) and it"
        " accepts none of them." in diagnosis
    ), diagnosis
    assert re.search(r"^ +\d+  crypto isakmp policy 3$", diagnosis, re.M), diagnosis
    assert re.search(r"^ +\d+  crypto isakmp policy 10$", diagnosis, re.M), diagnosis
    # past the first retransmission interval (2 s) nothing more went out: main mode 1 once
    # (twice at most, had strongSwan's answer crossed a retransmission)
    time.sleep(RETRANSMIT_WINDOW)
    tap.stop()
    from_us = [p for p in tap.packets() if p.kind == "isakmp" and p.src == VPN2611.outside_ip]
    assert 1 <= len(from_us) <= 2, str(tap.summary())


# -- no common transform set -------------------------------------------------------------------


def test_no_common_transform_set_peer_initiates(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    ours, peer, _ = setup(topology, seed_lab, strongswan, esp_proposals=("aes128-sha1",))
    assert "received NO_PROPOSAL_CHOSEN error notify" in initiate_fails(peer)
    ours.wait_log(r"sending NOTIFY NO_PROPOSAL_CHOSEN protocol 3")
    ours.wait_log(
        rf"%CRYPTO-6-IKMP_MODE_FAILURE: Processing of Quick mode failed with peer at {PEER}"
    )
    ours.wait_log(
        rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 2 with {PEER} failed: no acceptable"
        r" transform set, notify NO_PROPOSAL_CHOSEN"
    )
    (row,) = ours.isakmp()  # phase 1 was fine and stays
    assert row["state"] == "QM_IDLE"
    assert ours.ipsec() == []
    (sa,) = peer.list_sas()
    assert sa.state == "ESTABLISHED" and not sa.children


def test_no_common_transform_set_we_initiate(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    ours, peer, _ = setup(topology, seed_lab, strongswan, esp_proposals=("aes128-sha1",))
    assert not seed_lab.ping("host1", VPN3640.host_addr, count=1, deadline=NO_TUNNEL_DEADLINE)
    wait_charon_log(peer, "no matching proposal found, sending NO_PROPOSAL_CHOSEN")
    ours.wait_log(
        rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 2 with {PEER} failed: peer sent"
        r" NO_PROPOSAL_CHOSEN"
    )
    assert [row["state"] for row in ours.isakmp()] == ["QM_IDLE"]
    assert ours.ipsec() == []


# -- proxy identities --------------------------------------------------------------------------


def test_proxy_identities_not_in_acl_peer_initiates(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    # our side is vpn3640 (ACL 100: 10.10.20.0/24 <-> 10.10.10.0/24); strongSwan, as vpn2611,
    # offers 10.10.30.0/24 as its side
    ours, peer, _ = setup(
        topology, seed_lab, strongswan, ours="vpn3640", local_ts=("10.10.30.0/24",)
    )
    assert "INVALID_ID_INFORMATION" in initiate_fails(peer)
    ours.wait_log(r"sending NOTIFY INVALID_ID_INFORMATION protocol 3")
    ours.wait_log(rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 2 with {VPN2611.outside_ip} failed")
    assert ours.ipsec() == []
    assert [row["state"] for row in ours.isakmp()] == ["QM_IDLE"]


def test_proxy_identities_not_in_peer_acl_we_initiate(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    ours, peer, _ = setup(topology, seed_lab, strongswan, local_ts=("10.10.30.0/24",))
    assert not seed_lab.ping("host1", VPN3640.host_addr, count=1, deadline=NO_TUNNEL_DEADLINE)
    wait_charon_log(peer, "no matching CHILD_SA config found")
    ours.wait_log(
        rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 2 with {PEER} failed: peer sent"
        r" INVALID_ID_INFORMATION"
    )
    assert ours.ipsec() == []


# -- silent peer -------------------------------------------------------------------------------

SILENCE = """
table inet silence {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport { 500, 4500 } drop
  }
}
"""


def test_silent_peer_retransmits_then_gives_up(
    topology: Topology, seed_lab: SeedLab, capture: Any
) -> None:
    topology.exec(seed_lab.vpn3640, ["nft", "-f", "-"], input=SILENCE)
    ours = start_router(topology, seed_lab.vpn2611, VPN2611_CFG, name="vpn2611")
    tap = capture(seed_lab, OUTSIDE, name="silent")
    assert not seed_lab.ping("host1", VPN3640.host_addr, count=1, deadline=NO_TUNNEL_DEADLINE)
    # IOS: 5 retransmissions, then the SA is deleted ("Death by retransmission P1")
    ours.wait_log(r"retransmitting phase 1 MM_NO_STATE", timeout=10)
    ours.wait_log(r"deleting SA reason \"Death by retransmission P1\"", timeout=90)
    ours.wait_log(rf"%CRYPTO-5-IKMP_NEGOTIATION_FAILED: phase 1 with {PEER} failed")
    tap.stop()
    log = ours.log()
    assert log.count("retransmitting phase 1 MM_NO_STATE") == 5
    assert ours.isakmp() == [] and ours.ipsec() == []
    (failed,) = ours.status()["isakmp"]
    assert failed["status"] == "FAILED" and failed["state"] == "MM_NO_STATE"
    # the peer's view: six identical main mode 1 offers arrived, none was answered
    summary = tap.summary()
    assert summary.isakmp == 6, str(summary)
    assert set(summary.sources) == {VPN2611.outside_ip}, str(summary)
    # traffic after the failure starts a new negotiation
    assert not seed_lab.ping("host1", VPN3640.host_addr, count=1, deadline=NO_TUNNEL_DEADLINE)
    wait_until("a second main mode", lambda: ours.log().count("beginning Main Mode") == 2)


# -- the peer deletes ---------------------------------------------------------------------------


def test_peer_deletes_its_sas_we_follow(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    ours, peer, _ = setup(topology, seed_lab, strongswan)
    peer.initiate("l2l", timeout=20)
    (first,) = ours.wait_ipsec()
    assert seed_lab.ping("host1", VPN3640.host_addr, count=3, deadline=10)

    # the CHILD SA only: our IPsec SAs go, the ISAKMP SA stays, traffic makes new ones
    peer.terminate(child="l2l")
    ours.wait_log(r"processing DELETE payload")
    wait_until("IPsec SAs removed", lambda: ours.ipsec() == [])
    assert [row["state"] for row in ours.isakmp()] == ["QM_IDLE"]
    assert seed_lab.ping("host1", VPN3640.host_addr, count=3, deadline=15)
    (second,) = ours.wait_ipsec()
    assert second["inbound_spi"] != first["inbound_spi"]
    assert ours.log().count("beginning Main Mode") == 0  # phase 1 reused: quick mode only
    (sa,) = peer.list_sas()
    assert spis_match(second, sa)

    # the whole IKE SA: we delete ours too; traffic then brings up a new tunnel
    peer.terminate(ike="l2l")
    ours.wait_log(r"deleting SA reason \"Receive delete from peer\"")
    wait_until("all SAs removed", lambda: ours.ipsec() == [] and ours.isakmp() == [])
    assert seed_lab.ping("host1", VPN3640.host_addr, count=3, deadline=20)
    (third,) = ours.wait_ipsec()
    (sa,) = peer.wait_for("established", ike="l2l")
    assert spis_match(third, sa)
    assert ours.log().count("beginning Main Mode") == 1


# -- garbage ------------------------------------------------------------------------------------

GARBAGE = r"""
import os, random, socket, struct, sys
target, icookie, rcookie, spi = sys.argv[1], bytes.fromhex(sys.argv[2]), \
    bytes.fromhex(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(int(sys.argv[5]))
def isakmp(exchange, flags, body, length=None, ic=icookie, rc=rcookie):
    n = 28 + len(body) if length is None else length
    mid = rnd.getrandbits(32)
    return ic + rc + bytes([8, 0x10, exchange, flags]) + struct.pack(">II", mid, n) + body
sent = 0
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    marker = b"\0\0\0\0" if port == 4500 else b""
    for i in range(60):
        datagrams = [
            rnd.randbytes(rnd.randrange(0, 600)),
            marker + rnd.randbytes(rnd.randrange(1, 40)),
            marker + isakmp(5, 1, rnd.randbytes(rnd.choice([8, 40, 64]))),   # encrypted info
            marker + isakmp(32, 1, rnd.randbytes(rnd.choice([16, 80]))),     # encrypted quick
            marker + isakmp(2, 1, rnd.randbytes(48)),                        # encrypted main
            marker + isakmp(5, 0, rnd.randbytes(30), length=rnd.randrange(0, 5000)),
            marker + isakmp(2, 0, rnd.randbytes(60), ic=rnd.randbytes(8), rc=bytes(8)),
            marker + isakmp(rnd.randrange(256), rnd.randrange(256), rnd.randbytes(20)),
        ]
        if port == 4500:
            datagrams += [b"\xff", struct.pack(">II", spi, i + 1) + rnd.randbytes(64),
                          struct.pack(">II", rnd.getrandbits(32) | 256, 1) + rnd.randbytes(48)]
        for d in datagrams:
            s.sendto(d, (target, port)); sent += 1
print("SENT", sent, flush=True)
"""


def send_garbage(lab: SeedLab, role: str, status: dict[str, Any], seed: int, workdir: Path) -> None:
    (ike,) = [row for row in status["isakmp"] if row["status"] == "ACTIVE"]
    (pair,) = status["ipsec"]
    argv = [sys.executable, "-c", GARBAGE, VPN2611.outside_ip, ike["icookie"], ike["rcookie"]]
    argv += [str(pair["inbound_spi"]), str(seed)]
    out = lab.topology.exec(lab[role], argv, timeout=60).stdout
    assert out.startswith("SENT")


def test_garbage_at_500_and_4500_changes_nothing(
    topology: Topology, seed_lab: SeedLab, strongswan: Any
) -> None:
    ours, peer, _ = setup(topology, seed_lab, strongswan)
    peer.initiate("l2l", timeout=20)
    (pair,) = ours.wait_ipsec()
    assert seed_lab.ping("host1", VPN3640.host_addr, count=3, deadline=10)
    before = ours.status()

    # from the Internet, and from the peer's own address (other ports)
    send_garbage(seed_lab, "inet", before, 1, topology.workdir)
    send_garbage(seed_lab, "vpn3640", before, 2, topology.workdir)

    assert seed_lab.ping("host1", VPN3640.host_addr, count=5, deadline=10)
    assert seed_lab.ping("host2", VPN2611.host_addr, count=5, deadline=10)
    tcp_transfer(seed_lab, "host1", "host2", VPN3640.host_addr, size=1024 * 1024, seed=3)
    after = ours.status()
    assert [r["conn_id"] for r in after["isakmp"]] == [r["conn_id"] for r in before["isakmp"]]
    (ike_after,) = after["isakmp"]
    (ike_before,) = before["isakmp"]
    for key in ("state", "icookie", "rcookie", "status", "peer_port"):
        assert ike_after[key] == ike_before[key]
    (pair_after,) = after["ipsec"]
    assert (pair_after["inbound_spi"], pair_after["outbound_spi"]) == (
        pair["inbound_spi"],
        pair["outbound_spi"],
    )
    counters = after["engine_counters"]
    assert counters.get("malformed", 0) + counters.get("no_sa", 0) >= 100
    drops = pair_after["inbound_counters"]["drops"]
    assert sum(drops.values()) >= 100  # the forged ESP with our SPI failed its ICV
    assert after["dataplane"]["drops"].get("UNKNOWN_SPI", 0) >= 100
    (sa,) = peer.list_sas()
    assert sa.state == "ESTABLISHED" and spis_match(pair_after, sa)
    assert sa.children[0].packets_in >= 10
