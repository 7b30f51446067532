"""A live account for the audit's tests: moto in server mode on loopback (ThreadedMotoServer), seeded with what a
stack declares, from the preflight's capture of its program, as `pulumi up` would leave it (the provider's default
tags on every resource, names as the provider gives them)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import boto3

from nhi.audit.declared import ATTACHMENT, NODE_GROUP, ROLE, ROLE_POLICY
from nhi.preflight.capture import Capture, CapturedResource

POLICY = "aws:iam/policy:Policy"
CLUSTER = "aws:eks/cluster:Cluster"
REGION = "eu-west-1"
ACCOUNT = "111122223333"


@dataclass
class LiveAccount:
    url: str
    credentials: dict[str, str]

    def client(self, service: str, credentials: dict[str, str] | None = None) -> Any:
        keys = credentials or self.credentials
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=keys.get("AWS_SESSION_TOKEN"),
        )


def live_name(role: CapturedResource) -> str:
    """The name the AWS provider gives a role: `name`, else `namePrefix` and a unique suffix, else Pulumi's
    auto-name (the logical name, `-` and 7 hex digits)."""
    if role.inputs.get("name"):
        return str(role.inputs["name"])
    if role.inputs.get("namePrefix"):
        return str(role.inputs["namePrefix"]) + "20261206031500000000000001"
    return f"{role.name}-{secrets.token_hex(4)[:7]}"


def _tags(resource: CapturedResource, default_tags: dict[str, str]) -> list[dict[str, str]]:
    merged = {**default_tags, **(resource.inputs.get("tags") or {})}
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def seed(account: LiveAccount, capture: Capture, default_tags: dict[str, str]) -> dict[str, str]:
    """Create every declared role (trust, boundary, inline and attached policies, tags), the pipeline's policies, the
    cluster and its node groups. Returns the live role name of each declared role, by URN."""
    iam, eks = account.client("iam"), account.client("eks")
    policy_arns: dict[str, str] = {}
    for policy in capture.of_type(POLICY):
        created = iam.create_policy(
            PolicyName=policy.inputs["name"],
            Path=policy.inputs.get("path") or "/",
            PolicyDocument=policy.inputs["policy"],
            Tags=_tags(policy, default_tags),
        )
        policy_arns[policy.outputs["arn"]] = created["Policy"]["Arn"]
    names: dict[str, str] = {}
    for role in capture.of_type(ROLE):
        names[role.urn] = live_name(role)
        extra = {}
        if role.inputs.get("permissionsBoundary"):
            extra["PermissionsBoundary"] = policy_arns.get(
                role.inputs["permissionsBoundary"], role.inputs["permissionsBoundary"]
            )
        iam.create_role(
            RoleName=names[role.urn],
            Path=role.inputs.get("path") or "/",
            AssumeRolePolicyDocument=role.inputs["assumeRolePolicy"],
            Tags=_tags(role, default_tags),
            **extra,
        )
    for policy in capture.of_type(ROLE_POLICY):
        role_urn = policy.property_dependencies["role"][0]
        iam.put_role_policy(
            RoleName=names[role_urn],
            PolicyName=policy.inputs.get("name") or policy.name,
            PolicyDocument=policy.inputs["policy"],
        )
    for attachment in capture.of_type(ATTACHMENT):
        role_urn = attachment.property_dependencies["role"][0]
        arn = attachment.inputs["policyArn"]
        iam.attach_role_policy(RoleName=names[role_urn], PolicyArn=policy_arns.get(arn, arn))
    (cluster,) = capture.of_type(CLUSTER)
    eks.create_cluster(
        name=cluster.inputs["name"],
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/cluster",
        resourcesVpcConfig={"subnetIds": ["subnet-1"]},
    )
    for group in capture.of_type(NODE_GROUP):
        create_node_group(
            account, group.inputs["clusterName"], group.inputs["nodeGroupName"], group.inputs["releaseVersion"]
        )
    return names


def create_node_group(account: LiveAccount, cluster: str, name: str, release: str) -> None:
    account.client("eks").create_nodegroup(
        clusterName=cluster,
        nodegroupName=name,
        nodeRole=f"arn:aws:iam::{ACCOUNT}:role/nodes",
        subnets=["subnet-1"],
        releaseVersion=release,
    )


def trust(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def session_of(account: LiveAccount, role_arn: str) -> dict[str, str]:
    """Credentials of a role's session (moto does not check trust: the set-up stands in for the OIDC exchange)."""
    got = account.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="audit")["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": got["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": got["SecretAccessKey"],
        "AWS_SESSION_TOKEN": got["SessionToken"],
    }
