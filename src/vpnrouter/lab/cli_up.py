"""``vpnrouter lab up``: the seed's whole scenario in network namespaces, step by step.

1. the seed's network (vpn2611, vpn3640, host1 and host2 on their LANs, the Internet router,
   the VPN client PC on 198.51.100.10);
2. vpn2611 and vpn3640 running the seed configurations unmodified (``vpnrouter run``, which
   configures the interfaces itself), or strongSwan as vpn3640 (``--peer strongswan``);
3. host1 as the DNS server the group hands out (10.10.10.10);
4. LAN-to-LAN traffic host1 <-> host2 (the first packet starts IKE, as on IOS);
5. the VPN client connected as user cisco (``vpnclient``, or vpnc with ``--client vpnc``);
6. the client's traffic to host1 and a name resolved through the tunnel;
7. the seed's verification section on both routers.

A progress line per step. The lab outlives the command: its state file says what to remove.
A step that fails before traffic flows removes everything again; a failed traffic step leaves
the lab up for a look (``lab cli``, ``show crypto isakmp diagnose``), and ``lab down``.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

import vpnrouter
from vpnrouter.lab import cli_peers, cli_report, requirements
from vpnrouter.lab.cli_run import namespaces_present, teardown
from vpnrouter.lab.cli_state import (
    DEFAULT_PREFIX,
    LabState,
    ProcessRecord,
    StateError,
    load,
    save,
)
from vpnrouter.lab.netns import NETNS_DIR, LabError, Topology
from vpnrouter.lab.seed import (
    CLIENT_DOMAIN,
    PC_ADDR,
    VPN2611,
    VPN3640,
    SeedLab,
    SeedOptions,
    build_seed,
)
from vpnrouter.lab.vpnc import VPNC, VPNC_SCRIPT

T = TypeVar("T")
SEED_DIR = Path(vpnrouter.__file__).resolve().parents[2] / "examples" / "seed"
PEERS = ("vpnrouter", "strongswan")
CLIENTS = ("vpnclient", "vpnc", "none")
PING_DEADLINE = 30.0
ROUTERS = ("vpn2611", "vpn3640")


class StepFailed(RuntimeError):
    """A step of ``lab up`` failed; the message says what happened."""


@dataclass
class UpOptions:
    state_path: Path
    prefix: str = DEFAULT_PREFIX
    peer: str = "vpnrouter"
    client: str = "vpnclient"
    config_dir: Path = SEED_DIR
    configs: dict[str, Path] = field(default_factory=dict)  # router -> its configuration
    debug: str = "isakmp,ipsec"
    workdir: Path | None = None  # default: beside the state file

    def config(self, router: str) -> Path:
        return self.configs.get(router) or self.config_dir / f"{router}.cfg"


class Progress:
    """``[n/N] what ... ok (detail)`` on one line per step."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out, self.total, self.n = out, total, 0

    def step(self, title: str, action: Callable[[], T], done: Callable[[T], str]) -> T:
        self.n += 1
        self.out.write(f"[{self.n}/{self.total}] {title} ... ")
        self.out.flush()
        started = time.monotonic()
        try:
            value = action()
        except (LabError, StateError, OSError) as exc:
            self.out.write("FAILED\n")
            self.out.flush()
            raise StepFailed(str(exc)) from exc
        detail = done(value)
        seconds = time.monotonic() - started
        self.out.write(f"ok{f': {detail}' if detail else ''} ({seconds:.1f} s)\n")
        self.out.flush()
        return value


def preflight(opts: UpOptions) -> list[str]:
    """Why ``lab up`` cannot start (empty: it can)."""
    problems = requirements.problems()
    if opts.peer not in PEERS:
        problems.append(f"--peer must be one of {', '.join(PEERS)}")
    if opts.client not in CLIENTS:
        problems.append(f"--client must be one of {', '.join(CLIENTS)}")
    for router in ROUTERS:
        if router == "vpn3640" and opts.peer == "strongswan":
            continue
        if not opts.config(router).is_file():
            problems.append(f"{opts.config(router)}: no such configuration (--config-dir)")
    if opts.client == "vpnc":
        needed = (VPNC, VPNC_SCRIPT)
        problems += [f"{p} not found (Debian vpnc, vpnc-scripts)" for p in needed if not p.exists()]
    taken = [ns for ns in (f"{opts.prefix}{r}" for r in ROUTERS) if (NETNS_DIR / ns).exists()]
    if taken:
        problems.append(f"namespace {taken[0]} exists already (another lab with prefix"
                        f" {opts.prefix!r}? --prefix)")  # fmt: skip
    return problems


