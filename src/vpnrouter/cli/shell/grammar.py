"""The IOS exec command language: a tree of keywords and arguments, matched the IOS way.

A command is a path from the root: keywords (matched by any unique prefix, case-insensitive;
an exact match wins over longer keywords) and arguments (``A.B.C.D``, ``WORD``,
``<1-32766>``, ``LINE`` = the rest of the line). A node with an ``action`` may end a command;
a node with ``pipe`` accepts output modifiers after it (``| include REGEX``, see
``filters``). Nodes above the session's privilege level are invisible (IOS: ``show
running-config`` does not exist at ``Router>``).

Public API:

- ``Node``, ``ArgSpec`` and the builders ``kw(...)``, ``arg(...)``, ``ipv4_arg``,
  ``word_arg``, ``range_arg``, ``line_arg``.
- ``Grammar(root)``: ``parse(line, level) -> Command | None`` (None: empty line; raises a
  ``CliError``), ``help(line, level) -> str`` (``line`` without its ``?``: ``"sh "`` lists the
  next words with their help, ``"sh c"`` the words that complete ``c``), ``complete(line,
  level) -> list[str]`` (tab completion of the last word).
- ``Command(action, values, words, output_filter)``; errors ``InvalidInput(column)``,
  ``IncompleteCommand``, ``AmbiguousCommand(text)``, ``UnknownCommand``,
  ``UnrecognizedCommand``, each with ``render(prompt_width) -> str``, the lines IOS prints
  (the caret is placed under the input echoed after a prompt of ``prompt_width`` columns).
"""

from __future__ import annotations

import ipaddress
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from vpnrouter.cli.shell.filters import FILTERS, OutputFilter

EXEC = 1
ENABLE = 15
HELP_WIDTH = 80


# -- arguments --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArgSpec:
    """An argument type: ``name`` is what help shows; ``prefix_len`` says how much of a
    rejected token could still have been valid (where the caret goes)."""

    name: str
    accepts: Callable[[str], bool]
    prefix_len: Callable[[str], int] = lambda token: 0
    rest_of_line: bool = False


def _ipv4_ok(token: str) -> bool:
    if not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", token):
        return False
    try:
        ipaddress.IPv4Address(token)
    except ValueError:
        return False
    return True


def _ipv4_prefix(token: str) -> int:
    """Length of the longest prefix of ``token`` that starts a dotted quad."""
    for end in range(len(token), 0, -1):
        head = token[:end]
        parts = head.split(".")
        if (
            len(parts) <= 4
            and parts[0] != ""
            and all(p == "" or (p.isdigit() and len(p) <= 3 and int(p) <= 255) for p in parts)
        ):
            return end
    return 0


def ipv4_arg() -> ArgSpec:
    return ArgSpec("A.B.C.D", _ipv4_ok, _ipv4_prefix)


def word_arg() -> ArgSpec:
    return ArgSpec("WORD", lambda token: True)


def line_arg() -> ArgSpec:
    return ArgSpec("LINE", lambda token: True, rest_of_line=True)


def range_arg(low: int, high: int) -> ArgSpec:
    def accepts(token: str) -> bool:
        return token.isdigit() and low <= int(token) <= high

    def prefix_len(token: str) -> int:
        """Digits then junk: the junk is wrong; a number out of range: all of it."""
        digits = len(token) - len(token.lstrip("0123456789"))
        return 0 if digits == len(token) else digits

    return ArgSpec(f"<{low}-{high}>", accepts, prefix_len)


# -- the tree ---------------------------------------------------------------------------------
@dataclass
class Node:
    word: str  # the keyword, or the argument's name
    help: str
    arg: ArgSpec | None = None
    key: str | None = None  # Command.values[key] = the token (or the keyword)
    action: str | None = None  # a command may end here; names its handler
    privilege: int = EXEC
    pipe: bool = False  # output modifiers may follow
    children: list[Node] = field(default_factory=list)

    def visible(self, level: int) -> list[Node]:
        return [child for child in self.children if child.privilege <= level]


