"""A pack that starts well and then dies while analyzing: its process exits (status 3) on the first
security group it is sent, as a pack with a fatal bug would."""

import os
import sys

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def dies_on_security_groups(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "aws:ec2/securityGroup:SecurityGroup":
        print("fatal: the rule engine lost its state", file=sys.stderr, flush=True)
        os._exit(3)


PolicyPack(
    name="dies-analyzing",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="dies-on-security-groups", description="Dies mid-analysis.", validate=dies_on_security_groups
        )
    ],
)
