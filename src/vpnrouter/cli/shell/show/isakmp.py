"""``show crypto isakmp sa [detail]`` and ``show crypto isakmp policy``.

12.2 (the seed): ``dst src state conn-id slot``; 12.4 adds ``status``; 15.x prints the
``IPv4 Crypto ISAKMP SA`` / ``IPv6 Crypto ISAKMP SA`` tables with ``conn-id status``. The
policy list comes from the running configuration (the router does not need to send it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vpnrouter.cli.shell.show.common import (
    Dialect,
    ShowResult,
    auth_short,
    config_of,
    hms,
    ike_encr_short,
    ike_hash_short,
    lines_text,
)
from vpnrouter.cli.shell.snapshot import IkeSa, Snapshot, to_jsonable
from vpnrouter.config import IsakmpPolicy

CODES_LEGACY = [
    "Codes: C - IKE configuration mode, D - Dead Peer Detection",
    "       K - Keepalives, N - NAT-traversal",
    "       X - IKE Extended Authentication",
    "       psk - Preshared key, rsig - RSA signature",
    "       renc - RSA encryption",
]
CODES = [
    "Codes: C - IKE configuration mode, D - Dead Peer Detection",
    "       K - Keepalives, N - NAT-traversal",
    "       T - cTCP encapsulation, X - IKE Extended Authentication",
    "       psk - Preshared key, rsig - RSA signature",
    "       renc - RSA encryption",
]


def status_text(sa: IkeSa) -> str:
    """IOS 15 prints an SA kept after its deletion as ``ACTIVE (deleted)``."""
    return "ACTIVE" if sa.status == "ACTIVE" else "ACTIVE (deleted)"


def state_text(sa: IkeSa) -> str:
    """IOS moves a deleted SA to MM_NO_STATE while it is still listed: a client that renewed
    its phase 1 shows one QM_IDLE SA, not two."""
    return "MM_NO_STATE" if sa.status == "DELETED" else sa.state


def _sorted(snap: Snapshot) -> list[IkeSa]:
    return sorted(snap.ike_sas, key=lambda sa: sa.conn_id)


def _sa_table(snap: Snapshot, dialect: Dialect) -> list[str]:
    if dialect.legacy:
        status = " status" if dialect.isakmp_status else ""
        lines = [f"{'dst':<15} {'src':<15} {'state':<14} {'conn-id':>7} {'slot':>4}{status}"]
        for sa in _sorted(snap):
            tail = f" {sa.status}" if dialect.isakmp_status else ""
            lines.append(
                f"{sa.dst:<15} {sa.src:<15} {state_text(sa):<14} {sa.conn_id:>7} {sa.slot:>4}{tail}"
            )
        return lines
    lines = [
        "IPv4 Crypto ISAKMP SA",
        f"{'dst':<15} {'src':<15} {'state':<14} {'conn-id':>7} status",
    ]
    for sa in _sorted(snap):
        lines.append(
            f"{sa.dst:<15} {sa.src:<15} {state_text(sa):<14} {sa.conn_id:>7} {status_text(sa)}"
        )
    return [*lines, "", "IPv6 Crypto ISAKMP SA", ""]


def _detail(snap: Snapshot, dialect: Dialect) -> list[str]:
    if dialect.legacy:
        lines = [
            *CODES_LEGACY,
            "",
            f"{'C-id':<5} {'Local':<15} {'Remote':<15} {'I-VRF':<8} Encr Hash Auth DH Lifetime"
            " Capabilities",
        ]
        for sa in _sorted(snap):
            row = (
                f"{sa.conn_id:<5} {sa.local:<15} {sa.peer:<15} {sa.vrf:<8}"
                f" {ike_encr_short(sa.encryption, sa.key_length):<4}"
                f" {ike_hash_short(sa.hash):<4} {auth_short(sa.auth):<4}"
                f" {sa.group or '':<2} {hms(sa.remaining):<8} {''.join(sa.capabilities)}"
            )
            lines.append(row.rstrip())
        return lines
    lines = [
        *CODES,
        "IPv4 Crypto ISAKMP SA",
        "",
        f"{'C-id':<4}  {'Local':<15} {'Remote':<15} {'I-VRF':<6} Status Encr Hash   Auth DH"
        " Lifetime Cap.",
        "",
    ]
    for sa in _sorted(snap):
        row = (
            f"{sa.conn_id:<4}  {sa.local:<15} {sa.peer:<15} {sa.vrf:<6}"
            f" {status_text(sa):<6} {ike_encr_short(sa.encryption, sa.key_length):<4}"
            f" {ike_hash_short(sa.hash):<6} {auth_short(sa.auth):<4} {sa.group or '':<2}"
            f" {hms(sa.remaining):<8} {''.join(sa.capabilities)}"
        )
        lines += [row.rstrip(), f"       Engine-id:Conn-id =  SW:{sa.engine_id or sa.conn_id}", ""]
    return [*lines, "IPv6 Crypto ISAKMP SA", ""]


def show_isakmp_sa(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    lines = _detail(snap, dialect) if "detail" in values else _sa_table(snap, dialect)
    data = {"isakmp_sa": [to_jsonable(sa) for sa in _sorted(snap)]}
    return ShowResult(lines_text(lines), data)


# -- show crypto isakmp policy ----------------------------------------------------------------
_ENCRYPTION = {
    1: "DES - Data Encryption Standard (56 bit keys).",
    5: "Three key triple DES",
}
_HASH = {
    1: "Message Digest 5",
    2: "Secure Hash Standard",
    4: "Secure Hash Standard 2 (256 bit)",
    5: "Secure Hash Standard 2 (384 bit)",
    6: "Secure Hash Standard 2 (512 bit)",
}
_AUTH = {1: "Pre-Shared Key", 3: "Rivest-Shamir-Adleman Signature"}
_GROUP = {
    1: "#1 (768 bit)",
    2: "#2 (1024 bit)",
    5: "#5 (1536 bit)",
    14: "#14 (2048 bit)",
    15: "#15 (3072 bit)",
    16: "#16 (4096 bit)",
    19: "#19 (256 bit ecp)",
    20: "#20 (384 bit ecp)",
}
DEFAULT_POLICY = IsakmpPolicy(priority=65535)


def _encryption(policy: IsakmpPolicy) -> str:
    if policy.encryption == 7:
        return f"AES - Advanced Encryption Standard ({policy.key_length or 128} bit keys)."
    return _ENCRYPTION.get(policy.encryption, str(policy.encryption))


def _suite(policy: IsakmpPolicy) -> list[str]:
    pad = " " * 8
    return [
        f"{pad}{'encryption algorithm:':<24}{_encryption(policy)}",
        f"{pad}{'hash algorithm:':<24}{_HASH.get(policy.hash, str(policy.hash))}",
        f"{pad}{'authentication method:':<24}"
        f"{_AUTH.get(policy.authentication, str(policy.authentication))}",
        f"{pad}{'Diffie-Hellman group:':<24}{_GROUP.get(policy.group, f'#{policy.group}')}",
        f"{pad}{'lifetime:':<24}{policy.lifetime} seconds, no volume limit",
    ]


def _policy_json(policy: IsakmpPolicy) -> dict[str, Any]:
    return {
        "priority": policy.priority,
        "encryption": policy.encryption,
        "key_length": policy.key_length,
        "hash": policy.hash,
        "authentication": policy.authentication,
        "group": policy.group,
        "lifetime": policy.lifetime,
    }


def show_isakmp_policy(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    policies = config_of(snap).isakmp_policies
    lines = [] if dialect.legacy else ["Global IKE policy"]
    for policy in policies:
        lines += [f"Protection suite of priority {policy.priority}", *_suite(policy)]
    lines += ["Default protection suite", *_suite(DEFAULT_POLICY)]
    data = {
        "policies": [_policy_json(p) for p in policies],
        "default": {k: v for k, v in _policy_json(DEFAULT_POLICY).items() if k != "priority"},
    }
    return ShowResult(lines_text(lines), data)
