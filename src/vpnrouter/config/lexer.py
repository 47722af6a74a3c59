"""Lines and words of IOS configuration text, and a cursor that matches them like the IOS CLI.

Public API:

- ``Token(text, column)``, ``tokenize(line) -> tuple[Token, ...]``.
- ``split_lines(text) -> list[str]``: lines as an editor numbers them (``\\n``, ``\\r\\n``).
- ``is_ignorable(line) -> bool``: blank lines, ``!`` comments and the ``Building
  configuration...`` / ``Current configuration : N bytes`` header of ``show running-config``.
- ``Cursor``: walks the tokens of one line. Keywords match case-insensitively and may be
  abbreviated to any unique prefix (``int e0/0``, ``crypto isa pol 10``), as on a router. A
  mismatch raises ``Reject`` with the column of the offending word and the IOS error kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import AddressValueError, IPv4Address

from vpnrouter.config.errors import INCOMPLETE_COMMAND, INVALID_INPUT, ErrorKind

_WORD = re.compile(r"\S+")
_HEADER = re.compile(r"^(Building configuration\.\.\.|Current configuration\s*:.*)$")


@dataclass(frozen=True)
class Token:
    text: str
    column: int


def tokenize(line: str) -> tuple[Token, ...]:
    return tuple(Token(m.group(), m.start()) for m in _WORD.finditer(line))


def split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def is_ignorable(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("!") or bool(_HEADER.match(stripped))


class Reject(Exception):
    """A line does not parse: the IOS error kind, the column, and the message."""

    def __init__(self, kind: ErrorKind, column: int, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.column = column
        self.message = message

    @property
    def reach(self) -> int:
        """How far the parser got; the mode that got furthest reports the error."""
        return self.column


class Cursor:
    """The tokens of one line, consumed left to right."""

    def __init__(self, line: str, tokens: tuple[Token, ...] | None = None) -> None:
        self.line = line
        self.tokens = tokenize(line) if tokens is None else tokens
        self.pos = 0

    # -- position -------------------------------------------------------------------------
    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def peek(self) -> Token | None:
        return None if self.at_end() else self.tokens[self.pos]

    def remaining(self) -> int:
        return len(self.tokens) - self.pos

    def invalid(self, token: Token | None = None) -> Reject:
        """The error for ``token`` (default: the next one, or the end of the line)."""
        if token is None:
            token = self.peek()
        if token is None:
            return Reject(ErrorKind.INCOMPLETE, len(self.line.rstrip()), INCOMPLETE_COMMAND)
        return Reject(ErrorKind.INVALID, token.column, INVALID_INPUT)

    def incomplete(self) -> Reject:
        return Reject(ErrorKind.INCOMPLETE, len(self.line.rstrip()), INCOMPLETE_COMMAND)

    def done(self) -> None:
        """The line must end here."""
        if not self.at_end():
            raise self.invalid()

    # -- words ----------------------------------------------------------------------------
    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.incomplete()
        self.pos += 1
        return token

    def word(self) -> str:
        return self.next().text

    def rest(self) -> str:
        """The raw text from the next word to the end of the line (at least one word)."""
        token = self.next()
        self.pos = len(self.tokens)
        return self.line[token.column :].rstrip()

    def keyword(self, *choices: str, exact: Iterable[str] = ()) -> str:
        """The next word as one of ``choices`` (a unique prefix is enough) or of ``exact``
        (words of commands we keep without acting on them: those must be spelled out)."""
        token = self.peek()
        if token is None:
            raise self.incomplete()
        found = match_keyword(token.text, choices, exact)
        if found is None:
            raise self.invalid(token)
        if isinstance(found, list):
            raise self.ambiguous(token)
        self.pos += 1
        return found

    def try_keyword(self, *choices: str, exact: Iterable[str] = ()) -> str | None:
        """Like ``keyword`` but returns None (consuming nothing) when the word is not one."""
        token = self.peek()
        if token is None:
            return None
        found = match_keyword(token.text, choices, exact)
        if found is None:
            return None
        if isinstance(found, list):
            raise self.ambiguous(token)
        self.pos += 1
        return found

    def ambiguous(self, token: Token) -> Reject:
        typed = " ".join(t.text for t in self.tokens[: self.tokens.index(token) + 1])
        return Reject(ErrorKind.AMBIGUOUS, token.column, f'% Ambiguous command:  "{typed}"')

    def integer(self, low: int, high: int) -> int:
        token = self.next()
        value = parse_int(token.text)
        if value is None or not low <= value <= high:
            raise self.invalid(token)
        return value

    def try_integer(self, low: int, high: int) -> int | None:
        token = self.peek()
        if token is None or parse_int(token.text) is None:
            return None
        return self.integer(low, high)

    def ipv4(self) -> IPv4Address:
        token = self.next()
        address = parse_ipv4(token.text)
        if address is None:
            raise self.invalid(token)
        return address

    def try_ipv4(self) -> IPv4Address | None:
        token = self.peek()
        if token is None or parse_ipv4(token.text) is None:
            return None
        return self.ipv4()

    def netmask(self) -> IPv4Address:
        """A contiguous subnet mask such as 255.255.255.0."""
        token = self.next()
        mask = parse_ipv4(token.text)
        if mask is None or not is_contiguous_mask(mask):
            raise self.invalid(token)
        return mask


def match_keyword(
    text: str, choices: Iterable[str], exact: Iterable[str] = ()
) -> str | list[str] | None:
    """The keyword ``text`` stands for: exact match first, then a unique prefix of ``choices``.

    Returns None when nothing matches and the list of candidates when the prefix is ambiguous.
    """
    lowered = text.lower()
    for word in exact:
        if word == lowered:
            return word
    candidates: list[str] = []
    for choice in choices:
        if choice == lowered:
            return choice
        if choice.startswith(lowered):
            candidates.append(choice)
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    return candidates


def parse_int(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    return int(text)


def parse_ipv4(text: str) -> IPv4Address | None:
    if not text.isascii() or text.count(".") != 3:
        return None
    try:
        return IPv4Address(text)
    except AddressValueError:
        return None


def is_contiguous_mask(mask: IPv4Address) -> bool:
    value = int(mask)
    inverted = ~value & 0xFFFFFFFF
    return inverted & (inverted + 1) == 0


def is_contiguous_wildcard(wildcard: IPv4Address) -> bool:
    value = int(wildcard)
    return value & (value + 1) == 0
