"""A small, independent pack for the preflight's own tests: it proves the gRPC path, not our rules."""

import json

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def no_ssh_from_world(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "aws:ec2/securityGroup:SecurityGroup":
        return
    for rule in args.props.get("ingress") or []:
        if rule.get("fromPort", 0) <= 22 <= rule.get("toPort", 0) and "0.0.0.0/0" in (rule.get("cidrBlocks") or []):
            report("ingress allows port 22 from 0.0.0.0/0")


def no_star_action(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "aws:iam/rolePolicy:RolePolicy":
        return
    document = json.loads(args.props["policy"])
    for statement in document.get("Statement", []):
        if statement.get("Action") == "*":
            report('policy grants "Action": "*"')


def role_names_known(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Touches `role`, which is a computed value (the role's ID) in a first preview.
    if args.resource_type == "aws:iam/rolePolicy:RolePolicy" and not args.props["role"]:
        report("role is empty")


PolicyPack(
    name="simple-test-pack",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="no-ssh-from-world", description="No SSH from the internet.", validate=no_ssh_from_world
        ),
        ResourceValidationPolicy(name="no-star-action", description="No Action *.", validate=no_star_action),
        ResourceValidationPolicy(
            name="role-names-known", description="Role policies name a role.", validate=role_names_known
        ),
    ],
)