def kw(
    word: str,
    help_text: str,
    *children: Node,
    action: str | None = None,
    key: str | None = None,
    privilege: int = EXEC,
    pipe: bool = False,
) -> Node:
    """A keyword node."""
    return Node(word, help_text, None, key, action, privilege, pipe, list(children))


def arg(
    spec: ArgSpec,
    help_text: str,
    key: str,
    *children: Node,
    action: str | None = None,
    pipe: bool = False,
) -> Node:
    """An argument node (its token is stored under ``key``)."""
    return Node(spec.name, help_text, spec, key, action, EXEC, pipe, list(children))


def _pipe_root() -> Node:
    root = Node("|", "Output modifiers")
    for name, spec in FILTERS.items():
        action = "filter" if spec.regex != "required" else None
        node = kw(name, spec.help, key="filter", action=action)
        if spec.regex != "none":
            node.children.append(arg(line_arg(), "Regular Expression", "pattern", action="filter"))
        root.children.append(node)
    return root


PIPE_ROOT = _pipe_root()


# -- results and errors -----------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    action: str
    values: dict[str, str]
    words: tuple[str, ...]  # the keywords as written in full ("show", "crypto", ...)
    output_filter: OutputFilter | None = None


class CliError(Exception):
    """An input the exec rejects; ``render`` gives IOS's lines for it."""

    def render(self, prompt_width: int = 0) -> str:
        raise NotImplementedError


class InvalidInput(CliError):
    def __init__(self, column: int) -> None:
        super().__init__(f"invalid input at column {column}")
        self.column = column

    def render(self, prompt_width: int = 0) -> str:
        caret = " " * (prompt_width + self.column) + "^"
        return f"{caret}\n% Invalid input detected at '^' marker.\n\n"


class IncompleteCommand(CliError):
    def render(self, prompt_width: int = 0) -> str:
        return "% Incomplete command.\n\n"


class AmbiguousCommand(CliError):
    def __init__(self, text: str) -> None:
        super().__init__(f"ambiguous: {text}")
        self.text = text

    def render(self, prompt_width: int = 0) -> str:
        return f'% Ambiguous command:  "{self.text}"\n'


class UnknownCommand(CliError):
    """One word that is no command (IOS would try to telnet to it)."""

    def render(self, prompt_width: int = 0) -> str:
        return "% Unknown command or computer name, or unable to find computer address\n"


class UnrecognizedCommand(CliError):
    """``?`` after a word that matches nothing."""

    def render(self, prompt_width: int = 0) -> str:
        return "% Unrecognized command\n"


# -- matching ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    text: str
    start: int


def tokenize(line: str) -> list[Token]:
    return [Token(m.group(), m.start()) for m in re.finditer(r"\S+", line)]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@dataclass
class _Walk:
    """Where a walk through the tree stands."""

    node: Node
    values: dict[str, str] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    action: str | None = None  # the command's action once a pipe was entered
    in_pipe: bool = False
    pipe_values: dict[str, str] = field(default_factory=dict)
    rest_taken: bool = False  # a LINE argument took the rest of the line

    @property
    def values_target(self) -> dict[str, str]:
        return self.pipe_values if self.in_pipe else self.values


