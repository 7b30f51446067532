"""The pipeline's roles with a self-managed S3 backend (`nhi-platform:ci.stateBackend`): on the preflight capture, the
documents name only that bucket, prefix and key, the preview role only reads, the boundary admits exactly the state
and everything keeps within IAM's size limit; in moto with IAM enforced, the deploy role reads and writes its own
stack's state and nothing else of the bucket, another bucket or another key, the preview role reads and cannot write."""

from __future__ import annotations

import functools
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from components.deployer_identity import DeployerIdentityArgs, Environment
from components.state_backend import STATE_PREFIX_MAX, StateBackend
from nhi.preflight.capture import Capture
from settings.model import CI
from tests.components.moto_iam import iam_enforced, is_access_denied, resource_resolvers
from tests.components.pipeline_policies import (
    ATTACHMENT,
    BOUNDARY,
    MANAGED_POLICY_MAX,
    POLICY,
    READ_LEVELS,
    ROLE,
    access_level,
    allow_statements,
    attached_documents,
    boundary_of,
    expand,
    grammar_problems,
    listed,
    named,
    names_type,
    pipeline_resources,
    resource_types,
    roles,
    with_boundary,
)
from tests.conftest import STACKS, capture_stack_file, stack_file_config, write_stack_file

ACCOUNT, REGION = "111122223333", "eu-west-1"
BUCKET, PREFIX = "acme-pulumi-state", "platform"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# The Pulumi CLI's layout of a DIY backend in project mode (pulumi/pulumi pkg/backend/diy), for stack `prod` of the
# project `nhi-platform` (Pulumi.yaml).
STORE = f"{PREFIX}/.pulumi"
META = f"{STORE}/meta.yaml"
CHECKPOINT = f"{STORE}/stacks/nhi-platform/prod.json"
TAGS = f"{STORE}/stacks/nhi-platform/prod.pulumi-tags"
HISTORY = f"{STORE}/history/nhi-platform/prod/"
BACKUPS = f"{STORE}/backups/nhi-platform/prod/"
LOCKS = f"{STORE}/locks/organization/nhi-platform/prod/"


def s3_arn(key: str = "") -> str:
    return f"arn:aws:s3:::{BUCKET}" + (f"/{key}" if key else "")


@functools.cache
def with_state(stack: str, bucket: str = BUCKET, prefix: str = PREFIX, key_arn: str = KEY_ARN) -> Capture:
    """The stack with a permissions boundary and `nhi-platform:ci.stateBackend` (cached per session)."""
    config = stack_file_config(stack)
    config["nhi-platform:permissionsBoundaryArn"] = BOUNDARY
    config[CI]["stateBackend"] = {"bucket": bucket, "prefix": prefix, "secretsKeyArn": key_arn}
    return capture_stack_file(write_stack_file(Path(tempfile.mkdtemp(prefix="nhi-state-")), stack, config))


def state_statements(documents: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        s
        for s in allow_statements(documents)
        if any(a.startswith("s3:") or a in ("kms:Decrypt", "kms:GenerateDataKey") for a in listed(s["Action"]))
    ]


def shape(statements: list[dict[str, Any]]) -> dict[str, tuple[set[str], set[str], Any]]:
    return {s["Sid"]: (set(listed(s["Action"])), set(listed(s["Resource"])), s.get("Condition")) for s in statements}


# --- the rendered documents ----------------------------------------------------------------------------------------


