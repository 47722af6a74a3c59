"""``show crypto engine connections active``: one row per keyed connection.

IKE SAs keep their conn-id, each ESP SA has its own (IOS 12: from 2000 on). 12.x prints
``ID Interface IP-Address State Algorithm Encrypt Decrypt`` with the algorithm as
``HMAC_MD5+3DES_56_C`` (cut to 18 columns); 15.x prints ``ID Type Algorithm Encrypt Decrypt
LastSeqN IP-Address`` with IPsec rows ENC+HASH and IKE rows HASH+ENC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vpnrouter.cli.shell.show.common import (
    Dialect,
    ShowResult,
    engine_esp_algorithm,
    engine_ike_algorithm,
    lines_text,
)
from vpnrouter.cli.shell.snapshot import Snapshot, to_jsonable


@dataclass(frozen=True)
class Connection:
    id: int
    type: str  # IKE | IPsec
    interface: str  # "<none>" when the SA is bound to no interface
    address: str
    state: str
    algorithm: str
    encrypt: int
    decrypt: int
    last_seq: int


def connections(snap: Snapshot, dialect: Dialect) -> list[Connection]:
    legacy = dialect.legacy
    rows: list[Connection] = []
    for sa in snap.ike_sas:
        if sa.encryption is None or sa.status != "ACTIVE":
            continue  # no keys yet, or gone
        interface = sa.interface or "<none>"
        address = sa.local if sa.interface or not legacy else "<none>"
        algorithm = engine_ike_algorithm(sa.encryption, sa.key_length, sa.hash, legacy)
        rows.append(
            Connection(
                id=sa.conn_id,
                type="IKE",
                interface=interface,
                address=address,
                state="set",
                algorithm=algorithm,
                encrypt=sa.encrypt_count,
                decrypt=sa.decrypt_count,
                last_seq=0,
            )
        )
    for flow in snap.ipsec:
        for inbound, sas in ((True, flow.inbound), (False, flow.outbound)):
            for esp in sas:
                rows.append(
                    Connection(
                        id=esp.conn_id,
                        type="IPsec",
                        interface=flow.interface,
                        address=flow.local_address,
                        state="set",
                        algorithm=engine_esp_algorithm(esp, legacy),
                        encrypt=0 if inbound else esp.packets,
                        decrypt=esp.packets if inbound else 0,
                        last_seq=esp.last_seq,
                    )
                )
    return sorted(rows, key=lambda row: row.id)


def _legacy_row(values: tuple[object, ...]) -> str:
    ident, interface, address, state, algorithm, encrypt, decrypt = values
    return (
        f"{ident!s:>4} {interface!s:<20} {address!s:<15} {state!s:<6} {algorithm!s:<18}"
        f" {encrypt!s:>8} {decrypt!s:>8}"
    )


def _row(values: tuple[object, ...]) -> str:
    ident, kind, algorithm, encrypt, decrypt, last_seq, address = values
    return (
        f"{ident!s:>5}  {kind!s:<8}{algorithm!s:<20}{encrypt!s:>7}{decrypt!s:>9}{last_seq!s:>9}"
        f" {address}"
    )


def show_engine(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    rows = connections(snap, dialect)
    if dialect.legacy:
        head = ("ID", "Interface", "IP-Address", "State", "Algorithm", "Encrypt", "Decrypt")
        lines = [_legacy_row(head)]
        for c in rows:
            lines.append(
                _legacy_row(
                    (c.id, c.interface, c.address, c.state, c.algorithm, c.encrypt, c.decrypt)
                )
            )
    else:
        head = ("ID", "Type", "Algorithm", "Encrypt", "Decrypt", "LastSeqN", "IP-Address")
        lines = ["Crypto Engine Connections", "", _row(head)]
        for c in rows:
            lines.append(
                _row((c.id, c.type, c.algorithm, c.encrypt, c.decrypt, c.last_seq, c.address))
            )
        lines.append("")
    return ShowResult(lines_text(lines), {"connections": [to_jsonable(c) for c in rows]})
