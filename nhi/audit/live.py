"""The live account, read with boto3 (credentials from the usual chain; `--endpoint-url` for any AWS-compatible
endpoint). Only reads: every call here is one the stack's preview role is granted (components/deployer_identity.py,
AUDIT_GRANTS and READ_GRANTS). A read that fails for one identity or service is recorded as unread and the audit
goes on; without the account's roles there is no audit (an error)."""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from nhi.preflight.errors import PreflightError

from .model import Unread

T = TypeVar("T")
READ_FAILURES = (ClientError, BotoCoreError, ResponseParserError)
"""How a read fails: an error answer, no answer, or an answer botocore cannot parse (an endpoint without the API)."""
# Reads are retried by botocore's standard mode (throttling on large accounts), and never hang a scheduled job.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=30)


@dataclass(frozen=True)
class LiveRole:
    arn: str
    name: str
    path: str
    trust: dict[str, Any]
    tags: dict[str, str]
    created: datetime | None = None


@dataclass(frozen=True)
class RoleDetail:
    """What drift compares of a declared role: boundary and permissions."""

    boundary: str | None
    inline: tuple[dict[str, Any], ...]
    attached: frozenset[str]


@dataclass(frozen=True)
class AccessKey:
    key_id: str
    status: str
    created: datetime
    last_used: datetime | None


@dataclass(frozen=True)
class LiveUser:
    arn: str
    name: str
    path: str
    tags: dict[str, str]
    keys: tuple[AccessKey, ...]
    login_profile: bool


@dataclass(frozen=True)
class LiveNodeGroup:
    arn: str
    cluster: str
    name: str
    release: str | None


@dataclass(frozen=True)
class LiveAssociation:
    arn: str
    cluster: str
    namespace: str
    service_account: str
    role_arn: str


@dataclass(frozen=True)
class LiveAccessEntry:
    arn: str
    cluster: str
    principal_arn: str
    type: str


def policy_document(value: Any) -> dict[str, Any]:
    """A policy document as IAM returns it: botocore decodes it for AWS, other endpoints may leave it URL-encoded."""
    if isinstance(value, dict):
        return value
    text = urllib.parse.unquote(str(value))
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else {}


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {item["Key"]: item["Value"] for item in items or []}


ERROR_CODE = re.compile(r"<Code>(?P<code>[^<]+)</Code>")


def reason(error: Exception) -> str:
    """One line: the error's code and message; an endpoint's HTML or XML error page reduced to its status and code."""
    if not isinstance(error, ClientError):
        return " ".join(str(error).split("\n")[0].split())[:300]
    info = error.response.get("Error", {})
    code, message = str(info.get("Code", "error")), str(info.get("Message", ""))
    if message.lstrip().startswith("<"):
        inner = ERROR_CODE.search(message)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", code)
        return f"HTTP {status}: " + (inner.group("code") if inner else "the endpoint does not implement this API")
    return f"{code}: {message}".strip().rstrip(":")


