"""IOS output modifiers: ``show ... | include|exclude|begin|section|count REGEX`` and ``| json``.

Public API: ``FILTERS`` (name -> help, and whether a regular expression must follow),
``OutputFilter(kind, pattern)``, ``apply(text, output_filter) -> str`` (raises
``FilterError`` for a bad regular expression). ``json`` is not applied here: the session asks
the show command for its data instead of its text.

The regular expressions are Python's ``re`` searched anywhere in the line (IOS regexes are
searched too, and the usual ones, ``crypto map``, ``^interface``, ``spi|peer``, mean the same).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FilterSpec:
    help: str
    regex: str  # "required", "optional" or "none"


FILTERS: dict[str, FilterSpec] = {
    "begin": FilterSpec("Begin with the line that matches", "required"),
    "count": FilterSpec("Count number of lines which match regexp", "optional"),
    "exclude": FilterSpec("Exclude lines that match", "required"),
    "include": FilterSpec("Include lines that match", "required"),
    "json": FilterSpec("Structured output (JSON)", "none"),
    "section": FilterSpec("Filter a section of output", "required"),
}


class FilterError(ValueError):
    """The regular expression does not compile."""


@dataclass(frozen=True)
class OutputFilter:
    kind: str  # a key of FILTERS
    pattern: str = ""


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise FilterError(f"% Invalid regular expression: {exc}") from exc


def apply(text: str, output_filter: OutputFilter) -> str:
    """The lines of ``text`` the filter keeps (with a final newline if any line is kept)."""
    kind = output_filter.kind
    if kind not in FILTERS or kind == "json":
        raise ValueError(f"not a text filter: {kind!r}")
    regex = _compile(output_filter.pattern)
    lines = text.splitlines()
    if kind == "count":
        matched = sum(1 for line in lines if regex.search(line))
        return f"Number of lines which match regexp = {matched}\n"
    if kind == "include":
        kept = [line for line in lines if regex.search(line)]
    elif kind == "exclude":
        kept = [line for line in lines if not regex.search(line)]
    elif kind == "begin":
        start = next((i for i, line in enumerate(lines) if regex.search(line)), len(lines))
        kept = lines[start:]
    else:
        kept = _sections(lines, regex)
    return "".join(f"{line}\n" for line in kept)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _sections(lines: list[str], regex: re.Pattern[str]) -> list[str]:
    """Each matching line with the more-indented lines under it (``| section``)."""
    kept: list[str] = []
    section_indent: int | None = None
    for line in lines:
        if section_indent is not None:
            if line.strip() and _indent(line) > section_indent:
                kept.append(line)
                continue
            section_indent = None
        if regex.search(line):
            kept.append(line)
            section_indent = _indent(line)
    return kept
