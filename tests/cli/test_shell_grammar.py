"""The exec grammar: IOS abbreviations, errors with the caret, ? help, tab completion,
privilege levels, output modifiers."""

from __future__ import annotations

import pytest

from vpnrouter.cli.shell.commands import EXEC_GRAMMAR
from vpnrouter.cli.shell.filters import OutputFilter
from vpnrouter.cli.shell.grammar import (
    ENABLE,
    EXEC,
    AmbiguousCommand,
    Grammar,
    IncompleteCommand,
    InvalidInput,
    UnknownCommand,
    arg,
    ipv4_arg,
    kw,
    range_arg,
)

G = EXEC_GRAMMAR


@pytest.mark.parametrize(
    ("line", "action", "values"),
    [
        ("show crypto isakmp sa", "show.isakmp-sa", {}),
        ("sh cry isa sa", "show.isakmp-sa", {}),
        ("SH CRY ISA SA DET", "show.isakmp-sa", {"detail": "detail"}),
        ("sh cry ips sa", "show.ipsec-sa", {}),
        ("sh cry ips sa pe 172.18.124.199", "show.ipsec-sa", {"peer": "172.18.124.199"}),
        ("sh cry ips sa map clientmap", "show.ipsec-sa", {"map": "clientmap"}),
        ("sh cry ips sa add", "show.ipsec-sa", {"address": "address"}),
        ("sh cry eng conn act", "show.engine", {}),
        ("show crypto engine connection active", "show.engine", {}),
        ("show crypto engine connections active", "show.engine", {}),
        ("sh cry sess det", "show.session", {"detail": "detail"}),
        ("sh cry ses rem 1.2.3.4", "show.session", {"remote": "1.2.3.4"}),
        ("sh cry map", "show.map", {}),
        ("sh cry map tag mymap", "show.map", {"tag": "mymap"}),
        ("sh cry isa pol", "show.isakmp-policy", {}),
        ("sh ip loc po", "show.pool", {}),
        ("sh ip loc po ippool", "show.pool", {"pool": "ippool"}),
        ("sh run", "show.running-config", {}),
        ("sh ver", "show.version", {}),
        ("clear crypto sa", "clear.sa", {}),
        ("clea cry sa pe 10.0.0.1", "clear.sa", {"peer": "10.0.0.1"}),
        ("cle cry isa 5", "clear.isakmp", {"conn_id": "5"}),
        ("deb cry isa", "debug.on", {"facility": "isakmp"}),
        ("undeb all", "debug.all-off", {}),
        ("no deb all", "debug.all-off", {}),
        ("no debug crypto ipsec", "debug.off", {"facility": "ipsec"}),
        ("term len 0", "terminal.length", {"length": "0"}),
        ("term mon", "terminal.monitor", {}),
        ("term no mon", "terminal.no-monitor", {}),
    ],
)
def test_abbreviations(line: str, action: str, values: dict[str, str]) -> None:
    command = G.parse(line, ENABLE)
    assert command is not None
    assert command.action == action
    assert command.values == values
    assert command.output_filter is None


def test_canonical_words() -> None:
    command = G.parse("sh cry isa sa", EXEC)
    assert command is not None and command.words == ("show", "crypto", "isakmp", "sa")


def test_empty_line() -> None:
    assert G.parse("   ", EXEC) is None


def test_ambiguous() -> None:
    with pytest.raises(AmbiguousCommand) as exc:
        G.parse("sh c", EXEC)
    assert exc.value.render() == '% Ambiguous command:  "sh c"\n'
    with pytest.raises(AmbiguousCommand) as exc:
        G.parse("e", EXEC)  # enable, exit
    assert exc.value.text == "e"


def test_incomplete() -> None:
    for line in ("show crypto", "sh cry isa", "clear crypto", "terminal length"):
        with pytest.raises(IncompleteCommand) as exc:
            G.parse(line, ENABLE)
        assert exc.value.render() == "% Incomplete command.\n\n"


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("sh cry isakmx sa", 12),  # the caret under the first character that does not match
        ("sh cry isa sx", 12),
        ("show foo", 5),
        ("sh ver extra", 7),
        ("sh cry ips sa peer 1.2.3.400", 27),
        ("sh cry ips sa peer host", 19),
        ("cle cry isa 12x", 14),
        ("term len 513", 9),
    ],
)
def test_invalid_input_caret(line: str, column: int) -> None:
    with pytest.raises(InvalidInput) as exc:
        G.parse(line, ENABLE)
    assert exc.value.column == column
    prompt = "vpn2611#"
    rendered = exc.value.render(len(prompt))
    caret_line = rendered.splitlines()[0]
    assert caret_line == " " * (len(prompt) + column) + "^"
    assert rendered.splitlines()[1] == "% Invalid input detected at '^' marker."


def test_unknown_single_word() -> None:
    with pytest.raises(UnknownCommand) as exc:
        G.parse("frobnicate", EXEC)
    assert "Unknown command or computer name" in exc.value.render()
    with pytest.raises(InvalidInput):  # a known start that goes wrong is invalid input
        G.parse("shw", EXEC)


