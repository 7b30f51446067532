"""EKS Pod Identity trust is scoped to one namespace, service account, cluster and account."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import ROLE, parsed_statements, trust_document
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-role-enforce-pod-identity-trust-conditions"
PODS_SERVICE = "pods.eks.amazonaws.com"
REQUIRED_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
EXACT_OPERATORS = ("StringEquals", "ArnEquals")

MSG_MISSING_ACTION = "{path}.Action lacks {action}: Pod Identity needs exactly sts:AssumeRole and sts:TagSession"
MSG_EXTRA_ACTION = "{path}.Action grants {action} to {service}: allow only sts:AssumeRole and sts:TagSession"
MSG_MISSING_CONDITION = (
    "{path}.Condition lacks {operators} on {key}: without it any Pod Identity association in "
    "the account can bind this role; add it with the exact value"
)
MSG_WILDCARD_CONDITION = "{path}.Condition {key} is {value!r}: use the exact value, no wildcard"

CONFIG = {
    "requiredConditionKeys": {
        "type": "array",
        "items": {"type": "string"},
        "default": [
            "aws:RequestTag/kubernetes-namespace",
            "aws:RequestTag/kubernetes-service-account",
            "aws:RequestTag/eks-cluster-arn",
            "aws:SourceAccount",
        ],
        "description": "Condition keys every pods.eks.amazonaws.com trust statement pins with StringEquals/ArnEquals.",
    },
}


def check(subject: Subject) -> Iterator[str]:
    trust = trust_document(subject.props)
    if trust is None:
        return
    for statement in parsed_statements(trust):
        if not (statement.allows and PODS_SERVICE in statement.principals.get("Service", ())):
            continue
        for action in REQUIRED_ACTIONS:
            if not any(a.strip().lower() == action.lower() for a in statement.actions):
                yield MSG_MISSING_ACTION.format(path=statement.path, action=action)
        for action in statement.actions:
            if action.strip().lower() not in {a.lower() for a in REQUIRED_ACTIONS}:
                yield MSG_EXTRA_ACTION.format(path=statement.path, action=action, service=PODS_SERVICE)
        for key in subject.config["requiredConditionKeys"]:
            found = statement.condition_values(key)
            exact = [value for operator in EXACT_OPERATORS for value in found.get(operator, ())]
            if not exact:
                yield MSG_MISSING_CONDITION.format(path=statement.path, operators="/".join(EXACT_OPERATORS), key=key)
            for value in exact:
                if "*" in value or "?" in value:
                    yield MSG_WILDCARD_CONDITION.format(path=statement.path, key=key, value=value)


POLICY = resource_rule(
    name=NAME,
    description=(
        "Pod Identity trust policies allow only AssumeRole+TagSession, scoped by namespace, SA, cluster and account."
    ),
    resource_types=(ROLE,),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-12", "Scope the IAM role trust policy for EKS Pod Identity (ABAC session tags)"),
    tags=["aws", "iam", "trust", "pod-identity"],
    remediation_steps="Add StringEquals on aws:RequestTag/kubernetes-namespace, kubernetes-service-account, "
    "eks-cluster-arn and aws:SourceAccount to the pods.eks.amazonaws.com statement.",
    config=CONFIG,
)
