"""Rules the test suite itself keeps (DESIGN.md, tests/e2e/conftest.py).

A test that needs root or a Debian package never skips when it is missing: it FAILS,
with the list of what is missing, through the one requirement check of tests/e2e/conftest.py
(``vpnrouter.lab.requirements.problems``). CI has everything, so a skip would only hide a
broken machine.
"""

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SKIPS = re.compile(r"\bskipif\b|pytest\.skip\(|\bimportorskip\b|mark\.skip\b")


def test_tests_fail_instead_of_skipping() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{number}: {line.strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != Path(__file__).name
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SKIPS.search(line)
    ]
    assert offenders == [], "use tests/e2e/conftest.py's requirement check, not skips"