def test_privilege_hides_enable_commands() -> None:
    for line in ("show running-config", "clear crypto sa", "debug crypto isakmp", "undebug all"):
        with pytest.raises((InvalidInput, UnknownCommand)):
            G.parse(line, EXEC)
        assert G.parse(line, ENABLE) is not None
    # at exec level `sh r` is not even ambiguous: running-config does not exist there
    with pytest.raises(InvalidInput):
        G.parse("sh r", EXEC)


def test_help_next_words() -> None:
    text = G.help("show crypto ", EXEC)
    assert text.splitlines() == [
        "  engine   Show crypto engine info",
        "  ipsec    Show IPSEC policy",
        "  isakmp   Show ISAKMP",
        "  map      Crypto maps",
        "  session  Show crypto sessions (tunnels)",
        "",
    ]
    assert G.help("sh cry isa sa ", EXEC).splitlines() == [
        "  detail  Show ISAKMP SA Detail",
        "  |       Output modifiers",
        "  <cr>",
        "",
    ]
    assert "  A.B.C.D  IP address of the peer" in G.help("sh cry ips sa peer ", EXEC)
    assert G.help("cle cry isa ", ENABLE).splitlines()[0].startswith("  <1-2147483647>")


def test_help_completions() -> None:
    assert G.help("sh c", EXEC) == "clock  crypto\n\n"
    assert G.help("sh cry i", EXEC) == "ipsec  isakmp\n\n"
    assert G.help("sh r", ENABLE) == "running-config\n\n"
    assert G.help("sh r", EXEC) == "% Unrecognized command\n"
    assert G.help("sh foo ", EXEC) == "% Unrecognized command\n"
    assert G.help("sh c ", EXEC) == '% Ambiguous command:  "sh c"\n'


def test_help_top_level_by_privilege() -> None:
    exec_words = [line.split()[0] for line in G.help("", EXEC).splitlines() if line]
    enable_words = [line.split()[0] for line in G.help("", ENABLE).splitlines() if line]
    assert exec_words == ["enable", "exit", "logout", "quit", "show", "terminal"]
    assert set(enable_words) - set(exec_words) == {"clear", "debug", "disable", "no", "undebug"}


def test_help_in_pipe() -> None:
    words = [line.split()[0] for line in G.help("sh ver | ", EXEC).splitlines() if line]
    assert words == ["begin", "count", "exclude", "include", "json", "section"]
    assert G.help("sh ver | inc ", EXEC).splitlines()[0] == "  LINE  Regular Expression"
    assert G.help("sh ver | e", EXEC) == "exclude\n\n"


def test_complete() -> None:
    assert G.complete("sh cry i", EXEC) == ["ipsec", "isakmp"]
    assert G.complete("sh cry isa", EXEC) == ["isakmp"]
    assert G.complete("sh cry eng ", EXEC) == ["connections"]
    assert G.complete("sh ", EXEC) == ["clock", "crypto", "debugging", "history", "ip", "version"]
    assert "running-config" in G.complete("sh ", ENABLE)
    assert G.complete("sh foo ", EXEC) == []
    assert G.complete("sh ver | inc ", EXEC) == []


@pytest.mark.parametrize(
    ("line", "kind", "pattern"),
    [
        ("sh run | include crypto map", "include", "crypto map"),
        ("sh run | i ^interface", "include", "^interface"),
        ("sh run | e !", "exclude", "!"),
        ("sh run | b access-list", "begin", "access-list"),
        ("sh run | sec crypto isakmp", "section", "crypto isakmp"),
        ("sh run | count crypto", "count", "crypto"),
        ("sh run | count", "count", ""),
        ("sh run | json", "json", ""),
        ("sh run | inc   a  b  ", "include", "a  b"),
    ],
)
def test_pipe(line: str, kind: str, pattern: str) -> None:
    command = G.parse(line, ENABLE)
    assert command is not None and command.action == "show.running-config"
    assert command.output_filter == OutputFilter(kind, pattern)


def test_pipe_errors() -> None:
    with pytest.raises(IncompleteCommand):
        G.parse("sh run | include", ENABLE)
    with pytest.raises(InvalidInput) as exc:
        G.parse("clear crypto sa | include x", ENABLE)
    assert exc.value.column == 16
    with pytest.raises(InvalidInput):
        G.parse("sh run | json extra", ENABLE)
    with pytest.raises(InvalidInput):  # one modifier only, as on IOS 12/15
        G.parse("sh run | inc x", ENABLE) and G.parse("sh ver | json | count", ENABLE)


def test_exact_keyword_beats_longer_one() -> None:
    grammar = Grammar(kw("", "", kw("ip", "x", action="ip"), kw("ipsec", "y", action="ipsec")))
    command = grammar.parse("ip", EXEC)
    assert command is not None and command.action == "ip"
    with pytest.raises(AmbiguousCommand):
        grammar.parse("i", EXEC)


def test_keyword_beats_argument() -> None:
    grammar = Grammar(
        kw(
            "",
            "",
            kw(
                "pool",
                "p",
                kw("all", "every pool", action="all"),
                arg(range_arg(1, 9), "n", "n", action="num"),
                arg(ipv4_arg(), "a", "addr", action="addr"),
            ),
        )
    )
    assert (c := grammar.parse("pool a", EXEC)) is not None and c.action == "all"
    assert (c := grammar.parse("pool 7", EXEC)) is not None and c.values == {"n": "7"}
    assert (c := grammar.parse("pool 7.0.0.1", EXEC)) is not None and c.action == "addr"
