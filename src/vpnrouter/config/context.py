"""What a command handler sees: the line being parsed, the draft, and the mode protocol.

Internal to the parser. A handler parses the whole line with a ``Cursor`` first and only then
changes the draft, so a line that fails changes nothing (the parser may try it in several modes).
It returns the mode the CLI is in after the line: ``None`` for global configuration mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vpnrouter.config import vocabulary
from vpnrouter.config.draft import Draft, Reference, UnmodeledDraft
from vpnrouter.config.lexer import Cursor, Reject, Token


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    tokens: tuple[Token, ...]

    @property
    def indented(self) -> bool:
        return self.text[:1] in (" ", "\t")

    def cursor(self) -> Cursor:
        return Cursor(self.text, self.tokens)

    @property
    def normalized(self) -> str:
        return " ".join(t.text for t in self.tokens)


class Context:
    def __init__(self, draft: Draft, line: Line) -> None:
        self.draft = draft
        self.line = line

    @property
    def number(self) -> int:
        return self.line.number

    def reference(
        self, kind: str, name: str, token: Token, owner: tuple[str | int, ...] = ()
    ) -> None:
        self.draft.references.append(
            Reference(kind, name, self.line.number, token.column, self.line.text, owner)
        )

    def not_acted_on(self, text: str | None = None) -> None:
        self.draft.not_acted_on.append((self.line.number, text or self.line.normalized))


class Mode(Protocol):
    def handle(self, cur: Cursor, ctx: Context) -> Mode | None: ...


class OpaqueMode:
    """The sub-mode of a command we keep but do not act on (``line vty 0 4``, ...).

    Indented lines belong to it; an unindented line belongs to it unless it is a global
    command (that is what the IOS CLI decides too, by trying the global grammar).
    """

    def __init__(self, command: UnmodeledDraft) -> None:
        self.command = command

    def handle(self, cur: Cursor, ctx: Context) -> Mode | None:
        self.command.children.append(ctx.line.normalized)
        ctx.not_acted_on()
        cur.pos = len(cur.tokens)
        return self


def keep_unmodeled(cur: Cursor, ctx: Context) -> Mode | None:
    """Keep the whole line as a command we do not act on (it is valid, just not ours): a
    global one (``service timestamps ...``) or a crypto one (``crypto pki trustpoint X``)."""
    cur.pos = len(cur.tokens)
    command = UnmodeledDraft(ctx.line.normalized, ctx.number)
    ctx.draft.unmodeled.append(command)
    ctx.not_acted_on()
    words = tuple(t.text for t in ctx.line.tokens)
    return OpaqueMode(command) if vocabulary.opens_submode(words) else None


class BannerMode:
    """Raw lines of a delimited banner (``banner motd ^C ... ^C``) until the delimiter."""

    def __init__(
        self,
        delimiter: str,
        text: str,
        start: Line,
        finish: Callable[[str], None],
        after: Mode | None,
    ) -> None:
        self.delimiter = delimiter
        self.text = text
        self.start = start
        self.finish = finish
        self.after = after

    def handle(self, cur: Cursor, ctx: Context) -> Mode | None:
        cur.pos = len(cur.tokens)
        return self.after if self.feed(ctx.line.text) else self

    def feed(self, raw: str) -> bool:
        """Take one more line; True once the closing delimiter has been seen."""
        index = raw.find(self.delimiter)
        if index < 0:
            self.text += "\n" + raw.rstrip()
            return False
        self.text += "\n" + raw[:index]
        self.finish(self.text)
        return True


_SPARE_DELIMITERS = "#%&$~|@+="


def banner_delimiter(text: str) -> str:
    """``^C``, as ``show running-config`` prints banners, unless the text itself holds a
    ``^C``: then a character the text lacks, so that the banner reads back the same."""
    if "^C" not in text:
        return "^C"
    return next((c for c in _SPARE_DELIMITERS if c not in text), "\x03")


def start_banner(
    cur: Cursor, ctx: Context, finish: Callable[[str], None], after: Mode | None
) -> Mode | None:
    """Parse ``DELIM text [DELIM]`` from the cursor: finish now or return a ``BannerMode``."""
    token = cur.peek()
    if token is None:
        raise cur.incomplete()
    rest = ctx.line.text[token.column :]
    delimiter = "^C" if rest.startswith("^C") else rest[0]
    text = rest[len(delimiter) :]
    cur.pos = len(cur.tokens)
    index = text.find(delimiter)
    if index >= 0:
        finish(text[:index])
        return after
    return BannerMode(delimiter, text.rstrip(), ctx.line, finish, after)


__all__ = [
    "BannerMode",
    "Context",
    "Line",
    "Mode",
    "OpaqueMode",
    "Reject",
    "banner_delimiter",
    "start_banner",
]
