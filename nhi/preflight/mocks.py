"""Mock engine answers for the preflight: realistic computed outputs, or none (left unknown, as in a first
`pulumi preview`). Every value is derived from the resource's URN, so two runs of the same program and
config give the same capture, and a change shows only where the program changed."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pulumi

from .cloud import CloudContext, stable_hex, stable_uuid
from .lookups import LookupLog, LookupRefused

Outputs = dict[str, Any]
__all__ = ["CloudContext", "PreflightMocks", "stable_hex", "stable_uuid"]


def physical_name(args: pulumi.runtime.MockResourceArgs) -> str:
    """The name the provider would give: the `name` input, else the logical name plus a suffix (auto-naming)."""
    given = args.inputs.get("name")
    if isinstance(given, str) and given:
        return given
    return f"{args.name}-{stable_hex(args.name + args.typ, 7)}"


def _arn(ctx: CloudContext, service: str, resource: str, regional: bool = True) -> str:
    region = ctx.region if regional else ""
    return f"arn:{ctx.partition}:{service}:{region}:{ctx.account}:{resource}"


# Outputs by type token for the resources whose computed values programs commonly read.
def _eks_cluster(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
    oidc_id = stable_hex(f"oidc/{name}", 32).upper()
    return {
        "arn": _arn(ctx, "eks", f"cluster/{name}"),
        "endpoint": f"https://{stable_hex('endpoint/' + name, 32).upper()}.gr7.{ctx.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": base64.b64encode(f"mock-ca-{name}".encode()).decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{oidc_id}"}]}],
        "status": "ACTIVE",
        "clusterId": stable_uuid(f"cluster/{name}"),
        "platformVersion": "eks.1",
    }


def _iam_role(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
    path = args.inputs.get("path") or "/"
    return {
        "arn": f"arn:{ctx.partition}:iam::{ctx.account}:role{path}{name}",
        "uniqueId": "AROA" + stable_hex(name, 17).upper(),
        "createDate": "2026-01-01T00:00:00Z",
    }


def _iam_policy(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
    path = args.inputs.get("path") or "/"
    return {
        "arn": f"arn:{ctx.partition}:iam::{ctx.account}:policy{path}{name}",
        "policyId": "ANPA" + stable_hex(name, 17).upper(),
    }


def _oidc_provider(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
    url = str(args.inputs.get("url") or f"oidc.example/{name}").removeprefix("https://")
    return {"arn": f"arn:{ctx.partition}:iam::{ctx.account}:oidc-provider/{url}"}


def _kms_key(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
    key_id = stable_uuid(f"kms/{args.name}")
    return {"arn": _arn(ctx, "kms", f"key/{key_id}"), "keyId": key_id}


def _ecr_repository(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
    return {
        "arn": _arn(ctx, "ecr", f"repository/{name}"),
        "registryId": ctx.account,
        "repositoryUrl": f"{ctx.account}.dkr.ecr.{ctx.region}.amazonaws.com/{name}",
    }


def _log_group(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
    return {"arn": _arn(ctx, "logs", f"log-group:{name}")}


def _ec2(prefix: str) -> Callable[[CloudContext, pulumi.runtime.MockResourceArgs, str], Outputs]:
    def outputs(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
        ec2_id = f"{prefix}-{stable_hex(args.name + args.typ, 17)}"
        return {"id": ec2_id, "arn": _arn(ctx, "ec2", f"{prefix.replace('-', '')}/{ec2_id}"), "ownerId": ctx.account}

    return outputs


def _launch_template(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
    # A new template starts at version 1; node groups pin `latestVersion`.
    return {**_ec2("lt")(ctx, args, name), "latestVersion": 1, "defaultVersion": 1}


TYPE_OUTPUTS: dict[str, Callable[[CloudContext, pulumi.runtime.MockResourceArgs, str], Outputs]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/policy:Policy": _iam_policy,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:kms/key:Key": _kms_key,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ec2/vpc:Vpc": _ec2("vpc"),
    "aws:ec2/subnet:Subnet": _ec2("subnet"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg"),
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw"),
    "aws:ec2/natGateway:NatGateway": _ec2("nat"),
    "aws:ec2/eip:Eip": _ec2("eipalloc"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb"),
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:ec2/flowLog:FlowLog": _ec2("fl"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _ec2("vpce"),
}


def _generic(ctx: CloudContext, args: pulumi.runtime.MockResourceArgs, name: str) -> Outputs:
    package, _, rest = args.typ.partition(":")
    if package != "aws":
        return {}
    service = rest.split("/")[0]
    kind = rest.split(":")[-1].lower()
    return {"arn": _arn(ctx, service, f"{kind}/{name}")}


def resource_id(args: pulumi.runtime.MockResourceArgs) -> str:
    if args.typ.startswith("kubernetes:"):
        metadata = args.inputs.get("metadata") or {}
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        name = name or f"{args.name}-{stable_hex(args.name + args.typ, 8)}"
        return f"{namespace}/{name}" if namespace else name
    if args.typ.startswith("pulumi:providers:"):
        return stable_uuid(f"provider/{args.name}")
    return f"{args.name}-{stable_hex(args.name + args.typ, 8)}"


class PreflightMocks(pulumi.runtime.Mocks):
    """Answers the SDK's mock monitor. `unknowns=True` returns only the inputs, so that every computed
    output (ARNs, endpoints, IDs) stays unknown, as in a first preview."""

    def __init__(self, ctx: CloudContext, unknowns: bool) -> None:
        self.ctx = ctx
        self.unknowns = unknowns
        self.lookups = LookupLog()

    @property
    def unanswered_calls(self) -> set[str]:
        """The lookups (invoke tokens) that got no offline answer: they returned `{}`."""
        return set(self.lookups.unanswered())

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if self.unknowns:
            return None, dict(args.inputs)
        name = physical_name(args)
        computed = TYPE_OUTPUTS.get(args.typ, _generic)(self.ctx, args, name)
        state = {**args.inputs, **computed}
        if args.typ in _AUTO_NAMED:
            state.setdefault("name", name)
        return computed.get("id") or resource_id(args), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        try:
            return self.lookups.answer(self.ctx, args.token, args.args), []
        except LookupRefused as refused:
            # A failure the SDK raises in the program, as it does for a provider's CheckFailure.
            return {}, [(refused.argument, refused.reason)]


# Types whose `name` output is the auto-generated physical name when the program gives none.
_AUTO_NAMED = frozenset(
    {
        "aws:eks/cluster:Cluster",
        "aws:iam/role:Role",
        "aws:iam/policy:Policy",
        "aws:ecr/repository:Repository",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ec2/launchTemplate:LaunchTemplate",
    }
)
