#!/usr/bin/env bash
# The whole test suite: installs what the tests need, then style, types and tests.
# Network tests (tests/e2e) need root; they create and remove their own namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest -q --durations=15 "$@"
