"""The L2L benchmark runs end to end with the strongSwan baseline (a few setups, one second
of iperf3), so the hook the integrator plugs our router into does not rot."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from vpnrouter.lab.netns import list_namespaces

BENCH = Path(__file__).resolve().parents[2] / "bench" / "l2l_bench.py"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("l2l_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["l2l_bench"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_l2l_bench_strongswan_baseline_and_our_router() -> None:
    bench = _load_bench()
    mine = f"vr{os.getpid()}-"
    options = bench.BenchOptions(setups=3, setup_seconds=30, iperf_seconds=1)
    peers = [bench.StrongSwanResponder(), bench.VpnrouterResponder()]
    base, ours = bench.run_bench(peers, options)
    for result in (base, ours):
        assert result.error is None, result.label
        assert result.setups.count == 3
        assert result.setups.per_second > 0
        assert result.throughput.received_mbps > 0
    text = bench.report([base, ours])
    assert "ratio vpnrouter/strongSwan: setups " in text
    assert bench.report([base, base]).count("setups 1.00, throughput 1.00") == 1
    assert not [ns for ns in list_namespaces() if ns.startswith(mine)]


def test_ios_config_for_bench_parameters() -> None:
    bench = _load_bench()
    text = bench.ios_config(bench.TunnelParams("aes128-sha1-modp1024", "aes128-sha1"))
    assert " encr aes\n hash sha\n authentication pre-share\n group 2\n" in text
    assert "crypto ipsec transform-set myset esp-aes esp-sha-hmac\n" in text
    seed = bench.ios_config(bench.TunnelParams("des-md5-modp768", "3des-md5"))
    assert " encr des\n hash md5\n" in seed and " group 1\n" in seed
    assert "transform-set myset esp-3des esp-md5-hmac\n" in seed
    assert "crypto isakmp key cisco123 address 172.18.124.199 no-xauth\n" in seed
