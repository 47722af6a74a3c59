"""What ``vpnclient connect`` tells its user: the Cisco VPN Client's status lines and
"Reason NNN" texts, each followed by a line in plain words saying what to check.

The status lines are the Windows client's (its status bar and connection dialog); the
"VPN tunnel information." block and the disconnect lines are the Linux client's. Reason
codes are only used where the Cisco client has one that means the same thing.
"""

from __future__ import annotations

from typing import Final

INITIALIZING: Final = "Initializing the connection..."
AUTHENTICATING: Final = "Authenticating user..."
REAUTHENTICATING: Final = "Re-authenticating user..."
NEGOTIATING: Final = "Negotiating security profiles..."
SECURE: Final = "Your link is now secure."
USER_RETRY: Final = "User authentication failed. Enter the user name and password again."
DISCONNECTING: Final = "Disconnecting the VPN connection."
NOT_CONNECTED: Final = "Not connected."
CANCELLED: Final = "Connection cancelled by the user before the link was secure."

TERMINATED_LOCALLY: Final = "Secure VPN Connection terminated locally by the Client."
TERMINATED_BY_PEER: Final = "Secure VPN Connection terminated by Peer."
REASON_UNREACHABLE: Final = "Reason 403: Unable to contact the security gateway."
REASON_NOT_RESPONDING: Final = "Reason 412: The remote peer is no longer responding."
REASON_USER_AUTH: Final = "Reason 413: User authentication failed."
REASON_UNSPECIFIED: Final = "Reason 433: Reason Not Specified by Peer."
REASON_ADAPTER: Final = "Reason 442: Failed to enable Virtual Adapter."


def contacting(gateway: str) -> str:
    return f"Contacting the security gateway at {gateway}..."


def unreachable(gateway: str, sends: int, seconds: float, entry: str) -> list[str]:
    return [
        TERMINATED_LOCALLY,
        REASON_UNREACHABLE,
        f"No answer from {gateway} (UDP 500) to {sends} transmissions in {seconds:g} seconds:"
        f" check the Host of connection entry '{entry}' and that the gateway can be reached.",
    ]


def trying_backup(gateway: str, sends: int, seconds: float, backup: str) -> str:
    return (
        f"No answer from {gateway} (UDP 500) to {sends} transmissions in {seconds:g} seconds:"
        f" trying the backup server {backup}."
    )


def group_key_wrong(group: str) -> list[str]:
    return [
        TERMINATED_LOCALLY,
        f"The group password of group '{group}' is wrong: the gateway's answer does not"
        " verify with it (or the group name is not the gateway's).",
    ]


def group_unknown(group: str, gateway: str) -> list[str]:
    return [
        TERMINATED_BY_PEER,
        f"The gateway {gateway} does not know the group '{group}' (INVALID-ID-INFORMATION):"
        " check the group name.",
    ]


def no_proposal(gateway: str, dh_group: int) -> list[str]:
    return [
        TERMINATED_BY_PEER,
        f"The gateway {gateway} accepted none of the client's proposals"
        f" (NO-PROPOSAL-CHOSEN; Diffie-Hellman group {dh_group}).",
    ]


def user_refused(username: str) -> list[str]:
    return [
        TERMINATED_BY_PEER,
        REASON_USER_AUTH,
        f"The gateway refused the login of '{username}' and ended the connection.",
    ]


def phase1_failed(gateway: str, reason: str) -> list[str]:
    return [TERMINATED_LOCALLY, f"The security association with {gateway} failed: {reason}."]


def phase2_failed(gateway: str, reason: str) -> list[str]:
    return [
        TERMINATED_LOCALLY,
        f"Negotiating security profiles with {gateway} failed: {reason}.",
    ]


def no_address(gateway: str) -> list[str]:
    return [
        TERMINATED_BY_PEER,
        f"The gateway {gateway} assigned no address to this client (its address pool may"
        " be exhausted).",
    ]


def peer_gone(gateway: str) -> list[str]:
    return [
        TERMINATED_LOCALLY,
        REASON_NOT_RESPONDING,
        f"{gateway} stopped answering dead peer detection.",
    ]


def peer_deleted(reason: str) -> list[str]:
    return [TERMINATED_BY_PEER, REASON_UNSPECIFIED, f"The gateway ended the connection ({reason})."]


def sas_gone(reason: str) -> list[str]:
    return [TERMINATED_BY_PEER, f"The IPsec security associations are gone ({reason})."]


def adapter_failed(detail: str) -> list[str]:
    return [TERMINATED_LOCALLY, REASON_ADAPTER, detail]
