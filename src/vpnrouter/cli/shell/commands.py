"""The exec command tree of the shell: the words, their help (worded as IOS does), the
privilege each needs and the action each command runs (``session`` dispatches the actions,
``show.*`` to ``show.SHOW_COMMANDS``).

``build_grammar()`` returns a fresh ``Grammar``; ``EXEC_GRAMMAR`` is the shared one.
"""

from __future__ import annotations

from vpnrouter.cli.shell.grammar import (
    ENABLE,
    Grammar,
    Node,
    arg,
    ipv4_arg,
    kw,
    range_arg,
    word_arg,
)

MAX_CONN_ID = 2**31 - 1
MAX_TERMINAL_LENGTH = 512


def _show_crypto() -> Node:
    return kw(
        "crypto", "Encryption module",
        kw("engine", "Show crypto engine info",
           kw("connections", "Show current connections",
              kw("active", "Show only active connections", action="show.engine", pipe=True))),
        kw("ipsec", "Show IPSEC policy",
           kw("sa", "IPSEC SA table",
              kw("address", "IPSEC SA table sorted by address", key="address",
                 action="show.ipsec-sa", pipe=True),
              kw("map", "IPSEC SA for a crypto map",
                 arg(word_arg(), "crypto map tag", "map", action="show.ipsec-sa", pipe=True)),
              kw("peer", "IPSEC SA for a peer",
                 arg(ipv4_arg(), "IP address of the peer", "peer",
                     action="show.ipsec-sa", pipe=True)),
              action="show.ipsec-sa", pipe=True)),
        kw("isakmp", "Show ISAKMP",
           kw("diagnose", "Explain failed negotiations (vpnrouter)",
              arg(ipv4_arg(), "IP address of the peer", "peer",
                  action="show.isakmp-diagnose", pipe=True),
              action="show.isakmp-diagnose", pipe=True),
           kw("policy", "Show ISAKMP protection suite policy",
              action="show.isakmp-policy", pipe=True),
           kw("sa", "Show ISAKMP Security Associations",
              kw("detail", "Show ISAKMP SA Detail", key="detail",
                 action="show.isakmp-sa", pipe=True),
              action="show.isakmp-sa", pipe=True)),
        kw("map", "Crypto maps",
           kw("tag", "Crypto maps with a given tag",
              arg(word_arg(), "Crypto map tag", "tag", action="show.map", pipe=True)),
           action="show.map", pipe=True),
        kw("session", "Show crypto sessions (tunnels)",
           kw("detail", "Show crypto sessions in detail", key="detail",
              action="show.session", pipe=True),
           kw("remote", "Show crypto sessions for a remote IKE address",
              arg(ipv4_arg(), "IP address of the remote peer", "remote",
                  action="show.session", pipe=True)),
           action="show.session", pipe=True),
    )  # fmt: skip


def _show() -> Node:
    return kw(
        "show", "Show running system information",
        kw("clock", "Display the system clock", action="show.clock", pipe=True),
        _show_crypto(),
        kw("debugging", "State of each debugging option", action="show.debugging", pipe=True),
        kw("history", "Display the session command history", action="show.history", pipe=True),
        kw("ip", "IP information",
           kw("local", "IP local options",
              kw("pool", "IP Local address pools",
                 arg(word_arg(), "pool name", "pool", action="show.pool", pipe=True),
                 action="show.pool", pipe=True))),
        kw("running-config", "Current operating configuration",
           action="show.running-config", pipe=True, privilege=ENABLE),
        kw("version", "System hardware and software status", action="show.version", pipe=True),
    )  # fmt: skip


def _debug_facilities(action: str) -> Node:
    return kw(
        "crypto", "Cryptographic subsystem",
        kw("engine", "Crypto Engine Debug Messages", key="facility", action=action),
        kw("ipsec", "IPSEC processing", key="facility", action=action),
        kw("isakmp", "ISAKMP Key Management", key="facility", action=action),
    )  # fmt: skip


def _undebug(word: str, help_text: str) -> Node:
    return kw(
        word, help_text,
        kw("all", "Disable all debugging", action="debug.all-off"),
        _debug_facilities("debug.off"),
        privilege=ENABLE,
    )  # fmt: skip


def _clear() -> Node:
    return kw(
        "clear", "Reset functions",
        kw("crypto", "Encryption module",
           kw("isakmp", "Flush the ISAKMP database",
              arg(range_arg(1, MAX_CONN_ID), "connection id of SA", "conn_id",
                  action="clear.isakmp"),
              action="clear.isakmp"),
           kw("sa", "Clear all crypto SAs",
              kw("peer", "Clear all crypto SAs for a given crypto peer",
                 arg(ipv4_arg(), "IP address of the peer", "peer", action="clear.sa")),
              action="clear.sa")),
        privilege=ENABLE,
    )  # fmt: skip


def _terminal() -> Node:
    return kw(
        "terminal", "Set terminal line parameters",
        kw("length", "Set number of lines on a screen",
           arg(range_arg(0, MAX_TERMINAL_LENGTH), "Number of lines on screen (0 for no pausing)",
               "length", action="terminal.length")),
        kw("monitor", "Copy debug output to the current terminal line",
           action="terminal.monitor"),
        kw("no", "Negate a command or set its defaults",
           kw("monitor", "Copy debug output to the current terminal line",
              action="terminal.no-monitor")),
    )  # fmt: skip


def exec_root() -> Node:
    return kw(
        "", "",
        _clear(),
        kw("debug", "Debugging functions (see also 'undebug')",
           _debug_facilities("debug.on"), privilege=ENABLE),
        kw("disable", "Turn off privileged commands", action="disable", privilege=ENABLE),
        kw("enable", "Turn on privileged commands", action="enable"),
        kw("exit", "Exit from the EXEC", action="exit"),
        kw("logout", "Exit from the EXEC", action="exit"),
        kw("no", "Disable debugging functions", _undebug("debug", "Debugging functions"),
           privilege=ENABLE),
        kw("quit", "Exit from the EXEC", action="exit"),
        _show(),
        _terminal(),
        _undebug("undebug", "Disable debugging functions (see also 'debug')"),
    )  # fmt: skip


def build_grammar() -> Grammar:
    return Grammar(exec_root())


EXEC_GRAMMAR = build_grammar()
