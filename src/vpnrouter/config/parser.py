"""Parse IOS configuration text into a ``RunningConfig``, the way the IOS CLI takes a paste.

Public API:

- ``parse(text, filename="<config>") -> ParseResult``: never raises for any text. Every bad line
  becomes a ``ConfigError``; the good lines are loaded.
- ``load(path) -> ParseResult``: ``parse`` of a file (read as UTF-8, undecodable bytes replaced).
- ``parse_strict(text, filename="<config>") -> RunningConfig``: for the router: raises
  ``InvalidConfig`` (with ``.errors`` and a message made of the IOS-formatted errors) unless the
  text loads without a single error.
- ``ParseResult``: ``.config``, ``.errors`` (sorted by line), ``.not_acted_on`` (``(line,
  text)`` of every command kept but not acted on), ``.filename``, ``.ok``,
  ``.formatted_errors()``.

How modes work: a line is tried in the current sub-mode first and then in global configuration
mode (that is how a configuration without indentation still lands in the right place); if both
fail, the one that got further along the line reports the error (the sub-mode on a tie), and the
CLI stays in the sub-mode only if the error came from it. When the lines of a block are indented
(``show running-config`` output), an unindented line is tried in global mode first. Lines after
``end`` are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vpnrouter.config.context import BannerMode, Context, Line, Mode, OpaqueMode
from vpnrouter.config.draft import Draft
from vpnrouter.config.errors import INCOMPLETE_COMMAND, ConfigError, ErrorKind, format_error
from vpnrouter.config.lexer import Reject, is_ignorable, split_lines, tokenize
from vpnrouter.config.model import RunningConfig
from vpnrouter.config.parse_global import handle_global
from vpnrouter.config.references import check_references


@dataclass(frozen=True)
class ParseResult:
    config: RunningConfig
    errors: tuple[ConfigError, ...]
    not_acted_on: tuple[tuple[int, str], ...]
    filename: str = "<config>"

    @property
    def ok(self) -> bool:
        return not self.errors

    def formatted_errors(self) -> list[str]:
        name = Path(self.filename).name
        return [format_error(error, name) for error in self.errors]


class InvalidConfig(ValueError):
    def __init__(self, result: ParseResult) -> None:
        super().__init__("\n".join(result.formatted_errors()))
        self.errors = result.errors


def parse(text: str, filename: str = "<config>") -> ParseResult:
    parser = _Parser()
    for number, raw in enumerate(split_lines(text), start=1):
        if not parser.feed(number, raw):
            break
    return parser.result(filename)


def load(path: str | Path) -> ParseResult:
    data = Path(path).read_bytes()
    return parse(data.decode("utf-8", errors="replace"), str(path))


def parse_strict(text: str, filename: str = "<config>") -> RunningConfig:
    result = parse(text, filename)
    if result.errors:
        raise InvalidConfig(result)
    return result.config


class _Parser:
    def __init__(self) -> None:
        self.draft = Draft()
        self.mode: Mode | None = None
        # Whether the sub-mode lines of the current block are indented; when they are, an
        # unindented line is tried in global mode first (a rendered or captured config).
        self.block_indented: bool | None = None
        self.errors: list[ConfigError] = []

    def feed(self, number: int, raw: str) -> bool:
        """Take one line; False once ``end`` is reached."""
        if isinstance(self.mode, BannerMode):
            line = Line(number, raw, tokenize(raw))
            after = self.mode.handle(line.cursor(), Context(self.draft, line))
            if after is not self.mode:
                self.mode = after
            return True
        if is_ignorable(raw):
            return True
        tokens = tokenize(raw)
        if len(tokens) == 1 and tokens[0].text.lower() == "end":
            return False
        self._dispatch(Line(number, raw, tokens))
        return True

    def _dispatch(self, line: Line) -> None:
        ctx = Context(self.draft, line)
        mode = self.mode
        if mode is None:
            try:
                self._enter(handle_global(line.cursor(), ctx))
            except Reject as error:
                self._error(line, error)
            return
        if isinstance(mode, OpaqueMode):
            self._dispatch_opaque(mode, line, ctx)
            return
        if self.block_indented is None:
            self.block_indented = line.indented
        global_first = self.block_indented and not line.indented
        attempts = [(False, mode.handle), (True, handle_global)]
        failures: list[tuple[bool, Reject]] = []
        for is_global, handler in reversed(attempts) if global_first else attempts:
            try:
                after = handler(line.cursor(), ctx)
            except Reject as failure:
                failures.append((is_global, failure))
                continue
            if after is not mode:
                self._enter(after)
            return
        is_global, chosen = max(failures, key=lambda f: (f[1].reach, not f[0]))
        self._error(line, chosen)
        if is_global:
            self._enter(None)

    def _enter(self, mode: Mode | None) -> None:
        self.mode = mode
        self.block_indented = None

    def _dispatch_opaque(self, mode: OpaqueMode, line: Line, ctx: Context) -> None:
        if line.indented:
            mode.handle(line.cursor(), ctx)
            return
        try:
            self._enter(handle_global(line.cursor(), ctx))
        except Reject as error:
            if error.kind is ErrorKind.INVALID and error.column == line.tokens[0].column:
                mode.handle(line.cursor(), ctx)
            else:
                self._error(line, error)
                self._enter(None)

    def _error(self, line: Line, error: Reject) -> None:
        self.errors.append(
            ConfigError(line.number, error.column, error.message, error.kind, line.text)
        )

    def result(self, filename: str) -> ParseResult:
        if isinstance(self.mode, BannerMode):
            start = self.mode.start
            self.errors.append(
                ConfigError(
                    start.number,
                    len(start.text.rstrip()),
                    INCOMPLETE_COMMAND,
                    ErrorKind.INCOMPLETE,
                    start.text,
                )
            )
        config = self.draft.finish()
        errors = self.errors + check_references(config, self.draft.live_references())
        errors.sort(key=lambda e: (e.line, e.column))
        return ParseResult(config, tuple(errors), tuple(self.draft.not_acted_on), filename)
