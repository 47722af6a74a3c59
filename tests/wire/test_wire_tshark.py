"""Cross-check with an independent dissector: Wireshark's ISAKMP dissector (tshark) must read
what we encode without a malformed-packet or error mark, and see the same values.

tshark is installed by scripts/install.sh; without it this test fails rather than skips.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

from wire_samples import SAMPLES

from vpnrouter.wire import Header, Payload, encode_message
from vpnrouter.wire.constants import ExchangeType

LINKTYPE_RAW = 101  # pcap: packets start with the IPv4 header


def _pcap(messages: list[bytes]) -> bytes:
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_RAW))
    for index, message in enumerate(messages):
        udp = struct.pack("!HHHH", 500, 500, 8 + len(message), 0) + message
        ip = struct.pack(
            "!BBHHHBBH4s4s",
            0x45, 0, 20 + len(udp), index, 0, 64, 17, 0,
            bytes([172, 18, 124, 199]), bytes([172, 18, 124, 159]),
        )  # fmt: skip
        packet = ip + udp
        out += struct.pack("<IIII", index, 0, len(packet), len(packet)) + packet
    return bytes(out)


def _message(exchange: int, payloads: list[Payload], message_id: int = 0) -> bytes:
    header = Header(b"\x01" * 8, b"\x02" * 8, exchange, message_id=message_id)
    return encode_message(header, payloads)


def test_tshark_dissects_our_messages(tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    assert tshark is not None, "tshark is missing: run scripts/install.sh"
    s = SAMPLES
    messages = [
        _message(ExchangeType.MAIN, [s["sa_main"], s["vid"]]),
        _message(
            ExchangeType.AGGRESSIVE,
            [s["sa_main"], s["ke"], s["nonce"], s["id_fqdn_udp500"], s["nat_d"], s["hash"]],
        ),
        _message(ExchangeType.TRANSACTION, [s["hash"], s["attr_reply"]], 5),
        _message(
            ExchangeType.INFORMATIONAL,
            [s["hash"], s["notify_dpd"], s["delete_esp"], s["delete_isakmp"]],
            6,
        ),
        _message(
            ExchangeType.QUICK,
            [s["hash"], s["sa_quick"], s["nonce"], s["id_subnet"], s["id_subnet"], s["nat_oa"]],
            7,
        ),
        _message(
            ExchangeType.MAIN,
            [s["cert"], s["cr_empty"], s["sig"], s["nat_d_draft"], s["nat_oa_draft_v6"]],
        ),
    ]
    path = tmp_path / "ours.pcap"
    path.write_bytes(_pcap(messages))
    result = subprocess.run(
        [tshark, "-n", "-r", str(path), "-V"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.count("Internet Security Association and Key Management Protocol") == 6
    for bad in ("Malformed", "Expert Info (Error", "Expert Info (Warning"):
        assert bad not in text
    for expected in (
        "Life-Duration: 86400",
        "RFC 3706 DPD (Dead Peer Detection)",
        "INTERNAL IP4 ADDRESS: 14.1.1.100",
        "Notify Message Type: R-U-THERE (36136)",
        "Delete SPI: 22222222",
        "SA-Life-Duration: 3600",
        "NAT Original IPv4 Address: 192.168.1.10",
        "Payload: NAT-D (RFC 3947) (20)",
        "Payload: NAT-D (draft-ietf-ipsec-nat-t-ike-01 to 03) (130)",
    ):
        assert expected in text, expected
