"""``crypto ...`` commands: ISAKMP (policies, keys, keepalives, client groups) and dispatch.

Internal to the parser. Crypto is what vpnrouter acts on, so it is parsed strictly: an unknown
crypto command is an error, except a few knobs (certificates, ``crypto isakmp identity`` ...)
that are kept and listed as not acted on. Transform sets and crypto maps are in
``parse_cryptomap``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv4Network

from vpnrouter.config import names, vocabulary
from vpnrouter.config.context import Context, Mode, keep_unmodeled, start_banner
from vpnrouter.config.errors import ErrorKind
from vpnrouter.config.lexer import Cursor, Reject, Token, is_contiguous_mask, parse_ipv4
from vpnrouter.config.model import (
    ClientGroup,
    IsakmpHostnameKey,
    IsakmpKeepalive,
    IsakmpKey,
    IsakmpPolicy,
)
from vpnrouter.config.model_crypto import HOST_MASK
from vpnrouter.config.parse_cryptomap import handle_dynamic_map, handle_ipsec, handle_map


def handle_crypto(cur: Cursor, ctx: Context) -> Mode | None:
    word = cur.keyword("isakmp", "ipsec", "dynamic-map", "map", exact=vocabulary.CRYPTO_WORDS)
    if word == "isakmp":
        return _isakmp(cur, ctx)
    if word == "ipsec":
        if cur.try_keyword(exact=vocabulary.CRYPTO_IPSEC_WORDS):
            return keep_unmodeled(cur, ctx)
        return handle_ipsec(cur, ctx)
    if word == "dynamic-map":
        return handle_dynamic_map(cur, ctx)
    if word == "map":
        return handle_map(cur, ctx)
    return keep_unmodeled(cur, ctx)


def _isakmp(cur: Cursor, ctx: Context) -> Mode | None:
    word = cur.keyword(
        "policy", "key", "client", "keepalive", "nat", exact=vocabulary.CRYPTO_ISAKMP_WORDS
    )
    if word == "policy":
        priority = cur.integer(1, 10000)
        cur.done()
        if priority not in ctx.draft.policies:
            ctx.draft.policies[priority] = IsakmpPolicy(priority, line=ctx.number)
        return PolicyMode(priority)
    if word == "key":
        return _key(cur, ctx)
    if word == "client":
        cur.keyword("configuration")
        cur.keyword("group")
        name = cur.word()
        cur.done()
        if name not in ctx.draft.groups:
            ctx.draft.groups[name] = ClientGroup(name, line=ctx.number)
        return GroupMode(name)
    if word == "keepalive":
        seconds = cur.integer(10, 3600)
        retry = cur.try_integer(2, 60) or 2
        periodic = cur.try_keyword("periodic", "on-demand") == "periodic"
        cur.done()
        ctx.draft.keepalive = IsakmpKeepalive(seconds, retry, periodic, ctx.number)
        return None
    if word == "nat":
        cur.keyword("keepalive")
        seconds = cur.integer(5, 3600)
        cur.done()
        ctx.draft.nat_keepalive = seconds
        return None
    return keep_unmodeled(cur, ctx)


def _key(cur: Cursor, ctx: Context) -> Mode | None:
    spec = read_key(cur, ctx.number)
    if spec.encrypted is not None:
        raise Reject(ErrorKind.ENCRYPTED, spec.encrypted.column, TYPE6_KEY)
    record = spec.record
    if isinstance(record, IsakmpHostnameKey):
        ctx.draft.hostname_keys[record.hostname.lower()] = record
    else:
        ctx.draft.keys[(record.address, record.mask)] = record
    return None


TYPE6_KEY = (
    "% Cannot decrypt the type 6 pre-shared key: the master key (key config-key "
    "password-encrypt) is not part of a configuration. The key is not loaded; "
    "enter it as type 0 (clear text)."
)
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")


@dataclass(frozen=True)
class KeySpec:
    """One ``crypto isakmp key [0|6] KEY {address A [MASK] | hostname NAME} [no-xauth]``.

    ``encrypted`` is the ``6`` token of a type 6 (AES, master-key encrypted) key.
    """

    record: IsakmpKey | IsakmpHostnameKey
    encrypted: Token | None = None


def read_key(cur: Cursor, line: int) -> KeySpec:
    """Parse the words after ``crypto isakmp key`` (also for the ``no`` form)."""
    encrypted: Token | None = None
    first = cur.next()
    key = first.text
    following = cur.peek()
    if key in ("0", "6") and following is not None and following.text.lower() not in _TARGETS:
        encrypted = first if key == "6" else None
        key = cur.word()
    if cur.keyword(*_TARGETS) == "hostname":
        token = cur.next()
        if len(token.text) > 255 or not _HOSTNAME.match(token.text):
            raise cur.invalid(token)
        no_xauth = cur.try_keyword("no-xauth") is not None
        cur.done()
        return KeySpec(IsakmpHostnameKey(key, token.text, no_xauth, line), encrypted)
    address = cur.ipv4()
    mask_token = cur.peek()
    mask = cur.try_ipv4() or HOST_MASK
    if not is_contiguous_mask(mask):
        raise cur.invalid(mask_token)
    no_xauth = cur.try_keyword("no-xauth") is not None
    cur.done()
    network = IPv4Network(f"{address}/{mask}", strict=False)
    return KeySpec(IsakmpKey(key, network.network_address, mask, no_xauth, line), encrypted)


_TARGETS = ("address", "hostname")


_POLICY_WORDS = ("encryption", "hash", "authentication", "group", "lifetime")


class PolicyMode:
    """``crypto isakmp policy N`` (config-isakmp)."""

    def __init__(self, priority: int) -> None:
        self.priority = priority

    def handle(self, cur: Cursor, ctx: Context) -> Mode | None:
        word = cur.keyword(*_POLICY_WORDS, "exit", "no")
        policy = ctx.draft.policies[self.priority]
        if word == "exit":
            cur.done()
            return None
        if word == "no":
            ctx.draft.policies[self.priority] = _policy_default(cur, policy)
            return self
        if word == "encryption":
            cipher = names.POLICY_ENCRYPTION[cur.keyword(*names.POLICY_ENCRYPTION)]
            length = None
            if cipher == names.ENCR_AES:
                length = int(cur.try_keyword("128", "192", "256") or 128)
            policy = replace(policy, encryption=cipher, key_length=length)
        elif word == "hash":
            policy = replace(policy, hash=names.POLICY_HASH[cur.keyword(*names.POLICY_HASH)])
        elif word == "authentication":
            auth = names.POLICY_AUTH[cur.keyword(*names.POLICY_AUTH)]
            policy = replace(policy, authentication=auth)
        elif word == "group":
            group = cur.keyword(*(str(g) for g in names.DH_GROUPS))
            policy = replace(policy, group=int(group))
        else:
            policy = replace(policy, lifetime=cur.integer(60, 86400))
        cur.done()
        ctx.draft.policies[self.priority] = policy
        return self


def _policy_default(cur: Cursor, policy: IsakmpPolicy) -> IsakmpPolicy:
    """``no encryption`` (``no encr ...``), ``no hash``, ...: back to the IOS default (the
    value of an ``IsakmpPolicy`` nobody set); the words after the attribute are ignored."""
    word = cur.keyword(*_POLICY_WORDS)
    cur.pos = len(cur.tokens)
    default = IsakmpPolicy(policy.priority)
    if word == "encryption":
        return replace(policy, encryption=default.encryption, key_length=default.key_length)
    if word == "hash":
        return replace(policy, hash=default.hash)
    if word == "authentication":
        return replace(policy, authentication=default.authentication)
    if word == "group":
        return replace(policy, group=default.group)
    return replace(policy, lifetime=default.lifetime)


_GROUP_WORDS = (
    "key",
    "dns",
    "wins",
    "domain",
    "pool",
    "acl",
    "save-password",
    "include-local-lan",
    "pfs",
    "banner",
    "max-users",
    "backup-gateway",
    "exit",
)


_GLOBAL_BANNERS = ("motd", "login", "exec", "incoming", "slip-ppp", "prompt-timeout")


class GroupMode:
    """``crypto isakmp client configuration group NAME`` (config-isakmp-group)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def handle(self, cur: Cursor, ctx: Context) -> Mode | None:
        word = cur.keyword(*_GROUP_WORDS)
        if word == "exit":
            cur.done()
            return None
        if word == "banner":
            token = cur.peek()
            if token is not None and token.text.lower() in _GLOBAL_BANNERS:
                raise cur.invalid(token)  # `banner motd ...`: the global command
            return start_banner(cur, ctx, _BannerSetter(ctx, self.name), self)
        group = ctx.draft.groups[self.name]
        if word in ("dns", "wins"):
            servers = _servers(cur)
            group = replace(group, dns=servers) if word == "dns" else replace(group, wins=servers)
        elif word in _FLAGS:
            cur.done()
            group = _FLAGS[word](group)
        elif word == "max-users":
            users = cur.integer(1, 5000)
            cur.done()
            group = replace(group, max_users=users)
        elif word == "backup-gateway":
            group = _backup_gateway(cur, group)
        else:
            group = _named(cur, ctx, word, group)
        ctx.draft.groups[self.name] = group
        return self


