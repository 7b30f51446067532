"""What an audit finds: findings (kind, severity, the live identity's ARN, the declaration it relates to, what to
do), the reads it could not make, and the whole result. Plain frozen values: the JSON is built from them."""

from __future__ import annotations

from dataclasses import dataclass, field

# Finding kinds (docs/audit.md).
UNDECLARED_IDENTITY = "undeclared-identity"
DRIFT = "drift"
LONG_LIVED_CREDENTIAL = "long-lived-credential"
WIDE_TRUST = "wide-trust"
UNUSED_ACCESS = "unused-access"
NODE_DRIFT = "node-drift"
KINDS = (UNDECLARED_IDENTITY, DRIFT, LONG_LIVED_CREDENTIAL, WIDE_TRUST, UNUSED_ACCESS, NODE_DRIFT)

# Severities, most severe first; `--fail-on` names one.
SEVERITIES = ("critical", "high", "medium", "low")
CRITICAL, HIGH, MEDIUM, LOW = SEVERITIES
DEFAULT_FAIL_ON = HIGH


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITIES.index(severity) <= SEVERITIES.index(threshold)


@dataclass(frozen=True, order=True)
class Finding:
    kind: str
    severity: str
    arn: str
    """The live identity (or node group) the finding is about."""
    declaration: str | None
    """The stack-file key or the program's resource it relates to; None for an identity nothing declares."""
    message: str
    """What is wrong and what to do."""


@dataclass(frozen=True, order=True)
class Unread:
    """A read the audit could not make: its findings are missing from the report, and the report says so."""

    what: str
    reason: str


@dataclass(frozen=True)
class AuditResult:
    stack: str
    account: str
    findings: tuple[Finding, ...]
    """About the stack's own identities: declared ones, or ones carrying its environment tag or IAM path."""
    outside: tuple[Finding, ...]
    """About the account's other identities (wide trust, long-lived keys), kept apart from the stack's."""
    unread: tuple[Unread, ...] = field(default=())

    def failing(self, threshold: str) -> list[Finding]:
        return [f for f in (*self.findings, *self.outside) if at_or_above(f.severity, threshold)]
