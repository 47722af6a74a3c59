"""Configuration errors, recorded and shown the IOS way (DESIGN.md principle 4).

Public API:

- ``ConfigError(line, column, message, kind=ErrorKind.INVALID, source="")``: one error. ``line``
  is 1-based, ``column`` 0-based (the character the caret goes under), ``source`` the text of the
  offending line as written. ``kind`` says which IOS message applies.
- ``ErrorKind``: ``INVALID`` (``% Invalid input detected at '^' marker.``), ``INCOMPLETE``
  (``% Incomplete command.``), ``AMBIGUOUS`` (``% Ambiguous command:  "..."``) and ``REFERENCE``
  (a command names an object that is not defined: transform set, access list, pool, ...) and
  ``ENCRYPTED`` (a type 6 key that cannot be decrypted without the router's master key).
- ``format_error(error, filename) -> str``: the error as an operator reads it::

      vpn2611.cfg:12:
      crypto isakmp polcy 10
                    ^
      % Invalid input detected at '^' marker.

Parsing never raises ``ConfigError``: errors are collected, like pasting a configuration into a
router prints an error for each bad line and keeps the good ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

INVALID_INPUT = "% Invalid input detected at '^' marker."
INCOMPLETE_COMMAND = "% Incomplete command."


class ErrorKind(enum.Enum):
    INVALID = "invalid-input"
    INCOMPLETE = "incomplete-command"
    AMBIGUOUS = "ambiguous-command"
    REFERENCE = "undefined-reference"
    ENCRYPTED = "undecryptable-key"


@dataclass(frozen=True)
class ConfigError:
    """One error in a configuration: where it is and what IOS would say."""

    line: int
    column: int
    message: str
    kind: ErrorKind = ErrorKind.INVALID
    source: str = ""

    @property
    def code(self) -> str:
        """A stable identifier for automation (``--json``)."""
        return self.kind.value


def format_error(error: ConfigError, filename: str) -> str:
    """Render ``error`` like the IOS CLI does, prefixed by ``filename:line:``."""
    source = error.source.rstrip()
    lines = [f"{filename}:{error.line}:", source]
    if error.kind in (ErrorKind.INVALID, ErrorKind.REFERENCE, ErrorKind.ENCRYPTED):
        lines.append(" " * max(error.column, 0) + "^")
    lines.append(error.message)
    return "\n".join(lines)
