"""The EKS API endpoint is private, or public only to listed CIDRs that are not the whole internet."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.network import is_world
from nhi_rules.lib.props import as_bool, get, strings
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
    "vpcConfig.publicAccessCidrs[{index}] is {cidr!r}, the whole internet: "
    "remove it and list office or CI runner CIDRs, or set endpointPublicAccess=false"
)
MSG_PRIVATE_OFF = (
    "vpcConfig.endpointPrivateAccess is not true: set vpcConfig.endpointPrivateAccess=true "
    "so nodes and pods reach the API inside the VPC"
)

CONFIG = {
    "allowPublicCidrs": {
        "type": "boolean",
        "default": False,
        "description": "Allow a public endpoint restricted to explicit CIDRs (never 0.0.0.0/0 or ::/0).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    vpc = get(subject.props, "vpcConfig")
    public = as_bool(get(vpc, "endpointPublicAccess"))
    if public is None:
        yield MSG_PUBLIC_DEFAULT
    elif public:
        cidrs = strings(get(vpc, "publicAccessCidrs"))
        if not subject.config["allowPublicCidrs"]:
            yield MSG_PUBLIC_FORBIDDEN
        elif not cidrs:
            yield MSG_PUBLIC_UNRESTRICTED
        for index, cidr in enumerate(cidrs):
            if is_world(cidr):
                yield MSG_PUBLIC_WORLD.format(index=index, cidr=cidr)
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
        "public endpoint is unavoidable, list the exact CIDRs in vpcConfig.publicAccessCidrs."
    ),
    config=CONFIG,
)
