"""What ``vpnrouter lab up`` prints at the end: the seed document's verification section.

For each router, the three commands the seed's "確認" (verification) section runs, in the
seed's own words (``show crypto isakmp sa``, ``show crypto ipsec sa``, ``show crypto engine
connection active``), through the router's exec shell at the privileged level, each after a
line saying what to look at. When strongSwan plays vpn3640, its ``swanctl --list-sas``
stands in. When traffic failed, ``show crypto isakmp diagnose`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vpnrouter.cli.shell.grammar import ENABLE
from vpnrouter.cli.shell.session import BackendError, Session
from vpnrouter.cli.shell_cmd import SocketBackend
from vpnrouter.lab.cli_peers import swanctl_list_sas
from vpnrouter.lab.cli_state import LabState, RouterRecord
from vpnrouter.lab.seed import PC_ADDR, VPN2611, VPN3640

Write = Callable[[str], object]

SEED_COMMANDS = (
    "show crypto isakmp sa",
    "show crypto ipsec sa",
    "show crypto engine connection active",
)


def explanations(router: str, client: bool) -> dict[str, str]:
    """One line per command: what to look at on this router."""
    other = VPN3640 if router == "vpn2611" else VPN2611
    peers = f"{other.name} ({other.outside_ip})"
    if router == "vpn2611" and client:
        peers += f" and the VPN client ({PC_ADDR})"
    return {
        SEED_COMMANDS[0]: f"phase 1: one QM_IDLE row per peer, {peers}: authenticated, ready"
        " for quick mode.",
        SEED_COMMANDS[1]: "phase 2: one block per protected traffic; #pkts encaps/decaps grow"
        f" with the pings, and the inbound spi is {other.name}'s outbound spi.",
        SEED_COMMANDS[2]: "the crypto engine: one row per SA (phase 1, then each ESP SA) with"
        " its algorithms; Encrypt/Decrypt count the packets each SA handled.",
    }


def session_for(record: RouterRecord) -> Session:
    return Session(SocketBackend(Path(record.socket)), privilege=ENABLE)


def run_commands(session: Session, commands: tuple[str, ...], write: Write) -> None:
    for command in commands:
        write(f"{session.prompt}{command}\n")
        write(session.execute(command).text)


def verification(state: LabState, write: Write) -> int:
    """The seed's verification section on both routers; how many commands ran."""
    client, count = state.client != "none", 0
    for name in ("vpn2611", "vpn3640"):
        record = state.routers.get(name)
        if record is None:
            continue
        write(f"\n==== {name} ({_played_by(record)})\n")
        if record.kind == "strongswan":
            write("-- strongSwan's view of the same tunnel: the IKE SA ESTABLISHED, the CHILD SA"
                  " INSTALLED with the SPIs vpn2611 shows swapped.\n")  # fmt: skip
            write(f"{name}$ swanctl --list-sas\n{swanctl_list_sas(record)}")
            count += 1
            continue
        try:
            session = session_for(record)
            for command, what in explanations(name, client).items():
                write(f"-- {what}\n")
                run_commands(session, (command,), write)
                count += 1
        except BackendError as exc:
            write(f"% {exc}\n")
    return count


def diagnoses(state: LabState, write: Write) -> None:
    """``show crypto isakmp diagnose`` on the routers we run (after a failed step)."""
    for name, record in state.routers.items():
        if record.kind != "vpnrouter":
            continue
        write(f"\n==== {name}: why\n")
        try:
            run_commands(session_for(record), ("show crypto isakmp diagnose",), write)
        except BackendError as exc:
            write(f"% {exc}\n")


def _played_by(record: RouterRecord) -> str:
    if record.kind == "strongswan":
        return "strongSwan"
    return f"vpnrouter, {Path(record.config).name}"
