"""Every EBS volume the template defines is encrypted, with a customer-managed key where required."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_bool, get, maps, present
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ec2-launchtemplate-require-encrypted-volumes"

MSG_NO_DEVICES = (
    "blockDeviceMappings is not set, so volumes follow the AMI and the account default: declare the "
    "root and data volumes with ebs.encrypted='true'"
)
MSG_UNENCRYPTED = "blockDeviceMappings[{index}].ebs.encrypted is not true: set ebs.encrypted='true'"
MSG_NO_CMK = "blockDeviceMappings[{index}].ebs.kmsKeyId is not set: encrypt with a customer-managed KMS key"

CONFIG = {
    "requireCustomerManagedKey": {
        "type": "boolean",
        "default": True,
        "description": "Require ebs.kmsKeyId (a customer-managed key), not the AWS-managed EBS key.",
    },
}


def check(subject: Subject) -> Iterator[str]:
    devices = list(maps(get(subject.props, "blockDeviceMappings")))
    if not devices:
        yield MSG_NO_DEVICES
    for index, device in devices:
        ebs = get(device, "ebs")
        if ebs is None:
            continue  # instance-store or no-device mappings carry no EBS volume
        if as_bool(get(ebs, "encrypted")) is not True:
            yield MSG_UNENCRYPTED.format(index=index)
        elif subject.config["requireCustomerManagedKey"] and not present(ebs, "kmsKeyId"):
            yield MSG_NO_CMK.format(index=index)


POLICY = resource_rule(
    name=NAME,
    description="Launch templates encrypt every EBS volume with a customer-managed KMS key.",
    resource_types=("aws:ec2/launchTemplate:LaunchTemplate",),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-DATA-01", "Encrypt data at rest"),
    tags=["aws", "ec2", "nodes", "encryption"],
    remediation_steps="Declare blockDeviceMappings with ebs={encrypted: 'true', kmsKeyId: <CMK ARN>} for each volume.",
    config=CONFIG,
)
