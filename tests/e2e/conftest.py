"""Fixtures for the network tests: a lab topology that is always closed, the seed topology,
strongSwan charons and tshark captures in it.

Nothing here skips. The requirements (root, iproute2, nftables, tshark, iperf3, strongSwan
with kernel-libipsec, ...) are checked once when this module is imported; if one is missing,
every test in tests/e2e FAILS with the list of what is missing and which Debian package
provides it (``scripts/install.sh`` installs them all, and CI has them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vpnrouter.lab import requirements
from vpnrouter.lab.capture import Capture
from vpnrouter.lab.netns import Topology, list_namespaces, reap_stale_namespaces
from vpnrouter.lab.seed import OUTSIDE, SeedLab, SeedOptions, build_seed
from vpnrouter.lab.strongswan import Charon

PROBLEMS: list[str] = requirements.problems()

CharonFactory = Callable[..., Charon]
CaptureFactory = Callable[..., Capture]
SeedFactory = Callable[..., SeedLab]


@pytest.fixture(autouse=True)
def _lab_requirements() -> None:
    if PROBLEMS:
        pytest.fail(
            "the network tests cannot run on this machine (run `sudo bash scripts/install.sh`):\n"
            + "\n".join(f"  - {p}" for p in PROBLEMS),
            pytrace=False,
        )


@pytest.fixture(scope="session", autouse=True)
def _reap_stale_labs() -> None:
    """Remove empty namespaces left by earlier runs that died (never touches live runs)."""
    if not PROBLEMS:
        reap_stale_namespaces()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[None] | pytest.TestReport:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def topology(request: pytest.FixtureRequest) -> Iterator[Topology]:
    """A fresh `Topology`; closed after the test (its files kept if the test failed)."""
    topo = Topology()
    try:
        yield topo
    finally:
        failed = request.node.stash.get(_FAILED, True)
        topo.keep_workdir = failed
        if failed:
            _print_logs(topo.workdir)
        prefix = topo.prefix
        topo.close()
        left = [ns for ns in list_namespaces() if ns.startswith(prefix)]
        assert not left, f"namespaces left behind: {left}"


def _print_logs(workdir: Path, lines: int = 60) -> None:
    print(f"lab files kept in {workdir}")
    for log in sorted(workdir.glob("**/*.log")):
        text = log.read_text(errors="replace").splitlines()
        print(f"--- {log} (last {lines} lines)")
        print("\n".join(text[-lines:]))


@pytest.fixture
def seed_factory(topology: Topology) -> SeedFactory:
    """Build the seed topology in the test's topology with the given `SeedOptions` fields."""

    def build(**options: bool) -> SeedLab:
        return build_seed(topology, SeedOptions(**options))

    return build


@pytest.fixture
def seed_lab(seed_factory: SeedFactory) -> SeedLab:
    """The seed topology with the router addresses assigned (strongSwan plays the routers)."""
    return seed_factory()


@pytest.fixture
def strongswan(topology: Topology) -> CharonFactory:
    """Start a charon: ``strongswan(namespace, name, **Charon fields) -> Charon``.
    The topology stops it by PID at the end of the test."""

    def start(ns: str, name: str | None = None, **kwargs: object) -> Charon:
        label = name or ns.removeprefix(topology.prefix)
        return Charon(topology, ns, label, **kwargs).start()

    return start


@pytest.fixture
def capture(topology: Topology) -> CaptureFactory:
    """Start tshark: ``capture(namespace, interface, name="tshark", capture_filter=...)``
    (default: IPv4 less IGMP), or ``capture(seed_lab)`` / ``capture(seed_lab, segment)`` to tap
    a seed segment."""

    def start(
        where: str | SeedLab, interface: str = OUTSIDE, name: str = "tshark", **kwargs: object
    ) -> Capture:
        if isinstance(where, SeedLab):
            ns, interface = where.tap(interface)
        else:
            ns = where
        return Capture(topology, ns, interface, name=name, **kwargs).start()

    return start
