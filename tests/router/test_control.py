"""router.control: JSON lines over a unix socket, errors answered, stale sockets replaced."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from vpnrouter.router.control import ControlError, ControlServer, request


def handlers() -> dict[str, Any]:
    def status(req: Mapping[str, Any]) -> Any:
        return {"sas": [1, 2], "echo": req.get("x")}

    def broken(req: Mapping[str, Any]) -> Any:
        raise RuntimeError("boom")

    return {"status": status, "broken": broken}


def test_requests_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "r.sock"

    async def main() -> list[Any]:
        server = ControlServer(path, handlers())
        await server.start()
        assert path.stat().st_mode & 0o777 == 0o600
        loop = asyncio.get_running_loop()
        results: list[Any] = []
        results.append(await loop.run_in_executor(None, lambda: request(path, "status", x=5)))
        for command in ("broken", "nope"):
            try:
                await loop.run_in_executor(None, lambda c=command: request(path, c))
            except ControlError as exc:
                results.append(str(exc))
        # several requests on one connection, and garbage
        reader, writer = await asyncio.open_unix_connection(str(path))
        writer.write(b'{"command": "status"}\nnot json\n[1]\n')
        await writer.drain()
        for _ in range(3):
            results.append(json.loads(await reader.readline()))
        writer.close()
        await server.close()
        return results

    ok, broken, unknown, first, garbage, wrong = asyncio.run(main())
    assert ok == {"sas": [1, 2], "echo": 5}
    assert broken == "RuntimeError: boom"
    assert "unknown command 'nope'" in unknown and "status" in unknown
    assert first["ok"] and first["result"]["sas"] == [1, 2]
    assert garbage == {"ok": False, "error": "request is not JSON"}
    assert not wrong["ok"]
    assert not path.exists()


def test_stale_socket_replaced_live_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens: a dead daemon's socket

    async def main() -> None:
        first = ControlServer(path, handlers())
        await first.start()
        second = ControlServer(path, handlers())
        with pytest.raises(ControlError, match="another vpnrouter"):
            await second.start()
        await first.close()

    asyncio.run(main())


def test_client_without_daemon(tmp_path: Path) -> None:
    with pytest.raises(ControlError, match="cannot reach vpnrouter"):
        request(tmp_path / "none.sock", "status")


def test_default_socket_path_and_status_choice(tmp_path: Path, monkeypatch: Any) -> None:
    import argparse

    from vpnrouter.cli import status_cmd
    from vpnrouter.router.control import default_path

    assert default_path("vpn2611") == Path("/run/vpnrouter/vpn2611.sock")
    monkeypatch.setattr(status_cmd, "DEFAULT_DIR", tmp_path)

    def choose(socket: str | None = None, router: str | None = None) -> Path:
        return status_cmd.find_socket(argparse.Namespace(socket=socket, router=router))

    assert choose(socket="/x/y.sock") == Path("/x/y.sock")
    assert choose(router="vpn3640") == Path("/run/vpnrouter/vpn3640.sock")
    with pytest.raises(ControlError, match="no vpnrouter is running"):
        choose()
    (tmp_path / "vpn2611.sock").touch()
    assert choose() == tmp_path / "vpn2611.sock"
    (tmp_path / "vpn3640.sock").touch()
    with pytest.raises(ControlError, match=r"several routers are running \(vpn2611, vpn3640\)"):
        choose()
