"""The control socket: a unix stream socket speaking one JSON object per line.

Request ``{"command": "status"}`` (more commands are registered by the daemon as the operator
CLI grows); answer ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``. A
connection may carry several requests, one after the other. The socket is created mode 0600
in a 0755 directory (default ``/run/vpnrouter/HOSTNAME.sock``) so that several routers, one
per network namespace, can share a host; a stale socket left by a dead daemon is replaced, a
live one is not (the second daemon refuses to start).

:func:`request` is the synchronous client the CLI uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path("/run/vpnrouter")
MAX_REQUEST = 64 * 1024
CLIENT_TIMEOUT = 10.0

Handler = Callable[[Mapping[str, Any]], Any]


class ControlError(RuntimeError):
    """The control socket cannot be served, reached, or answered with an error."""


def default_path(hostname: str) -> Path:
    return DEFAULT_DIR / f"{hostname}.sock"


def socket_in_use(path: Path) -> bool:
    """Whether a live process answers on ``path`` (a stale file does not)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


class ControlServer:
    """Serves ``handlers[command](request) -> JSON-able result`` on a unix socket."""

    def __init__(self, path: Path, handlers: Mapping[str, Handler]) -> None:
        self.path = path
        self.handlers = dict(handlers)
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self.path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if socket_in_use(self.path):
                raise ControlError(f"{self.path}: another vpnrouter is running there")
            self.path.unlink()
        old_umask = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(
                self._client, path=str(self.path), limit=MAX_REQUEST
            )
        finally:
            os.umask(old_umask)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def answer(self, line: bytes) -> dict[str, Any]:
        """One request line -> the response object (never raises)."""
        try:
            request = json.loads(line)
        except ValueError:
            return {"ok": False, "error": "request is not JSON"}
        if not isinstance(request, dict) or not isinstance(request.get("command"), str):
            return {"ok": False, "error": 'expected {"command": NAME, ...}'}
        handler = self.handlers.get(request["command"])
        if handler is None:
            known = ", ".join(sorted(self.handlers))
            return {"ok": False, "error": f"unknown command {request['command']!r} ({known})"}
        try:
            return {"ok": True, "result": handler(request)}
        except Exception as exc:  # an operator's command must not take the daemon down
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    writer.write(b'{"ok": false, "error": "request too long"}\n')
                    break
                if not line:
                    break
                response = self.answer(line)
                writer.write(json.dumps(response, sort_keys=True).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def request(path: Path, command: str, timeout: float = CLIENT_TIMEOUT, **args: Any) -> Any:
    """Send one request and return its ``result``; ControlError if it failed."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except OSError as exc:
            raise ControlError(f"cannot reach vpnrouter at {path}: {exc.strerror or exc}") from exc
        sock.sendall(json.dumps({"command": command, **args}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError as exc:
        raise ControlError(f"{path}: no answer within {timeout:g} s") from exc
    finally:
        sock.close()
    try:
        response = json.loads(data)
    except ValueError as exc:
        raise ControlError(f"{path}: unreadable answer {data[:80]!r}") from exc
    if not isinstance(response, dict) or not response.get("ok"):
        error = response.get("error") if isinstance(response, dict) else response
        raise ControlError(str(error))
    return response.get("result")
