"""User data holds no plaintext secrets (anyone with ec2:DescribeLaunchTemplateVersions can read it)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule
from nhi_rules.lib.secrets import text_secrets

NAME = "ec2-launchtemplate-disallow-userdata-secrets"
TYPES = ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance")

MSG_USERDATA_SECRETS = (
    "{path} contains a plaintext secret ({reason}): fetch it at boot from Secrets Manager or "
    "SSM Parameter Store with the node role instead"
)


def _decoded(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return text  # plain text user data (aws.ec2.Instance.userData)


def check(subject: Subject) -> Iterator[str]:
    for key in ("userData", "userDataBase64"):
        text = as_str(get(subject.props, key))
        if text:
            for reason in dict.fromkeys(text_secrets(_decoded(text))):
                yield MSG_USERDATA_SECRETS.format(path=key, reason=reason)


POLICY = resource_rule(
    name=NAME,
    description="Launch templates and instances keep secrets out of user data.",
    resource_types=TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-DATA-03", "Use an external secrets provider"),
    tags=["aws", "ec2", "secrets"],
    remediation_steps="Remove the secret from user data; read it at boot from Secrets Manager or SSM Parameter Store.",
)
