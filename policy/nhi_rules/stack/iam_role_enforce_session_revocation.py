"""A revocation that is recorded must be in force: a role tagged with the time its sessions were revoked (`nhi
revoke` records it in the stack file; the program tags the role) carries AWS's deny-older-sessions statement for
that time, Deny `*` on `*` when `aws:TokenIssueTime` is `DateLessThan` it ("Revoking IAM role temporary security
credentials", IAM User Guide). Without it, a stolen session keeps working while the stack file says it is dead."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.contract import SESSIONS_REVOKED_TAG
from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import ROLE, ROLE_POLICY, InvalidDocument, Statement, parse_document, statements
from nhi_rules.lib.props import as_str, get, is_map
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import RoleIndex, by_type, known, known_at

NAME = "iam-role-enforce-session-revocation"

MSG_NOT_IN_FORCE = (
    "role {role!r} records a revocation of its sessions at {time} (tags.{tag}) but no inline policy denies "
    "sessions issued before it: add the deny-older-sessions statement (Effect Deny, Action *, Resource *, "
    "Condition DateLessThan aws:TokenIssueTime {time}), as `nhi revoke` and the identity components do"
)
MSG_BAD_TIME = (
    "role {role!r}: tags.{tag} is {value!r}, not a time: write it as YYYY-MM-DDTHH:MM:SSZ (UTC), as `nhi revoke` does"
)
ISSUE_TIME = "aws:TokenIssueTime"


def _time(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _revokes_before(statement: Statement, revoked: datetime) -> bool:
    """Deny everything to sessions issued before a time at or after `revoked`."""
    if statement.effect != "Deny" or "*" not in statement.actions or "*" not in statement.resources:
        return False
    if statement.not_actions or statement.not_resources:
        return False
    values = statement.condition_values(ISSUE_TIME).get("DateLessThan", ())
    times = [t for t in (_time(v) for v in values) if t is not None]
    others = [
        op for op, entries in statement.conditions.items() for key in entries if key.lower() != ISSUE_TIME.lower()
    ]
    return bool(times) and not others and max(times) >= revoked


def _documents(role: PolicyResource, policies: Sequence[PolicyResource], roles: RoleIndex) -> list[Any] | None:
    """The role's inline documents (`inlinePolicies` and its RolePolicy resources); None when one is unknown."""
    found: list[Any] = []
    inline = known(get, role.props, "inlinePolicies")
    if inline is None and "inlinePolicies" in role.props:
        return None
    for entry in inline or []:
        found.append(known(get, entry, "policy") if is_map(entry) else None)
    for policy in policies:
        name = known_at(as_str, policy.props, "role")
        owner = roles.resolve(policy, "role", name)
        if owner is not None and owner.urn == role.urn:
            found.append(known(get, policy.props, "policy"))
    if any(document is None for document in found):
        return None
    return found


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    roles = RoleIndex(index.get(ROLE, []))
    for role in index.get(ROLE, []):
        tags = known(get, role.props, "tags")
        value = as_str(get(tags, SESSIONS_REVOKED_TAG)) if is_map(tags) else None
        if value is None:
            continue
        revoked = _time(value)
        if revoked is None:
            yield MSG_BAD_TIME.format(role=role.name, tag=SESSIONS_REVOKED_TAG, value=value), role.urn
            continue
        documents = _documents(role, index.get(ROLE_POLICY, []), roles)
        if documents is None:
            continue  # a policy unknown during preview: judged when it is known
        parsed = []
        for document in documents:
            try:
                parsed.append(parse_document(document))
            except InvalidDocument:
                continue
        if not any(_revokes_before(s, revoked) for document in parsed for s in statements(document)):
            yield MSG_NOT_IN_FORCE.format(role=role.name, time=value, tag=SESSIONS_REVOKED_TAG), role.urn


POLICY = stack_rule(
    name=NAME,
    description="A role whose sessions were revoked denies every session issued before the recorded time.",
    resource_types=(ROLE, ROLE_POLICY),
    check=check,
    severity=Severity.CRITICAL,
    framework=eks_bp("BP-IAM-12", "Use one IAM role per application (workload identity)"),
    tags=["aws", "iam", "nhi", "incident-response", "stack"],
    remediation_steps=(
        "Keep the revocation in the stack file (`nhi revoke` writes it) and deploy: the identity components attach "
        "the deny-older-sessions policy; or attach AWS's statement for the tagged time by hand."
    ),
)
