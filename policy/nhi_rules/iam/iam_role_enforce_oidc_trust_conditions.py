"""Web-identity (IRSA, CI OIDC) trust pins the audience and the subject with StringEquals."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import ROLE, Statement, parsed_statements, trust_document
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-role-enforce-oidc-trust-conditions"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"

MSG_NO_AUD = (
    '{path}.Condition has no StringEquals on {issuer}:aud: add StringEquals {{"{issuer}:aud": "sts.amazonaws.com"}}'
)
MSG_BAD_AUD = "{path}.Condition StringEquals {issuer}:aud is {values}: set it to one of {allowed}"
MSG_NO_SUB = (
    "{path}.Condition has no condition on {issuer}:sub, so any identity of the issuer can assume the "
    'role: add StringEquals {{"{issuer}:sub": "system:serviceaccount:<namespace>:<name>"}}'
)
MSG_SET_OPERATOR = "{path}.Condition uses {operator} on the single-valued key {key}: use plain StringEquals"

CONFIG = {
    "audiences": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["sts.amazonaws.com"],
        "description": "Accepted values of <issuer>:aud.",
    },
}


def _issuers(statement: Statement) -> list[str]:
    issuers = []
    for provider in statement.principals.get("Federated", ()):
        _, marker, issuer = provider.partition(":oidc-provider/")
        issuers.append(issuer if marker else provider)
    return issuers


def check(subject: Subject) -> Iterator[str]:
    trust = trust_document(subject.props)
    if trust is None:
        return
    allowed = subject.config["audiences"]
    for statement in parsed_statements(trust):
        if not (statement.allows and statement.grants(WEB_IDENTITY)):
            continue
        for issuer in _issuers(statement):
            for suffix in ("aud", "sub"):
                for operator in statement.condition_values(f"{issuer}:{suffix}"):
                    if ":" in operator:  # ForAllValues:/ForAnyValue: on a single-valued key
                        yield MSG_SET_OPERATOR.format(path=statement.path, operator=operator, key=f"{issuer}:{suffix}")
            aud = statement.condition_values(f"{issuer}:aud")
            if "StringEquals" not in aud:
                yield MSG_NO_AUD.format(path=statement.path, issuer=issuer)
            elif not aud["StringEquals"] or any(value not in allowed for value in aud["StringEquals"]):
                yield MSG_BAD_AUD.format(
                    path=statement.path, issuer=issuer, values=list(aud["StringEquals"]), allowed=allowed
                )
            sub = statement.condition_values(f"{issuer}:sub")
            if not any(values for operator, values in sub.items() if ":" not in operator):
                yield MSG_NO_SUB.format(path=statement.path, issuer=issuer)


POLICY = resource_rule(
    name=NAME,
    description="OIDC (IRSA, CI) trust policies require StringEquals on both <issuer>:aud and <issuer>:sub.",
    resource_types=(ROLE,),
    check=check,
    severity=Severity.CRITICAL,
    framework=eks_bp("BP-IAM-11", "Scope the IAM Role trust policy for IRSA roles to the service account name"),
    tags=["aws", "iam", "trust", "irsa", "oidc"],
    remediation_steps="Add StringEquals on <issuer>:aud = sts.amazonaws.com and <issuer>:sub = "
    "system:serviceaccount:<namespace>:<name> (or the CI subject).",
    config=CONFIG,
)
