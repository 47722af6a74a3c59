"""Rules the test suite itself keeps (DESIGN.md, tests/e2e/conftest.py).

A network test that needs root or a Debian package never skips when it is missing: it FAILS,
with the list of what is missing, through the one requirement check of tests/e2e/conftest.py
(``vpnrouter.lab.requirements.problems``). CI has everything, so a skip would only hide a
broken machine.
"""

import re
from pathlib import Path

E2E = Path(__file__).resolve().parent / "e2e"
SKIPS = re.compile(r"\bskipif\b|pytest\.skip\(|\bimportorskip\b|mark\.skip\b")


def test_network_tests_fail_instead_of_skipping() -> None:
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(E2E.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SKIPS.search(line)
    ]
    assert offenders == [], "use tests/e2e/conftest.py's requirement check, not skips"
