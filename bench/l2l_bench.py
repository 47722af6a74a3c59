"""LAN-to-LAN benchmark: one peer implementation against strongSwan, in the seed lab.

In one lab and one run, for each peer implementation playing vpn2611 (the responder), with a
strongSwan charon playing vpn3640 (the initiator) every time:

  (a) tunnel setups per second: main mode + quick mode, initiated and then deleted by the
      initiator, one after the other (bounded by --setups and --setup-seconds);
  (b) iperf3 TCP throughput host2 -> host1 through the tunnel (AES-128/SHA1 by default).

The first implementation is the baseline (strongSwan with its userspace data plane,
kernel-libipsec); every other one is printed as a ratio to it. A peer implementation is a
class with ``label``, ``start(lab, params)`` and ``stop()`` (see `Responder`); pick them with
``--peer strongswan --peer vpnrouter`` or ``--peer package.module:ClassName``.

    sudo .venv/bin/python bench/l2l_bench.py                     # strongSwan only
    sudo .venv/bin/python bench/l2l_bench.py --peer strongswan --peer vpnrouter
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from vpnrouter.lab import requirements
from vpnrouter.lab.netns import LabError, LabProcess, Topology
from vpnrouter.lab.seed import PSK, VPN2611, VPN3640, SeedLab, SeedOptions, build_seed
from vpnrouter.lab.strongswan import Charon, L2LConn, seed_l2l

BENCH_LOG_LEVELS = {"default": 0, "ike": 0, "cfg": 0, "knl": 0, "net": 0, "enc": 0}
IPERF_PORT = 5201
READY_TIMEOUT = 15.0
MAX_SETUPS = 10_000
MAX_SETUP_SECONDS = 300.0
MAX_IPERF_SECONDS = 120


@dataclass(frozen=True)
class TunnelParams:
    """The tunnel both sides are configured with, in strongSwan's proposal syntax."""

    ike: str  # e.g. "aes128-sha1-modp1024"
    esp: str  # e.g. "aes128-sha1"
    psk: str = PSK


class Responder(Protocol):
    """A peer implementation playing vpn2611 (172.18.124.159, LAN 10.10.10.0/24).

    `start` must return once the peer answers IKE on UDP 500 with `params` configured
    (the lab has the seed's addresses and default route on vpn2611's interfaces already);
    `stop` must end everything `start` started (by PID).
    """

    label: str

    def start(self, lab: SeedLab, params: TunnelParams) -> None: ...

    def stop(self) -> None: ...


class StrongSwanResponder:
    """strongSwan 5.9.8 charon with kernel-libipsec (the baseline)."""

    label = "strongSwan"

    def __init__(self) -> None:
        self.charon: Charon | None = None
        self._runs = 0

    def start(self, lab: SeedLab, params: TunnelParams) -> None:
        self._runs += 1
        charon = Charon(lab.topology, lab.vpn2611, f"resp{self._runs}")
        charon.log_levels = BENCH_LOG_LEVELS
        self.charon = charon.start()
        conn = seed_l2l(VPN2611, VPN3640, ike_proposals=(params.ike,), esp_proposals=(params.esp,))
        self.charon.load([conn])

    def stop(self) -> None:
        if self.charon is not None:
            self.charon.stop()
            self.charon = None


# strongSwan proposal keywords -> IOS 12.x keywords
IOS_IKE_ENCR = {"des": "des", "3des": "3des", "aes128": "aes", "aes192": "aes 192",
                "aes256": "aes 256"}  # fmt: skip
IOS_IKE_HASH = {"md5": "md5", "sha1": "sha"}
IOS_GROUP = {"modp768": "1", "modp1024": "2", "modp1536": "5"}
IOS_ESP_ENCR = {"des": "esp-des", "3des": "esp-3des", "aes128": "esp-aes",
                "aes192": "esp-aes 192", "aes256": "esp-aes 256"}  # fmt: skip
IOS_ESP_AUTH = {"md5": "esp-md5-hmac", "sha1": "esp-sha-hmac"}


def ios_config(params: TunnelParams) -> str:
    """vpn2611's LAN-to-LAN part of the seed configuration, with `params` as its only ISAKMP
    policy and transform set."""
    encr, hash_, group = params.ike.split("-")
    esp_encr, esp_auth = params.esp.split("-")
    return f"""\
hostname vpn2611
!
crypto isakmp policy 10
 encr {IOS_IKE_ENCR[encr]}
 hash {IOS_IKE_HASH[hash_]}
 authentication pre-share
 group {IOS_GROUP[group]}
crypto isakmp key {params.psk} address {VPN3640.outside_ip} no-xauth
!
crypto ipsec transform-set myset {IOS_ESP_ENCR[esp_encr]} {IOS_ESP_AUTH[esp_auth]}
!
crypto map clientmap 1 ipsec-isakmp
 set peer {VPN3640.outside_ip}
 set transform-set myset
 match address 100
!
interface Ethernet0/0
 ip address {VPN2611.outside_ip} 255.255.255.0
 crypto map clientmap
!
interface Ethernet0/1
 ip address {VPN2611.inside_ip} 255.255.255.0
!
ip route 0.0.0.0 0.0.0.0 172.18.124.1
!
access-list 100 permit ip 10.10.10.0 0.0.0.255 10.10.20.0 0.0.0.255
end
"""


