"""No role trusts a whole AWS account without saying which of its principals may assume it.

`Principal: {"AWS": "arn:aws:iam::<account>:root"}` (or the bare account id) does not mean the root user: it
delegates to the account, so every user and role there whose own policy allows sts:AssumeRole on this role can
assume it (IAM User Guide, "AWS JSON policy elements: Principal", AWS account principals). A condition on the
calling principal (its ARN, its tags, MFA) names who; without one, the role is as widely held as the account.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import ROLE, Statement, parsed_statements, trust_document
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-role-disallow-account-root-trust"

ACCOUNT_PRINCIPAL_RE = re.compile(r"^(arn:aws[a-z-]*:iam::)?(?P<account>[0-9]{12})(:root)?$")
# Condition keys that narrow an account principal to some of its principals.
NARROWING_KEYS = ("aws:PrincipalArn", "aws:userid", "aws:username", "aws:MultiFactorAuthPresent")
NARROWING_PREFIXES = ("aws:PrincipalTag/",)

MSG_ACCOUNT_TRUST = (
    "{path}.Principal.AWS {principal!r} trusts every principal of account {account} whose own policy allows "
    "sts:AssumeRole: name the role ARNs that may assume it, or add an aws:PrincipalArn condition"
)


def _narrowed(statement: Statement) -> bool:
    keys = [key for entries in statement.conditions.values() for key in entries]
    lowered = {key.lower() for key in keys}
    return any(key.lower() in lowered for key in NARROWING_KEYS) or any(
        key.lower().startswith(prefix.lower()) for key in keys for prefix in NARROWING_PREFIXES
    )


def _judge(statement: Statement) -> Iterator[str]:
    if not statement.allows or _narrowed(statement):
        return
    for principal in statement.principals.get("AWS", ()):
        match = ACCOUNT_PRINCIPAL_RE.match(principal.strip())
        if match:
            yield MSG_ACCOUNT_TRUST.format(path=statement.path, principal=principal, account=match["account"])


def check(subject: Subject) -> Iterator[str]:
    trust = trust_document(subject.props)
    if trust is None:
        return
    for statement in parsed_statements(trust):
        yield from _judge(statement)


POLICY = resource_rule(
    name=NAME,
    description="IAM role trust policies do not trust a whole account (its root) without naming its principals.",
    resource_types=(ROLE,),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-11", "Scope the IAM Role trust policy to the principals that need it"),
    tags=["aws", "iam", "trust", "privilege-escalation"],
    remediation_steps="Replace the account principal with the ARNs of the roles that assume this one, or add "
    "an aws:PrincipalArn (or aws:PrincipalTag) condition.",
)
