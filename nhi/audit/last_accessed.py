"""Unused access: which services a declared workload or pipeline role is granted and has not used within N days,
from IAM's service last-accessed data (GenerateServiceLastAccessedDetails, then GetServiceLastAccessedDetails
until the job completes; https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html).
IAM tracks about 400 days and reports with a lag of hours, so a role younger than N days is not judged."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .declared import DeclaredRole
from .live import READ_FAILURES, LiveRole, reason
from .model import LOW, MEDIUM, UNUSED_ACCESS, Finding, Unread

DEFAULT_UNUSED_DAYS = 90
JOB_WAIT_SECONDS = 60.0
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class ServiceUse:
    namespace: str
    last_authenticated: datetime | None


def service_use(iam: Any, arn: str, sleep: Callable[[float], None] = time.sleep) -> list[ServiceUse]:
    """The services the role's policies grant, and when the role last used each (None: never, in IAM's period)."""
    job = iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
    waited = 0.0
    while True:
        report = iam.get_service_last_accessed_details(JobId=job)
        status = report["JobStatus"]
        if status == "COMPLETED":
            return [
                ServiceUse(s["ServiceNamespace"], s.get("LastAuthenticated")) for s in report["ServicesLastAccessed"]
            ]
        if status == "FAILED" or waited >= JOB_WAIT_SECONDS:
            reason = (report.get("Error") or {}).get("Message") or f"the job did not complete in {JOB_WAIT_SECONDS:g} s"
            raise TimeoutError(reason)
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS


def narrower_access(access: list[dict[str, Any]], unused: set[str]) -> list[dict[str, Any]]:
    """The workload's `access:` declaration without the grants of unused services."""
    return [grant for grant in access if str(grant.get("service")) not in unused]


def unused_access(
    role: DeclaredRole,
    live: LiveRole,
    uses: list[ServiceUse],
    access: list[dict[str, Any]],
    now: datetime,
    days: int,
) -> list[Finding]:
    if live.created is not None and now - live.created.astimezone(UTC) < timedelta(days=days):
        return []  # too young for N days of data
    cutoff = now - timedelta(days=days)
    unused = {
        u.namespace for u in uses if u.last_authenticated is None or u.last_authenticated.astimezone(UTC) < cutoff
    }
    if not unused:
        return []
    services = ", ".join(sorted(unused))
    if role.workload is not None:
        proposal = narrower_access(access, unused)
        return [
            Finding(
                UNUSED_ACCESS,
                MEDIUM,
                live.arn,
                role.declaration,
                f"granted and not used in {days} days: {services}; declare the narrower "
                f"`access: {_flow(proposal)}` (and keep the old grant only if a rare job needs it)",
            )
        ]
    return [
        Finding(
            UNUSED_ACCESS,
            LOW,
            live.arn,
            role.declaration,
            f"granted and not used in {days} days: {services}; review the pipeline's grants "
            "(components/deployer_identity.py) for these services",
        )
    ]


def _flow(access: list[dict[str, Any]]) -> str:
    def entry(grant: dict[str, Any]) -> str:
        resources = ", ".join(str(r) for r in grant.get("resources") or [])
        return f"{{service: {grant.get('service')}, level: {grant.get('level')}, resources: [{resources}]}}"

    return "[" + ", ".join(entry(g) for g in access) + "]"


def read_error(error: Exception) -> Unread:
    return Unread("IAM service last-accessed data (unused-access not judged)", reason(error))


READ_ERRORS = (*READ_FAILURES, TimeoutError)
