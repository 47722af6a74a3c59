"""The exec shell against live routers in the namespace lab (both run the seed configurations
unless a test breaks one on purpose): what ``show`` prints agrees with what crossed the
wire (the echo requests the initiating router dropped while IKE started are its ``#send
errors``, counted again from 0 after a clear), ``clear crypto sa`` tears the tunnel down
and the next interesting packet brings it back, ``debug crypto isakmp`` with ``terminal
monitor`` shows a fresh negotiation as it happens, and ``show crypto isakmp diagnose``
explains a broken peer configuration.

The shell is driven the way an operator drives it: ``vpnrouter exec SOCKET COMMAND...``
(``--json`` for the numbers), and an exec session over the control socket for the monitor.
Every wait is bounded and polls; nothing asserts on durations.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from _l2l_helpers import VPN2611_CFG, VPN3640_CFG, RouterProc, shell, start_router, wait_until

from vpnrouter.cli.shell.grammar import ENABLE
from vpnrouter.cli.shell.interactive import Monitor
from vpnrouter.cli.shell.session import Session
from vpnrouter.cli.shell_cmd import SocketBackend
from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import HOST_IF, OUTSIDE, VPN2611, VPN3640, SeedLab

pytestmark = pytest.mark.netns

H1, H2 = VPN2611.host_addr, VPN3640.host_addr
P2611, P3640 = VPN2611.outside_ip, VPN3640.outside_ip


def flows(router: RouterProc) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(shell(router, "show crypto ipsec sa", as_json=True))[
        "ipsec_sa"
    ]
    return found


def active_isakmp(router: RouterProc) -> list[dict[str, Any]]:
    rows = json.loads(shell(router, "show crypto isakmp sa", as_json=True))["isakmp_sa"]
    return [row for row in rows if row["status"] == "ACTIVE"]


def flow(router: RouterProc) -> dict[str, Any]:
    (only,) = flows(router)
    return only


def lan_taps(lab: SeedLab, capture: Any, name: str) -> tuple[Any, Any]:
    """tshark (ICMP) on host1's and host2's LAN links."""
    host1 = capture(lab.ns["host1"], HOST_IF, name=f"{name}-host1", capture_filter="icmp")
    host2 = capture(lab.ns["host2"], HOST_IF, name=f"{name}-host2", capture_filter="icmp")
    return host1, host2


def dropped_echoes(taps: tuple[Any, Any]) -> tuple[int, int]:
    """Stop both LAN captures: (echo requests host1 -> host2 that never reached host2's
    LAN, echo replies host2 -> host1 that never reached host1's), i.e. what vpn2611 and
    vpn3640 dropped (nothing else is lost: the outside segment is a bridge)."""
    seen = []
    for tap in taps:
        tap.stop()
        seen.append(Counter((p.src, p.dst, p.icmp_type) for p in tap.packets()))
    at_host1, at_host2 = seen
    requests, replies = (H1, H2, 8), (H2, H1, 0)
    return at_host1[requests] - at_host2[requests], at_host2[replies] - at_host1[replies]


def test_counters_agree_with_tshark_then_clear_and_debug(
    topology: Topology, seed_factory: Any, capture: Any
) -> None:
    lab: SeedLab = seed_factory(with_clients=False)
    r2611 = start_router(topology, lab.vpn2611, VPN2611_CFG, name="vpn2611", debug="")
    r3640 = start_router(topology, lab.vpn3640, VPN3640_CFG, name="vpn3640", debug="")
    tap = capture(lab, OUTSIDE, name="live")
    lans = lan_taps(lab, capture, "first")
    assert lab.ping("host1", H2, count=20, deadline=30)
    assert lab.ping("host2", H1, count=10, deadline=15)
    tap.stop()
    requests_dropped, replies_dropped = dropped_echoes(lans)

    a, b = flow(r2611), flow(r3640)
    ca, cb = a["counters"], b["counters"]
    # each side's encapsulations are the other's decapsulations, all verified
    assert ca["encaps"] == cb["decaps"] == cb["verify"] >= 30
    assert cb["encaps"] == ca["decaps"] == ca["verify"] >= 30
    assert ca["recv_errors"] == cb["recv_errors"] == 0
    # IOS: what the first pings lost while IKE started are the send errors of the flow:
    # vpn2611 (initiator) dropped echo requests, vpn3640 echo replies until QM3 came
    assert requests_dropped >= 1
    assert ca["send_errors"] == requests_dropped and cb["send_errors"] == replies_dropped
    out_a, out_b = a["outbound"][-1]["spi"], b["outbound"][-1]["spi"]
    assert out_a == b["inbound"][-1]["spi"] and out_b == a["inbound"][-1]["spi"]
    # ... and the packets tshark saw on the outside segment, SPI by SPI
    esp = Counter(p.esp_spi for p in tap.packets() if p.kind == "esp")
    assert esp == Counter({out_a: ca["encaps"], out_b: cb["encaps"]}), (esp, ca, cb)
    text = shell(r2611, "show crypto ipsec sa")
    n = ca["encaps"]
    assert f"#pkts encaps: {n}, #pkts encrypt: {n}, #pkts digest {n}" in text
    assert f"current outbound spi: {out_a:X}" in text
    engine = json.loads(shell(r2611, "show crypto engine connection active", as_json=True))
    rows = {row["id"]: row for row in engine["connections"]}
    assert rows[a["outbound"][-1]["conn_id"]]["encrypt"] == n
    assert rows[a["inbound"][-1]["conn_id"]]["decrypt"] == ca["decaps"]

    # clear crypto sa: both sides lose the pair (Delete), phase 1 stays; traffic brings it back
    assert shell(r2611, "clear crypto sa") == ""
    wait_until("IPsec SAs gone on both routers", lambda: not flows(r2611) and not flows(r3640))
    assert [row["state"] for row in active_isakmp(r3640)] == ["QM_IDLE"]
    lans = lan_taps(lab, capture, "again")
    assert lab.ping("host1", H2, count=3, deadline=20)
    requests_dropped_again, _ = dropped_echoes(lans)
    again = flow(r2611)
    assert again["outbound"][-1]["spi"] != out_a and again["counters"]["encaps"] >= 3
    # the send errors started again from 0 at the clear: only this ping's losses count,
    # while the data plane's own figure keeps growing
    assert again["counters"]["send_errors"] == requests_dropped_again >= 1
    acquire_drops = r2611.status()["dataplane"]["acquire_drops"]["clientmap 1"]
    assert acquire_drops == requests_dropped + requests_dropped_again
    assert flow(r3640)["inbound"][-1]["spi"] == again["outbound"][-1]["spi"]

    # debug crypto isakmp + terminal monitor: a fresh main mode, line by line
    session = Session(SocketBackend(r2611.socket), privilege=ENABLE)
    seen: list[str] = []
    assert session.run_command("debug crypto isakmp") == "Crypto ISAKMP debugging is on\n"
    assert "Crypto ISAKMP debugging is on" in session.run_command("show debugging")
    session.run_command("terminal monitor")
    Monitor(session, seen.append).ensure_started()
    shell(r2611, "clear crypto sa", "clear crypto isakmp")
    wait_until("phase 1 deleted on vpn3640", lambda: not active_isakmp(r3640))
    assert lab.ping("host1", H2, count=3, deadline=20)
    expected = (
        "beginning Main Mode exchange",
        "Checking ISAKMP transform against priority 10 policy",
        f"SA has been authenticated with {P3640}",
        "beginning Quick Mode exchange",
    )
    wait_until("the exchange on the monitor",
               lambda: all(any(e in line for line in seen) for e in expected))  # fmt: skip
    assert not any("IPSEC(create_sa)" in line for line in seen)  # ipsec debugging is off
    assert session.run_command("undebug all") == "All possible debugging has been turned off\n"
    session.run_command("terminal no monitor")
    assert "debugging is on" not in session.run_command("show debugging")
    assert r2611.stop() == 0 and r3640.stop() == 0


def test_broken_peer_configs_are_diagnosed(topology: Topology, seed_factory: Any) -> None:
    """vpn3640 deliberately broken, vpn2611 on the seed: the issue's own example (the peer
    offers AES-256/SHA/group 14), then a pre-shared key that differs."""
    lab: SeedLab = seed_factory(with_clients=False)
    seed_3640 = VPN3640_CFG.read_text()
    r2611 = start_router(topology, lab.vpn2611, VPN2611_CFG, name="vpn2611", debug="")
    aes = broken(topology, "aes", seed_3640, "hash md5\n", "encr aes 256\ngroup 14\n")
    r3640 = start_router(topology, lab.vpn3640, aes, name="vpn3640", debug="")
    assert not lab.ping("host2", H1, count=1, deadline=3)  # vpn3640 starts main mode

    def ours() -> str:
        return shell(r2611, f"show crypto isakmp diagnose {P3640}")

    wait_until("vpn2611's diagnosis", lambda: "FAILED" in ours())
    headline, *lines = ours().splitlines()
    assert re.fullmatch(
        rf"Peer {P3640}: phase 1 FAILED in MM_NO_STATE, conn-id \d+, \d\d:\d\d:\d\d ago", headline
    )
    assert lines == [
        "  Peer 172.18.124.199 offered AES-256/SHA/group 14; our policies 3 and 10 allow"
        " 3DES/SHA/group 2 and DES/MD5/group 1 — no match.",
        "  Configuration lines involved (vpn2611.cfg):",
        "    51  crypto isakmp policy 3",
        "    61  crypto isakmp policy 10",
    ]
    # show crypto isakmp sa keeps the failed peer in its last state
    assert f"{P2611}  {P3640}  MM_NO_STATE" in shell(r2611, "show crypto isakmp sa")
    theirs = shell(r3640, f"show crypto isakmp diagnose {P2611}")
    assert (
        "Peer 172.18.124.159 refused all of our ISAKMP proposals (NO_PROPOSAL_CHOSEN): we"
        " offered policy 10 (AES-256/SHA/pre-share/group 14) and it accepts none of them" in theirs
    )
    assert "    22  crypto isakmp policy 10" in theirs
    assert r3640.stop() == 0

    key = broken(topology, "key", seed_3640, "key cisco123 address", "key cisco999 address")
    r3640 = start_router(topology, lab.vpn3640, key, name="vpn3640", debug="")
    assert not lab.ping("host2", H1, count=1, deadline=3)
    wait_until("key mismatch diagnosed", lambda: "pre-shared key differs" in ours())
    text = ours()
    assert "during authentication: main mode message did not decrypt" in text
    assert "The pre-shared key differs on the two sides" in text
    assert "    70  crypto isakmp key ***** address 172.18.124.199 no-xauth" in text
    assert "cisco123" not in text
    assert r2611.stop() == 0 and r3640.stop() == 0


def broken(topology: Topology, name: str, text: str, old: str, new: str) -> Path:
    assert old in text
    path = topology.workdir / f"vpn3640-{name}.cfg"
    path.write_text(text.replace(old, new, 1))
    return path