def test_the_deploy_role_gets_exactly_its_stack_s_state_lock_and_key() -> None:
    capture = with_state("prod")
    deploy, _ = roles(capture, "prod")
    assert shape(state_statements(attached_documents(capture, deploy))) == {
        "ReadTheStackState": ({"s3:GetObject"}, {s3_arn(META), s3_arn(CHECKPOINT + "*"), s3_arn(TAGS)}, None),
        "FindTheStackCheckpoint": ({"s3:ListBucket"}, {s3_arn()}, {"StringEquals": {"s3:prefix": CHECKPOINT}}),
        "DecryptTheStackSecrets": ({"kms:Decrypt"}, {KEY_ARN}, None),
        "WriteTheStackState": (
            {"s3:PutObject"},
            {s3_arn(CHECKPOINT + "*"), s3_arn(HISTORY + "*"), s3_arn(BACKUPS + "*")},
            None,
        ),
        "LockTheStack": ({"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, {s3_arn(LOCKS + "*")}, None),
        "ListTheStackLocks": ({"s3:ListBucket"}, {s3_arn()}, {"StringEquals": {"s3:prefix": LOCKS}}),
        "LetS3EncryptTheState": (
            {"kms:GenerateDataKey"},
            {KEY_ARN},
            {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
        ),
    }


def test_the_preview_role_only_reads_the_state_and_decrypts() -> None:
    """A preview takes no lock and writes nothing (pulumi pkg/backend/diy backend.go: Preview and apply with DryRun);
    kms:Decrypt is a write in IAM's classification but changes nothing."""
    capture = with_state("prod")
    _, preview = roles(capture, "prod")
    documents = attached_documents(capture, preview)
    assert set(shape(state_statements(documents))) == {
        "ReadTheStackState",
        "FindTheStackCheckpoint",
        "DecryptTheStackSecrets",
    }
    actions = {a for s in allow_statements(documents) for a in listed(s["Action"])}
    assert {a for a in actions if access_level(a) not in READ_LEVELS} == {"kms:Decrypt"}
    assert named(capture, POLICY, "prod-ci-state").inputs["description"] == "prod pipeline: state changes"


@pytest.mark.parametrize("stack", STACKS)
def test_every_document_names_only_that_bucket_prefix_and_key(stack: str) -> None:
    capture = with_state(stack)
    own_objects = f"arn:aws:s3:::{BUCKET}/{PREFIX}/.pulumi/"
    for policy in (p for p in pipeline_resources(capture) if p.type == POLICY):
        text = policy.inputs["policy"]
        s3 = set(re.findall(r"arn:aws:s3:::[^\"]*", text))
        assert all(arn == s3_arn() or arn.startswith(own_objects) for arn in s3), (policy.inputs["name"], s3)
        assert all(f"/{stack}" in arn for arn in s3 if arn.startswith(own_objects + "stacks/")), s3
        keys = set(re.findall(r"arn:aws:kms:[^\"]*:key/[^\"*]+", text))
        assert keys <= {KEY_ARN}, (policy.inputs["name"], keys)
    deploy, preview = roles(capture, stack)
    for role in (deploy, preview):
        assert list(grammar_problems(allow_statements(attached_documents(capture, role)))) == []


def _admits(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    def matches(pattern: str, value: str) -> bool:
        return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), value, re.I) is not None

    return any(
        any(matches(p, action) for p in listed(s["Action"]))
        and any(matches(r, resource) for r in listed(s["Resource"]))
        for s in statements
    )


def test_the_boundary_admits_the_state_exactly() -> None:
    """Every state grant passes the boundary; the boundary admits no state write the grants do not, on no other
    object, bucket or key (the store's meta.yaml and the stack's tags are read only)."""
    capture = with_state("prod")
    deploy, _ = roles(capture, "prod")
    ceiling = [s for s in boundary_of(capture, "prod")["Statement"] if s["Effect"] == "Allow"]
    for statement in state_statements(attached_documents(capture, deploy)):
        for action in listed(statement["Action"]):
            for resource in listed(statement["Resource"]):
                assert _admits(ceiling, action, resource.replace("*", "x")), (action, resource)
    state_ceiling = {s["Sid"]: s for s in ceiling if s["Sid"].startswith("CeilingOfTheState")}
    assert set(listed(state_ceiling["CeilingOfTheStateReads"]["Action"])) == {"s3:GetObject"}
    assert set(listed(state_ceiling["CeilingOfTheStateReads"]["Resource"])) == {s3_arn(META), s3_arn(TAGS)}
    written = set(listed(state_ceiling["CeilingOfTheState"]["Resource"]))
    assert written == {s3_arn(), s3_arn(CHECKPOINT + "*"), s3_arn(f"{STORE}/*/nhi-platform/prod/*"), KEY_ARN}
    for probe in (META, TAGS, f"{STORE}/stacks/nhi-platform/dev.json", f"{STORE}/history/other/prod/x"):
        assert not _admits(ceiling, "s3:PutObject", s3_arn(probe)), probe
    assert not _admits(ceiling, "kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/other")
    assert not _admits(ceiling, "s3:GetObject", "arn:aws:s3:::another-bucket/.pulumi/meta.yaml")


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_resources_ceiling_is_one_statement_because_no_action_reaches_another_service(stack: str) -> None:
    """The boundary's ceiling of the stack's resources is one statement for every service (IAM's size limit): it
    admits what one statement per service would only if no action in it applies to a resource of another service."""
    ceiling = {s["Sid"]: s for s in boundary_of(with_boundary(stack), stack)["Statement"]}["CeilingOnTheStackResources"]
    resources = listed(ceiling["Resource"])
    for pattern in listed(ceiling["Action"]):
        for action in expand(pattern):
            service = action.split(":")[0].lower()
            for resource in resources:
                templates = [arn for name, (arn, _, _) in resource_types(action).items() if name]
                if any(names_type(resource, t) for t in templates):
                    assert resource.startswith(f"arn:aws:{service}:"), (action, resource)


@pytest.mark.parametrize("stack", STACKS)
def test_the_longest_bucket_and_prefix_keep_every_document_within_iam_s_limit(stack: str) -> None:
    longest_prefix = "/".join(["p" * 15, "p" * (STATE_PREFIX_MAX - 16)])
    assert len(longest_prefix) == STATE_PREFIX_MAX
    capture = with_state(stack, bucket="b" * 63, prefix=longest_prefix)
    for policy in capture.of_type(POLICY):
        assert len(re.sub(r"\s", "", policy.inputs["policy"])) <= MANAGED_POLICY_MAX, policy.inputs["name"]


# --- behaviour in moto ---------------------------------------------------------------------------------------------

OTHER_BUCKET = "acme-other-state"
OTHER_PROJECT = f"{STORE}/stacks/payments/prod.json"
OTHER_STACK = f"{STORE}/stacks/nhi-platform/dev.json"


def denied(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ClientError as error:
        return is_access_denied(error)
    return False


@dataclass(frozen=True)
class StateWorld:
    deploy: boto3.Session
    preview: boto3.Session
    key_id: str
    other_key_id: str
    encrypted_data_key: bytes
    """The stack's data key as `pulumi stack init --secrets-provider awskms://...` leaves it (an administrator's)."""


def _session(credentials: dict[str, Any]) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


@pytest.fixture
def state_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[StateWorld]:
    """moto with prod's captured pipeline roles and policies (its state key created first, so that the stack file
    names its real ARN), the state bucket with this stack's, another stack's and another project's state, another
    bucket, another key."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    with mock_aws(), resource_resolvers():
        kms = boto3.client("kms", region_name=REGION)
        key = kms.create_key()["KeyMetadata"]
        other_key = kms.create_key()["KeyMetadata"]
        capture = with_state("prod", key_arn=key["Arn"])
        iam = boto3.client("iam", region_name=REGION)
        arns = {}
        pipeline = pipeline_resources(capture)
        for policy in (r for r in pipeline if r.type == POLICY):
            created = iam.create_policy(
                PolicyName=policy.inputs["name"], Path=policy.inputs["path"], PolicyDocument=policy.inputs["policy"]
            )
            arns[policy.outputs["arn"]] = created["Policy"]["Arn"]
        for role in (r for r in pipeline if r.type == ROLE):
            iam.create_role(
                RoleName=role.inputs["name"], Path=role.inputs["path"], AssumeRolePolicyDocument=json.dumps({})
            )
        for attachment in (r for r in pipeline if r.type == ATTACHMENT):
            iam.attach_role_policy(RoleName=attachment.inputs["role"], PolicyArn=arns[attachment.inputs["policyArn"]])
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (BUCKET, OTHER_BUCKET):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        for object_key in (META, CHECKPOINT, OTHER_PROJECT, OTHER_STACK):
            s3.put_object(Bucket=BUCKET, Key=object_key, Body=b"{}")
        s3.put_object(Bucket=OTHER_BUCKET, Key=CHECKPOINT, Body=b"{}")
        data_key = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"data key")["CiphertextBlob"]
        sts = boto3.client("sts", region_name=REGION)
        sessions = {
            name: _session(
                sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/nhi-platform/ci/{name}", RoleSessionName="probe")[
                    "Credentials"
                ]
            )
            for name in ("prod-deploy", "prod-preview")
        }
        with iam_enforced():
            yield StateWorld(
                sessions["prod-deploy"], sessions["prod-preview"], key["KeyId"], other_key["KeyId"], data_key
            )


def test_in_moto_the_deploy_role_reads_and_writes_its_stack_s_state_and_lock(state_world: StateWorld) -> None:
    s3, kms = state_world.deploy.client("s3"), state_world.deploy.client("kms")
    assert s3.get_object(Bucket=BUCKET, Key=META)["Body"].read() == b"{}"
    s3.put_object(Bucket=BUCKET, Key=CHECKPOINT, Body=b'{"version": 3}')
    assert s3.get_object(Bucket=BUCKET, Key=CHECKPOINT)["Body"].read() == b'{"version": 3}'
    s3.copy_object(Bucket=BUCKET, Key=CHECKPOINT + ".bak", CopySource={"Bucket": BUCKET, "Key": CHECKPOINT})
    s3.put_object(Bucket=BUCKET, Key=HISTORY + "prod-1.history.json", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key=BACKUPS + "prod.1.json", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key=LOCKS + "lock-id.json", Body=b"{}")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=LOCKS)["Contents"]] == [LOCKS + "lock-id.json"]
    s3.delete_object(Bucket=BUCKET, Key=LOCKS + "lock-id.json")
    decrypted = kms.decrypt(KeyId=state_world.key_id, CiphertextBlob=state_world.encrypted_data_key)
    assert decrypted["Plaintext"] == b"data key"
    # A data key is minted once, by an administrator's `pulumi stack init` (pulumi pkg/secrets/cloud), never by CI.
    assert denied(lambda: kms.encrypt(KeyId=state_world.key_id, Plaintext=b"another data key"))


def test_in_moto_the_deploy_role_cannot_reach_another_project_stack_bucket_or_key(state_world: StateWorld) -> None:
    s3, kms = state_world.deploy.client("s3"), state_world.deploy.client("kms")
    assert denied(lambda: s3.get_object(Bucket=BUCKET, Key=OTHER_PROJECT))
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key=OTHER_PROJECT, Body=b"{}"))
    assert denied(lambda: s3.get_object(Bucket=BUCKET, Key=OTHER_STACK))
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key=META, Body=b"version: 0"))
    assert denied(lambda: s3.delete_object(Bucket=BUCKET, Key=CHECKPOINT))
    assert denied(lambda: s3.get_object(Bucket=OTHER_BUCKET, Key=CHECKPOINT))
    assert denied(lambda: s3.put_object(Bucket=OTHER_BUCKET, Key=CHECKPOINT, Body=b"{}"))
    assert denied(lambda: kms.decrypt(KeyId=state_world.other_key_id, CiphertextBlob=b"x" * 32))


def test_in_moto_the_preview_role_reads_the_state_and_cannot_write_it(state_world: StateWorld) -> None:
    s3, kms = state_world.preview.client("s3"), state_world.preview.client("kms")
    assert s3.get_object(Bucket=BUCKET, Key=CHECKPOINT)["Body"].read() == b"{}"
    decrypted = kms.decrypt(KeyId=state_world.key_id, CiphertextBlob=state_world.encrypted_data_key)
    assert decrypted["Plaintext"] == b"data key"
    assert s3.get_object(Bucket=BUCKET, Key=META)["Body"].read() == b"{}"
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key=CHECKPOINT, Body=b"{}"))
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key=LOCKS + "lock-id.json", Body=b"{}"))
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key=HISTORY + "prod-1.history.json", Body=b"{}"))
    assert denied(lambda: s3.get_object(Bucket=BUCKET, Key=OTHER_PROJECT))
    assert denied(lambda: s3.get_object(Bucket=OTHER_BUCKET, Key=CHECKPOINT))


# --- the component's own refusals (for programs that build the Args without settings) ---------------------------------


def test_the_component_refuses_a_key_of_another_account_or_region() -> None:
    backend = StateBackend(
        bucket=BUCKET, secrets_key_arn=KEY_ARN.replace(REGION, "us-east-1"), project="nhi-platform", stack="prod"
    )
    with pytest.raises(ValueError, match=r"state_backend\.secrets_key_arn must be a KMS key of this stack's account"):
        DeployerIdentityArgs(
            org="acme",
            repository="nhi-platform",
            environment=Environment.PROD,
            account_id=ACCOUNT,
            region=REGION,
            partition="aws",
            cluster_name="prod-core",
            cluster_admin_role_arns=[],
            state_backend=backend,
        )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"bucket": "acme-*"}, "expected an S3 bucket name"),
        ({"prefix": "platform/*"}, "expected the backend URL's path"),
        ({"secrets_key_arn": "arn:aws:kms:eu-west-1:111122223333:alias/pulumi"}, "must be a KMS key ARN"),
        ({"stack": "prod*"}, "stack must be a Pulumi stack name"),
        ({"project": "nhi/platform"}, "project must be a Pulumi project name"),
    ],
)
def test_the_state_backend_refuses_what_could_become_a_pattern(change: dict[str, str], message: str) -> None:
    fields = {"bucket": BUCKET, "secrets_key_arn": KEY_ARN, "project": "nhi-platform", "stack": "prod", **change}
    with pytest.raises(ValueError, match=re.escape(message)):
        StateBackend(**fields)
