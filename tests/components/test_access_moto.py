"""Behaviour in moto: for each workload of the prod stack, the trust and permission policies the program
generates (taken from the preflight capture) are loaded into moto's IAM, the role is assumed, every declared
access succeeds against moto resources with the role's credentials, and probes outside the grant are denied:
another resource of the same service, a write on a read grant, IAM calls, sts:AssumeRole on another role.

One moto world for the module; the resources carry exactly the ARNs the stack names (KMS key ids and secret
suffixes are set to the stack's), so the generated documents are used unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.kms.models import kms_backends
from moto.secretsmanager.models import secretsmanager_backends

import settings
from components.access_catalog import CATALOG
from components.identity import ROLE_PATH
from tests.components.moto_iam import iam_enforced, is_access_denied, resource_resolvers
from tests.components.workload_views import ROLE, ROLE_POLICY, capture_workloads, workload_resources
from tests.conftest import REPO

ACCOUNT, REGION = "111122223333", "eu-west-1"
SEED_KEY = "seed.txt"
PLAINTEXT = b"nhi-platform"
OTHER = {  # one resource per service that no workload is granted
    "s3": "arn:aws:s3:::acme-prod-not-granted",
    "dynamodb": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/prod-not-granted",
    "sqs": f"arn:aws:sqs:{REGION}:{ACCOUNT}:prod-not-granted",
    "sns": f"arn:aws:sns:{REGION}:{ACCOUNT}:prod-not-granted",
    "secretsmanager": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/not/granted-ZzZzZz",
    "kms": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/99999999-8888-4777-8666-555555555555",
    "ssm": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/not/granted",
}
BYSTANDER_ROLE = "bystander"

PROD = settings.stack_file_settings(REPO / "stacks" / "Pulumi.prod.yaml")


def tail(arn: str, marker: str) -> str:
    return arn.split(marker, 1)[1]


@dataclass
class World:
    ciphertexts: dict[str, bytes] = field(default_factory=dict)
    """Key ARN -> a ciphertext made with it (for decrypt grants and probes)."""
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    """Workload -> the STS credentials of its assumed role."""


class Clients:
    def __init__(self, credentials: dict[str, str]) -> None:
        self.session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=REGION,
        )
        self._clients: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_") or service == "session":
            raise AttributeError(service)
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]


# --- the moto world ------------------------------------------------------------------------------------------
def _create(admin: boto3.session.Session, service: str, arn: str, world: World) -> None:
    if service == "s3":
        bucket = tail(arn, ":::")
        admin.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        admin.client("s3").put_object(Bucket=bucket, Key=SEED_KEY, Body=b"seed")
    elif service == "dynamodb":
        table = tail(arn, ":table/")
        ddb = admin.client("dynamodb")
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(TableName=table, Item={"id": {"S": "seed"}})
    elif service == "sqs":
        url = admin.client("sqs").create_queue(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
        admin.client("sqs").send_message(QueueUrl=url, MessageBody="seed")
    elif service == "sns":
        admin.client("sns").create_topic(Name=arn.rsplit(":", 1)[1])
    elif service == "secretsmanager":
        name = tail(arn, ":secret:")[:-7]  # drop the 6-character suffix AWS appends
        admin.client("secretsmanager").create_secret(Name=name, SecretString="s3cr3t")
        secretsmanager_backends[ACCOUNT][REGION].secrets[name].arn = arn  # the stack's suffix, not a random one
    elif service == "kms":
        backend = kms_backends[ACCOUNT][REGION]
        key = backend.keys.pop(admin.client("kms").create_key()["KeyMetadata"]["KeyId"])
        key.id, key.arn = tail(arn, ":key/"), arn  # the stack's key id, not a random one
        backend.keys[key.id] = key
        world.ciphertexts[arn] = admin.client("kms").encrypt(KeyId=arn, Plaintext=PLAINTEXT)["CiphertextBlob"]
    elif service == "ssm":
        admin.client("ssm").put_parameter(Name="/" + tail(arn, ":parameter/"), Value="value", Type="String")
    else:
        raise AssertionError(f"no moto set-up for {service}")


def _documents() -> dict[str, tuple[str, str | None]]:
    """Workload -> (trust policy, permission policy or None), as the program renders them."""
    capture = capture_workloads("prod")
    policies = {p.parent: p.inputs["policy"] for p in workload_resources(capture, ROLE_POLICY)}
    return {
        r.inputs["tags"]["nhi-platform/workload"]: (r.inputs["assumeRolePolicy"], policies.get(r.parent))
        for r in workload_resources(capture, ROLE)
    }


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with pytest.MonkeyPatch.context() as env:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "MOTO_ACCOUNT_ID": ACCOUNT,
        }.items():
            env.setenv(key, value)
        with mock_aws(), resource_resolvers():
            admin = boto3.session.Session(region_name=REGION)
            built = World()
            arns = {(g.service, arn) for w in PROD.workloads for g in w.access for arn in g.resources}
            for service, arn in sorted(arns | set(OTHER.items())):
                _create(admin, service, arn, built)
            iam, sts = admin.client("iam"), admin.client("sts")
            iam.create_role(
                RoleName=BYSTANDER_ROLE,
                AssumeRolePolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                ),
            )
            for workload, (trust, policy) in _documents().items():
                role = iam.create_role(RoleName=workload, Path=ROLE_PATH, AssumeRolePolicyDocument=trust)["Role"]
                if policy is not None:
                    iam.put_role_policy(RoleName=workload, PolicyName="access", PolicyDocument=policy)
                # EKS (Pod Identity or the IRSA webhook) assumes the role for the pod; here the set-up does.
                built.credentials[workload] = sts.assume_role(RoleArn=role["Arn"], RoleSessionName=workload)[
                    "Credentials"
                ]
            yield built


@pytest.fixture
def as_workload(world: World) -> Iterator[Callable[[str], Clients]]:
    with iam_enforced():
        yield lambda workload: Clients(world.credentials[workload])


# --- what each level must allow, and what must stay denied ------------------------------------------------
Call = Callable[[Clients, str, World], Any]


def _queue_url(c: Clients, arn: str) -> str:
    return c.sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]


def _sqs_url(arn: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{arn.rsplit(':', 1)[1]}"


def _s3_read(c: Clients, arn: str, w: World) -> None:
    c.s3.list_objects_v2(Bucket=tail(arn, ":::"))
    c.s3.get_object(Bucket=tail(arn, ":::"), Key=SEED_KEY)


def _ddb_read(c: Clients, arn: str, w: World) -> None:
    table = tail(arn, ":table/")
    c.dynamodb.describe_table(TableName=table)
    c.dynamodb.get_item(TableName=table, Key={"id": {"S": "seed"}})
    c.dynamodb.query(TableName=table, KeyConditionExpression="id = :v", ExpressionAttributeValues={":v": {"S": "seed"}})
    c.dynamodb.scan(TableName=table)


def _ddb_write(c: Clients, arn: str, w: World) -> None:
    _ddb_read(c, arn, w)
    table = tail(arn, ":table/")
    c.dynamodb.put_item(TableName=table, Item={"id": {"S": "written"}})
    c.dynamodb.update_item(
        TableName=table,
        Key={"id": {"S": "written"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "1"}},
    )
    c.dynamodb.delete_item(TableName=table, Key={"id": {"S": "written"}})


def _sqs_consume(c: Clients, arn: str, w: World) -> None:
    url = _queue_url(c, arn)
    c.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    for message in c.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", []):
        c.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        c.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _kms_encrypt(c: Clients, arn: str, w: World) -> None:
    c.kms.encrypt(KeyId=arn, Plaintext=PLAINTEXT)
    c.kms.generate_data_key(KeyId=arn, KeySpec="AES_256")


def _kms_decrypt(c: Clients, arn: str, w: World) -> None:
    assert c.kms.decrypt(KeyId=arn, CiphertextBlob=w.ciphertexts[arn])["Plaintext"] == PLAINTEXT


def _s3_write(c: Clients, arn: str, w: World) -> None:
    _s3_read(c, arn, w)
    c.s3.put_object(Bucket=tail(arn, ":::"), Key="new", Body=b"x")


ALLOWED: dict[tuple[str, str], Call] = {
    ("s3", "read"): _s3_read,
    ("s3", "write"): _s3_write,
    ("dynamodb", "read"): _ddb_read,
    ("dynamodb", "write"): _ddb_write,
    ("sqs", "send"): lambda c, arn, w: c.sqs.send_message(QueueUrl=_queue_url(c, arn), MessageBody="hello"),
    ("sqs", "consume"): _sqs_consume,
    ("sns", "publish"): lambda c, arn, w: c.sns.publish(TopicArn=arn, Message="hello"),
    ("secretsmanager", "read"): lambda c, arn, w: (
        c.secretsmanager.describe_secret(SecretId=arn),
        c.secretsmanager.get_secret_value(SecretId=arn),
    ),
    ("kms", "encrypt"): _kms_encrypt,
    ("kms", "decrypt"): _kms_decrypt,
    ("ssm", "read"): lambda c, arn, w: c.ssm.get_parameter(Name="/" + tail(arn, ":parameter/")),
}

# (what the probe tries, the call) per level: the same service on another resource, and a step past the level.
DENIED: dict[tuple[str, str], list[tuple[str, Call]]] = {
    ("s3", "read"): [
        ("another bucket", lambda c, arn, w: _s3_read(c, OTHER["s3"], w)),
        ("write on read", lambda c, arn, w: c.s3.put_object(Bucket=tail(arn, ":::"), Key="x", Body=b"x")),
    ],
    ("s3", "write"): [
        ("another bucket", lambda c, arn, w: c.s3.put_object(Bucket=tail(OTHER["s3"], ":::"), Key="x", Body=b"x")),
        ("delete on write", lambda c, arn, w: c.s3.delete_object(Bucket=tail(arn, ":::"), Key=SEED_KEY)),
    ],
    ("dynamodb", "read"): [
        ("another table", lambda c, arn, w: _ddb_read(c, OTHER["dynamodb"], w)),
        (
            "write on read",
            lambda c, arn, w: c.dynamodb.put_item(TableName=tail(arn, ":table/"), Item={"id": {"S": "x"}}),
        ),
    ],
    ("dynamodb", "write"): [
        (
            "another table",
            lambda c, arn, w: c.dynamodb.put_item(
                TableName=tail(OTHER["dynamodb"], ":table/"), Item={"id": {"S": "x"}}
            ),
        ),
        ("drop the table", lambda c, arn, w: c.dynamodb.delete_table(TableName=tail(arn, ":table/"))),
    ],
    ("sqs", "send"): [
        ("another queue", lambda c, arn, w: c.sqs.send_message(QueueUrl=_sqs_url(OTHER["sqs"]), MessageBody="x")),
        ("consume on send", lambda c, arn, w: c.sqs.receive_message(QueueUrl=_sqs_url(arn))),
    ],
    ("sqs", "consume"): [
        ("another queue", lambda c, arn, w: c.sqs.receive_message(QueueUrl=_sqs_url(OTHER["sqs"]))),
        ("send on consume", lambda c, arn, w: c.sqs.send_message(QueueUrl=_sqs_url(arn), MessageBody="x")),
    ],
    ("sns", "publish"): [
        ("another topic", lambda c, arn, w: c.sns.publish(TopicArn=OTHER["sns"], Message="x")),
        (
            "subscribe on publish",
            lambda c, arn, w: c.sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="x@example.com"),
        ),
    ],
    ("secretsmanager", "read"): [
        ("another secret", lambda c, arn, w: c.secretsmanager.get_secret_value(SecretId=OTHER["secretsmanager"])),
        ("write on read", lambda c, arn, w: c.secretsmanager.put_secret_value(SecretId=arn, SecretString="changed")),
    ],
    ("kms", "encrypt"): [
        ("another key", lambda c, arn, w: c.kms.encrypt(KeyId=OTHER["kms"], Plaintext=PLAINTEXT)),
        (
            "decrypt on encrypt",
            lambda c, arn, w: c.kms.decrypt(KeyId=OTHER["kms"], CiphertextBlob=w.ciphertexts[OTHER["kms"]]),
        ),
    ],
    ("kms", "decrypt"): [
        (
            "another key",
            lambda c, arn, w: c.kms.decrypt(KeyId=OTHER["kms"], CiphertextBlob=w.ciphertexts[OTHER["kms"]]),
        ),
        ("encrypt on decrypt", lambda c, arn, w: c.kms.encrypt(KeyId=arn, Plaintext=PLAINTEXT)),
    ],
    ("ssm", "read"): [
        ("another parameter", lambda c, arn, w: c.ssm.get_parameter(Name="/" + tail(OTHER["ssm"], ":parameter/"))),
        (
            "write on read",
            lambda c, arn, w: c.ssm.put_parameter(
                Name="/" + tail(arn, ":parameter/"), Value="changed", Type="String", Overwrite=True
            ),
        ),
    ],
}

EVERYONE_DENIED: list[tuple[str, Call]] = [
    ("iam:CreateUser", lambda c, arn, w: c.iam.create_user(UserName="backdoor")),
    ("iam:CreateAccessKey", lambda c, arn, w: c.iam.create_access_key(UserName="backdoor")),
    ("iam:ListRoles", lambda c, arn, w: c.iam.list_roles()),
    (
        "iam:PutRolePolicy on itself",
        lambda c, arn, w: c.iam.put_role_policy(
            RoleName=arn,
            PolicyName="more",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        ),
    ),
    (
        "sts:AssumeRole elsewhere",
        lambda c, arn, w: c.sts.assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{BYSTANDER_ROLE}", RoleSessionName="hop"
        ),
    ),
    ("s3:ListAllMyBuckets", lambda c, arn, w: c.s3.list_buckets()),
]


def test_every_catalog_level_has_allowed_calls_and_probes() -> None:
    levels = {(service, level) for service, entry in CATALOG.items() for level in entry.levels}
    assert set(ALLOWED) == levels and set(DENIED) == levels


@pytest.mark.parametrize("workload", [w.name for w in PROD.workloads if w.access])
def test_declared_access_succeeds_with_the_roles_credentials(
    workload: str, world: World, as_workload: Callable[[str], Clients]
) -> None:
    clients = as_workload(workload)
    assert clients.sts.get_caller_identity()["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{workload}/")
    grants = next(w for w in PROD.workloads if w.name == workload).access
    for grant in grants:
        for arn in grant.resources:
            ALLOWED[(grant.service, grant.level)](clients, arn, world)


@pytest.mark.parametrize("workload", [w.name for w in PROD.workloads])
def test_probes_outside_the_grant_are_denied(
    workload: str, world: World, as_workload: Callable[[str], Clients]
) -> None:
    clients = as_workload(workload)
    grants = next(w for w in PROD.workloads if w.name == workload).access
    probes = [
        (name, call, grant.resources[0]) for grant in grants for name, call in DENIED[(grant.service, grant.level)]
    ]
    probes += [(name, call, workload) for name, call in EVERYONE_DENIED]
    allowed = []
    for name, call, arn in probes:
        try:
            call(clients, arn, world)
        except ClientError as error:
            assert is_access_denied(error), (name, error.response["Error"])
        else:
            allowed.append(name)
    assert allowed == []
