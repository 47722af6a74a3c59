"""tests/cli imports the in-memory IKE pair of tests/ike (ikepair) for the engine-to-show test."""

from __future__ import annotations

import sys
from pathlib import Path

IKE_TESTS = str(Path(__file__).resolve().parents[1] / "ike")
if IKE_TESTS not in sys.path:
    sys.path.append(IKE_TESTS)