class Grammar:
    def __init__(self, root: Node) -> None:
        self.root = root

    # -- matching one token -------------------------------------------------------------------
    def _match(self, node: Node, token: Token, level: int, line: str) -> Node:
        options = node.visible(level)
        word = token.text.lower()
        keywords = [c for c in options if c.arg is None and c.word.startswith(word)]
        exact = [c for c in keywords if c.word == word]
        if exact:
            return exact[0]
        if len(keywords) == 1:
            return keywords[0]
        if len(keywords) > 1:
            raise AmbiguousCommand(line[: token.start + len(token.text)])
        for child in options:
            if child.arg is not None and child.arg.accepts(token.text):
                return child
        offset = max(
            (
                _common_prefix(word, c.word) if c.arg is None else c.arg.prefix_len(token.text)
                for c in options
            ),
            default=0,
        )
        raise InvalidInput(token.start + min(offset, max(len(token.text) - 1, 0)))

    def _step(self, walk: _Walk, token: Token, level: int, line: str) -> None:
        if walk.rest_taken:
            return
        if token.text == "|" and not walk.in_pipe:
            if walk.node.action is None or not walk.node.pipe:
                raise InvalidInput(token.start)
            walk.action, walk.in_pipe, walk.node = walk.node.action, True, PIPE_ROOT
            return
        child = self._match(walk.node, token, level, line)
        if child.arg is not None and child.arg.rest_of_line:
            value = line[token.start :].rstrip()
            walk.rest_taken = True
        else:
            value = token.text if child.arg is not None else child.word
        if child.key is not None:
            walk.values_target[child.key] = value
        if child.arg is None and not walk.in_pipe:
            walk.words.append(child.word)
        walk.node = child

    def _walk(self, tokens: Iterable[Token], level: int, line: str) -> _Walk:
        walk = _Walk(self.root)
        for token in tokens:
            self._step(walk, token, level, line)
        return walk

    # -- public -------------------------------------------------------------------------------
    def parse(self, line: str, level: int) -> Command | None:
        tokens = tokenize(line)
        if not tokens:
            return None
        try:
            walk = self._walk(tokens, level, line)
        except InvalidInput:
            if len(tokens) == 1 and not self._any_prefix(tokens[0].text, level):
                raise UnknownCommand(tokens[0].text) from None
            raise
        if walk.node.action is None:
            raise IncompleteCommand(line)
        if walk.in_pipe and walk.action is not None:
            kind = walk.pipe_values["filter"]
            output_filter = OutputFilter(kind, walk.pipe_values.get("pattern", ""))
            return Command(walk.action, walk.values, tuple(walk.words), output_filter)
        return Command(walk.node.action, walk.values, tuple(walk.words))

    def _any_prefix(self, token: str, level: int) -> bool:
        word = token.lower()
        return any(_common_prefix(word, c.word) for c in self.root.visible(level) if c.arg is None)

    def options(self, walk: _Walk, level: int) -> list[tuple[str, str]]:
        """(word, help) of what may follow: arguments, keywords A-Z, ``|``, ``<cr>``."""
        if walk.rest_taken:
            return [("<cr>", "")]
        node = walk.node
        visible = node.visible(level)
        result = [(c.word, c.help) for c in visible if c.arg is not None]
        result += sorted((c.word, c.help) for c in visible if c.arg is None)
        if node.action is not None and node.pipe and not walk.in_pipe:
            result.append(("|", "Output modifiers"))
        if node.action is not None:
            result.append(("<cr>", ""))
        return result

    def help(self, line: str, level: int) -> str:
        """What ``?`` prints for ``line`` (the text before the ``?``)."""
        tokens = tokenize(line)
        partial = tokens.pop() if tokens and not line[-1:].isspace() else None
        try:
            walk = self._walk(tokens, level, line)
        except AmbiguousCommand as exc:
            return exc.render()
        except CliError:
            return UnrecognizedCommand().render()
        options = self.options(walk, level)
        if partial is None:
            return _help_table(options)
        prefix = partial.text.lower()
        words = [w for w, _ in options if w not in ("<cr>",) and w.startswith(prefix)]
        if not words and not walk.rest_taken:
            node = walk.node
            words = [
                c.word
                for c in node.visible(level)
                if c.arg is not None and c.arg.accepts(partial.text)
            ]
        if walk.rest_taken:
            words = ["LINE"]
        if not words:
            return UnrecognizedCommand().render()
        return "\n".join(textwrap.wrap("  ".join(words), HELP_WIDTH)) + "\n\n"

    def complete(self, line: str, level: int) -> list[str]:
        """Keywords that complete the last word of ``line`` (all of them after a space)."""
        tokens = tokenize(line)
        partial = tokens.pop().text.lower() if tokens and not line[-1:].isspace() else ""
        try:
            walk = self._walk(tokens, level, line)
        except CliError:
            return []
        if walk.rest_taken:
            return []
        return sorted(
            c.word for c in walk.node.visible(level) if c.arg is None and c.word.startswith(partial)
        )


def _help_table(options: list[tuple[str, str]]) -> str:
    width = max(len(word) for word, _ in options)
    lines = [f"  {word:<{width}}  {text}".rstrip() for word, text in options]
    return "\n".join(lines) + "\n\n"
