"""Backup servers, as the Cisco VPN Client keeps and uses them.

A gateway may send the Cisco Unity attribute BACKUP_SERVERS (28681) in Mode Config, a list of
other gateways of the same service. The Cisco client writes it into the connection entry,
``BackupServer=`` (comma separated) with ``EnableBackup=1``, replacing the list there; the next
``connect`` tries the ``Host`` first and, when it does not answer (all retransmissions of
aggressive mode message 1 unanswered, bounded by ``PeerTimeout``), each backup server in turn.
A ``BackupServer=`` list already in an imported profile is used the same way (with
``EnableBackup=1``). Only silence moves on to the next server: a gateway that answers and
refuses (wrong group key, user refused) ends the attempt, as with the Cisco client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vpnrouter.client.profiles import Profile, ProfileStore

BACKUP_SERVER_KEY = "BackupServer"
ENABLE_BACKUP_KEY = "EnableBackup"
# What the gateway may put into the profile: addresses and host names, nothing else.
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def gateways(profile: Profile) -> tuple[str, ...]:
    """The Host, then the backup servers in their order, each once."""
    seen: set[str] = set()
    result: list[str] = []
    for host in (profile.host, *profile.backup_servers):
        if host.casefold() not in seen:
            seen.add(host.casefold())
            result.append(host)
    return tuple(result)


def remember(profile: Profile, servers: Sequence[str]) -> bool:
    """Store the gateway's backup servers in the profile's file (``BackupServer=``,
    ``EnableBackup=1``); False when the file already says so. Raises ProfileError."""
    names = [name for server in servers for name in server.split()]
    listed = ",".join(name for name in names if _HOST.fullmatch(name))
    if not listed or profile.path is None:
        return False
    store = ProfileStore(profile.path.parent)
    doc, _ = store.read_document(profile.name)
    if doc.get(BACKUP_SERVER_KEY) == listed and doc.get(ENABLE_BACKUP_KEY) == "1":
        return False
    doc.set(BACKUP_SERVER_KEY, listed)
    doc.set(ENABLE_BACKUP_KEY, "1")
    store.save_document(profile.name, doc, replace=True)
    return True
