"""The IOS configuration language: text -> typed model -> text, and what is wrong with it.

Public API (everything the router and the CLI need is importable from here):

- ``parse(text, filename="<config>") -> ParseResult`` and ``load(path) -> ParseResult``: never
  raise for bad text; ``result.config`` is a ``RunningConfig`` with everything valid loaded,
  ``result.errors`` the ``ConfigError`` records (IOS messages, line, column),
  ``result.not_acted_on`` the ``(line, text)`` of commands kept but not acted on.
- ``parse_strict(text, filename) -> RunningConfig``: raises ``InvalidConfig`` on any error.
- ``render(config, header=True) -> str``: ``show running-config``; ``parse(render(c)).config
  == c``.
- ``format_error(error, filename) -> str``: the IOS caret display of one error.
- The model: ``RunningConfig`` and its parts (``vpnrouter.config.model``); algorithm numbers
  are IANA values (``vpnrouter.config.names``).
- ``vpnrouter.config.lint``: the troubleshooting checks behind ``vpnrouter lint``.
"""

from vpnrouter.config.errors import ConfigError, ErrorKind, format_error
from vpnrouter.config.model import (
    AaaMethodList,
    AccessList,
    AclEntry,
    AclRemark,
    AddressMatch,
    ClientGroup,
    CryptoMap,
    CryptoMapEntry,
    DynamicMap,
    Interface,
    IsakmpHostnameKey,
    IsakmpKeepalive,
    IsakmpKey,
    IsakmpPolicy,
    LocalPool,
    PortMatch,
    RunningConfig,
    StaticRoute,
    TransformSet,
    UnmodeledCommand,
    User,
)
from vpnrouter.config.parser import InvalidConfig, ParseResult, load, parse, parse_strict
from vpnrouter.config.render import render

__all__ = [
    "AaaMethodList",
    "AccessList",
    "AclEntry",
    "AclRemark",
    "AddressMatch",
    "ClientGroup",
    "ConfigError",
    "CryptoMap",
    "CryptoMapEntry",
    "DynamicMap",
    "ErrorKind",
    "Interface",
    "InvalidConfig",
    "IsakmpHostnameKey",
    "IsakmpKeepalive",
    "IsakmpKey",
    "IsakmpPolicy",
    "LocalPool",
    "ParseResult",
    "PortMatch",
    "RunningConfig",
    "StaticRoute",
    "TransformSet",
    "UnmodeledCommand",
    "User",
    "format_error",
    "load",
    "parse",
    "parse_strict",
    "render",
]
