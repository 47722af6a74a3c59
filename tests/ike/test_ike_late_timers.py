"""A real event loop wakes up a little after each timer: the last retransmission's wait then
ends after the negotiation deadline, and the failure must still read as IOS prints it."""

from __future__ import annotations

import os

from ikepair import FLOW_2611, seed_2611

from vpnrouter.ike.engine import IkeEngine
from vpnrouter.ike.events import LogLine, NegotiationFailed

LATE = 0.003  # seconds each timer is handled late


def test_unanswered_main_mode_dies_by_retransmission_with_late_timers() -> None:
    policy = seed_2611()
    engine = IkeEngine(policy, ["172.18.124.159"], os.urandom)
    assert engine.initiate(policy.crypto_maps[0], FLOW_2611, 0.0)
    sent = len(engine.datagrams_to_send(0.0))
    failed: list[NegotiationFailed] = []
    lines: list[str] = []
    for _ in range(20):
        timer = engine.get_timer()
        if timer is None or failed:
            break
        engine.handle_timer(timer + LATE)
        sent += len(engine.datagrams_to_send(timer + LATE))
        while (event := engine.next_event()) is not None:
            if isinstance(event, NegotiationFailed):
                failed.append(event)
            elif isinstance(event, LogLine):
                lines.append(event.text)
    assert sent == 6  # main mode 1 and five retransmissions
    (failure,) = failed
    assert failure.reason == "Death by retransmission P1"
    assert sum("retransmitting phase 1 MM_NO_STATE" in line for line in lines) == 5