class VpnrouterResponder:
    """Our router: ``vpnrouter run --config FILE --socket SOCK`` in vpn2611.

    The lab has already put the seed's addresses and default route on vpn2611's interfaces,
    so the daemon runs without ``--interface`` (it then expects the addresses on the host);
    anything else it should get goes in `extra_args` (``--vpnrouter-arg``).
    """

    label = "vpnrouter"
    extra_args: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.process: LabProcess | None = None
        self._runs = 0

    def start(self, lab: SeedLab, params: TunnelParams) -> None:
        self._runs += 1
        topo = lab.topology
        config = topo.workdir / f"vpnrouter{self._runs}.cfg"
        config.write_text(ios_config(params))
        socket = topo.workdir / f"vpnrouter{self._runs}.sock"
        argv = [sys.executable, "-m", "vpnrouter", "run", "--config", str(config)]
        argv += ["--socket", str(socket), *self.extra_args]
        self.process = topo.popen(lab.vpn2611, argv, name=f"vpnrouter{self._runs}")
        wait_udp_listener(lab, "vpn2611", 500, self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


PEERS: dict[str, Callable[[], Responder]] = {
    "strongswan": StrongSwanResponder,
    "vpnrouter": VpnrouterResponder,
}


def load_peer(spec: str) -> Callable[[], Responder]:
    if spec in PEERS:
        return PEERS[spec]
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit(f"unknown peer {spec!r}: use {', '.join(PEERS)} or module:Class")
    factory: Callable[[], Responder] = getattr(importlib.import_module(module), name)
    return factory


def wait_udp_listener(
    lab: SeedLab, role: str, port: int, process: LabProcess, timeout: float = READY_TIMEOUT
) -> None:
    """Wait (bounded) until something listens on UDP `port` in a role's namespace."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise LabError(f"{process.name} exited: {process.log()[-2000:]}")
        out = lab.topology.exec(lab[role], ["ss", "-H", "-u", "-l", "-n", f"sport = :{port}"])
        if out.stdout.strip():
            return
        time.sleep(0.1)
    raise LabError(f"nothing listens on UDP {port} in {role} after {timeout:g} s")


# -- measurements ----------------------------------------------------------------------------


@dataclass
class SetupResult:
    count: int = 0
    seconds: float = 0.0  # sum of the initiate times
    durations: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.durations) * 1000 if self.durations else 0.0


def measure_setups(initiator: Charon, *, count: int, max_seconds: float) -> SetupResult:
    """Initiate (main mode + quick mode) and delete the tunnel, up to `count` times or
    `max_seconds`; only the initiate (until the CHILD SA is installed) is timed."""
    result = SetupResult()
    end = time.monotonic() + min(max_seconds, MAX_SETUP_SECONDS)
    for _ in range(min(count, MAX_SETUPS)):
        if time.monotonic() >= end:
            break
        start = time.perf_counter()
        initiator.initiate("l2l", timeout=20)
        elapsed = time.perf_counter() - start
        result.count += 1
        result.seconds += elapsed
        result.durations.append(elapsed)
        initiator.terminate(ike="l2l", timeout=10)
        initiator.wait_for("none", ike="l2l", timeout=10)
    return result


@dataclass
class ThroughputResult:
    seconds: int
    sent_mbps: float
    received_mbps: float
    retransmits: int


def measure_throughput(lab: SeedLab, seconds: int) -> ThroughputResult:
    """iperf3 TCP host2 -> host1 (through the tunnel) for `seconds`."""
    seconds = max(1, min(seconds, MAX_IPERF_SECONDS))
    topo = lab.topology
    server = topo.popen(
        lab.host1, ["iperf3", "-s", "-1", "-p", str(IPERF_PORT)], name="iperf3-server"
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            out = topo.exec(lab.host1, ["ss", "-H", "-t", "-l", "-n", f"sport = :{IPERF_PORT}"])
            if out.stdout.strip():
                break
            time.sleep(0.1)
        else:
            raise LabError("iperf3 server did not start listening")
        argv = ["iperf3", "-c", VPN2611.host_addr, "-p", str(IPERF_PORT), "-t", str(seconds)]
        proc = topo.exec(lab.host2, [*argv, "-J"], timeout=seconds + 30)
        end = json.loads(proc.stdout)["end"]
        return ThroughputResult(
            seconds=seconds,
            sent_mbps=end["sum_sent"]["bits_per_second"] / 1e6,
            received_mbps=end["sum_received"]["bits_per_second"] / 1e6,
            retransmits=int(end["sum_sent"].get("retransmits", 0)),
        )
    finally:
        server.stop()


@dataclass
class PeerResult:
    label: str
    setup_params: TunnelParams
    throughput_params: TunnelParams
    setups: SetupResult | None = None
    throughput: ThroughputResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class BenchOptions:
    setups: int = 30
    setup_seconds: float = 30.0
    iperf_seconds: int = 5
    setup_params: TunnelParams = TunnelParams("des-md5-modp768", "3des-md5")
    throughput_params: TunnelParams = TunnelParams("aes128-sha1-modp1024", "aes128-sha1")


@contextlib.contextmanager
def responding(
    peer: Responder, lab: SeedLab, initiator: Charon, params: TunnelParams
) -> Iterator[None]:
    """Both sides configured with `params`, the peer running; the peer stopped afterwards."""
    initiator.load([initiator_conn(params)])
    peer.start(lab, params)
    try:
        yield
    finally:
        peer.stop()


def bench_peer(
    lab: SeedLab, initiator: Charon, peer: Responder, options: BenchOptions
) -> PeerResult:
    result = PeerResult(peer.label, options.setup_params, options.throughput_params)
    try:
        with responding(peer, lab, initiator, options.setup_params):
            result.setups = measure_setups(
                initiator, count=options.setups, max_seconds=options.setup_seconds
            )
        with responding(peer, lab, initiator, options.throughput_params):
            initiator.initiate("l2l", timeout=20)
            result.throughput = measure_throughput(lab, options.iperf_seconds)
            initiator.terminate(ike="l2l", timeout=10, force=True)
    except LabError as exc:
        result.error = str(exc).splitlines()[0]
    return result


def initiator_conn(params: TunnelParams) -> L2LConn:
    return seed_l2l(
        VPN3640, VPN2611, ike_proposals=(params.ike,), esp_proposals=(params.esp,), psk=params.psk
    )


def run_bench(peers: Sequence[Responder], options: BenchOptions) -> list[PeerResult]:
    """Build the seed lab, start the strongSwan initiator in vpn3640 and measure each peer
    as vpn2611, one after the other; the lab is removed afterwards whatever happens."""
    with Topology() as topo:
        lab = build_seed(topo, SeedOptions(with_clients=False))
        initiator = Charon(topo, lab.vpn3640, "initiator")
        initiator.log_levels = BENCH_LOG_LEVELS
        initiator.start()
        return [bench_peer(lab, initiator, peer, options) for peer in peers]


# -- report ----------------------------------------------------------------------------------


def report(results: Sequence[PeerResult]) -> str:
    lines = []
    base = results[0] if results else None
    header = f"{'peer (vpn2611)':<16} {'setups/s':>9} {'median ms':>10} {'n':>5} {'Mbit/s':>9}"
    lines.append(header)
    for res in results:
        if res.error:
            lines.append(f"{res.label:<16} failed: {res.error}")
            continue
        s, t = res.setups, res.throughput
        lines.append(
            f"{res.label:<16} {s.per_second if s else 0:9.1f} {s.median_ms if s else 0:10.1f}"
            f" {s.count if s else 0:5d} {t.received_mbps if t else 0:9.1f}"
        )
    if base is not None and not base.error and base.setups and base.throughput:
        for res in results[1:]:
            if res.error or not res.setups or not res.throughput:
                continue
            setup_ratio = res.setups.per_second / base.setups.per_second
            tput_ratio = res.throughput.received_mbps / base.throughput.received_mbps
            lines.append(
                f"ratio {res.label}/{base.label}: setups {setup_ratio:.2f}, "
                f"throughput {tput_ratio:.2f}"
            )
    if results:
        r0 = results[0]
        lines.append(
            f"(setups: IKE {r0.setup_params.ike}, ESP {r0.setup_params.esp}; "
            f"throughput: IKE {r0.throughput_params.ike}, ESP {r0.throughput_params.esp}, "
            "iperf3 TCP host2 -> host1; initiator vpn3640 = strongSwan)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", action="append", help="strongswan, vpnrouter or module:Class")
    parser.add_argument("--setups", type=int, default=BenchOptions.setups)
    parser.add_argument("--setup-seconds", type=float, default=BenchOptions.setup_seconds)
    parser.add_argument("--iperf-seconds", type=int, default=BenchOptions.iperf_seconds)
    parser.add_argument("--setup-ike", default=BenchOptions.setup_params.ike)
    parser.add_argument("--setup-esp", default=BenchOptions.setup_params.esp)
    parser.add_argument("--ike", default=BenchOptions.throughput_params.ike)
    parser.add_argument("--esp", default=BenchOptions.throughput_params.esp)
    parser.add_argument("--vpnrouter-arg", action="append", default=[])
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    problems = requirements.problems()
    if problems:
        print("cannot run the benchmark:\n" + "\n".join(f"  - {p}" for p in problems))
        return 2
    VpnrouterResponder.extra_args = tuple(args.vpnrouter_arg)
    peers = [load_peer(spec)() for spec in (args.peer or ["strongswan"])]
    options = BenchOptions(
        setups=args.setups,
        setup_seconds=args.setup_seconds,
        iperf_seconds=args.iperf_seconds,
        setup_params=TunnelParams(args.setup_ike, args.setup_esp),
        throughput_params=TunnelParams(args.ike, args.esp),
    )
    results = run_bench(peers, options)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
