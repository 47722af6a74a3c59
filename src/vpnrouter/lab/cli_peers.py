"""Who plays what in ``vpnrouter lab``: our routers, strongSwan as vpn3640, the remote-access
client (``vpnclient`` or vpnc) on the client PC, and host1's DNS server.

Every process is started with `cli_run.spawn` (detached, recorded in the state file) and
every wait is bounded and polls. The client PC's namespace gets its own
``/etc/netns/NS/resolv.conf`` before a client starts: ``ip netns exec`` bind-mounts it over
``/etc/resolv.conf``, so the DNS server and domain the group hands out land there, never in
the host's file.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vpnrouter.lab.cli_run import spawn
from vpnrouter.lab.cli_state import LabState, ProcessRecord, RouterRecord, process_identity
from vpnrouter.lab.netns import LabError, Topology
from vpnrouter.lab.seed import (
    CLIENT_DOMAIN,
    CLIENT_GROUP,
    CLIENT_GROUP_KEY,
    VPN2611,
    VPN3640,
    XAUTH_USER,
    SeedLab,
)
from vpnrouter.lab.strongswan import Charon, seed_l2l
from vpnrouter.lab.vpnc import VPNC, VPNC_SCRIPT, config_text, connect_vars, write_wrapper
from vpnrouter.router.control import ControlError, request

READY_TIMEOUT = 20.0
CONNECT_TIMEOUT = 45.0
POLL = 0.1
NETNS_ETC = Path("/etc/netns")
ENTRY = "lab"  # the vpnclient connection entry
LAB_RESOLV = "# the client PC's own resolv.conf (vpnrouter lab)\nnameserver 192.0.2.53\n"
DNS_NAMES = {
    f"host1.{CLIENT_DOMAIN}": VPN2611.host_addr,
    f"host2.{CLIENT_DOMAIN}": VPN3640.host_addr,
    f"vpn2611.{CLIENT_DOMAIN}": VPN2611.inside_ip,
    f"vpn3640.{CLIENT_DOMAIN}": VPN3640.inside_ip,
}

Check = Callable[[], Any]


def wait_for(what: str, check: Check, timeout: float, log: Path | None = None) -> Any:
    """Poll ``check`` until it returns something true; LabError (with the log's tail)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise LabError(f"{what}: not after {timeout:g} s{tail(log)}")
        time.sleep(POLL)


def tail(log: Path | None, lines: int = 25) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- {log} (last {len(text)} lines)\n" + "\n".join(text)


def _alive(record: ProcessRecord, what: str) -> None:
    if not record.is_running():
        raise LabError(f"{what} exited{tail(Path(record.log))}")


# -- routers ------------------------------------------------------------------------------------


def start_router(
    state: LabState, lab: SeedLab, name: str, config: Path, debug: str
) -> ProcessRecord:
    """``vpnrouter run`` with the seed configuration, configuring its interfaces itself."""
    workdir = Path(state.workdir)
    socket = workdir / f"{name}.sock"
    argv = [sys.executable, "-m", "vpnrouter", "run", "--config", str(config)]
    argv += ["--socket", str(socket), *lab.interface_args(name)]
    if debug:
        argv += ["--debug", debug]
    log = workdir / f"{name}.log"
    record = spawn(lab[name], argv, name=name, log=log)
    state.processes.append(record)
    state.routers[name] = RouterRecord(name, "vpnrouter", lab[name], str(config), str(socket))

    def answers() -> bool:
        _alive(record, f"{name} (vpnrouter run)")
        try:
            request(socket, "status", timeout=5)
        except ControlError:
            return False
        return True

    wait_for(f"{name} control socket {socket}", answers, READY_TIMEOUT, log)
    return record


def start_strongswan(state: LabState, topology: Topology, lab: SeedLab) -> Charon:
    """strongSwan 5.9.8 as vpn3640: the seed's parameters (main mode, PSK, DES/MD5/group 1,
    ESP 3DES/MD5), on the addresses the lab put on vpn3640's interfaces."""
    lab.assign_router_addresses("vpn3640")
    charon = Charon(topology, lab.vpn3640, "vpn3640").start()
    process = charon.process
    if process is None:  # start() sets it
        raise LabError("charon did not start")
    state.processes.append(
        ProcessRecord("charon-vpn3640", lab.vpn3640, process.pid,
                      _identity(process.pid), process.argv, str(charon.log_path))
    )  # fmt: skip
    state.routers["vpn3640"] = RouterRecord(
        "vpn3640", "strongswan", lab.vpn3640, "", str(charon.vici_socket), str(charon.conf_path)
    )
    charon.load([seed_l2l(VPN3640, VPN2611)])
    return charon


def _identity(pid: int) -> int:
    return process_identity(pid) or 0


def swanctl_list_sas(record: RouterRecord) -> str:
    proc = subprocess.run(
        ["swanctl", "--list-sas", "--uri", f"unix://{record.socket}"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"STRONGSWAN_CONF": record.swanctl_conf, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        check=False,
    )
    return proc.stdout + proc.stderr


def start_dns(state: LabState, lab: SeedLab) -> ProcessRecord:
    """host1 answers for the lab's names in the group's domain (``dns 10.10.10.10``)."""
    names = [f"{name}={address}" for name, address in DNS_NAMES.items()]
    argv = [sys.executable, "-m", "vpnrouter.lab.dnsd", "--bind", VPN2611.host_addr, *names]
    log = Path(state.workdir) / "dnsd-host1.log"
    record = spawn(lab.host1, argv, name="dnsd-host1", log=log)
    state.processes.append(record)

    def ready() -> bool:
        _alive(record, "the DNS server (python -m vpnrouter.lab.dnsd)")
        return "answering" in log.read_text(errors="replace")

    wait_for("DNS server on host1", ready, READY_TIMEOUT, log)
    return record


# -- the client PC ------------------------------------------------------------------------------


def prepare_resolv(state: LabState, ns: str) -> Path:
    directory = NETNS_ETC / ns
    if directory.exists():
        raise LabError(f"{directory} exists already: not the lab's to overwrite")
    directory.mkdir(parents=True)
    state.etc_netns.append(str(directory))
    path = directory / "resolv.conf"
    path.write_text(LAB_RESOLV)
    return path


def start_vpnclient(state: LabState, ns: str) -> dict[str, Any]:
    """``vpnclient connect`` with a connection entry for the seed's group; the user name and
    password come the way a script gives them (``--username``, ``--password-stdin``).
    Returns the client's status once its link is secure."""
    workdir = Path(state.workdir)
    profiles = workdir / "profiles"
    client = [sys.executable, "-m", "vpnrouter.client"]
    new = [*client, "new", ENTRY, "--host", VPN2611.outside_ip, "--group", CLIENT_GROUP]
    new += ["--username", XAUTH_USER[0], "--description", "vpnrouter lab: the seed's client"]
    new += ["--group-password-stdin", "--profile-dir", str(profiles)]
    made = subprocess.run(new, input=CLIENT_GROUP_KEY + "\n", capture_output=True, text=True,
                          timeout=30, check=False)  # fmt: skip
    if made.returncode != 0:
        raise LabError(f"vpnclient new failed: {made.stderr.strip() or made.stdout.strip()}")
    password = workdir / "vpnclient.password"
    password.write_text(XAUTH_USER[1] + "\n")
    password.chmod(0o600)
    socket = workdir / "vpnclient.sock"
    argv = [*client, "connect", ENTRY, "--profile-dir", str(profiles), "--username",
            XAUTH_USER[0], "--password-stdin", "--socket", str(socket)]  # fmt: skip
    log = workdir / "vpnclient.log"
    record = spawn(ns, argv, name="vpnclient", log=log, stdin=password)
    state.processes.append(record)
    state.client_socket = str(socket)

    def connected() -> dict[str, Any] | None:
        _alive(record, "vpnclient connect")
        try:
            status: dict[str, Any] = request(socket, "status", timeout=5)
        except ControlError:
            return None
        return status if status.get("state") == "connected" else None

    result: dict[str, Any] = wait_for("vpnclient connected", connected, CONNECT_TIMEOUT, log)
    return result


# $1: the client's run directory (over /run: vpnc-script keeps its state in /var/run/vpnc)
_MOUNT_AND_EXEC = 'mount --bind "$1" /run && shift && exec "$@"'


def start_vpnc(state: LabState, ns: str) -> dict[str, str]:
    """vpnc 0.5.3 with the seed's group and user; returns what it handed its script."""
    missing = [str(p) for p in (VPNC, VPNC_SCRIPT) if not p.exists()]
    if missing:
        raise LabError(f"--client vpnc needs {', '.join(missing)} (Debian vpnc, vpnc-scripts)")
    directory = Path(state.workdir) / "vpnc"
    rundir = directory / "run"
    rundir.mkdir(parents=True, exist_ok=True)
    env_log, wrapper = directory / "script-env.log", directory / "wrapper"
    conf = directory / "vpnc.conf"
    write_wrapper(wrapper, env_log)
    conf.write_text(config_text(
        gateway=VPN2611.outside_ip, group=CLIENT_GROUP, group_key=CLIENT_GROUP_KEY,
        username=XAUTH_USER[0], password=XAUTH_USER[1], wrapper=wrapper,
        pidfile=directory / "vpnc.pid",
    ))  # fmt: skip
    conf.chmod(0o600)
    argv = ["sh", "-c", _MOUNT_AND_EXEC, "sh", str(rundir), str(VPNC), "--no-detach"]
    argv += ["--debug", "1", str(conf)]
    log = directory / "vpnc.log"
    record = spawn(ns, argv, name="vpnc", log=log)
    state.processes.append(record)

    def connected() -> dict[str, str] | None:
        _alive(record, "vpnc")
        return connect_vars(env_log.read_text(errors="replace"))

    result: dict[str, str] = wait_for("vpnc connected", connected, CONNECT_TIMEOUT, log)
    return result