@dataclass
class Account:
    """One account's reads through one boto3 session; `unread` collects what could not be read."""

    session: boto3.Session
    endpoint_url: str | None = None
    unread: list[Unread] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)

    def attempt(self, what: str, read: Callable[[], T], default: T) -> T:
        try:
            return read()
        except READ_FAILURES as error:
            self.unread.append(Unread(what, reason(error)))
            return default

    def account_id(self) -> str:
        try:
            return str(self.client("sts").get_caller_identity()["Account"])
        except READ_FAILURES as error:
            raise PreflightError(
                f"Cannot tell which AWS account the credentials belong to ({reason(error)}). The audit uses the "
                "usual AWS credential chain (environment, profile, SSO, web identity): set it up for the stack's "
                "account, with its preview role, and run again."
            ) from None

    def roles(self) -> list[LiveRole]:
        iam = self.client("iam")
        try:
            listed = [role for page in iam.get_paginator("list_roles").paginate() for role in page["Roles"]]
        except READ_FAILURES as error:
            raise PreflightError(
                f"Cannot list the account's IAM roles ({reason(error)}): without them there is nothing to audit. "
                "Run the audit with the stack's preview role, which is granted iam:ListRoles."
            ) from None
        return [
            LiveRole(
                arn=role["Arn"],
                name=role["RoleName"],
                path=role.get("Path", "/"),
                trust=policy_document(role.get("AssumeRolePolicyDocument") or "{}"),
                created=role.get("CreateDate"),
                tags=self.attempt(f"tags of role {role['Arn']}", functools.partial(self._role_tags, iam, role), {}),
            )
            for role in listed
        ]

    @staticmethod
    def _role_tags(iam: Any, role: dict[str, Any]) -> dict[str, str]:
        pages = iam.get_paginator("list_role_tags").paginate(RoleName=role["RoleName"])
        return _tags([tag for page in pages for tag in page["Tags"]])

    def role_detail(self, role: LiveRole) -> RoleDetail | None:
        iam = self.client("iam")

        def read() -> RoleDetail:
            got = iam.get_role(RoleName=role.name)["Role"]
            names = [
                n
                for page in iam.get_paginator("list_role_policies").paginate(RoleName=role.name)
                for n in page["PolicyNames"]
            ]
            inline = tuple(
                policy_document(iam.get_role_policy(RoleName=role.name, PolicyName=n)["PolicyDocument"]) for n in names
            )
            attached = frozenset(
                p["PolicyArn"]
                for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role.name)
                for p in page["AttachedPolicies"]
            )
            boundary = (got.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            return RoleDetail(boundary, inline, attached)

        return self.attempt(f"policies of role {role.arn}", read, None)

    def users(self) -> list[LiveUser]:
        iam = self.client("iam")
        listed: list[dict[str, Any]] = self.attempt(
            "the account's IAM users",
            lambda: [user for page in iam.get_paginator("list_users").paginate() for user in page["Users"]],
            [],
        )
        return [self._user(iam, user) for user in listed]

    def _user(self, iam: Any, user: dict[str, Any]) -> LiveUser:
        name, arn = user["UserName"], user["Arn"]

        def keys() -> tuple[AccessKey, ...]:
            found = []
            for page in iam.get_paginator("list_access_keys").paginate(UserName=name):
                for key in page["AccessKeyMetadata"]:
                    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
                    found.append(
                        AccessKey(key["AccessKeyId"], key["Status"], key["CreateDate"], used.get("LastUsedDate"))
                    )
            return tuple(found)

        def login_profile() -> bool:
            try:
                iam.get_login_profile(UserName=name)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
                    return False
                raise
            return True

        return LiveUser(
            arn=arn,
            name=name,
            path=user.get("Path", "/"),
            tags=self.attempt(f"tags of user {arn}", lambda: _tags(iam.list_user_tags(UserName=name)["Tags"]), {}),
            keys=self.attempt(f"access keys of user {arn}", keys, ()),
            login_profile=self.attempt(f"console login of user {arn}", login_profile, False),
        )

    def node_groups(self, cluster: str) -> list[LiveNodeGroup]:
        eks = self.client("eks")

        def read() -> list[LiveNodeGroup]:
            names = [
                n
                for page in eks.get_paginator("list_nodegroups").paginate(clusterName=cluster)
                for n in page["nodegroups"]
            ]
            groups = [eks.describe_nodegroup(clusterName=cluster, nodegroupName=n)["nodegroup"] for n in names]
            return [
                LiveNodeGroup(g["nodegroupArn"], cluster, g["nodegroupName"], g.get("releaseVersion")) for g in groups
            ]

        return self.attempt(f"node groups of cluster {cluster}", read, [])

    def associations(self, cluster: str) -> list[LiveAssociation]:
        eks = self.client("eks")

        def read() -> list[LiveAssociation]:
            found = []
            for page in eks.get_paginator("list_pod_identity_associations").paginate(clusterName=cluster):
                for summary in page["associations"]:
                    detail = eks.describe_pod_identity_association(
                        clusterName=cluster, associationId=summary["associationId"]
                    )["association"]
                    found.append(
                        LiveAssociation(
                            detail["associationArn"],
                            cluster,
                            detail["namespace"],
                            detail["serviceAccount"],
                            detail["roleArn"],
                        )
                    )
            return found

        return self.attempt(f"Pod Identity associations of cluster {cluster}", read, [])

    def access_entries(self, cluster: str) -> list[LiveAccessEntry]:
        eks = self.client("eks")

        def read() -> list[LiveAccessEntry]:
            principals = [
                p
                for page in eks.get_paginator("list_access_entries").paginate(clusterName=cluster)
                for p in page["accessEntries"]
            ]
            entries = (
                eks.describe_access_entry(clusterName=cluster, principalArn=p)["accessEntry"] for p in principals
            )
            return [
                LiveAccessEntry(e["accessEntryArn"], cluster, e["principalArn"], e.get("type", "")) for e in entries
            ]

        return self.attempt(f"access entries of cluster {cluster}", read, [])
