"""Clear-text packets that should have arrived protected are dropped, as IOS drops them.

A crypto ACL also judges inbound traffic: "any unprotected inbound traffic that matches a
permit entry in the ACL for a crypto map entry [...] will be dropped because this traffic was
expected to be protected by IPsec", while a deny line lets the clear packet through ("to
route inbound, unencrypted traffic as clear text, insert deny ACEs before permit ACEs"; Cisco
PIX/ASA configuration guides, "crypto access lists"). The lines are read mirrored (the
packet's source against the ACL's destination) with the outbound order: crypto map entries by
sequence number, the first matching line of an entry decides, a deny hands the packet to the
next entry (:mod:`vpnrouter.esp.spd`).

Forwarded clear packets never reach our process: the Linux kernel routes them. So the check
is made of policy routing rules (``ip rule``, rtnetlink FIB rules), matching only packets that
came in on the crypto interface (``iif``), which decrypted packets (from the TUN device) never
do. One rule per ACL line, in order: a permit line is ``blackhole`` (dropped), a deny line is
``goto`` the first rule of the next entry, and a ``nop`` rule ends the chain; a packet no line
matches falls through to the usual ``lookup main``. Packets for the router's own addresses are
decided by the ``local`` table (rule 0) before any of these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pyroute2 import AsyncIPRoute

from vpnrouter.esp.spd import Action, Policy, Selector

RULE_BASE = 20000  # first FIB rule priority used (the local table is 0, main 32766)


@dataclass(frozen=True)
class CheckRule:
    """One FIB rule: ``action`` blackhole | goto | nop, on ``selector`` (inbound direction)."""

    priority: int
    action: str
    iif: str
    selector: Selector | None = None
    goto: int | None = None
    line: str = ""  # what it stands for, for the logs

    def netlink(self) -> dict[str, Any]:
        """The keyword arguments of pyroute2's ``rule("add"|"del", ...)``."""
        spec: dict[str, Any] = {"priority": self.priority, "action": self.action}
        if self.goto is not None:
            spec["goto"] = self.goto
        sel = self.selector
        if sel is None:
            return spec
        spec["iifname"] = self.iif
        for key, net in (("src", sel.src_net), ("dst", sel.dst_net)):
            if net.prefixlen:
                spec[key] = str(net.network_address)
                spec[f"{key}_len"] = net.prefixlen
        if sel.protocol:
            spec["ip_proto"] = sel.protocol
        for key, ports in (("sport_range", sel.src_port), ("dport_range", sel.dst_port)):
            if not ports.is_any:
                spec[key] = f"{ports.lo}:{ports.hi}"
        return spec


def _entries(spd: Iterable[Policy]) -> list[list[Policy]]:
    """The crypto map entries' ACL lines, entry by entry (runs of one tag, in SPD order)."""
    entries: list[list[Policy]] = []
    for policy in spd:
        if not policy.tag:
            continue
        if entries and entries[-1][0].tag == policy.tag:
            entries[-1].append(policy)
        else:
            entries.append([policy])
    return entries


def inbound_rules(spd: Sequence[Policy], iif: str, base: int = RULE_BASE) -> tuple[CheckRule, ...]:
    """The FIB rules that drop clear packets arriving on ``iif`` which the crypto ACLs say
    should have come protected (none when no entry has an ACL line)."""
    entries = _entries(spd)
    if not entries:
        return ()
    starts: list[int] = []
    priority = base
    for entry in entries:
        starts.append(priority)
        priority += len(entry)
    end = priority
    rules: list[CheckRule] = []
    for index, entry in enumerate(entries):
        after = starts[index + 1] if index + 1 < len(entries) else end
        for offset, policy in enumerate(entry):
            permit = policy.action is not Action.BYPASS  # DISCARD: a permit we cannot negotiate
            rules.append(
                CheckRule(
                    priority=starts[index] + offset,
                    action="blackhole" if permit else "goto",
                    iif=iif,
                    selector=policy.selector.reversed(),
                    goto=None if permit else after,
                    line=f"crypto map {policy.tag}: {'permit' if permit else 'deny'}"
                    f" {policy.selector}",
                )
            )
    rules.append(CheckRule(priority=end, action="nop", iif=iif, line="end of the crypto maps"))
    return tuple(rules)


class InboundCheck:
    """Installs the rules (``install``) and takes back exactly those (``remove``)."""

    def __init__(self, rules: Sequence[CheckRule], log: Callable[[str], None]) -> None:
        self.rules = tuple(rules)
        self.log = log
        self._added: list[CheckRule] = []

    async def install(self) -> bool:
        """Add the rules, targets first (a ``goto`` needs its target); False, with what was
        added taken back, if the kernel refuses one."""
        if not self.rules:
            return True
        async with AsyncIPRoute() as ipr:
            for rule in sorted(self.rules, key=lambda r: -r.priority):
                try:
                    await ipr.rule("add", **rule.netlink())
                except Exception as exc:  # NetlinkError (an OSError), or pyroute2's own
                    self.log(f"inbound check not installed: {rule.line}: {exc}")
                    await self._remove(ipr)
                    return False
                self._added.append(rule)
        return True

    async def remove(self) -> None:
        if not self._added:
            return
        async with AsyncIPRoute() as ipr:
            await self._remove(ipr)

    async def _remove(self, ipr: Any) -> None:
        added, self._added = self._added, []
        for rule in reversed(added):  # sources of a goto before its target
            try:
                await ipr.rule("del", **rule.netlink())
            except Exception as exc:  # already gone
                self.log(f"inbound check: {rule.line}: {exc}")
