"""Deterministic stand-ins for the data sources programs commonly read (AMIs, zones, VPCs, subnets, caller
identity, availability zones, ECR and EKS tokens), and the lookups computed from the stack's own config
(region, partition).

A stand-in is invented: its values have the shape the provider returns (the output names of pulumi-aws's
`Get...Result`), derived from the lookup's arguments so that two runs agree, and marked so that a reader can
tell them from real ones: identifiers carry `STAND_IN_HEX_MARK` after their prefix (`ami-0000...`), host names
end in `.invalid` (RFC 2606: never a real name), and tokens and passwords say what they are in plain words
instead of looking like a secret."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from ..cloud import CloudContext, partition_of, stable_hex

STAND_IN_HEX_MARK = "0000"
NOT_A_CREDENTIAL = "preflight-stand-in-not-a-real-token"
STAND_IN_EXPIRY = "2099-01-01T00:00:00Z"
STAND_IN_CIDR = "10.0.0.0/16"

Answer = Callable[[CloudContext, dict[str, Any]], dict[str, Any]]


def _seed(token: str, args: dict[str, Any]) -> str:
    return token + json.dumps(args, sort_keys=True, default=str)


def stand_in_id(prefix: str, seed: str, length: int = 17) -> str:
    """An EC2-shaped identifier (`ami-0000…`, `vpc-0000…`) whose leading zeros mark it as invented."""
    return f"{prefix}-{STAND_IN_HEX_MARK}{stable_hex(seed, length - len(STAND_IN_HEX_MARK))}"


def _filter_value(args: dict[str, Any], name: str) -> str | None:
    for item in args.get("filters") or []:
        if isinstance(item, dict) and item.get("name") == name and item.get("values"):
            return str(item["values"][0])
    return None


def region_code(region: str) -> str:
    """The availability-zone ID prefix of a region (`us-east-1` -> `use1`, `ap-southeast-2` -> `apse2`):
    the area, then the initial of each direction word, then the number."""
    parts = region.split("-")
    if len(parts) < 3:
        return region.replace("-", "")
    area, number, middle = parts[0], parts[-1], parts[1:-1]
    initials = "".join(word[0] for part in middle for word in _direction_words(part))
    return f"{area}{initials}{number}"


def _direction_words(part: str) -> list[str]:
    for direction in ("north", "south"):
        if part.startswith(direction) and part != direction:
            return [direction, part[len(direction) :]]
    return [part]


# Computed from the stack's config: what the provider answers, not invented.
def region(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("region") or args.get("name") or ctx.region)
    suffix = partition_of(name)[1]
    return {"name": name, "region": name, "id": name, "endpoint": f"ec2.{name}.{suffix}", "description": name}


def partition(ctx: CloudContext, _: dict[str, Any]) -> dict[str, Any]:
    name, suffix = ctx.partition, ctx.dns_suffix
    return {
        "partition": name,
        "dnsSuffix": suffix,
        "id": name,
        "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
    }


# Stand-ins: invented, marked.
def caller_identity(ctx: CloudContext, _: dict[str, Any]) -> dict[str, Any]:
    return {
        "accountId": ctx.account,
        "arn": f"arn:{ctx.partition}:iam::{ctx.account}:role/preflight-stand-in",
        "userId": "AROA" + STAND_IN_HEX_MARK + "PREFLIGHTSTANDIN",
        "id": ctx.account,
    }


def availability_zones(ctx: CloudContext, _: dict[str, Any]) -> dict[str, Any]:
    letters = "abcdef"
    return {
        "names": [f"{ctx.region}{x}" for x in letters],
        "zoneIds": [f"{region_code(ctx.region)}-az{i + 1}" for i in range(len(letters))],
        "id": ctx.region,
        "groupNames": [ctx.region] * len(letters),
    }


def ami(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    image_id = stand_in_id("ami", _seed("ami", args))
    owners = [str(o) for o in args.get("owners") or []]
    owner = next((o for o in owners if o.isdigit()), ctx.account)
    name = (_filter_value(args, "name") or "preflight-stand-in-image").replace("*", "stand-in")
    return {
        **args,
        "id": image_id,
        "imageId": image_id,
        "arn": f"arn:{ctx.partition}:ec2:{ctx.region}::image/{image_id}",
        "name": name,
        "description": "preflight stand-in: no image was looked up",
        "ownerId": owner,
        "architecture": _filter_value(args, "architecture") or "x86_64",
        "imageType": "machine",
        "platformDetails": "Linux/UNIX",
        "rootDeviceName": "/dev/xvda",
        "rootDeviceType": "ebs",
        "virtualizationType": "hvm",
        "state": "available",
        "public": False,
    }


def ami_ids(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    return {**args, "id": ctx.region, "ids": [ami(ctx, args)["id"]]}


# AWS publishes its images' IDs as public SSM parameters under /aws/service/ (EKS, Bottlerocket, Amazon Linux).
PUBLIC_IMAGE_PARAMETER_PREFIX = "/aws/service/"


def is_public_image_parameter(name: str) -> bool:
    """`/aws/service/eks/optimized-ami/<v>/<os>/recommended/image_id`, `/aws/service/ami-amazon-linux-latest/…`,
    `/aws/service/canonical/…/ami-id`: the parameters whose value is an image ID."""
    if not name.startswith(PUBLIC_IMAGE_PARAMETER_PREFIX):
        return False
    segments = name.removeprefix(PUBLIC_IMAGE_PARAMETER_PREFIX).split("/")
    return segments[-1] in ("image_id", "ami-id") or segments[0].startswith("ami-")


def image_parameter(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("name"))
    value = stand_in_id("ami", _seed("ssm", {"name": name}))
    return {
        **args,
        "id": name,
        "name": name,
        "arn": f"arn:{ctx.partition}:ssm:{ctx.region}::parameter{name}",
        "type": "String",
        "value": value,
        "insecureValue": value,
        "version": 1,
        "withDecryption": bool(args.get("withDecryption", True)),
    }


def route53_zone(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    zone_id = str(args.get("zoneId") or "Z" + STAND_IN_HEX_MARK + stable_hex(_seed("zone", args), 16).upper())
    name = str(args.get("name") or f"zone-{zone_id.lower()}.invalid").rstrip(".").lower()
    return {
        **args,
        "id": zone_id,
        "zoneId": zone_id,
        "name": name,
        "arn": f"arn:{ctx.partition}:route53:::hostedzone/{zone_id}",
        "privateZone": bool(args.get("privateZone", False)),
        "comment": "preflight stand-in",
        "callerReference": "preflight-stand-in",
        "nameServers": [f"ns-{i}.preflight-stand-in.invalid" for i in range(1, 5)],
        "primaryNameServer": "ns-1.preflight-stand-in.invalid",
        "resourceRecordSetCount": 2,
        "linkedServiceDescription": "",
        "linkedServicePrincipal": "",
        "tags": args.get("tags") or {},
    }


def vpc(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    vpc_id = str(args.get("id") or _filter_value(args, "vpc-id") or stand_in_id("vpc", _seed("vpc", args)))
    cidr = str(args.get("cidrBlock") or _filter_value(args, "cidr") or STAND_IN_CIDR)
    return {
        **args,
        "id": vpc_id,
        "arn": f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account}:vpc/{vpc_id}",
        "cidrBlock": cidr,
        "cidrBlockAssociations": [
            {"associationId": stand_in_id("vpc-cidr-assoc", vpc_id), "cidrBlock": cidr, "state": "associated"}
        ],
        "default": bool(args.get("default", False)),
        "dhcpOptionsId": stand_in_id("dopt", vpc_id),
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "enableNetworkAddressUsageMetrics": False,
        "instanceTenancy": "default",
        "ipv6AssociationId": "",
        "ipv6CidrBlock": "",
        "mainRouteTableId": stand_in_id("rtb", vpc_id),
        "ownerId": ctx.account,
        "state": "available",
        "tags": args.get("tags") or {},
    }


SUBNETS_PER_LOOKUP = 3


def subnets(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    seed = _seed("subnets", args)
    return {**args, "id": ctx.region, "ids": [stand_in_id("subnet", f"{seed}/{i}") for i in range(SUBNETS_PER_LOOKUP)]}


def subnet(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    subnet_id = str(args.get("id") or _filter_value(args, "subnet-id") or stand_in_id("subnet", _seed("subnet", args)))
    vpc_id = str(args.get("vpcId") or _filter_value(args, "vpc-id") or stand_in_id("vpc", _seed("vpc", {})))
    zone = str(args.get("availabilityZone") or _filter_value(args, "availability-zone") or f"{ctx.region}a")
    return {
        **args,
        "id": subnet_id,
        "arn": f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account}:subnet/{subnet_id}",
        "vpcId": vpc_id,
        "cidrBlock": str(args.get("cidrBlock") or "10.0.0.0/24"),
        "availabilityZone": zone,
        "availabilityZoneId": f"{region_code(ctx.region)}-az1",
        "availableIpAddressCount": 251,
        "defaultForAz": bool(args.get("defaultForAz", False)),
        "mapPublicIpOnLaunch": False,
        "assignIpv6AddressOnCreation": False,
        "ownerId": ctx.account,
        "state": "available",
        "tags": args.get("tags") or {},
    }


def ecr_authorization_token(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    registry = str(args.get("registryId") or ctx.account)
    suffix = ctx.dns_suffix
    return {
        **args,
        "id": ctx.region,
        "registryId": registry,
        "userName": "AWS",
        "password": NOT_A_CREDENTIAL,
        "authorizationToken": base64.b64encode(f"AWS:{NOT_A_CREDENTIAL}".encode()).decode(),
        "proxyEndpoint": f"https://{registry}.dkr.ecr.{ctx.region}.{suffix}",
        "expiresAt": STAND_IN_EXPIRY,
    }


def eks_cluster_auth(ctx: CloudContext, args: dict[str, Any]) -> dict[str, Any]:
    return {**args, "id": str(args.get("name") or ""), "token": NOT_A_CREDENTIAL}
