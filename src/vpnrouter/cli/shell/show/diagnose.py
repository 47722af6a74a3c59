"""``show crypto isakmp diagnose [A.B.C.D]`` (a vpnrouter addition, no IOS equivalent).

The router explains each peer it knows of (``Snapshot.diagnoses``, built by
``vpnrouter.router.diagnose``): a headline with the verdict, the ISAKMP SA's conn-id and last
state and how long ago it failed; one or two sentences saying what went wrong; the lines of
the router's configuration file that are involved. Without an address every peer is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath

from vpnrouter.cli.shell.show.common import Dialect, ShowResult, hms, lines_text
from vpnrouter.cli.shell.snapshot import Diagnosis, Snapshot, to_jsonable


def headline(diagnosis: Diagnosis) -> str:
    d = diagnosis
    conn = f", conn-id {d.conn_id}" if d.conn_id is not None else ""
    ago = f", {hms(d.age)} ago" if d.age is not None else ""
    if d.verdict == "up":
        return f"Peer {d.peer}: UP ({d.state}{conn})"
    if d.verdict == "failed" and d.phase == 2:
        return f"Peer {d.peer}: phase 2 FAILED (phase 1 {d.state}{conn}){ago}"
    if d.verdict == "failed":
        return f"Peer {d.peer}: phase 1 FAILED in {d.state}{conn}{ago}"
    if d.verdict == "deleted":
        return f"Peer {d.peer}: DELETED in {d.state}{conn}{ago}"
    if d.verdict == "negotiating":
        return f"Peer {d.peer}: NEGOTIATING ({d.state}{conn})"
    return f"Peer {d.peer}: no ISAKMP SA"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def render(diagnosis: Diagnosis, config_file: str) -> list[str]:
    lines = [headline(diagnosis), f"  {_sentence(diagnosis.text)}"]
    if diagnosis.config:
        name = PurePath(config_file).name if config_file else "configuration"
        lines.append(f"  Configuration lines involved ({name}):")
        width = max(len(str(ref.line)) for ref in diagnosis.config)
        lines += [f"    {ref.line:>{width}}  {ref.text}" for ref in diagnosis.config]
    return lines


def show_isakmp_diagnose(snap: Snapshot, dialect: Dialect, values: Mapping[str, str]) -> ShowResult:
    peer = values.get("peer")
    chosen = [d for d in snap.diagnoses if peer is None or d.peer == peer]
    data = {"diagnoses": [to_jsonable(d) for d in chosen]}
    if not chosen:
        if peer is None:
            text = "No peer to diagnose: no ISAKMP SA and no crypto map peer.\n"
        else:
            text = f"No ISAKMP SA with {peer}, and no crypto map names it as a peer.\n"
        return ShowResult(text, data)
    lines: list[str] = []
    for diagnosis in chosen:
        if lines:
            lines.append("")
        lines += render(diagnosis, snap.router.config_file)
    return ShowResult(lines_text(lines), data)