def lab_up(opts: UpOptions, out: TextIO = sys.stdout) -> int:
    try:
        existing = load(opts.state_path)
    except StateError as exc:
        out.write(f"vpnrouter lab: {exc}\n")
        return 1
    if existing is not None:
        alive = namespaces_present(existing)
        what = "is up" if alive else "was left half-made"
        out.write(f"A lab {what} (prefix {existing.prefix!r}, state {opts.state_path}):"
                  " 'vpnrouter lab down' removes it.\n")  # fmt: skip
        return 1
    problems = preflight(opts)
    if problems:
        out.write("vpnrouter lab up cannot start:\n" + "".join(f"  - {p}\n" for p in problems))
        return 1
    workdir = opts.workdir or opts.state_path.parent / f"{opts.state_path.stem}.d"
    state = LabState(prefix=opts.prefix, workdir=str(workdir), peer=opts.peer,
                     client=opts.client)  # fmt: skip
    workdir.mkdir(parents=True, exist_ok=True)
    save(opts.state_path, state)
    total = 8 if opts.client != "none" else 5
    progress = Progress(out, total)
    try:
        lab = _infrastructure(opts, state, progress)
    except (StepFailed, KeyboardInterrupt) as exc:
        why = str(exc) if isinstance(exc, StepFailed) else "interrupted"
        out.write(f"\n{why}\n\nRemoving what was made ...\n")
        problems = teardown(state)
        if not problems:
            opts.state_path.unlink(missing_ok=True)
        out.write("".join(f"  - {p}\n" for p in problems) or "removed.\n")
        return 1
    try:
        _traffic(opts, state, lab, progress)
    except StepFailed as exc:
        out.write(f"\n{exc}\n")
        cli_report.diagnoses(state, out.write)
        out.write("\nThe lab stays up to be looked at ('vpnrouter lab cli vpn2611');"
                  " 'vpnrouter lab down' removes it.\n")  # fmt: skip
        return 1
    except KeyboardInterrupt:
        out.write("\ninterrupted: the lab stays up; 'vpnrouter lab down' removes it.\n")
        return 130
    finally:
        state.complete = True
        save(opts.state_path, state)
    report = io.StringIO()
    progress.step(
        "Verification: the seed's show commands on both routers",
        lambda: cli_report.verification(state, report.write),
        lambda count: f"{count} commands",
    )
    out.write(report.getvalue())
    out.write(
        "\nThe lab stays up. Try: vpnrouter lab cli vpn2611 | vpnrouter lab exec host1 ping"
        f" {VPN3640.host_addr} | vpnrouter lab down\n"
    )
    return 0


def _infrastructure(opts: UpOptions, state: LabState, progress: Progress) -> SeedLab:
    topology = Topology(workdir=Path(state.workdir), prefix=opts.prefix)
    topology.detach()

    def build() -> SeedLab:
        try:
            return build_seed(topology, SeedOptions(assign_router_addresses=False))
        finally:
            state.namespaces = list(topology.namespaces)
            save(opts.state_path, state)

    lab = progress.step(
        f"Seed network in namespaces (prefix {opts.prefix})", build,
        lambda lab: " ".join(sorted(lab.ns)),
    )  # fmt: skip
    state.roles = dict(lab.ns)
    save(opts.state_path, state)
    for router in ROUTERS:
        if router == "vpn3640" and opts.peer == "strongswan":
            progress.step(
                "vpn3640: strongSwan (main mode, PSK, DES/MD5/group 1, ESP 3DES/MD5)",
                lambda: cli_peers.start_strongswan(state, topology, lab),
                lambda charon: f"charon pid {charon.process.pid if charon.process else '?'}",
            )
        else:
            _start_router(opts, state, lab, progress, router)
        save(opts.state_path, state)
    if opts.client != "none":
        progress.step(f"host1 {VPN2611.host_addr}: the DNS server the group hands out",
                      lambda: cli_peers.start_dns(state, lab),
                      lambda _: f"{len(cli_peers.DNS_NAMES)} names in {CLIENT_DOMAIN}")  # fmt: skip
        save(opts.state_path, state)
    return lab


