"""``access-list N ...``, ``ip access-list standard|extended NAME`` and their entries.

Internal to the parser. Addresses are ``any``, ``host A`` or ``A WILDCARD`` (standard lists also
take a bare ``A``); tcp and udp entries may match ports (``eq``, ``neq``, ``lt``, ``gt``,
``range``, by number or IOS name); icmp entries a type (``echo``, ``8``, ``3 4`` ...).
"""

from __future__ import annotations

from vpnrouter.config import names
from vpnrouter.config.context import Context, Mode
from vpnrouter.config.draft import AclDraft
from vpnrouter.config.lexer import Cursor, parse_int
from vpnrouter.config.model_acl import (
    AclEntry,
    AclRemark,
    AddressMatch,
    PortMatch,
    acl_kind_of_number,
)

_OPTIONS = (
    "log",
    "log-input",
    "established",
    "fragments",
    "precedence",
    "tos",
    "dscp",
    "time-range",
)
_OPTIONS_WITH_ARGUMENT = ("precedence", "tos", "dscp", "time-range")
_PROTO_TCP = 6
_PROTO_UDP = 17
_PROTO_ICMP = 1


def handle_access_list(cur: Cursor, ctx: Context) -> Mode | None:
    token = cur.next()
    number = parse_int(token.text)
    kind = acl_kind_of_number(number) if number is not None else None
    if number is None or kind is None:
        raise cur.invalid(token)
    entry = parse_entry(cur, ctx, kind == "standard")
    ctx.draft.acl(str(number), kind == "standard", ctx.number).add(entry, None)
    return None


def handle_ip_access_list(cur: Cursor, ctx: Context) -> Mode | None:
    kind = cur.keyword("standard", "extended")
    token = cur.next()
    cur.done()
    number = parse_int(token.text)
    if number is not None and acl_kind_of_number(number) != kind:
        raise cur.invalid(token)
    ctx.draft.acl(token.text, kind == "standard", ctx.number)
    return AclMode(token.text)


class AclMode:
    """``ip access-list`` sub-mode: ``[SEQ] permit|deny ...``, ``remark ...``, ``no SEQ``,
    ``no permit|deny ...``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def handle(self, cur: Cursor, ctx: Context) -> Mode | None:
        if cur.try_keyword("exit"):
            cur.done()
            return None
        draft = ctx.draft.acls[self.name]
        if cur.try_keyword("no"):
            _remove_entry(cur, ctx, draft)
            return self
        sequence = cur.try_integer(1, 2147483647)
        entry = parse_entry(cur, ctx, draft.acl.standard)
        draft.add(entry, sequence)
        return self


def _remove_entry(cur: Cursor, ctx: Context, draft: AclDraft) -> None:
    """``no SEQ`` or ``no permit|deny|remark ...``: one entry of a named list, or of a
    numbered one edited as ``ip access-list extended 101`` (the IOS way to take one line out
    of a numbered list); an entry that is not there is silently ignored."""
    sequence = cur.try_integer(1, 2147483647)
    if sequence is not None:
        cur.done()
        draft.remove(lambda seq, _: seq == sequence)
        return
    entry = parse_entry(cur, ctx, draft.acl.standard)
    draft.remove(lambda _, existing: existing == entry)


def parse_entry(cur: Cursor, ctx: Context, standard: bool) -> AclEntry | AclRemark:
    action = cur.keyword("permit", "deny", "remark")
    if action == "remark":
        return AclRemark(cur.rest(), ctx.number)
    if standard:
        source = _standard_address(cur)
        options = tuple(_options(cur, ("log",), _PROTO_TCP))
        return AclEntry(action, 0, source, options=options, line=ctx.number)
    return _extended(cur, ctx, action)


def _extended(cur: Cursor, ctx: Context, action: str) -> AclEntry:
    protocol = _protocol(cur)
    ported = protocol in (_PROTO_TCP, _PROTO_UDP)
    source = _address(cur)
    source_port = _port_match(cur, protocol) if ported else None
    destination = _address(cur)
    destination_port = _port_match(cur, protocol) if ported else None
    icmp_type, icmp_code = _icmp(cur) if protocol == _PROTO_ICMP else (None, None)
    options = tuple(_options(cur, _OPTIONS, protocol))
    return AclEntry(
        action,
        protocol,
        source,
        destination,
        source_port,
        destination_port,
        icmp_type,
        icmp_code,
        options,
        ctx.number,
    )


def _protocol(cur: Cursor) -> int:
    number = cur.try_integer(0, 255)
    if number is not None:
        return number
    return names.PROTOCOLS[cur.keyword(*names.PROTOCOLS)]


def _address(cur: Cursor) -> AddressMatch:
    keyword = cur.try_keyword("any", "host")
    if keyword == "any":
        return AddressMatch.any()
    if keyword == "host":
        return AddressMatch.host(cur.ipv4())
    address = cur.ipv4()
    return AddressMatch(address, cur.ipv4())


def _standard_address(cur: Cursor) -> AddressMatch:
    keyword = cur.try_keyword("any", "host")
    if keyword == "any":
        return AddressMatch.any()
    address = cur.ipv4()
    if keyword == "host":
        return AddressMatch.host(address)
    wildcard = cur.try_ipv4()
    return AddressMatch.host(address) if wildcard is None else AddressMatch(address, wildcard)


def _port_match(cur: Cursor, protocol: int) -> PortMatch | None:
    op = cur.try_keyword("eq", "neq", "lt", "gt", "range")
    if op is None:
        return None
    if op == "range":
        low = _port(cur, protocol)
        high_token = cur.peek()
        high = _port(cur, protocol)
        if high < low:
            raise cur.invalid(high_token)
        return PortMatch(op, (low, high))
    ports = [_port(cur, protocol)]
    while op in ("eq", "neq") and _is_port(cur, protocol):
        ports.append(_port(cur, protocol))
    return PortMatch(op, tuple(ports))


def _port_table(protocol: int) -> dict[str, int]:
    return names.TCP_PORTS if protocol == _PROTO_TCP else names.UDP_PORTS


def _is_port(cur: Cursor, protocol: int) -> bool:
    token = cur.peek()
    if token is None:
        return False
    number = parse_int(token.text)
    if number is not None:
        return "." not in token.text and number <= 65535
    return token.text.lower() in _port_table(protocol)


def _port(cur: Cursor, protocol: int) -> int:
    number = cur.try_integer(0, 65535)
    if number is not None:
        return number
    table = _port_table(protocol)
    return table[cur.keyword(*table)]


def _icmp(cur: Cursor) -> tuple[int | None, int | None]:
    number = cur.try_integer(0, 255)
    if number is not None:
        return (number, cur.try_integer(0, 255))
    token = cur.peek()
    if token is None or token.text.lower() in _OPTIONS:
        return (None, None)
    return names.ICMP_TYPES[cur.keyword(*names.ICMP_TYPES)]


def _options(cur: Cursor, allowed: tuple[str, ...], protocol: int) -> list[str]:
    options: list[str] = []
    while not cur.at_end():
        token = cur.peek()
        option = cur.keyword(*allowed)
        if option in options or (option == "established" and protocol != _PROTO_TCP):
            raise cur.invalid(token)
        if option in _OPTIONS_WITH_ARGUMENT:
            option = f"{option} {cur.word()}"
        options.append(option)
    return options
