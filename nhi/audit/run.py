"""Run an audit: check the credentials' account, capture the stack's program (the preflight's capture), read the
live account, compare."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError

import settings
from nhi.inventory.source import capture_config
from nhi.preflight.errors import PreflightError
from nhi.preflight.program import load_program, stack_config

from . import checks
from .declared import Declarations, declarations
from .last_accessed import DEFAULT_UNUSED_DAYS, READ_ERRORS, read_error, service_use, unused_access
from .live import Account, LiveRole
from .model import AuditResult, Finding


@dataclass(frozen=True)
class AuditOptions:
    program: Path
    stack: str | None = None
    stack_file: Path | None = None
    endpoint_url: str | None = None
    timeout: float | None = None
    unused_days: int = DEFAULT_UNUSED_DAYS


def run_audit(options: AuditOptions, now: datetime | None = None) -> AuditResult:
    program = load_program(options.program)
    config = stack_config(program, options.stack, options.stack_file)
    assert config.source is not None  # stack_config always reads a file
    stack = settings.stack_file_settings(config.source)
    try:
        session = boto3.Session(region_name=stack.region)
    except BotoCoreError as error:
        raise PreflightError(f"Cannot set up AWS credentials: {error}.") from None
    account = Account(session, options.endpoint_url)
    account_id = account.account_id()  # before the program runs: wrong credentials fail fast
    if account_id != stack.account_id:
        raise PreflightError(
            f"The credentials are for account {account_id}, but stack {config.name!r} is in account "
            f"{stack.account_id} (aws:allowedAccountIds in {config.source}): use the stack's account and run again."
        )
    declared = declarations(capture_config(program, config, options.timeout), stack, config.decoded())
    return compare(account, declared, config.name, account_id, now or datetime.now(UTC), options.unused_days)


def compare(
    account: Account, declared: Declarations, stack: str, account_id: str, now: datetime, unused_days: int
) -> AuditResult:
    roles, users = account.roles(), account.users()
    by_arn = {role.arn: role for role in roles}
    findings: list[Finding] = []
    outside: list[Finding] = []
    findings += checks.undeclared_roles(declared, roles)
    findings += checks.undeclared_users(declared, users)
    findings += checks.missing_roles(declared, roles)
    matched: list[tuple[LiveRole, str]] = []
    for role in roles:
        match = declared.role_for(role.path, role.name, role.tags)
        if match is not None:
            findings += checks.role_drift(match, role, account.role_detail(role))
            matched.append((role, match.declaration))
        ours = match is not None or declared.is_stacks(role.path, role.tags)
        (findings if ours else outside).extend(checks.trust_findings(role, match.declaration if match else None))
    for user in users:
        ours = declared.is_stacks(user.path, user.tags)
        non_human = bool(user.keys) or ours
        (findings if ours else outside).extend(checks.credential_findings(user, now, human=not non_human))
    findings += checks.node_drift(declared, account.node_groups(declared.cluster))
    findings += checks.binding_drift(declared, account.associations(declared.cluster), by_arn)
    findings += checks.undeclared_access_entries(declared, account.access_entries(declared.cluster), by_arn)
    findings += _unused(account, declared, roles, now, unused_days)
    return AuditResult(
        stack=stack,
        account=account_id,
        findings=tuple(sorted(set(findings))),
        outside=tuple(sorted(set(outside))),
        unread=tuple(sorted(set(account.unread))),
    )


def _unused(account: Account, declared: Declarations, roles: list[LiveRole], now: datetime, days: int) -> list[Finding]:
    iam = account.client("iam")
    found: list[Finding] = []
    for role in roles:
        match = declared.role_for(role.path, role.name, role.tags)
        if match is None or not (match.workload or match.pipeline):
            continue
        try:
            uses = service_use(iam, role.arn)
        except READ_ERRORS as error:
            account.unread.append(read_error(error))
            return found  # the same reason for every role: said once
        found += unused_access(match, role, uses, declared.workload_access.get(match.workload or "", []), now, days)
    return found
