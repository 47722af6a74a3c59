"""What lint reports: findings, tunnel predictions, and the report that holds them.

Public API:

- ``Severity``: ``ERROR`` (the configuration is wrong or a tunnel will not come up: exit status
  1), ``WARNING`` (probably a mistake, nothing breaks), ``ADVISORY`` (works, but weak),
  ``INFO``.
- ``Finding(severity, code, file, line, message, detail="")``: ``code`` is a stable identifier
  (``dynamic-entry-order``, ``weak-des``, ``tunnel-psk`` ...), ``message`` one or two
  sentences, ``detail`` the IOS-formatted error block for configuration errors.
- ``TunnelPrediction(left, right, comes_up, summary, reasons)``.
- ``LintReport(results, findings, tunnels)``: ``.errors``, ``.exit_status``, ``.to_json()``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpnrouter.config.parser import ParseResult


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    ADVISORY = "advisory"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    file: str
    line: int
    message: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class TunnelPrediction:
    left: str
    right: str
    comes_up: bool
    summary: str
    reasons: tuple[Finding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "left": self.left,
            "right": self.right,
            "comes_up": self.comes_up,
            "summary": self.summary,
            "reasons": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True)
class LintReport:
    results: tuple[ParseResult, ...]
    findings: tuple[Finding, ...]
    tunnels: tuple[TunnelPrediction, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def exit_status(self) -> int:
        return 1 if self.errors else 0

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [
                {
                    "file": result.filename,
                    "hostname": result.config.hostname,
                    "errors": len(result.errors),
                    "not_acted_on": [
                        {"line": line, "text": text} for line, text in result.not_acted_on
                    ],
                }
                for result in self.results
            ],
            "findings": [f.to_json() for f in self.findings],
            "tunnels": [t.to_json() for t in self.tunnels],
            "summary": {s.value: self.count(s) for s in Severity},
            "exit_status": self.exit_status,
        }


def display_name(result: ParseResult) -> str:
    return Path(result.filename).name
