"""RFC 6479 anti-replay window: edge cases and agreement with a naive model (RFC 4303 3.4.3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpnrouter.esp.replay import SEQ_MAX, ReplayVerdict, ReplayWindow


def accept(window: ReplayWindow, seq: int) -> bool:
    if window.check(seq) is not ReplayVerdict.OK:
        return False
    window.update(seq)
    return True


def test_in_order_sequence_is_accepted_once() -> None:
    window = ReplayWindow(64)
    assert all(accept(window, seq) for seq in range(1, 500))
    assert window.highest == 499
    assert window.check(499) is ReplayVerdict.DUPLICATE
    assert window.check(450) is ReplayVerdict.DUPLICATE


def test_zero_is_never_valid() -> None:
    window = ReplayWindow()
    assert window.check(0) is ReplayVerdict.ZERO
    window.update(0)
    assert window.highest == 0


def test_window_edges_exactly() -> None:
    window = ReplayWindow(64)
    assert window.window == 64
    accept(window, 1000)
    # 64 numbers are checkable: 937..1000; 936 is left of the window
    assert window.check(1000 - 63) is ReplayVerdict.OK
    assert window.check(1000 - 64) is ReplayVerdict.TOO_OLD
    assert accept(window, 1000 - 63)
    assert window.check(1000 - 63) is ReplayVerdict.DUPLICATE


def test_check_does_not_change_state() -> None:
    window = ReplayWindow(128)
    accept(window, 10)
    for _ in range(3):
        assert window.check(11) is ReplayVerdict.OK
        assert window.check(5) is ReplayVerdict.OK
    assert window.highest == 10


def test_far_ahead_jump_clears_the_window() -> None:
    window = ReplayWindow(128)
    for seq in range(1, 200):
        accept(window, seq)
    far = 10_000_000
    assert accept(window, far)
    assert window.check(199) is ReplayVerdict.TOO_OLD
    # numbers just below the new right edge were never seen: all acceptable once
    for seq in range(far - 127, far):
        assert accept(window, seq), seq
        assert window.check(seq) is ReplayVerdict.DUPLICATE


def test_jump_by_exactly_one_block_keeps_the_older_block_clear() -> None:
    window = ReplayWindow(64)
    accept(window, 64)  # block 1
    accept(window, 128)  # block 2
    assert window.check(65) is ReplayVerdict.OK  # block 1, bit 1 never set
    assert window.check(64) is ReplayVerdict.TOO_OLD


def test_reordering_within_the_window() -> None:
    window = ReplayWindow(1024)
    order = [5, 3, 4, 1, 2, 1000, 10, 999, 6, 1025, 2, 1000, 7]
    results = [accept(window, seq) for seq in order]
    assert results == [True] * 10 + [False, False, True]
    assert window.check(1) is ReplayVerdict.TOO_OLD


def test_top_of_sequence_space() -> None:
    window = ReplayWindow(64)
    assert accept(window, SEQ_MAX)
    assert window.check(SEQ_MAX) is ReplayVerdict.DUPLICATE
    assert accept(window, SEQ_MAX - 1)


def test_reset_forgets_everything() -> None:
    window = ReplayWindow(64)
    accept(window, 7)
    window.reset()
    assert window.highest == 0
    assert accept(window, 7)


@pytest.mark.parametrize(
    ("requested", "effective"), [(64, 64), (65, 128), (128, 128), (1000, 1024)]
)
def test_window_size_rounds_up_to_blocks(requested: int, effective: int) -> None:
    assert ReplayWindow(requested).window == effective


@pytest.mark.parametrize("size", [0, 32, 63, 1 << 17])
def test_window_size_limits(size: int) -> None:
    with pytest.raises(ValueError):
        ReplayWindow(size)


def model_accepts(seen: set[int], highest: int, window: int, seq: int) -> bool:
    return seq != 0 and seq not in seen and seq > highest - window


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([64, 128, 256, 1024]),
    st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=3000),
            st.integers(min_value=0, max_value=SEQ_MAX),
        ),
        max_size=300,
    ),
    st.lists(st.booleans(), max_size=300),
)
def test_agrees_with_a_naive_set_model(
    window_size: int, seqs: list[int], icv_ok: list[bool]
) -> None:
    """Packets whose ICV fails are checked but never recorded (DESIGN principle 2)."""
    window = ReplayWindow(window_size)
    seen: set[int] = set()
    highest = 0
    for i, seq in enumerate(seqs):
        expected = model_accepts(seen, highest, window.window, seq)
        assert (window.check(seq) is ReplayVerdict.OK) == expected, (seq, highest)
        verified = icv_ok[i] if i < len(icv_ok) else True
        if expected and verified:
            window.update(seq)
            seen.add(seq)
            highest = max(highest, seq)
        assert window.highest == highest
