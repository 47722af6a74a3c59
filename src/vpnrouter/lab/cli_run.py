"""Processes of a ``vpnrouter lab`` that outlive ``lab up``, and removing everything it made.

``spawn`` starts a command in a lab namespace in its own session (so it leads its process
group and survives the command that started it), output to a log file, and returns the
``ProcessRecord`` (PID and start time) that goes into the state file. ``teardown`` undoes a
lab from its state alone: every recorded process still running *as recorded* gets SIGTERM
(to its process group), then SIGKILL after a bounded wait; whatever still runs inside one of
the lab's namespaces is killed by PID; then the namespaces (with their veths, bridges and
TUN devices), the ``/etc/netns`` files and the work directory go. Nothing is looked up by
name, and nothing outside the lab's namespaces is signalled.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from vpnrouter.lab.cli_state import LabState, ProcessRecord, process_identity
from vpnrouter.lab.netns import IP, NETNS_DIR, LabError, namespace_pids, run

STOP_TIMEOUT = 10.0  # seconds a process gets after SIGTERM (routers send their Deletes)
KILL_TIMEOUT = 5.0
POLL = 0.05

Say = Callable[[str], None]
_CHILDREN: list[subprocess.Popen[bytes]] = []


def spawn(
    ns: str,
    argv: Sequence[str],
    *,
    name: str,
    log: Path,
    stdin: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ProcessRecord:
    """Start ``argv`` in namespace ``ns``, detached (own session), output to ``log``."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    log.parent.mkdir(parents=True, exist_ok=True)
    stdin_file: IO[bytes] | None = stdin.open("rb") if stdin is not None else None
    try:
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [IP, "netns", "exec", ns, *argv],
                stdin=stdin_file if stdin_file is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=full_env,
                start_new_session=True,
                close_fds=True,
            )
    except FileNotFoundError as exc:
        raise LabError(f"{IP}: command not found") from exc
    finally:
        if stdin_file is not None:
            stdin_file.close()
    started = process_identity(popen.pid) or 0
    # Not waited for: it belongs to the lab now and outlives this process. The object is kept
    # so that it is not finalised (and the child reaped) while this process runs.
    _CHILDREN.append(popen)
    return ProcessRecord(name, ns, popen.pid, started, list(argv), str(log))


def _wait_gone(pids: Sequence[tuple[int, int]], timeout: float) -> list[int]:
    """Poll (bounded) until none of (pid, start time) runs; the PIDs still running."""
    deadline = time.monotonic() + timeout
    left = [(pid, started) for pid, started in pids]
    while left:
        left = [(pid, started) for pid, started in left if process_identity(pid) == started]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(POLL)
    return [pid for pid, _ in left]


def _signal_group(record: ProcessRecord, sig: int) -> None:
    """Signal the group a recorded process leads, only while that very process runs."""
    if record.is_running():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(record.pid, sig)


def stop_process(record: ProcessRecord, timeout: float = STOP_TIMEOUT) -> bool:
    """SIGTERM, then SIGKILL after ``timeout`` s; True if it is gone."""
    if not record.is_running():
        return True
    _signal_group(record, signal.SIGTERM)
    if not _wait_gone([(record.pid, record.started)], timeout):
        return True
    _signal_group(record, signal.SIGKILL)
    return not _wait_gone([(record.pid, record.started)], KILL_TIMEOUT)


def kill_namespace(ns: str) -> list[str]:
    """SIGKILL, by PID, whatever still runs inside one of the lab's own namespaces."""
    if not (NETNS_DIR / ns).exists():
        return []
    found = [(pid, process_identity(pid)) for pid in namespace_pids(ns) if pid != os.getpid()]
    pids = [(pid, started) for pid, started in found if started is not None]
    for pid, _ in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return [f"pid {pid} in {ns} survived SIGKILL" for pid in _wait_gone(pids, KILL_TIMEOUT)]


def teardown(state: LabState, say: Say | None = None) -> list[str]:
    """Remove everything the lab made; every step is tried. Returns what could not be."""
    problems: list[str] = []
    for record in reversed(state.processes):
        if record.is_running():
            if say is not None:
                say(f"stopping {record.name} (pid {record.pid})")
            if not stop_process(record):
                problems.append(f"{record.name} (pid {record.pid}) did not stop")
    for ns in reversed(state.namespaces):
        problems += kill_namespace(ns)
    for ns in reversed(state.namespaces):
        if (NETNS_DIR / ns).exists():
            proc = run([IP, "netns", "del", ns], check=False)
            if proc.returncode != 0:
                problems.append(f"ip netns del {ns}: {proc.stderr.strip()}")
    left = [ns for ns in state.namespaces if (NETNS_DIR / ns).exists()]
    if left:
        problems.append(f"namespaces not removed: {', '.join(left)}")
    for directory in state.etc_netns:
        shutil.rmtree(directory, ignore_errors=True)
    if state.workdir:
        shutil.rmtree(state.workdir, ignore_errors=True)
    return problems


def lab_processes(state: LabState) -> list[ProcessRecord]:
    """The recorded processes still running."""
    return [record for record in state.processes if record.is_running()]


def namespaces_present(state: LabState) -> list[str]:
    return [ns for ns in state.namespaces if (NETNS_DIR / ns).exists()]
