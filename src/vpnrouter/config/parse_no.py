"""``no ...`` commands that remove or reset what the model holds, in the order they come.

Internal to the parser (``parse_global._no`` calls ``remove``). A configuration pasted into
IOS configuration mode runs line by line, so ``no crypto map vpn 10`` after the entry was
written deletes it and a later ``crypto map vpn 10`` starts a new one. The renderer never
prints a ``no`` line for a removed object: ``show running-config`` shows the result.

Removed here: ``no crypto isakmp policy N``, ``no crypto isakmp key KEY {address A [MASK] |
hostname NAME}`` (matched by address and mask, or by host name, whatever the key text),
``no crypto isakmp keepalive``, ``no crypto isakmp nat keepalive``, ``no crypto isakmp client
configuration group NAME``, ``no crypto ipsec transform-set NAME``, ``no crypto ipsec
security-association lifetime seconds|kilobytes``, ``no crypto map NAME [SEQ]``, ``no crypto
map NAME local-address | client authentication list | isakmp authorization list | client
configuration address respond|initiate``, ``no crypto dynamic-map NAME [SEQ]``, ``no
access-list N ...`` (the whole numbered list, whatever follows the number: IOS cannot delete
one line of a numbered list), ``no ip access-list standard|extended NAME``, ``no username
NAME ...``, ``no ip local pool NAME [FIRST [LAST]]``.

The whole-list rule for numbered lists is the classic IOS one ("without sequence numbers you
can not remove that one entry, you have to remove the whole ACL",
https://routing-bits.com/2009/03/09/acl-editing/; "Normally we would have to say 'no
access-list 100', then recreate the list", B. McGahan, INE blog, 2008-01-03); one line goes
with ``ip access-list extended 100`` / ``no permit ...`` or ``no SEQ`` (``parse_acl``).

Removing something that does not exist is accepted without a message, as IOS does when it
reads these commands (``no access-list 199`` for a list that was never configured prints
nothing; we found no IOS message documented for the others and print none either); an
object that another command names (a transform set in a crypto map, ...) can be removed,
and the command that names it is then reported as naming an undefined object.
"""

from __future__ import annotations

from dataclasses import replace

from vpnrouter.config import vocabulary
from vpnrouter.config.context import Context, Mode, keep_unmodeled
from vpnrouter.config.lexer import Cursor, parse_int
from vpnrouter.config.model import IsakmpHostnameKey
from vpnrouter.config.model_acl import acl_kind_of_number
from vpnrouter.config.parse_crypto import read_key


def remove_crypto(cur: Cursor, ctx: Context) -> Mode | None:
    """``no crypto ...``; commands kept but not acted on stay kept (``no crypto isakmp ccm``)."""
    section = cur.keyword("isakmp", "ipsec", "map", "dynamic-map")
    if section == "map":
        return _map(cur, ctx)
    if section == "dynamic-map":
        name = cur.word()
        seq = _optional_seq(cur)
        ctx.draft.drop_map_entry(True, name, seq)
        _removed(ctx, ("dynamic-map", name) if seq is None else ("dynamic-map", name, seq))
        return None
    if section == "ipsec":
        word = cur.keyword(
            "transform-set", "security-association", exact=vocabulary.CRYPTO_IPSEC_WORDS
        )
        if word in vocabulary.CRYPTO_IPSEC_WORDS:
            return keep_unmodeled(cur, ctx)
        return _ipsec(cur, ctx, word)
    word = cur.keyword(
        "policy", "key", "keepalive", "nat", "client", exact=vocabulary.CRYPTO_ISAKMP_WORDS
    )
    if word in vocabulary.CRYPTO_ISAKMP_WORDS:
        return keep_unmodeled(cur, ctx)
    _isakmp(cur, ctx, word)
    return None


def _isakmp(cur: Cursor, ctx: Context, word: str) -> None:
    draft = ctx.draft
    if word == "policy":
        priority = cur.integer(1, 10000)
        cur.done()
        draft.policies.pop(priority, None)
    elif word == "key":
        record = read_key(cur, ctx.number).record
        if isinstance(record, IsakmpHostnameKey):
            draft.hostname_keys.pop(record.hostname.lower(), None)
        else:
            draft.keys.pop((record.address, record.mask), None)
    elif word == "keepalive":
        cur.pos = len(cur.tokens)
        draft.keepalive = None
    elif word == "nat":
        cur.keyword("keepalive")
        cur.pos = len(cur.tokens)
        draft.nat_keepalive = None
    else:
        cur.keyword("configuration")
        cur.keyword("group")
        name = cur.word()
        cur.done()
        draft.groups.pop(name, None)
        _removed(ctx, ("group", name))


