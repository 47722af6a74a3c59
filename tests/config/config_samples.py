"""Shared helpers for the config tests: the seed configurations and variants of them."""

from __future__ import annotations

from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
VPN2611 = SEED / "vpn2611.cfg"
VPN3640 = SEED / "vpn3640.cfg"


def seed_text(name: str) -> str:
    return (SEED / name).read_text()


def variant(name: str, *edits: tuple[str, str]) -> str:
    """The seed configuration ``name`` with each ``(old, new)`` edit applied exactly once."""
    text = seed_text(name)
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} must occur exactly once in {name}"
        text = text.replace(old, new)
    return text


@pytest.fixture
def seed_2611() -> str:
    return seed_text("vpn2611.cfg")


@pytest.fixture
def seed_3640() -> str:
    return seed_text("vpn3640.cfg")
