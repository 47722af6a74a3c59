"""Captures: every packet sent between `start()` and `stop()` is in the file, and packets are
sorted into the kinds the tunnel tests count; plus the parsers and generators the strongSwan
harness relies on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vpnrouter.lab.capture import Capture, Packet, summarize_packets
from vpnrouter.lab.seed import CLIENTS, VPN2611, VPN3640, SeedLab
from vpnrouter.lab.strongswan import (
    parse_list_sas,
    seed_l2l,
    seed_xauth_client,
    seed_xauth_server,
)
from vpnrouter.lab.strongswan_conf import render_strongswan_conf, render_swanctl_conf

CaptureFactory = Callable[..., Capture]


def test_capture_holds_everything_between_start_and_stop(
    seed_lab: SeedLab, capture: CaptureFactory
) -> None:
    for round_ in range(3):
        tap = capture(seed_lab, CLIENTS, name=f"round{round_}", capture_filter="icmp")
        assert seed_lab.ping("pc", VPN2611.outside_ip, count=3)
        tap.stop()
        assert tap.synced
        icmp = tap.packets()
        assert sorted(p.icmp_type for p in icmp) == [0, 0, 0, 8, 8, 8]
        assert all(p.kind == "icmp" for p in icmp)  # the marker frames are left out


def _pkt(protocols: str, src: str = "10.10.10.10", dst: str = "10.10.20.10") -> Packet:
    return Packet(1, 0.0, src, dst, tuple(protocols.split(":")), None, None, None, None)


def test_packet_kinds() -> None:
    cases = {
        "eth:ethertype:ip:udp:isakmp": "isakmp",
        "eth:ethertype:ip:udp:udpencap:isakmp": "isakmp",
        "eth:ethertype:ip:udp:udpencap:esp": "esp_udp",
        "eth:ethertype:ip:udp:udpencap": "natt_keepalive",
        "eth:ethertype:ip:esp": "esp",
        "eth:ethertype:ip:icmp:data": "icmp",
        # an ICMP error quoting an IKE packet is ICMP, not ISAKMP
        "eth:ethertype:ip:icmp:ip:udp:isakmp": "icmp",
        "eth:ethertype:ip:tcp": "tcp",
        "eth:ethertype:ip:udp:dns": "udp",
        "eth:ethertype:arp": "other",
    }
    for protocols, kind in cases.items():
        assert _pkt(protocols).kind == kind, protocols
    # seen in CI: IKE from a client whose port 500 the NAT mapped to 464 (tshark: kpasswd)
    remapped = Packet(
        1, 0.0, "172.18.124.159", "198.51.100.20", ("eth", "ethertype", "ip", "udp", "kpasswd"),
        500, 464, None, None,
    )  # fmt: skip
    assert remapped.kind == "isakmp"
    dns = Packet(1, 0.0, "10.10.10.10", "10.10.10.1", ("eth", "ethertype", "ip", "udp", "dns"),
                 40000, 53, None, None)  # fmt: skip
    assert dns.kind == "udp"
    summary = summarize_packets(
        [
            _pkt("eth:ethertype:ip:udp:isakmp", "172.18.124.199", "172.18.124.159"),
            _pkt("eth:ethertype:ip:udp:udpencap:esp", "172.18.124.199", "172.18.124.159"),
            _pkt("eth:ethertype:ip:icmp:data"),
            _pkt("eth:ethertype:ip:icmp:data", "10.10.10.10", "172.18.124.1"),
        ],
        between=("10.10.10.0/24", "10.10.20.0/24"),
    )
    assert (summary.isakmp, summary.esp_udp, summary.clear_icmp) == (1, 1, 2)
    assert summary.clear_between == 1
    assert not summary.only({"isakmp", "esp_udp"})
    assert summary.only({"isakmp", "esp_udp", "icmp"})


LIST_SAS = """\
list-sa event {
  l2l {
    uniqueid = 3
    state = ESTABLISHED
    local-host = 172.18.124.199
    local-port = 4500
    remote-host = 172.18.124.159
    remote-port = 4500
    remote-id = C=CH, O=strongSwan, CN=peer
    encr-alg = DES_CBC
    dh-group = MODP_768
    child-sas {
      l2l-7 {
        name = l2l
        state = INSTALLED
        encap = yes
        spi-in = c6d2a0f1
        spi-out = 0000beef
        local-ts = [
          10.10.20.0/24
          10.10.21.0/24
        ]
        remote-ts = [
          10.10.10.0/24
        ]
      }
    }
  }
}
list-sas reply {
}
"""


def test_parse_list_sas() -> None:
    (sa,) = parse_list_sas(LIST_SAS)
    assert (sa.name, sa.state, sa.local_port) == ("l2l", "ESTABLISHED", 4500)
    assert sa.dh_group == "MODP_768"
    assert sa.raw["remote-id"] == "C=CH, O=strongSwan, CN=peer"
    (child,) = sa.children
    assert (child.spi_in, child.spi_out) == (0xC6D2A0F1, 0xBEEF)
    assert child.local_ts == ("10.10.20.0/24", "10.10.21.0/24")
    assert child.remote_ts == ("10.10.10.0/24",)
    assert child.encap
    assert parse_list_sas("list-sas reply {\n}\n") == []


def test_swanctl_conf_for_the_seed_roles() -> None:
    text = render_swanctl_conf([seed_l2l(VPN2611, VPN3640), seed_xauth_server(VPN2611, name="ra")])
    assert "        proposals = des-md5-modp768\n" in text
    assert "                esp_proposals = 3des-md5\n" in text
    assert "        local_addrs = 172.18.124.159\n" in text
    assert "            id = keyid:3000client\n" in text
    assert "        addrs = 14.1.1.100-14.1.1.200\n" in text
    assert "        28674 = cisco.com\n" in text
    assert text.count("{") == text.count("}")
    client = render_swanctl_conf([seed_xauth_client(VPN2611)])
    assert "        vips = 0.0.0.0\n" in client
    assert "        aggressive = yes\n" in client
    assert "            xauth_id = cisco\n" in client
    # secrets with awkward characters are quoted
    odd = render_swanctl_conf([seed_l2l(VPN2611, VPN3640, psk='p w"d')])
    assert 'secret = "p w\\"d"' in odd
    conf = render_strongswan_conf(Path("/tmp/x/charon.vici"), Path("/tmp/x/charon.log"))
    load = next(line for line in conf.splitlines() if line.strip().startswith("load ="))
    plugins = load.split("=", 1)[1].split()
    assert plugins.index("kernel-libipsec") < plugins.index("kernel-netlink")
    assert "socket = unix:///tmp/x/charon.vici" in conf
