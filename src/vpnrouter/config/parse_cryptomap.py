"""``crypto ipsec ...``, ``crypto dynamic-map`` and ``crypto map`` commands and their sub-modes.

Internal to the parser.
"""

from __future__ import annotations

from dataclasses import replace

from vpnrouter.config import names
from vpnrouter.config.context import Context, Mode
from vpnrouter.config.lexer import Cursor, Token
from vpnrouter.config.model import CryptoMapEntry, DynamicMap, TransformSet
from vpnrouter.config.parse_interface import interface_name

_TRANSFORMS = (*names.ESP_ENCRYPTION, *names.ESP_AUTH, *names.AH_AUTH)
_PFS_GROUPS = tuple(f"group{g}" for g in names.DH_GROUPS)


def handle_ipsec(cur: Cursor, ctx: Context) -> Mode | None:
    word = cur.keyword("transform-set", "security-association")
    if word == "transform-set":
        return _transform_set(cur, ctx)
    cur.keyword("lifetime")
    unit = cur.keyword("seconds", "kilobytes")
    if unit == "seconds":
        seconds = cur.integer(120, 86400)
        cur.done()
        ctx.draft.lifetime_seconds = seconds
    else:
        kilobytes = cur.integer(2560, 536870912)
        cur.done()
        ctx.draft.lifetime_kilobytes = kilobytes
    return None


def _transform_set(cur: Cursor, ctx: Context) -> Mode | None:
    name = cur.word()
    fields: dict[str, int | None] = {}
    while not cur.at_end():
        token = cur.peek()
        word = cur.keyword(*_TRANSFORMS)
        slot, value = _transform(word)
        if slot in fields:
            raise cur.invalid(token)  # two ciphers, or two ESP/AH integrity algorithms
        fields[slot] = value
        if value == names.ESP_AES:
            fields["esp_key_length"] = int(cur.try_keyword("128", "192", "256") or 128)
    if not fields:
        raise cur.incomplete()
    existing = ctx.draft.transform_sets.get(name)
    mode = existing.mode if existing else "tunnel"
    ctx.draft.transform_sets[name] = TransformSet(
        name,
        esp_encryption=fields.get("esp_encryption"),
        esp_key_length=fields.get("esp_key_length"),
        esp_auth=fields.get("esp_auth"),
        ah_auth=fields.get("ah_auth"),
        mode=mode,
        line=existing.line if existing else ctx.number,
    )
    return TransformSetMode(name)


def _transform(word: str) -> tuple[str, int]:
    if word in names.ESP_ENCRYPTION:
        return ("esp_encryption", names.ESP_ENCRYPTION[word])
    if word in names.ESP_AUTH:
        return ("esp_auth", names.ESP_AUTH[word])
    return ("ah_auth", names.AH_AUTH[word])


