"""No role trusts every AWS principal."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import ROLE, parsed_statements, trust_document
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-role-disallow-public-trust"
# Conditions that bring a '*' principal back inside the organisation or account.
SCOPING_KEYS = ("aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:SourceAccount")

MSG_PUBLIC_PRINCIPAL = (
    "{path}.Principal is '*' with no aws:PrincipalOrgID/aws:PrincipalAccount condition: "
    "name the trusted service, federated provider or account"
)


def check(subject: Subject) -> Iterator[str]:
    trust = trust_document(subject.props)
    if trust is None:
        return
    for statement in parsed_statements(trust):
        if (
            statement.allows
            and statement.principal_any
            and not any(statement.condition_values(key) for key in SCOPING_KEYS)
        ):
            yield MSG_PUBLIC_PRINCIPAL.format(path=statement.path)


POLICY = resource_rule(
    name=NAME,
    description="IAM role trust policies do not allow Principal '*'.",
    resource_types=(ROLE,),
    check=check,
    severity=Severity.CRITICAL,
    framework=eks_bp("BP-IAM-11", "Scope the IAM Role trust policy for IRSA / Pod Identity roles"),
    tags=["aws", "iam", "trust"],
    remediation_steps="Replace Principal '*' with the exact service, OIDC provider or account principal.",
)
