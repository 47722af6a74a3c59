"""The state of a ``vpnrouter lab`` that outlives the command that built it.

``vpnrouter lab up`` writes a JSON file (default ``/run/vpnrouter/lab.json``; ``--state PATH``
or ``$VPNROUTER_LAB_STATE``) after every step, so that ``lab down``, ``lab cli``, ``lab
exec`` and ``lab status`` find the lab, and ``lab down`` can remove a lab whose ``up`` died
half way: the namespaces (full names), the role of each, the work directory, the processes
started (PID *and* the kernel's start time of that PID, so that a PID reused by somebody
else's process is never signalled), the routers' control sockets and the files made under
``/etc/netns``.

``process_identity(pid)`` reads the start time (field 22 of ``/proc/PID/stat``);
``ProcessRecord.is_running()`` is true only while that very process exists.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_ENV = "VPNROUTER_LAB_STATE"
DEFAULT_STATE = Path("/run/vpnrouter/lab.json")
DEFAULT_PREFIX = "lab-"
STATE_VERSION = 1


class StateError(RuntimeError):
    """The state file cannot be read or written."""


def state_path(given: str | Path | None = None) -> Path:
    """``--state``, else ``$VPNROUTER_LAB_STATE``, else ``/run/vpnrouter/lab.json``."""
    if given:
        return Path(given)
    env = os.environ.get(STATE_ENV)
    return Path(env) if env else DEFAULT_STATE


def process_identity(pid: int) -> int | None:
    """The start time of process ``pid`` (clock ticks since boot), None if there is none or
    it is a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    # fields[0] is the state (field 3); the start time is field 22
    if not fields or fields[0] in ("Z", "X") or len(fields) < 20:
        return None
    return int(fields[19])


@dataclass
class ProcessRecord:
    """A process ``lab up`` started in a namespace; it leads its own session."""

    name: str
    ns: str
    pid: int
    started: int  # process_identity(pid) when it was started
    argv: list[str]
    log: str = ""

    def is_running(self) -> bool:
        return self.started != 0 and process_identity(self.pid) == self.started


@dataclass
class RouterRecord:
    """One of the two seed routers: ``vpnrouter`` (with a control socket) or ``strongswan``."""

    name: str
    kind: str  # vpnrouter | strongswan
    ns: str
    config: str = ""  # the IOS configuration it runs (vpnrouter)
    socket: str = ""  # its control socket (vpnrouter) or charon's vici socket (strongswan)
    swanctl_conf: str = ""  # strongswan: STRONGSWAN_CONF for swanctl


@dataclass
class LabState:
    prefix: str
    workdir: str
    peer: str = "vpnrouter"  # who plays vpn3640
    client: str = "vpnclient"  # vpnclient | vpnc | none
    created: float = field(default_factory=time.time)
    roles: dict[str, str] = field(default_factory=dict)  # role -> namespace
    namespaces: list[str] = field(default_factory=list)  # in creation order
    processes: list[ProcessRecord] = field(default_factory=list)
    routers: dict[str, RouterRecord] = field(default_factory=dict)
    etc_netns: list[str] = field(default_factory=list)  # /etc/netns/NS directories we made
    client_socket: str = ""  # vpnclient's control socket
    complete: bool = False  # `lab up` got to the end (the traffic steps may still have failed)
    version: int = STATE_VERSION

    def namespace(self, role: str) -> str:
        """The namespace of a role (``host1``), or of a full namespace name."""
        if role in self.roles:
            return self.roles[role]
        if role in self.namespaces:
            return role
        known = ", ".join(sorted(self.roles))
        raise StateError(f"no host {role!r} in the lab (hosts: {known})")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> LabState:
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise StateError("not a vpnrouter lab state (or another version of it)")
        try:
            processes = [ProcessRecord(**p) for p in data.get("processes", [])]
            routers = {k: RouterRecord(**v) for k, v in data.get("routers", {}).items()}
            rest = {k: v for k, v in data.items() if k not in ("processes", "routers")}
            return cls(processes=processes, routers=routers, **rest)
        except TypeError as exc:
            raise StateError(f"unreadable lab state: {exc}") from None


def load(path: Path) -> LabState | None:
    """The lab recorded in ``path``; None when there is no such file."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"{path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise StateError(f"{path}: not JSON") from None
    return LabState.from_json(data)


def save(path: Path, state: LabState) -> None:
    """Write atomically (a temporary file renamed over the old one), mode 0600."""
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(state.to_json(), out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(tmp, path)


def remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
