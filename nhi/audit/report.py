"""The audit as JSON (nhi/audit/audit.schema.json), a table, or SARIF for code scanning."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from nhi.preflight.report import SARIF_SCHEMA

from .model import KINDS, SEVERITIES, AuditResult, Finding

SARIF_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
INFORMATION_URI = "https://github.com/acme/nhi-platform/blob/main/docs/audit.md"


def to_json(result: AuditResult, fail_on: str) -> dict[str, Any]:
    every = (*result.findings, *result.outside)
    counts = Counter(f.severity for f in every)
    return {
        "stack": result.stack,
        "account": result.account,
        "findings": [asdict(f) for f in result.findings],
        "outside": [asdict(f) for f in result.outside],
        "unread": [asdict(u) for u in result.unread],
        "summary": {
            "findings": len(result.findings),
            "outside": len(result.outside),
            "bySeverity": {severity: counts[severity] for severity in SEVERITIES},
            "failOn": fail_on,
            "failing": len(result.failing(fail_on)),
        },
    }


def _rows(title: str, findings: tuple[Finding, ...]) -> list[str]:
    lines = [f"{title} ({len(findings)})"]
    for f in findings:
        lines += [f"  [{f.severity}] {f.kind}  {f.arn}", f"      {f.declaration or 'not declared'}: {f.message}"]
    return lines


def to_table(result: AuditResult, fail_on: str) -> str:
    lines = [f"nhi audit: stack {result.stack}, account {result.account}"]
    lines += _rows("Findings of the stack", result.findings)
    lines += _rows("Outside the stack (other identities of the account)", result.outside)
    if result.unread:
        lines.append(f"Could not read ({len(result.unread)}): these findings are missing")
        lines += [f"  {u.what}: {u.reason}" for u in result.unread]
    failing = len(result.failing(fail_on))
    lines.append(f"{failing} finding(s) at or above {fail_on}.")
    return "\n".join(lines)


def to_sarif(result: AuditResult) -> dict[str, Any]:
    def location(f: Finding) -> dict[str, Any]:
        return {"logicalLocations": [{"fullyQualifiedName": f.arn, "kind": "resource"}]}

    def entry(f: Finding, outside: bool) -> dict[str, Any]:
        return {
            "ruleId": f.kind,
            "level": SARIF_LEVELS[f.severity],
            "message": {"text": f"{f.arn}: {f.message}" + ("" if f.declaration is None else f" ({f.declaration})")},
            "locations": [location(f)],
            "properties": {"severity": f.severity, "outsideTheStack": outside, "declaration": f.declaration},
            # Code scanning keeps one alert per identity and problem across scheduled runs.
            "partialFingerprints": {"nhiAudit/v1": f"{f.kind}|{f.arn}|{f.message}"},
        }

    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nhi audit",
                        "informationUri": INFORMATION_URI,
                        "rules": [{"id": kind, "helpUri": f"{INFORMATION_URI}#{kind}"} for kind in KINDS],
                    }
                },
                "automationDetails": {"id": f"nhi-audit/{result.stack}/"},
                "results": [entry(f, False) for f in result.findings] + [entry(f, True) for f in result.outside],
            }
        ],
    }
