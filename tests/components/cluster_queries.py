"""Queries over a capture, for the cluster component tests: find resources by type, name or output, and
the managed policies attached to a role."""

from __future__ import annotations

from typing import Any

from nhi.preflight.capture import Capture, CapturedResource

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPOSITORY = "aws:ecr/repository:Repository"
NAMESPACE = "kubernetes:core/v1:Namespace"


def one(capture: Capture, type_token: str, name_suffix: str = "") -> CapturedResource:
    found = [r for r in capture.of_type(type_token) if r.name.endswith(name_suffix)]
    assert len(found) == 1, f"expected one {type_token} named *{name_suffix}, got {[r.name for r in found]}"
    return found[0]


def by_output(capture: Capture, type_token: str, key: str, value: Any) -> CapturedResource:
    found = [r for r in capture.of_type(type_token) if r.outputs.get(key) == value]
    assert len(found) == 1, f"expected one {type_token} with {key}={value!r}, got {[r.name for r in found]}"
    return found[0]


def policies_of(capture: Capture, role: CapturedResource) -> set[str]:
    """Managed policy ARNs attached to a role (attachments name the role by its name output)."""
    return {a.inputs["policyArn"] for a in capture.of_type(ATTACHMENT) if a.inputs.get("role") == role.outputs["name"]}
