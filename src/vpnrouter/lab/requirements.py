"""What the lab needs from the machine, and which Debian package provides it.

`problems()` returns one human-readable line per missing piece (empty when all is there);
the network tests fail with these lines instead of skipping, and ``vpnrouter lab`` can print
them. ``scripts/install.sh`` installs every package named here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from vpnrouter.lab.strongswan_conf import CHARON, PLUGIN_DIR

# command -> Debian package
COMMANDS: dict[str, str] = {
    "ip": "iproute2",
    "sysctl": "procps",
    "ping": "iputils-ping",
    "nft": "nftables",
    "tshark": "tshark",
    "dumpcap": "wireshark-common (pulled in by tshark)",
    "iperf3": "iperf3",
    "swanctl": "strongswan-swanctl",
}
# file -> Debian package
FILES: dict[Path, str] = {
    CHARON: "strongswan-charon",
    PLUGIN_DIR / "libstrongswan-kernel-libipsec.so": "libcharon-extra-plugins",
    PLUGIN_DIR / "libstrongswan-vici.so": "strongswan-swanctl / libstrongswan",
    PLUGIN_DIR / "libstrongswan-xauth-generic.so": "libcharon-extra-plugins",
    Path("/dev/net/tun"): "the kernel's TUN driver (/dev/net/tun)",
}


def problems(*, need_root: bool = True) -> list[str]:
    """What is missing for the lab, one line each; empty if nothing is."""
    found: list[str] = []
    if need_root and os.geteuid() != 0:
        found.append("not running as root: network namespaces, veth and TUN need root")
    for command, package in COMMANDS.items():
        if shutil.which(command) is None:
            found.append(f"command {command!r} not found (Debian package {package})")
    for path, package in FILES.items():
        if not path.exists():
            found.append(f"{path} not found ({package})")
    return found
