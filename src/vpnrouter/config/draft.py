"""The configuration being built while lines are parsed, and its conversion to the model.

Internal to the parser. Objects are the frozen model classes, replaced (``dataclasses.replace``)
when a later line changes them, keyed the way IOS identifies them: a second ``crypto isakmp
policy 10`` edits policy 10, a second ``username cisco`` replaces the user, and so on.

``Draft.finish()`` returns the canonical ``RunningConfig``: ISAKMP policies sorted by priority,
crypto map entries by sequence number, named access-list entries by their sequence numbers,
unmodeled commands grouped by the section ``show running-config`` prints them in; everything else
in the order it was written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address

from vpnrouter.config.model import (
    AaaMethodList,
    AccessList,
    AclEntry,
    AclRemark,
    ClientGroup,
    CryptoMap,
    CryptoMapEntry,
    DynamicMap,
    Interface,
    IsakmpHostnameKey,
    IsakmpKeepalive,
    IsakmpKey,
    IsakmpPolicy,
    LocalPool,
    RunningConfig,
    StaticRoute,
    TransformSet,
    UnmodeledCommand,
    User,
)
from vpnrouter.config.vocabulary import slot_of


@dataclass(frozen=True)
class Reference:
    """A command that names another object; checked once the whole text is read.

    ``owner`` is the object the naming command belongs to (``("map", NAME, SEQ)``, ...): a
    later ``no`` that removes the owner drops the reference with it.
    """

    kind: str
    name: str
    line: int
    column: int
    source: str
    owner: tuple[str | int, ...] = ()


@dataclass
class UnmodeledDraft:
    text: str
    line: int
    children: list[str] = field(default_factory=list)

    def freeze(self) -> UnmodeledCommand:
        return UnmodeledCommand(self.text, tuple(self.children), self.line)


@dataclass
class AclDraft:
    acl: AccessList
    sequences: list[int] = field(default_factory=list)

    def add(self, entry: AclEntry | AclRemark, sequence: int | None) -> None:
        if sequence is None:
            sequence = (max(self.sequences) if self.sequences else 0) + 10
        entries = list(self.acl.entries)
        if sequence in self.sequences:
            index = self.sequences.index(sequence)
            entries[index] = entry
        else:
            self.sequences.append(sequence)
            entries.append(entry)
        self.acl = replace(self.acl, entries=tuple(entries))

    def remove(self, which: Callable[[int, AclEntry | AclRemark], bool]) -> None:
        """Drop the first entry ``which(sequence, entry)`` selects (none: nothing changes)."""
        for index, (sequence, entry) in enumerate(
            zip(self.sequences, self.acl.entries, strict=True)
        ):
            if which(sequence, entry):
                del self.sequences[index]
                entries = self.acl.entries[:index] + self.acl.entries[index + 1 :]
                self.acl = replace(self.acl, entries=entries)
                return

    def freeze(self) -> AccessList:
        order = sorted(range(len(self.sequences)), key=lambda i: self.sequences[i])
        return replace(self.acl, entries=tuple(self.acl.entries[i] for i in order))


@dataclass
class Draft:
    hostname: str = "Router"
    version: str | None = None
    service_password_encryption: bool = False
    aaa_new_model: bool = False
    aaa_lists: dict[tuple[str, str], AaaMethodList] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    policies: dict[int, IsakmpPolicy] = field(default_factory=dict)
    keys: dict[tuple[IPv4Address, IPv4Address], IsakmpKey] = field(default_factory=dict)
    hostname_keys: dict[str, IsakmpHostnameKey] = field(default_factory=dict)
    keepalive: IsakmpKeepalive | None = None
    nat_keepalive: int | None = None
    groups: dict[str, ClientGroup] = field(default_factory=dict)
    lifetime_seconds: int = 3600
    lifetime_kilobytes: int = 4608000
    transform_sets: dict[str, TransformSet] = field(default_factory=dict)
    dynamic_maps: dict[str, DynamicMap] = field(default_factory=dict)
    dynamic_entries: dict[str, dict[int, CryptoMapEntry]] = field(default_factory=dict)
    crypto_maps: dict[str, CryptoMap] = field(default_factory=dict)
    map_entries: dict[str, dict[int, CryptoMapEntry]] = field(default_factory=dict)
    interfaces: dict[str, Interface] = field(default_factory=dict)
    pools: list[LocalPool] = field(default_factory=list)
    routes: list[StaticRoute] = field(default_factory=list)
    acls: dict[str, AclDraft] = field(default_factory=dict)
    unmodeled: list[UnmodeledDraft] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    # owner -> line of the last `no` command that removed it (and everything under it)
    removed: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    not_acted_on: list[tuple[int, str]] = field(default_factory=list)

    # -- helpers used by the mode handlers -------------------------------------------------
    def crypto_map(self, name: str, line: int) -> CryptoMap:
        if name not in self.crypto_maps:
            self.crypto_maps[name] = CryptoMap(name, line=line)
            self.map_entries[name] = {}
        return self.crypto_maps[name]

    def map_entry(self, dynamic: bool, name: str, seq: int) -> CryptoMapEntry:
        table = self.dynamic_entries if dynamic else self.map_entries
        return table[name][seq]

    def put_map_entry(self, dynamic: bool, entry: CryptoMapEntry) -> None:
        table = self.dynamic_entries if dynamic else self.map_entries
        table[entry.map_name][entry.seq] = entry

    def remove(self, owner: tuple[str | int, ...], line: int) -> None:
        """Note that a ``no`` command on ``line`` removed ``owner`` (see ``live_references``)."""
        self.removed[owner] = line

    def live_references(self) -> list[Reference]:
        """The references whose commands were not removed by a later ``no``."""
        return [r for r in self.references if not self._removed_after(r)]

    def _removed_after(self, reference: Reference) -> bool:
        owner = reference.owner
        return any(
            owner[: len(removed)] == removed and line > reference.line
            for removed, line in self.removed.items()
            if removed
        )

    def drop_map_entry(self, dynamic: bool, name: str, seq: int | None) -> None:
        """``no crypto map NAME [SEQ]`` / ``no crypto dynamic-map NAME [SEQ]``: the map goes
        with its last entry unless map-wide commands (``client ...``, ...) keep it."""
        table = self.dynamic_entries if dynamic else self.map_entries
        maps: dict[str, CryptoMap] | dict[str, DynamicMap]
        maps = self.dynamic_maps if dynamic else self.crypto_maps
        if name not in maps:
            return
        entries = table[name]
        if seq is not None:
            entries.pop(seq, None)
        if seq is None or (not entries and not _has_map_settings(maps[name])):
            del maps[name]
            del table[name]

    def acl(self, name: str, standard: bool, line: int) -> AclDraft:
        if name not in self.acls:
            self.acls[name] = AclDraft(AccessList(name, standard, line=line))
        return self.acls[name]

    def interface(self, name: str) -> Interface:
        return self.interfaces[name]

    # -- the model ------------------------------------------------------------------------
    def finish(self) -> RunningConfig:
        unmodeled = sorted(self.unmodeled, key=lambda u: slot_of(u.text))
        return RunningConfig(
            hostname=self.hostname,
            version=self.version,
            service_password_encryption=self.service_password_encryption,
            aaa_new_model=self.aaa_new_model,
            aaa_lists=tuple(self.aaa_lists.values()),
            users=tuple(self.users.values()),
            isakmp_policies=tuple(self.policies[p] for p in sorted(self.policies)),
            isakmp_keys=tuple(self.keys.values()),
            isakmp_hostname_keys=tuple(self.hostname_keys.values()),
            isakmp_keepalive=self.keepalive,
            isakmp_nat_keepalive=self.nat_keepalive,
            client_groups=tuple(self.groups.values()),
            ipsec_lifetime_seconds=self.lifetime_seconds,
            ipsec_lifetime_kilobytes=self.lifetime_kilobytes,
            transform_sets=tuple(self.transform_sets.values()),
            dynamic_maps=tuple(
                replace(dmap, entries=_sorted_entries(self.dynamic_entries[name]))
                for name, dmap in self.dynamic_maps.items()
            ),
            crypto_maps=tuple(
                replace(cmap, entries=_sorted_entries(self.map_entries[name]))
                for name, cmap in self.crypto_maps.items()
            ),
            interfaces=tuple(self.interfaces.values()),
            local_pools=tuple(self.pools),
            static_routes=tuple(self.routes),
            access_lists=tuple(a.freeze() for a in self.acls.values()),
            unmodeled=tuple(u.freeze() for u in unmodeled),
        )


def _has_map_settings(cmap: CryptoMap | DynamicMap) -> bool:
    if isinstance(cmap, DynamicMap):
        return False
    return cmap != CryptoMap(cmap.name, cmap.entries)


def _sorted_entries(entries: dict[int, CryptoMapEntry]) -> tuple[CryptoMapEntry, ...]:
    return tuple(entries[seq] for seq in sorted(entries))
