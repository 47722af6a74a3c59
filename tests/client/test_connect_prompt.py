"""The XAuth questions on a real pseudo-terminal (answers read on the event loop, passwords
without echo, the terminal restored also when the question is abandoned) and from lines
given on standard input (``--password-stdin``)."""

from __future__ import annotations

import asyncio
import io
import os
import termios
from collections.abc import Iterator

import pytest

from vpnrouter.client.prompt import LinesPrompter, PromptError, TerminalPrompter


@pytest.fixture
def pty() -> Iterator[tuple[int, int]]:
    master, slave = os.openpty()
    try:
        yield master, slave
    finally:
        os.close(master)
        os.close(slave)


def echo_on(fd: int) -> bool:
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)


def test_a_password_is_read_without_echo_and_the_echo_comes_back(pty: tuple[int, int]) -> None:
    master, slave = pty
    out = io.StringIO()
    prompter = TerminalPrompter(slave, out)
    seen: list[bool] = []

    async def scenario() -> str:
        question = asyncio.ensure_future(prompter.ask("Password: ", secret=True))
        await asyncio.sleep(0.05)
        seen.append(echo_on(slave))  # while the user types
        os.write(master, b"s3cret\n")
        return await asyncio.wait_for(question, 5)

    assert echo_on(slave)
    assert asyncio.run(scenario()) == "s3cret"
    assert seen == [False] and echo_on(slave)
    assert out.getvalue() == "Password: \n"  # the unechoed Enter is replaced


def test_a_user_name_is_echoed_and_the_loop_keeps_running(pty: tuple[int, int]) -> None:
    master, slave = pty
    prompter = TerminalPrompter(slave, io.StringIO())
    ticks: list[int] = []

    async def scenario() -> str:
        async def ticker() -> None:
            for n in range(100):
                ticks.append(n)
                await asyncio.sleep(0.01)

        task = asyncio.ensure_future(ticker())
        question = asyncio.ensure_future(prompter.ask("Username [cisco]: ", secret=False))
        await asyncio.sleep(0.1)
        os.write(master, b"alice\r\n")
        answer = await asyncio.wait_for(question, 5)
        task.cancel()
        return answer

    assert asyncio.run(scenario()) == "alice"
    assert len(ticks) >= 3  # the event loop was not blocked by the question
    assert echo_on(slave)


def test_an_abandoned_question_restores_the_terminal(pty: tuple[int, int]) -> None:
    _master, slave = pty
    prompter = TerminalPrompter(slave, io.StringIO())

    async def scenario() -> None:
        question = asyncio.ensure_future(prompter.ask("Password: ", secret=True))
        await asyncio.sleep(0.05)
        assert not echo_on(slave)
        question.cancel()
        with pytest.raises(asyncio.CancelledError):
            await question

    asyncio.run(scenario())
    assert echo_on(slave)


def test_end_of_input_and_no_terminal_are_prompt_errors(pty: tuple[int, int]) -> None:
    master, slave = pty

    async def ctrl_d() -> str:
        question = asyncio.ensure_future(
            TerminalPrompter(slave, io.StringIO()).ask("Password: ", secret=True)
        )
        await asyncio.sleep(0.05)
        os.write(master, b"\x04")  # Ctrl-D at the start of a line: end of input
        return await asyncio.wait_for(question, 5)

    with pytest.raises(PromptError, match="end of input"):
        asyncio.run(ctrl_d())
    assert echo_on(slave)
    read_end, write_end = os.pipe()
    os.close(write_end)
    try:
        with pytest.raises(PromptError, match="not a terminal"):
            asyncio.run(TerminalPrompter(read_end, io.StringIO()).ask("Username: ", secret=False))
    finally:
        os.close(read_end)
    assert not TerminalPrompter.available(-1)


def test_lines_are_answers_one_per_question() -> None:
    out = io.StringIO()
    prompter = LinesPrompter(["first", "second"], out)

    async def scenario() -> list[str]:
        return [await prompter.ask("Password: ", secret=True) for _ in range(2)]

    assert asyncio.run(scenario()) == ["first", "second"]
    assert out.getvalue() == "Password: <from standard input>\n" * 2
    assert "first" not in out.getvalue()
    with pytest.raises(PromptError, match="no more passwords"):
        asyncio.run(prompter.ask("Password: ", secret=True))


def test_lines_from_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stdin:
        def __init__(self, data: bytes) -> None:
            self.buffer = io.BytesIO(data)

    monkeypatch.setattr("sys.stdin", Stdin(b"pw-1\r\npw-2\n"))
    assert LinesPrompter.from_stdin(io.StringIO()).left == 2
    monkeypatch.setattr("sys.stdin", Stdin(b""))
    with pytest.raises(PromptError, match="no password on standard input"):
        LinesPrompter.from_stdin(io.StringIO())