class TransformSetMode:
    """``crypto ipsec transform-set NAME ...`` (cfg-crypto-trans): ``mode tunnel|transport``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def handle(self, cur: Cursor, ctx: Context) -> Mode | None:
        if cur.keyword("mode", "exit") == "exit":
            cur.done()
            return None
        mode = cur.keyword("tunnel", "transport")
        cur.done()
        transform_set = ctx.draft.transform_sets[self.name]
        ctx.draft.transform_sets[self.name] = replace(transform_set, mode=mode)
        return self


def handle_dynamic_map(cur: Cursor, ctx: Context) -> Mode | None:
    name = cur.word()
    seq = cur.integer(1, 65535)
    cur.done()
    if name not in ctx.draft.dynamic_maps:
        ctx.draft.dynamic_maps[name] = DynamicMap(name, line=ctx.number)
        ctx.draft.dynamic_entries[name] = {}
    entries = ctx.draft.dynamic_entries[name]
    if seq not in entries:
        entries[seq] = CryptoMapEntry(name, seq, line=ctx.number)
    return MapEntryMode(True, name, seq)


def handle_map(cur: Cursor, ctx: Context) -> Mode | None:
    name = cur.word()
    seq = cur.try_integer(1, 65535)
    if seq is None:
        return _map_global(cur, ctx, name)
    cur.try_keyword("ipsec-isakmp")
    dynamic: Token | None = None
    if cur.try_keyword("dynamic"):
        dynamic = cur.next()
    cur.done()
    ctx.draft.crypto_map(name, ctx.number)
    entries = ctx.draft.map_entries[name]
    entry = entries.get(seq) or CryptoMapEntry(name, seq, line=ctx.number)
    if dynamic is not None:
        ctx.reference("dynamic-map", dynamic.text, dynamic, ("map", name, seq))
        entries[seq] = replace(entry, dynamic_map=dynamic.text)
        return None
    entries[seq] = replace(entry, dynamic_map=None)
    return MapEntryMode(False, name, seq)


def _map_global(cur: Cursor, ctx: Context, name: str) -> Mode | None:
    word = cur.keyword("client", "isakmp", "local-address")
    if word == "local-address":
        interface = interface_name(cur)
        cur.done()
        cmap = ctx.draft.crypto_map(name, ctx.number)
        ctx.draft.crypto_maps[name] = replace(cmap, local_address=interface)
        return None
    if word == "isakmp":
        cur.keyword("authorization")
        cur.keyword("list")
        token = cur.next()
        cur.done()
        ctx.reference("aaa authorization network", token.text, token, ("map", name, "isakmp"))
        cmap = ctx.draft.crypto_map(name, ctx.number)
        ctx.draft.crypto_maps[name] = replace(cmap, isakmp_authorization_list=token.text)
        return None
    if cur.keyword("authentication", "configuration") == "authentication":
        cur.keyword("list")
        token = cur.next()
        cur.done()
        ctx.reference("aaa authentication login", token.text, token, ("map", name, "client"))
        cmap = ctx.draft.crypto_map(name, ctx.number)
        ctx.draft.crypto_maps[name] = replace(cmap, client_authentication_list=token.text)
        return None
    cur.keyword("address")
    direction = cur.keyword("respond", "initiate")
    cur.done()
    cmap = ctx.draft.crypto_map(name, ctx.number)
    if direction == "respond":
        cmap = replace(cmap, address_respond=True)
    else:
        cmap = replace(cmap, address_initiate=True)
    ctx.draft.crypto_maps[name] = cmap
    return None


class MapEntryMode:
    """A crypto map or dynamic map entry (config-crypto-map)."""

    def __init__(self, dynamic: bool, name: str, seq: int) -> None:
        self.dynamic = dynamic
        self.name = name
        self.seq = seq
        self.owner: tuple[str | int, ...] = ("dynamic-map" if dynamic else "map", name, seq)

    def handle(self, cur: Cursor, ctx: Context) -> Mode | None:
        word = cur.keyword("set", "match", "reverse-route", "description", "exit")
        entry = ctx.draft.map_entry(self.dynamic, self.name, self.seq)
        if word == "exit":
            cur.done()
            return None
        if word == "set":
            entry = self._set(cur, ctx, entry)
        elif word == "match":
            cur.keyword("address")
            token = cur.next()
            cur.done()
            ctx.reference("acl", token.text, token, self.owner)
            entry = replace(entry, match_address=token.text)
        elif word == "reverse-route":
            cur.try_keyword("static")
            cur.done()
            entry = replace(entry, reverse_route=True)
        else:
            entry = replace(entry, description=cur.rest())
        ctx.draft.put_map_entry(self.dynamic, entry)
        return self

    def _set(self, cur: Cursor, ctx: Context, entry: CryptoMapEntry) -> CryptoMapEntry:
        word = cur.keyword("peer", "transform-set", "pfs", "security-association")
        if word == "peer":
            token = cur.peek()
            peer = cur.ipv4()
            cur.done()
            if token is not None and not self.dynamic:
                ctx.reference("peer-key", str(peer), token, self.owner)
            if peer in entry.peers:
                return entry
            return replace(entry, peers=(*entry.peers, peer))
        if word == "transform-set":
            tokens = [cur.next()]
            while not cur.at_end() and len(tokens) < 6:
                tokens.append(cur.next())
            cur.done()
            for token in tokens:
                ctx.reference("transform-set", token.text, token, self.owner)
            return replace(entry, transform_sets=tuple(t.text for t in tokens))
        if word == "pfs":
            group = cur.try_keyword(*_PFS_GROUPS) or "group1"
            cur.done()
            return replace(entry, pfs_group=int(group.removeprefix("group")))
        cur.keyword("lifetime")
        if cur.keyword("seconds", "kilobytes") == "seconds":
            seconds = cur.integer(120, 86400)
            cur.done()
            return replace(entry, lifetime_seconds=seconds)
        kilobytes = cur.integer(2560, 536870912)
        cur.done()
        return replace(entry, lifetime_kilobytes=kilobytes)
