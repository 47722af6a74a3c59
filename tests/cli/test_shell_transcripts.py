"""Golden shell sessions (tests/cli/data/transcripts): typed lines after the prompt, the
expected output up to the next prompt, ``<*>`` for live values. Every show command in both
dialects, abbreviations, errors, help, filters, ``| json``, clear/debug, enable/disable.

The first line names the snapshot: ``# snapshot: vpn2611, version 12.2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import shellfakes
from shellfakes import DATA, FakeBackend, with_version

from vpnrouter.cli.shell.session import Session

TRANSCRIPTS = sorted((DATA / "transcripts").glob("*.txt"))


@dataclass
class Step:
    prompt: str
    line: str
    expected: list[str]
    number: int  # line number of the command in the file


def load(path: Path) -> tuple[str, str | None, list[Step]]:
    lines = path.read_text().splitlines()
    header = re.fullmatch(r"# snapshot: (\w+), version (\S+)", lines[0])
    if header is None:
        raise ValueError(f"{path.name}: first line must be '# snapshot: NAME, version V'")
    name, version = header.group(1), header.group(2)
    prompt_re = re.compile(rf"^({re.escape(name)}[>#])(.*)$")
    steps: list[Step] = []
    for number, line in enumerate(lines[1:], start=2):
        match = prompt_re.match(line)
        if match:
            steps.append(Step(match.group(1), match.group(2), [], number))
        elif steps:
            steps[-1].expected.append(line)
    return name, (None if version == "none" else version), steps


def matches(expected: str, actual: str) -> bool:
    if "<*>" not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split("<*>"))
    return re.fullmatch(pattern, actual) is not None


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_transcript(path: Path) -> None:
    name, version, steps = load(path)
    backend = FakeBackend(with_version(getattr(shellfakes, name)(), version))
    session = Session(backend)
    assert steps, "empty transcript"
    for step in steps:
        where = f"{path.name}:{step.number}: {step.prompt}{step.line}"
        assert session.prompt == step.prompt, where
        actual = session.run_command(step.line).splitlines()
        assert len(actual) == len(step.expected), (where, actual)
        for i, (want, got) in enumerate(zip(step.expected, actual, strict=True)):
            assert matches(want, got), f"{where} (output line {i + 1}): {got!r} != {want!r}"


def test_transcripts_cover_every_show_command() -> None:
    """Each show action appears, in both dialects, in some transcript."""
    from vpnrouter.cli.shell.commands import EXEC_GRAMMAR
    from vpnrouter.cli.shell.grammar import ENABLE
    from vpnrouter.cli.shell.show import SHOW_COMMANDS

    for dialect in ("ios12", "ios15"):
        seen: set[str] = set()
        for path in TRANSCRIPTS:
            if not path.stem.endswith(dialect):
                continue
            for step in load(path)[2]:
                try:
                    command = EXEC_GRAMMAR.parse(step.line, ENABLE)
                except Exception:
                    continue
                if command is not None:
                    seen.add(command.action)
        missing = set(SHOW_COMMANDS) - seen
        assert not missing, (dialect, missing)


def test_mask() -> None:
    assert matches("*<*> UTC <*>", "*01:46:40.250 UTC Sun Sep 9 2001")
    assert not matches("*<*> UTC <*>", "01:46:40.250 GMT")
    assert not matches("abc", "abd")
