"""``vpnrouter lint``: the troubleshooting of the seed document, done by a program.

Public API:

- ``lint(results) -> LintReport``: ``results`` are ``ParseResult``s (``vpnrouter.config.parse``
  or ``load``). Reports every configuration error, the checks of one configuration
  (``single``) and, with two or more configurations, the prediction of every tunnel between
  them (``tunnels``, ``tunnel_checks``). Findings are de-duplicated and ordered by file (as
  given) and line.
- ``lint_files(paths) -> LintReport``.
- ``format_text(report, verbose=False) -> str``: what the command prints.
- ``Finding``, ``Severity``, ``TunnelPrediction``, ``LintReport`` (``findings``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from vpnrouter.config.lint.findings import (
    Finding,
    LintReport,
    Severity,
    TunnelPrediction,
    display_name,
)
from vpnrouter.config.lint.single import check_config
from vpnrouter.config.lint.tunnels import predict_all
from vpnrouter.config.parser import ParseResult, load

__all__ = [
    "Finding",
    "LintReport",
    "Severity",
    "TunnelPrediction",
    "format_text",
    "lint",
    "lint_files",
]

_SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}


def lint(results: Sequence[ParseResult]) -> LintReport:
    findings: list[Finding] = []
    for result in results:
        findings.extend(check_config(result))
    predictions, extra = predict_all(list(results))
    findings.extend(extra)
    for prediction in predictions:
        findings.extend(prediction.reasons)
    order = {display_name(r): i for i, r in enumerate(results)}
    unique = list(dict.fromkeys(findings))
    unique.sort(key=lambda f: (order.get(f.file, len(order)), f.line, _SEVERITY_ORDER[f.severity]))
    return LintReport(tuple(results), tuple(unique), tuple(predictions))


def lint_files(paths: Iterable[str | Path]) -> LintReport:
    return lint([load(path) for path in paths])


def format_text(report: LintReport, verbose: bool = False) -> str:
    lines: list[str] = []
    for finding in report.findings:
        if finding.detail:
            lines.append(finding.detail)
        else:
            where = f"{finding.file}:{finding.line}:"
            lines.append(f"{where} {finding.severity.value} [{finding.code}] {finding.message}")
    for tunnel in report.tunnels:
        lines.append(f"tunnel {tunnel.left} <-> {tunnel.right}: {tunnel.summary}")
        for reason in tunnel.reasons:
            lines.append(f"  - {reason.file}:{reason.line}: [{reason.code}]")
    for result in report.results:
        if not result.not_acted_on:
            continue
        name = display_name(result)
        if verbose:
            lines.extend(
                f"{name}:{line}: not acted on: {text}" for line, text in result.not_acted_on
            )
        else:
            lines.append(f"{name}: {len(result.not_acted_on)} lines not acted on (-v lists them)")
    counts = ", ".join(f"{report.count(s)} {s.value}" for s in Severity if s is not Severity.INFO)
    lines.append(f"summary: {counts}; {len(report.tunnels)} tunnel(s) predicted")
    return "\n".join(lines) + "\n"
