"""moto, made to judge identity policies the way AWS does for the services the catalog covers.

moto enforces IAM (`moto.settings.INITIAL_NO_AUTH_ACTION_COUNT`) but only S3, SQS, IAM and STS tell it which
resource a request touches; for the others it checks every statement against `*`, so an ARN-scoped grant
would look denied and a probe on another table would look like the same denial. `resource_resolvers()`
gives DynamoDB, SNS, Secrets Manager, KMS, SSM and CloudWatch Logs the resource ARN of each request, as AWS
evaluates it, and SQS the queue of GetQueueUrl (by QueueName) and of queues that do not exist (moto says `*` for
both)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.dynamodb.responses import DynamoHandler
from moto.eks.models import eks_backends
from moto.eks.responses import EKSResponse
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.kms.models import kms_backends
from moto.kms.responses import KmsResponse
from moto.logs.responses import LogsResponse
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.sns.responses import SNSResponse
from moto.sqs.responses import SQSResponse
from moto.ssm.responses import SimpleSystemManagerResponse

DENIED_CODES = {"AccessDenied", "AccessDeniedException", "AuthorizationError"}


def is_access_denied(error: Any) -> bool:
    """An IAM denial, however the service's protocol carries it (moto answers JSON services with the
    query protocol's XML error body, which botocore reports as code '403' with the XML as message)."""
    info = error.response.get("Error", {})
    if info.get("Code") in DENIED_CODES:
        return True
    return error.response.get("ResponseMetadata", {}).get(
        "HTTPStatusCode"
    ) == 403 and "<Code>AccessDenied</Code>" in str(info.get("Message", ""))


def _arn(response: Any, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{response.region}:{response.current_account}:{resource}"


def _dynamodb(response: Any) -> str:
    table, index = response._get_param("TableName"), response._get_param("IndexName")
    if not table:
        return "*"
    return _arn(response, "dynamodb", f"table/{table}" + (f"/index/{index}" if index else ""))


def _sqs(response: Any) -> str:
    name = response._get_param("QueueName")
    url = response._get_param("QueueUrl")
    if not name and isinstance(url, str):
        name = url.rstrip("/").rsplit("/", 1)[-1]
    return _arn(response, "sqs", name) if name else "*"


def _sns(response: Any) -> str:
    return response._get_param("TopicArn") or "*"


def _secretsmanager(response: Any) -> str:
    secret_id = response._get_param("SecretId")
    if not secret_id:
        return "*"
    secret = secretsmanager_backends[response.current_account][response.region].secrets.get(secret_id)
    return (
        secret.arn
        if secret is not None
        else secret_id
        if secret_id.startswith("arn:")
        else _arn(response, "secretsmanager", f"secret:{secret_id}")
    )


def _kms(response: Any) -> str:
    key_id = response._get_param("KeyId")
    if not key_id:
        return "*"  # callers pass KeyId (Decrypt too), so a request without one is judged against '*'
    backend = kms_backends[response.current_account][response.region]
    try:
        return backend.keys[backend.get_key_id(key_id)].arn
    except KeyError:
        return key_id if key_id.startswith("arn:") else _arn(response, "kms", f"key/{key_id}")


def _ssm(response: Any) -> str:
    name = response._get_param("Name")
    return _arn(response, "ssm", f"parameter/{name.lstrip('/')}") if name else "*"


def _logs(response: Any) -> str:
    group, stream = response._get_param("logGroupName"), response._get_param("logStreamName")
    if not group:
        return "*"
    return _arn(response, "logs", f"log-group:{group}" + (f":log-stream:{stream}" if stream else ""))


def _iam(response: Any) -> str:
    """Roles (as moto itself resolves them) and users by their ARN with path (moto says `*` for users)."""
    backend = iam_backends[response.current_account][response.partition]
    role, user = response._get_param("RoleName"), response._get_param("UserName")
    arn, key = response._get_param("Arn"), response._get_param("AccessKeyId")
    if isinstance(arn, str) and arn.startswith("arn:"):  # GenerateServiceLastAccessedDetails names its entity
        return arn
    try:
        if key and not user:  # GetAccessKeyLastUsed: the key's user, as AWS authorises it
            user = backend.get_access_key_last_used(key)["user_name"]
        if role:
            return str(backend.get_role(role).arn)
        if user:
            return str(backend.get_user(user).arn)
    except Exception:  # moto's NoSuchEntity: judged against '*', as moto would
        return "*"
    return "*"


def _eks(response: Any) -> str:
    """The cluster, or the node group, a request's path names (/clusters/NAME[/node-groups/GROUP])."""
    parts = response.path.strip("/").split("/")
    if len(parts) < 2 or parts[0] != "clusters":
        return "*"
    cluster = parts[1]
    if len(parts) >= 4 and parts[2] == "node-groups":
        backend = eks_backends[response.current_account][response.region]
        group = backend.clusters.get(cluster) and backend.clusters[cluster].nodegroups.get(parts[3])
        return str(group.arn) if group else _arn(response, "eks", f"nodegroup/{cluster}/{parts[3]}/*")
    return _arn(response, "eks", f"cluster/{cluster}")


RESOLVERS: dict[type, Callable[[Any], str]] = {
    IamResponse: _iam,
    EKSResponse: _eks,
    DynamoHandler: _dynamodb,
    SNSResponse: _sns,
    SQSResponse: _sqs,
    SecretsManagerResponse: _secretsmanager,
    KmsResponse: _kms,
    SimpleSystemManagerResponse: _ssm,
    LogsResponse: _logs,
}


# The hook of moto's response classes that names the resource of an authorised call (moto's private API: this
# module is the only place that touches it).
RESOURCE_HOOK = "_determine_resource"


@contextlib.contextmanager
def resource_resolvers() -> Iterator[None]:
    saved = {cls: cls.__dict__.get(RESOURCE_HOOK) for cls in RESOLVERS}
    for cls, resolver in RESOLVERS.items():
        setattr(cls, RESOURCE_HOOK, resolver)
    try:
        yield
    finally:
        for cls, original in saved.items():
            if original is None:
                delattr(cls, RESOURCE_HOOK)
            else:
                setattr(cls, RESOURCE_HOOK, original)


@contextlib.contextmanager
def iam_enforced() -> Iterator[None]:
    """Every request from here on is authenticated and authorised against the caller's IAM policies."""
    saved = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    try:
        yield
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = saved