def _ipsec(cur: Cursor, ctx: Context, word: str) -> Mode | None:
    if word == "transform-set":
        name = cur.word()
        cur.pos = len(cur.tokens)
        ctx.draft.transform_sets.pop(name, None)
        return None
    cur.keyword("lifetime")
    unit = cur.keyword("seconds", "kilobytes")
    cur.pos = len(cur.tokens)
    if unit == "seconds":
        ctx.draft.lifetime_seconds = 3600
    else:
        ctx.draft.lifetime_kilobytes = 4608000
    return None


def _map(cur: Cursor, ctx: Context) -> Mode | None:
    name = cur.word()
    if cur.at_end() or parse_int(cur.tokens[cur.pos].text) is not None:
        seq = _optional_seq(cur)
        ctx.draft.drop_map_entry(False, name, seq)
        _removed(ctx, ("map", name) if seq is None else ("map", name, seq))
        return None
    cmap = ctx.draft.crypto_maps.get(name)
    setting = _map_setting(cur)
    if cmap is None:
        return None
    if setting == "local-address":
        cmap = replace(cmap, local_address=None)
    elif setting == "isakmp":
        cmap = replace(cmap, isakmp_authorization_list=None)
    elif setting == "client":
        cmap = replace(cmap, client_authentication_list=None)
    if setting in ("respond", "address"):
        cmap = replace(cmap, address_respond=False)
    if setting in ("initiate", "address"):
        cmap = replace(cmap, address_initiate=False)
    _removed(ctx, ("map", name, setting))
    ctx.draft.crypto_maps[name] = cmap
    ctx.draft.drop_map_entry(False, name, 0)  # gone if nothing is left of it
    return None


def _map_setting(cur: Cursor) -> str:
    """Which map-wide command a ``no crypto map NAME ...`` names; the list names and the
    interface after the keywords are not checked (IOS removes the setting)."""
    word = cur.keyword("local-address", "client", "isakmp")
    if word == "client" and cur.keyword("authentication", "configuration") == "configuration":
        cur.keyword("address")
        word = cur.try_keyword("respond", "initiate") or "address"
    cur.pos = len(cur.tokens)
    return word


def _optional_seq(cur: Cursor) -> int | None:
    seq = cur.try_integer(1, 65535)
    cur.done()
    return seq


def _removed(ctx: Context, owner: tuple[str | int, ...]) -> None:
    ctx.draft.remove(owner, ctx.number)


def remove_access_list(cur: Cursor, ctx: Context) -> Mode | None:
    """``no access-list N [anything]``: the whole numbered list goes."""
    token = cur.next()
    number = parse_int(token.text)
    if number is None or acl_kind_of_number(number) is None:
        raise cur.invalid(token)
    cur.pos = len(cur.tokens)
    ctx.draft.acls.pop(str(number), None)
    return None


def remove_named_access_list(cur: Cursor, ctx: Context) -> Mode | None:
    """``no ip access-list standard|extended NAME``."""
    cur.keyword("standard", "extended")
    name = cur.word()
    cur.done()
    ctx.draft.acls.pop(name, None)
    return None


def remove_user(cur: Cursor, ctx: Context) -> Mode | None:
    """``no username NAME [...]``."""
    name = cur.word()
    cur.pos = len(cur.tokens)
    ctx.draft.users.pop(name, None)
    return None


def remove_pool(cur: Cursor, ctx: Context) -> Mode | None:
    """``no ip local pool NAME [FIRST [LAST]]``: the pool, or the range given."""
    name = cur.word()
    first = cur.try_ipv4()
    last = cur.try_ipv4() or first
    cur.done()
    ctx.draft.pools[:] = [
        pool
        for pool in ctx.draft.pools
        if pool.name != name or (first is not None and (pool.first, pool.last) != (first, last))
    ]
    return None