_FLAGS: dict[str, Callable[[ClientGroup], ClientGroup]] = {
    "save-password": lambda g: replace(g, save_password=True),
    "include-local-lan": lambda g: replace(g, include_local_lan=True),
    "pfs": lambda g: replace(g, pfs=True),
}


def _servers(cur: Cursor) -> tuple[IPv4Address, ...]:
    servers = [cur.ipv4()]
    second = cur.try_ipv4()
    if second is not None:
        servers.append(second)
    cur.done()
    return tuple(servers)


_DOTTED = re.compile(r"^[0-9.]+$")


def _backup_gateway(cur: Cursor, group: ClientGroup) -> ClientGroup:
    """``backup-gateway {IP-ADDRESS | HOSTNAME}``: one server a line, added in the order
    typed (the list the client tries when its gateway is silent); a server already listed
    is kept once. Digits and dots that are not an address are no host name either."""
    token = cur.next()
    cur.done()
    address = parse_ipv4(token.text)
    if address is not None:
        server = str(address)
    elif len(token.text) > 255 or _DOTTED.match(token.text) or not _HOSTNAME.match(token.text):
        raise cur.invalid(token)
    else:
        server = token.text
    if server in group.backup_gateways:
        return group
    return replace(group, backup_gateways=(*group.backup_gateways, server))


def _named(cur: Cursor, ctx: Context, word: str, group: ClientGroup) -> ClientGroup:
    if word == "key":
        first = cur.peek()
        if first is not None and first.text == "0" and cur.remaining() > 1:
            cur.next()
    token = cur.next()
    cur.done()
    if word == "key":
        return replace(group, key=token.text)
    if word == "domain":
        return replace(group, domain=token.text)
    ctx.reference(word, token.text, token, ("group", group.name))
    if word == "pool":
        return replace(group, pool=token.text)
    return replace(group, acl=token.text)


class _BannerSetter:
    def __init__(self, ctx: Context, name: str) -> None:
        self.draft = ctx.draft
        self.name = name

    def __call__(self, text: str) -> None:
        self.draft.groups[self.name] = replace(self.draft.groups[self.name], banner=text)
