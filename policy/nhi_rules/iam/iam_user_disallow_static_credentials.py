"""Workloads use roles: no IAM users, access keys, console passwords or other long-lived credentials."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-user-disallow-static-credentials"
USER = "aws:iam/user:User"
CREDENTIAL_TYPES = {
    "aws:iam/accessKey:AccessKey": "an access key",
    "aws:iam/userLoginProfile:UserLoginProfile": "a console password",
    "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": "a service-specific credential",
    "aws:iam/signingCertificate:SigningCertificate": "a signing certificate",
    "aws:iam/sshKey:SshKey": "an SSH public key",
}

MSG_USER = (
    "IAM user {name!r} is a long-lived identity: give the workload an IAM role (Pod Identity or IRSA) "
    "and people SSO access instead"
)
MSG_CREDENTIAL = (
    "this creates {what} for user {user!r} (status {status}): use role credentials "
    "(Pod Identity, IRSA, OIDC federation) instead of static secrets"
)

CONFIG = {
    "allowUsers": {
        "type": "boolean",
        "default": False,
        "description": "Accept IAM users that carry no credentials (e.g. a legacy permission holder).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    if subject.type == USER:
        if not subject.config["allowUsers"]:
            yield MSG_USER.format(name=as_str(get(subject.props, "name")) or subject.name)
        return
    status = as_str(get(subject.props, "status")) or "Active"
    if status == "Inactive":
        return  # a deactivated credential cannot sign requests
    user = (
        as_str(get(subject.props, "user"))
        or as_str(get(subject.props, "userName"))
        or as_str(get(subject.props, "username"))
        or "?"
    )
    yield MSG_CREDENTIAL.format(what=CREDENTIAL_TYPES[subject.type], user=user, status=status)


POLICY = resource_rule(
    name=NAME,
    description="No IAM users or static credentials (access keys, login profiles, service credentials).",
    resource_types=(USER, *CREDENTIAL_TYPES),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-13", "Use IAM roles for workloads; avoid long-lived credentials"),
    tags=["aws", "iam", "static-credentials", "nhi"],
    remediation_steps="Delete the user and its credentials; give workloads roles and people SSO.",
    config=CONFIG,
)
