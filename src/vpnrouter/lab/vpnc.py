"""vpnc (the Debian package, the open-source Cisco VPN Client) as a lab client: its
configuration file, the wrapper it runs as its ``Script`` and what that wrapper records.

The wrapper records every variable vpnc hands its script (the Mode Config result:
``INTERNAL_IP4_ADDRESS``, ``INTERNAL_IP4_DNS``, ``CISCO_DEF_DOMAIN`` ...) in a log, one block
per call, drops the DNS ones so that no resolv.conf is rewritten, then runs Debian's own
vpnc-script, which sets up the TUN device and the routes in the client's namespace. vpnc-script
keeps its state under /var/run/vpnc, so vpnc runs with a run directory of its own bind-mounted
over /run (``ip netns exec`` makes the mount private). Used by ``vpnrouter lab --client vpnc``
and the remote-access e2e tests.
"""

from __future__ import annotations

from pathlib import Path

VPNC = Path("/usr/sbin/vpnc")
VPNC_SCRIPT = Path("/usr/share/vpnc-scripts/vpnc-script")

# the wrapper vpnc runs as its Script; {log} and {script} are filled in per client
WRAPPER = """#!/bin/sh
# What vpnc hands its script (the gateway's Mode Config answer), one block per call.
{{ echo "=== reason=$reason"
  env | grep -E '^(reason|VPNGATEWAY|TUNDEV|INTERNAL_IP4_|INTERNAL_IP6_|CISCO_)' | sort
}} >> '{log}'
# Keep resolv.conf as it is (the namespace shares /etc with the host, or bind-mounts its own).
unset INTERNAL_IP4_DNS INTERNAL_IP6_DNS CISCO_DEF_DOMAIN
# vpnc-script keeps the replaced default route in /var/run/vpnc/defaultroute.$VPNPID and
# guesses VPNPID from its parents, which differ between vpnc's calls: one name per client
# (its /run is its own) lets "disconnect" find what "connect" saved.
export VPNPID=client
'{script}' "$@"
status=$?
echo "=== done reason=$reason status=$status" >> '{log}'
exit $status
"""


def config_text(
    *,
    gateway: str,
    group: str,
    group_key: str,
    username: str,
    password: str,
    wrapper: Path,
    pidfile: Path,
    nat_mode: str = "natt",
    local_port: int = 0,
    tun: str = "tun0",
    interactive: bool = False,
) -> str:
    """vpnc.conf for a PSK group with XAuth (``interactive``: vpnc may ask again on stdin)."""
    lines = [
        f"IPSec gateway {gateway}",
        f"IPSec ID {group}",
        f"IPSec secret {group_key}",
        f"Xauth username {username}",
        f"Xauth password {password}",
        "IKE Authmode psk",
        "IKE DH Group dh2",
        "Perfect Forward Secrecy nopfs",
        # the seed's 3DES/MD5 are refused by vpnc 0.5.3 without these
        "Enable weak encryption",
        "Enable weak authentication",
        f"NAT Traversal Mode {nat_mode}",
        f"Local Port {local_port}",
        f"Interface name {tun}",
        "Interface mode tun",
        f"Script {wrapper}",
        f"Pidfile {pidfile}",
    ]
    if not interactive:
        lines.append("Noninteractive")
    return "\n".join(lines) + "\n"


def write_wrapper(wrapper: Path, env_log: Path) -> None:
    """The Script wrapper at ``wrapper``, recording into ``env_log`` (emptied)."""
    wrapper.write_text(WRAPPER.format(log=env_log, script=VPNC_SCRIPT))
    wrapper.chmod(0o755)
    env_log.write_text("")


def parse_script_log(text: str) -> list[dict[str, str]]:
    """The variable blocks the wrapper recorded, in order (``reason`` in each)."""
    blocks: list[dict[str, str]] = []
    for line in text.splitlines():
        if line.startswith("=== reason="):
            blocks.append({})
        elif line.startswith("=== "):
            continue
        elif blocks and "=" in line:
            key, _, value = line.partition("=")
            blocks[-1][key] = value
    return blocks


def connect_vars(text: str) -> dict[str, str] | None:
    """What vpnc gave its script for ``connect``, once the script has finished (else None)."""
    if "=== done reason=connect status=0" not in text:
        return None
    found = [b for b in parse_script_log(text) if b.get("reason") == "connect"]
    return found[-1] if found else None
