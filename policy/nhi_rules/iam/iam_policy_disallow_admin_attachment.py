"""No AWS-managed admin policy (IAM or EKS access policy) is attached, except to declared break-glass roles."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import as_str, get, strings
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-policy-disallow-admin-attachment"
ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
ROLE = "aws:iam/role:Role"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"

MSG_ADMIN_POLICY = "{path} attaches {arn}: attach a customer-managed least-privilege policy instead"
MSG_CLUSTER_ADMIN = (
    "policyArn grants {arn} to {principal}: only the break-glass roles in the pack config "
    "(breakGlassPrincipalArns) may hold cluster admin"
)

CONFIG = {
    "adminPolicyNames": {
        "type": "array",
        "items": {"type": "string"},
        "default": [
            "AdministratorAccess",
            "PowerUserAccess",
            "IAMFullAccess",
            "AWSOrganizationsFullAccess",
            "AmazonEKSClusterAdminPolicy",
            "AmazonEKSAdminPolicy",
        ],
        "description": "AWS-managed IAM policy and EKS access policy names that count as admin.",
    },
    "breakGlassPrincipalArns": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Principals allowed to hold an EKS admin access policy (the platform's admin roles).",
    },
}


def _admin(arn: str, names: list[str]) -> bool:
    aws_managed = ":iam::aws:policy/" in arn or ":eks::aws:cluster-access-policy/" in arn
    return aws_managed and arn.rsplit("/", 1)[-1] in names


def check(subject: Subject) -> Iterator[str]:
    names = subject.config["adminPolicyNames"]
    if subject.type == ACCESS_POLICY:
        arn = as_str(get(subject.props, "policyArn")) or ""
        principal = as_str(get(subject.props, "principalArn")) or "?"
        if _admin(arn, names) and principal not in subject.config["breakGlassPrincipalArns"]:
            yield MSG_CLUSTER_ADMIN.format(arn=arn, principal=principal)
    elif subject.type == ROLE:
        for index, arn in enumerate(strings(get(subject.props, "managedPolicyArns"))):
            if _admin(arn, names):
                yield MSG_ADMIN_POLICY.format(path=f"managedPolicyArns[{index}]", arn=arn)
    else:
        arn = as_str(get(subject.props, "policyArn")) or ""
        if _admin(arn, names):
            yield MSG_ADMIN_POLICY.format(path="policyArn", arn=arn)


POLICY = resource_rule(
    name=NAME,
    description="No AWS-managed admin policies or EKS cluster-admin access policies outside break-glass roles.",
    resource_types=(*ATTACHMENTS, ROLE, ACCESS_POLICY),
    check=check,
    severity=Severity.CRITICAL,
    framework=cis_eks("4.1.1", "Ensure that the cluster-admin role is only used where required"),
    tags=["aws", "iam", "eks", "admin", "eks-bp:BP-IAM-04"],
    remediation_steps=(
        "Attach a customer-managed policy scoped to the workload; list admin roles in breakGlassPrincipalArns."
    ),
    config=CONFIG,
)