def _start_router(
    opts: UpOptions, state: LabState, lab: SeedLab, progress: Progress, router: str
) -> None:
    config = opts.config(router)

    def start() -> ProcessRecord:
        return cli_peers.start_router(state, lab, router, config, opts.debug)

    progress.step(
        f"{router}: vpnrouter run --config {_short(config)}", start, lambda rec: f"pid {rec.pid}"
    )


def _traffic(opts: UpOptions, state: LabState, lab: SeedLab, progress: Progress) -> None:
    def l2l() -> int:
        if not lab.ping("host1", VPN3640.host_addr, count=3, deadline=PING_DEADLINE):
            raise LabError(f"host1 gets no answer from host2 {VPN3640.host_addr}")
        if not lab.ping("host2", VPN2611.host_addr, count=3, deadline=PING_DEADLINE):
            raise LabError(f"host2 gets no answer from host1 {VPN2611.host_addr}")
        return 6

    progress.step(
        f"LAN-to-LAN: ping host1 {VPN2611.host_addr} <-> host2 {VPN3640.host_addr}"
        " (the first packet starts IKE)", l2l, lambda n: f"{n} echo replies through the tunnel",
    )  # fmt: skip
    save(opts.state_path, state)
    if opts.client == "none":
        return
    pc = lab["pc"]
    progress.step(
        f"VPN client on pc {PC_ADDR}: {_client_words(opts.client)}",
        lambda: _connect(state, pc, opts.client), _connected_words,
    )  # fmt: skip
    save(opts.state_path, state)
    progress.step(
        f"Client traffic: ping host1 {VPN2611.host_addr} from pc, host1.{CLIENT_DOMAIN} by name",
        lambda: _client_traffic(lab, opts.client), lambda text: text,
    )  # fmt: skip


def _client_words(client: str) -> str:
    what = "vpnclient connect" if client == "vpnclient" else "vpnc"
    return f"{what} to vpn2611 {VPN2611.outside_ip}, group 3000client, user cisco"


def _connect(state: LabState, ns: str, client: str) -> dict[str, Any]:
    cli_peers.prepare_resolv(state, ns)
    if client == "vpnc":
        found: dict[str, Any] = cli_peers.start_vpnc(state, ns)
        return {"client_address": found.get("INTERNAL_IP4_ADDRESS"),
                "dns": [found.get("INTERNAL_IP4_DNS", "")]}  # fmt: skip
    return cli_peers.start_vpnclient(state, ns)


def _connected_words(status: dict[str, Any]) -> str:
    dns = ", ".join(d for d in status.get("dns") or [] if d)
    return f"address {status.get('client_address')}" + (f", DNS {dns}" if dns else "")


def _client_traffic(lab: SeedLab, client: str) -> str:
    if not lab.ping("pc", VPN2611.host_addr, count=3, deadline=PING_DEADLINE):
        raise LabError(f"pc gets no answer from host1 {VPN2611.host_addr} through the tunnel")
    if client != "vpnclient":
        return "3 echo replies (vpnc: DNS left as it was)"
    name = f"host1.{CLIENT_DOMAIN}"
    proc = lab.topology.exec(lab["pc"], ["getent", "ahostsv4", name], check=False, timeout=20)
    if VPN2611.host_addr not in proc.stdout:
        raise LabError(f"pc cannot resolve {name} through the tunnel: {proc.stdout}{proc.stderr}")
    return f"3 echo replies; {name} is {VPN2611.host_addr}"


def _short(path: Path) -> str:
    """``examples/seed/vpn2611.cfg`` for the repository's own files, else the full path."""
    try:
        return str(path.resolve().relative_to(SEED_DIR.parents[1]))
    except ValueError:
        return str(path.resolve())
