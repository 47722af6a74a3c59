"""Our router as a lab process, and the traffic checks of the LAN-to-LAN tests.

`start_router` runs ``python -m vpnrouter run --config F --socket S ...`` in a namespace of the
test's `Topology` (which stops it by PID at the latest when the test ends) and returns once its
control socket answers. Every wait here is bounded and polls; nothing asserts on durations.
"""

from __future__ import annotations

import hashlib
import random
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpnrouter.lab.cli_peers import wait_for
from vpnrouter.lab.netns import LabError, LabProcess, Topology
from vpnrouter.lab.seed import SeedLab
from vpnrouter.lab.strongswan import IkeSa
from vpnrouter.router.control import ControlError, request

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
VPN2611_CFG = SEED / "vpn2611.cfg"
VPN3640_CFG = SEED / "vpn3640.cfg"
READY_TIMEOUT = 20.0
TRANSFER_BYTES = 3 * 1024 * 1024
TCP_PORT = 5001

SERVER = """
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1); s.settimeout(60)
print("LISTENING", flush=True)
c, _ = s.accept(); c.settimeout(30)
h = hashlib.sha256(); n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d); n += len(d)
c.sendall(b"k"); c.close()
print("RECEIVED", n, h.hexdigest(), flush=True)
"""

CLIENT = """
import random, socket, sys
data = random.Random(int(sys.argv[3])).randbytes(int(sys.argv[4]))
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
c.settimeout(60)
c.sendall(data); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
print("SENT", len(data), flush=True)
"""


def wait_until(what: str, check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll ``check`` until it returns something true; LabError after ``timeout`` seconds."""
    return wait_for(what, check, timeout)


@dataclass
class RouterProc:
    """A running ``vpnrouter run``."""

    topology: Topology
    ns: str
    name: str
    socket: Path
    process: LabProcess

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = request(self.socket, "status", timeout=10)
        return result

    def log(self) -> str:
        return self.process.log()

    def wait_log(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        """The first log line matching the regular expression (bounded wait)."""
        regex = re.compile(pattern)

        def found() -> re.Match[str] | None:
            if not self.process.alive():
                raise LabError(f"{self.name} exited while waiting for {pattern!r}:\n{self.tail()}")
            return regex.search(self.log())

        try:
            match: re.Match[str] = wait_until(f"{self.name} log line {pattern!r}", found, timeout)
        except LabError as exc:
            raise LabError(f"{exc}\n{self.tail()}") from None
        return match

    def ipsec(self) -> list[dict[str, Any]]:
        return [row for row in self.status()["ipsec"] if row["state"] == "ACTIVE"]

    def isakmp(self) -> list[dict[str, Any]]:
        return [row for row in self.status()["isakmp"] if row["status"] == "ACTIVE"]

    def wait_ipsec(self, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = wait_until(
            f"{self.name}: {count} IPsec SA pair(s)",
            lambda: (rows := self.ipsec()) and len(rows) >= count and rows,
            timeout,
        )
        return rows

    def stop(self) -> int | None:
        """SIGTERM by PID; the daemon must exit 0 on its own."""
        code = self.process.stop(timeout=10)
        return code

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


def start_router(
    topology: Topology,
    ns: str,
    config: Path,
    *,
    name: str,
    args: list[str] | None = None,
    debug: str = "isakmp,ipsec",
) -> RouterProc:
    """Run our router in ``ns`` and wait (bounded) until its control socket answers."""
    socket = topology.workdir / f"{name}.sock"
    argv = [sys.executable, "-m", "vpnrouter", "run", "--config", str(config)]
    argv += ["--socket", str(socket), *(args or [])]
    if debug:
        argv += ["--debug", debug]
    process = topology.popen(ns, argv, name=name)
    router = RouterProc(topology, topology.ns(ns), name, socket, process)

    def answers() -> bool:
        if not process.alive():
            raise LabError(f"{name} exited with {process.returncode()}:\n{router.tail()}")
        try:
            router.status()
        except ControlError:
            return False
        return True

    wait_until(f"{name} control socket", answers, READY_TIMEOUT)
    return router


def vpnrouter_status_text(router: RouterProc) -> str:
    """``vpnrouter status --socket S`` as the operator runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "vpnrouter", "status", "--socket", str(router.socket)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return proc.stdout


def shell(router: RouterProc, *commands: str, as_json: bool = False) -> str:
    """``vpnrouter exec SOCKET COMMAND...`` (privileged, as the operator runs it)."""
    argv = [sys.executable, "-m", "vpnrouter", "exec", str(router.socket), *commands]
    if as_json:
        argv.append("--json")
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def tcp_transfer(
    lab: SeedLab, src: str, dst: str, dst_addr: str, *, size: int = TRANSFER_BYTES, seed: int = 7
) -> None:
    """Send ``size`` random bytes over TCP from role ``src`` to ``dst_addr`` (role ``dst``)
    and check they arrived intact (SHA-256)."""
    topo = lab.topology
    log = topo.workdir / f"tcp-{src}-{dst}-{seed}.log"
    server = topo.popen(lab[dst], [sys.executable, "-c", SERVER, str(TCP_PORT)], log=log,
                        name=f"tcp-server-{dst}")  # fmt: skip
    try:
        wait_until("TCP server listening", lambda: "LISTENING" in log.read_text())
        client = [sys.executable, "-c", CLIENT, dst_addr, str(TCP_PORT), str(seed), str(size)]
        topo.exec(lab[src], client, timeout=120)
        server.wait(timeout=60)
    finally:
        server.stop()
    line = next(entry for entry in log.read_text().splitlines() if entry.startswith("RECEIVED"))
    _, count, digest = line.split()
    assert int(count) == size
    assert digest == hashlib.sha256(random.Random(seed).randbytes(size)).hexdigest()


def spis_match(ours: dict[str, Any], theirs: IkeSa) -> bool:
    """Our IPsec SA pair is the peer's CHILD SA (our inbound SPI is its outbound one)."""
    return any(
        (child.spi_in, child.spi_out) == (ours["outbound_spi"], ours["inbound_spi"])
        for child in theirs.children
    )
