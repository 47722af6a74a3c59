"""``interface NAME`` and interface configuration mode.

Internal to the parser. Interface names are expanded the way IOS does (``e0/0`` and ``Ethernet
0/0`` are ``Ethernet0/0``); the sub-commands we model are ``ip address``, ``shutdown``,
``description`` and ``crypto map``, the others are kept in ``Interface.other``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from ipaddress import IPv4Interface

from vpnrouter.config import names, vocabulary
from vpnrouter.config.context import Context, Mode
from vpnrouter.config.lexer import Cursor
from vpnrouter.config.model import Interface

_NAME = re.compile(r"^([A-Za-z][A-Za-z-]*?)([0-9][0-9/.:]*)?$")
_NUMBER = re.compile(r"^[0-9][0-9/.:]*$")


def interface_name(cur: Cursor) -> str:
    """Read an interface name (one or two words) and return its full IOS spelling."""
    token = cur.next()
    match = _NAME.match(token.text)
    if match is None:
        raise cur.invalid(token)
    found = names.interface_type(match.group(1))
    if found is None:
        raise cur.invalid(token)
    number = match.group(2)
    if number is None:
        number_token = cur.next()
        if not _NUMBER.match(number_token.text):
            raise cur.invalid(number_token)
        number = number_token.text
    return found + number


def handle_interface(cur: Cursor, ctx: Context) -> Mode | None:
    name = interface_name(cur)
    cur.done()
    if name not in ctx.draft.interfaces:
        ctx.draft.interfaces[name] = Interface(name, line=ctx.number)
    return InterfaceMode(name)


_WORDS = ("ip", "shutdown", "description", "crypto", "no", "exit")
_NO_WORDS = ("ip", "shutdown", "description", "crypto")
_OTHER = vocabulary.INTERFACE_WORDS
_IP_OTHER = vocabulary.INTERFACE_IP_WORDS


class InterfaceMode:
    def __init__(self, name: str) -> None:
        self.name = name

    def handle(self, cur: Cursor, ctx: Context) -> Mode | None:
        word = cur.keyword(*_WORDS, exact=_OTHER)
        interface = ctx.draft.interface(self.name)
        if word == "exit":
            cur.done()
            return None
        if word == "no":
            updated = self._no(cur, ctx, interface)
        elif word == "ip" and cur.keyword("address", exact=_IP_OTHER) == "address":
            updated = _ip_address(cur, interface)
        elif word == "shutdown":
            cur.done()
            updated = replace(interface, shutdown=True)
        elif word == "description":
            updated = replace(interface, description=cur.rest())
        elif word == "crypto":
            updated = _crypto_map(cur, ctx, interface)
        else:
            updated = _other(cur, ctx, interface)
        ctx.draft.interfaces[self.name] = updated
        return self

    def _no(self, cur: Cursor, ctx: Context, interface: Interface) -> Interface:
        word = cur.keyword(*_NO_WORDS, exact=_OTHER)
        if word == "shutdown":
            cur.done()
            return replace(interface, shutdown=False)
        if word == "ip" and cur.keyword("address", exact=_IP_OTHER) == "address":
            cur.done()
            return replace(interface, address=None, secondary=(), dhcp=False)
        if word == "description":
            cur.pos = len(cur.tokens)
            return replace(interface, description=None)
        if word == "crypto":
            cur.keyword("map")
            cur.pos = len(cur.tokens)
            ctx.draft.remove(("interface-map", interface.name), ctx.number)
            return replace(interface, crypto_map=None)
        return _other(cur, ctx, interface)


def _ip_address(cur: Cursor, interface: Interface) -> Interface:
    if cur.try_keyword("dhcp"):
        cur.done()
        return replace(interface, dhcp=True, address=None, secondary=())
    address = cur.ipv4()
    mask = cur.netmask()
    secondary = cur.try_keyword("secondary") is not None
    cur.done()
    value = IPv4Interface(f"{address}/{mask}")
    if secondary:
        if value in interface.secondary:
            return interface
        return replace(interface, secondary=(*interface.secondary, value))
    return replace(interface, address=value, dhcp=False)


def _crypto_map(cur: Cursor, ctx: Context, interface: Interface) -> Interface:
    cur.keyword("map")
    token = cur.next()
    cur.done()
    ctx.reference("crypto-map", token.text, token, ("interface-map", interface.name))
    return replace(interface, crypto_map=token.text)


def _other(cur: Cursor, ctx: Context, interface: Interface) -> Interface:
    cur.pos = len(cur.tokens)
    ctx.not_acted_on()
    return replace(interface, other=(*interface.other, ctx.line.normalized))
