"""The EKS API endpoint is private, or public only to listed CIDRs that do not reach the internet: neither
0.0.0.0/0 or ::/0 nor the internet in pieces (0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1, a public /8's worth of
smaller ranges); nhi_rules.lib.addresses compares the union of the ranges with the forbidden set."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.addresses import LIMIT, listed, openings
from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import as_bool, get, items
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-cluster-disallow-public-endpoint"
CLUSTER = "aws:eks/cluster:Cluster"

MSG_PUBLIC_DEFAULT = (
    "vpcConfig.endpointPublicAccess is not set and EKS defaults it to true: set vpcConfig.endpointPublicAccess=false"
)
MSG_PUBLIC_FORBIDDEN = (
    "vpcConfig.endpointPublicAccess is true: set it to false "
    "(this environment's config does not allow a public endpoint, even with CIDRs)"
)
MSG_PUBLIC_UNRESTRICTED = (
    "vpcConfig.endpointPublicAccess is true and vpcConfig.publicAccessCidrs is empty, "
    "which EKS treats as 0.0.0.0/0: set endpointPublicAccess=false or list your CIDRs"
)
MSG_PUBLIC_WORLD = (
    "{path} is {cidr!r}, which reaches {reach}: "
    "remove it and list office or CI runner CIDRs, or set endpointPublicAccess=false"
)
MSG_PUBLIC_WORLD_TOGETHER = (
    "{paths} together reach {reach}, the internet in pieces ({limit}): "
    "list only office or CI runner CIDRs, or set endpointPublicAccess=false"
)
MSG_PRIVATE_OFF = (
    "vpcConfig.endpointPrivateAccess is not true: set vpcConfig.endpointPrivateAccess=true "
    "so nodes and pods reach the API inside the VPC"
)

CONFIG = {
    "allowPublicCidrs": {
        "type": "boolean",
        "default": False,
        "description": (
            "Allow a public endpoint restricted to explicit CIDRs (never 0.0.0.0/0, ::/0 or ranges that add up to "
            "the internet)."
        ),
    },
}


def check(subject: Subject) -> Iterator[str]:
    vpc = get(subject.props, "vpcConfig")
    public = as_bool(get(vpc, "endpointPublicAccess"))
    if public is None:
        yield MSG_PUBLIC_DEFAULT
    elif public:
        entries = [
            listed(f"vpcConfig.publicAccessCidrs[{index}]", cidr)
            for index, cidr in items(get(vpc, "publicAccessCidrs"))
            if isinstance(cidr, str)
        ]
        if not subject.config["allowPublicCidrs"]:
            yield MSG_PUBLIC_FORBIDDEN
        elif not entries:
            yield MSG_PUBLIC_UNRESTRICTED
        for opening in openings(entries):
            if opening.alone:
                yield MSG_PUBLIC_WORLD.format(path=opening.paths, cidr=opening.entries[0].text, reach=opening.reach)
            else:
                yield MSG_PUBLIC_WORLD_TOGETHER.format(paths=opening.paths, reach=opening.reach, limit=LIMIT)
    if as_bool(get(vpc, "endpointPrivateAccess")) is not True:
        yield MSG_PRIVATE_OFF


POLICY = resource_rule(
    name=NAME,
    description="EKS cluster API endpoints are private, or public only to explicit CIDRs (never the internet).",
    resource_types=(CLUSTER,),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("5.4.2", "Ensure clusters are created with Private Endpoint Enabled and Public Access Disabled"),
    tags=["aws", "eks", "network", "cis-eks:5.4.1", "cis-eks:5.4.2", "eks-bp:network"],
    remediation_steps=(
        "Set vpcConfig.endpointPrivateAccess=true and vpcConfig.endpointPublicAccess=false; if a "
        "public endpoint is unavoidable, list the exact CIDRs in vpcConfig.publicAccessCidrs (together fewer public "
        "addresses than a /8)."
    ),
    config=CONFIG,
)
