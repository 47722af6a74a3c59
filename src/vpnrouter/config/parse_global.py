"""Global configuration mode: dispatch on the first word, and the small global commands.

Internal to the parser (``handle_global`` is what ``parser`` calls). The crypto, interface and
access-list families live in their own modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from ipaddress import IPv4Network

from vpnrouter.config import parse_no, type7, vocabulary
from vpnrouter.config.context import (
    Context,
    Mode,
    banner_delimiter,
    keep_unmodeled,
    start_banner,
)
from vpnrouter.config.draft import UnmodeledDraft
from vpnrouter.config.errors import ErrorKind
from vpnrouter.config.lexer import Cursor, Reject
from vpnrouter.config.model import AaaMethodList, LocalPool, StaticRoute, User
from vpnrouter.config.parse_acl import handle_access_list, handle_ip_access_list
from vpnrouter.config.parse_crypto import handle_crypto
from vpnrouter.config.parse_interface import handle_interface, interface_name

Handler = Callable[[Cursor, Context], "Mode | None"]

_AAA_WORDS = (
    "new-model",
    "authentication",
    "authorization",
    "accounting",
    "session-id",
    "group",
    "server",
    "attribute",
    "nas",
    "local",
    "common-criteria",
    "dnis",
    "pod",
    "user",
    "cache",
    "configuration",
    "password",
    "max-sessions",
    "memory",
    "preauth",
    "proxy",
    "traceback",
)
_AUTHENTICATION = (
    "login",
    "ppp",
    "enable",
    "arap",
    "nasi",
    "dot1x",
    "password-prompt",
    "username-prompt",
    "banner",
    "fail-message",
    "attempts",
    "token",
    "sgbp",
    "suppress",
    "eou",
)
_AUTHORIZATION = (
    "network",
    "exec",
    "commands",
    "config-commands",
    "console",
    "configuration",
    "reverse-access",
    "auth-proxy",
    "ipmobile",
    "cache",
    "template",
)
_MODELED_AAA = {"login", "ppp", "network", "exec"}
_METHODS = ("local", "local-case", "none", "enable", "line", "krb5", "if-authenticated", "group")
_BANNERS = ("motd", "login", "exec", "incoming", "slip-ppp", "prompt-timeout", "config-save")
_HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


def handle_global(cur: Cursor, ctx: Context) -> Mode | None:
    word = cur.keyword(*vocabulary.MODELED_WORDS, exact=vocabulary.unmodeled_first_words())
    handler = _HANDLERS.get(word)
    if handler is not None:
        return handler(cur, ctx)
    if word == "banner":
        return _banner(cur, ctx)
    return keep_unmodeled(cur, ctx)


def _banner(cur: Cursor, ctx: Context) -> Mode | None:
    kind = cur.try_keyword(*_BANNERS) or "motd"
    number = ctx.number

    def finish(text: str) -> None:
        mark = banner_delimiter(text)
        ctx.draft.unmodeled.append(UnmodeledDraft(f"banner {kind} {mark}{text}{mark}", number))
        ctx.draft.not_acted_on.append((number, f"banner {kind}"))

    return start_banner(cur, ctx, finish, None)


def _hostname(cur: Cursor, ctx: Context) -> Mode | None:
    token = cur.next()
    if not _HOSTNAME.match(token.text):
        raise cur.invalid(token)
    cur.done()
    ctx.draft.hostname = token.text
    return None


def _version(cur: Cursor, ctx: Context) -> Mode | None:
    version = cur.word()
    cur.done()
    ctx.draft.version = version
    return None


def _service(cur: Cursor, ctx: Context) -> Mode | None:
    if cur.try_keyword("password-encryption"):
        cur.done()
        ctx.draft.service_password_encryption = True
        return None
    cur.word()
    return keep_unmodeled(cur, ctx)


def _no(cur: Cursor, ctx: Context) -> Mode | None:
    token = cur.peek()
    word = cur.keyword(*vocabulary.MODELED_WORDS, exact=vocabulary.unmodeled_first_words())
    if word == "service" and cur.try_keyword("password-encryption"):
        cur.done()
        ctx.draft.service_password_encryption = False
        return None
    if word == "aaa" and cur.try_keyword("new-model"):
        cur.done()
        ctx.draft.aaa_new_model = False
        return None
    remover = _REMOVERS.get(word)
    if remover is not None:
        return remover(cur, ctx)
    if word == "ip":
        sub = cur.keyword("local", "access-list", exact=vocabulary.IP_WORDS)
        if sub == "local":
            cur.keyword("pool")
            return parse_no.remove_pool(cur, ctx)
        if sub == "access-list":
            return parse_no.remove_named_access_list(cur, ctx)
    elif word == "crypto":
        if cur.try_keyword(exact=vocabulary.CRYPTO_WORDS):
            return keep_unmodeled(cur, ctx)
        return parse_no.remove_crypto(cur, ctx)
    elif word == "aaa":
        sub = cur.keyword("new-model", "authentication", "authorization", exact=_AAA_WORDS)
        if sub in ("authentication", "authorization", "new-model"):
            raise cur.invalid(cur.tokens[cur.pos - 1])
    elif word != "service" and not vocabulary.is_unmodeled_first_word(word):
        raise cur.invalid(token)
    keep_unmodeled(cur, ctx)
    return None


def _aaa(cur: Cursor, ctx: Context) -> Mode | None:
    token = cur.peek()
    word = cur.keyword("new-model", "authentication", "authorization", exact=_AAA_WORDS)
    if word == "new-model":
        cur.done()
        ctx.draft.aaa_new_model = True
        return None
    if not ctx.draft.aaa_new_model:
        raise cur.invalid(token)  # IOS offers only `new-model` until AAA is enabled
    if word in ("authentication", "authorization"):
        others = _AUTHENTICATION if word == "authentication" else _AUTHORIZATION
        service = cur.keyword(*(w for w in others if w in _MODELED_AAA), exact=others)
        if service in _MODELED_AAA:
            name = cur.word()
            methods = _methods(cur)
            key = (f"{word} {service}", name)
            ctx.draft.aaa_lists[key] = AaaMethodList(key[0], name, methods, ctx.number)
            return None
    return keep_unmodeled(cur, ctx)


def _methods(cur: Cursor) -> tuple[str, ...]:
    methods: list[str] = []
    while not cur.at_end():
        if len(methods) == 4:
            raise cur.invalid()
        method = cur.keyword(*_METHODS)
        if method == "group":
            method = f"group {cur.word()}"
        methods.append(method)
    if not methods:
        raise cur.incomplete()
    return tuple(methods)


def _username(cur: Cursor, ctx: Context) -> Mode | None:
    name = cur.word()
    privilege = 1
    if cur.try_keyword("privilege"):
        privilege = cur.integer(0, 15)
    kind = cur.keyword("password", "secret", "nopassword")
    if kind == "nopassword":
        cur.done()
        user = User(name, None, privilege=privilege, nopassword=True, line=ctx.number)
    else:
        user = _user_password(cur, name, privilege, kind == "secret", ctx.number)
    ctx.draft.users[name] = user
    return None


def _user_password(cur: Cursor, name: str, privilege: int, secret: bool, line: int) -> User:
    encrypted_type = "5" if secret else "7"
    token = cur.peek()
    password_type = 0
    if token is not None and token.text in ("0", encrypted_type) and cur.remaining() > 1:
        password_type = int(cur.word())
    text_token = cur.peek()
    text = cur.rest()
    if password_type == 0:
        return User(name, text, 0, None, privilege, secret, line=line)
    if password_type == 5:
        return User(name, None, 5, text, privilege, secret, line=line)
    try:
        plain = type7.decode(text)
    except ValueError:
        raise cur.invalid(text_token) from None
    return User(name, plain, 7, text, privilege, secret, line=line)


def _ip(cur: Cursor, ctx: Context) -> Mode | None:
    word = cur.keyword("local", "route", "access-list", exact=vocabulary.IP_WORDS)
    if word == "local":
        if cur.keyword("pool", exact=("policy",)) == "pool":
            return _local_pool(cur, ctx)
        return keep_unmodeled(cur, ctx)
    if word == "route":
        return _route(cur, ctx)
    if word == "access-list":
        return handle_ip_access_list(cur, ctx)
    return keep_unmodeled(cur, ctx)


def _local_pool(cur: Cursor, ctx: Context) -> Mode | None:
    name = cur.word()
    if name.lower() == "default":
        raise cur.invalid(cur.tokens[cur.pos - 1])
    first = cur.ipv4()
    last_token = cur.peek()
    last = cur.try_ipv4() or first
    if last < first:
        raise cur.invalid(last_token)
    cur.done()
    ctx.draft.pools.append(LocalPool(name, first, last, ctx.number))
    return None


def _route(cur: Cursor, ctx: Context) -> Mode | None:
    address_token = cur.next()
    cur.pos -= 1
    address = cur.ipv4()
    mask = cur.netmask()
    try:
        prefix = IPv4Network(f"{address}/{mask}")
    except ValueError:
        raise Reject(
            ErrorKind.INVALID, address_token.column, "%Inconsistent address and mask"
        ) from None
    next_hop = cur.try_ipv4()
    interface = None
    if next_hop is None:
        interface = interface_name(cur)
        next_hop = cur.try_ipv4()
    distance = cur.try_integer(1, 255) or 1
    tag: int | None = None
    name: str | None = None
    permanent = False
    while not cur.at_end():
        option = cur.keyword("tag", "permanent", "name")
        if option == "tag":
            tag = cur.integer(1, 4294967295)
        elif option == "name":
            name = cur.word()
        else:
            permanent = True
    route = StaticRoute(prefix, next_hop, interface, distance, name, permanent, tag, ctx.number)
    ctx.draft.routes.append(route)
    return None


_REMOVERS: dict[str, Handler] = {
    "access-list": parse_no.remove_access_list,
    "username": parse_no.remove_user,
}


def _end(cur: Cursor, ctx: Context) -> Mode | None:
    raise cur.invalid()


_HANDLERS: dict[str, Handler] = {
    "hostname": _hostname,
    "version": _version,
    "service": _service,
    "no": _no,
    "aaa": _aaa,
    "username": _username,
    "crypto": handle_crypto,
    "interface": handle_interface,
    "ip": _ip,
    "access-list": handle_access_list,
    "end": _end,
}
