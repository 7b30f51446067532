"""The deployment runner's own role, in moto with IAM enforced: it writes its build logs and nothing else; it cannot
assume the deploy role, read the Pulumi state or its secrets key, or write anywhere outside its log group. A job's
AWS access is the OIDC role it assumes, never the runner's."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from components.deployer_identity import Environment
from components.runner import log_group_name, runner_role_name
from nhi.preflight.capture import Capture
from tests.components.moto_iam import iam_enforced, is_access_denied, resource_resolvers
from tests.conftest import capture_stack

ACCOUNT, REGION = "111122223333", "eu-west-1"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
STATE_BUCKET = "acme-pulumi-state"
OTHER_GROUP = "/aws/eks/prod-core/cluster"
DENIED_BY_EC2 = "UnauthorizedOperation"


def denied(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ClientError as error:
        return is_access_denied(error) or error.response["Error"]["Code"] == DENIED_BY_EC2
    return False


def runner_role(capture: Capture) -> tuple[dict[str, Any], str]:
    """The runner role's inputs and its one inline policy, as the program registers them."""
    [role] = [r for r in capture.of_type(ROLE) if r.inputs.get("name") == runner_role_name(Environment.PROD)]
    [policy] = [p for p in capture.of_type(ROLE_POLICY) if p.name == "deploy-runner-grants"]
    return role.inputs, policy.inputs["policy"]


@dataclass(frozen=True)
class World:
    session: boto3.Session
    """The runner role's session, as CodeBuild gets it."""
    state_key_id: str
    """The KMS key a self-managed backend's secrets provider would use."""


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    role, policy = runner_role(capture_stack("prod"))
    with mock_aws(), resource_resolvers():
        iam = boto3.client("iam", region_name=REGION)
        created = iam.create_role(
            RoleName=role["name"], Path=role["path"], AssumeRolePolicyDocument=role["assumeRolePolicy"]
        )
        iam.put_role_policy(RoleName=role["name"], PolicyName="runner", PolicyDocument=policy)
        # What a job must never reach through the runner: the deploy role, the state and its key, other logs.
        deploy_trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
            ],
        }
        iam.create_role(
            RoleName="prod-deploy", Path="/nhi-platform/ci/", AssumeRolePolicyDocument=json.dumps(deploy_trust)
        )
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket=STATE_BUCKET, Key=".pulumi/stacks/nhi-platform/prod.json", Body=b"{}")
        key_id = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"]
        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName=log_group_name(Environment.PROD))
        logs.create_log_group(logGroupName=OTHER_GROUP)
        credentials = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=created["Role"]["Arn"], RoleSessionName="codebuild"
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=REGION,
        )
        with iam_enforced():
            yield World(session, key_id)


def test_the_runner_writes_its_own_build_logs(world: World) -> None:
    logs = world.session.client("logs")
    group = log_group_name(Environment.PROD)
    logs.create_log_stream(logGroupName=group, logStreamName="build-1")
    logs.put_log_events(logGroupName=group, logStreamName="build-1", logEvents=[{"timestamp": 1, "message": "ok"}])


def test_the_runner_cannot_assume_the_deploy_role(world: World) -> None:
    sts = world.session.client("sts")
    arn = f"arn:aws:iam::{ACCOUNT}:role/nhi-platform/ci/prod-deploy"
    assert denied(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="escape"))


def test_the_runner_cannot_read_the_state_or_its_secrets_key(world: World) -> None:
    s3, kms = world.session.client("s3"), world.session.client("kms")
    assert denied(lambda: s3.get_object(Bucket=STATE_BUCKET, Key=".pulumi/stacks/nhi-platform/prod.json"))
    assert denied(lambda: s3.list_objects_v2(Bucket=STATE_BUCKET))
    assert denied(lambda: kms.decrypt(KeyId=world.state_key_id, CiphertextBlob=b"x" * 32))


def test_the_runner_writes_nothing_outside_its_logs(world: World) -> None:
    logs, s3, iam = world.session.client("logs"), world.session.client("s3"), world.session.client("iam")
    ec2 = world.session.client("ec2")
    assert denied(lambda: logs.create_log_stream(logGroupName=OTHER_GROUP, logStreamName="forged"))
    assert denied(lambda: logs.create_log_group(logGroupName="/aws/codebuild/another"))
    assert denied(lambda: s3.put_object(Bucket=STATE_BUCKET, Key=".pulumi/stacks/nhi-platform/prod.json", Body=b"{}"))
    assert denied(lambda: iam.create_role(RoleName="x", AssumeRolePolicyDocument="{}"))
    assert denied(
        lambda: iam.put_role_policy(RoleName=runner_role_name(Environment.PROD), PolicyName="more", PolicyDocument="{}")
    )
    assert denied(lambda: ec2.create_vpc(CidrBlock="10.9.0.0/16"))
    assert denied(lambda: ec2.create_security_group(GroupName="x", Description="x"))
