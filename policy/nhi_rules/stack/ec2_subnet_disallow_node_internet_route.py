"""The subnets that run Kubernetes nodes have no route to the internet. A node that pulls its images from ECR and
reaches AWS through VPC endpoints needs no NAT or internet gateway; a route there is an egress path nobody declared,
open to every pod the node runs (NetworkPolicies are the only other fence). A subnet whose flows really need the
internet declares it with this rule's exemption tag and its reason, where the environment allows exemptions
(prod does not).

Nodes are found through the node groups' `subnetIds`; a subnet's route tables through its RouteTableAssociations;
routes as `aws:ec2/Route` resources and as a route table's inline `routes`. A route to a NAT gateway, an internet
gateway or an egress-only internet gateway is an internet route whatever its destination. Links go through the
engine's property dependencies first, then by id; values unknown during preview are left out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.links import Linker
from nhi_rules.lib.props import as_str, get, maps
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import by_type, known, known_at

NAME = "ec2-subnet-disallow-node-internet-route"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
EGRESS_ONLY_GATEWAY = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
DESTINATIONS = (
    "destinationCidrBlock",
    "destinationIpv6CidrBlock",
    "destinationPrefixListId",
    "cidrBlock",
    "ipv6CidrBlock",
)

MSG_NODE_INTERNET_ROUTE = (
    "subnet {subnet} runs the nodes of {group}, and route table {table} sends {destination} to {target}: remove the "
    "route (nodes pull from ECR and reach AWS through VPC endpoints), or declare the flow that needs it with the "
    "exemption tag exempt.policy.nhi-platform.io/" + NAME + " on the subnet and its reason"
)


def _target(route: PolicyResource | None, props: Any, gateways: Linker, prefix: str) -> str | None:
    """What an internet route points at (`natGatewayId nat-...`), or None when it points elsewhere. A separate
    route links its gateway by dependency or id; an inline route by id (or an `igw-` id)."""
    for key in ("natGatewayId", "egressOnlyGatewayId", "gatewayId"):
        value = known_at(as_str, props, key)
        linked = gateways.named_by(route, key) if route is not None else []
        if linked or (value and (key != "gatewayId" or value.startswith("igw-"))):
            return f"{prefix}{key} {value or linked[0].name}"
    return None


def _destination(props: Any) -> str:
    for key in DESTINATIONS:
        value = known_at(as_str, props, key)
        if value:
            return value
    return "traffic"


def _internet_routes(
    table: PolicyResource, routes: Sequence[PolicyResource], gateways: Linker
) -> Iterator[tuple[str, str]]:
    """(destination, target) of each internet route of a table, inline or separate."""
    for index, inline in known(lambda: list(maps(get(table.props, "routes")))) or []:
        target = _target(None, inline, gateways, f"routes[{index}].")
        if target:
            yield _destination(inline), target
    for route in routes:
        target = _target(route, route.props, gateways, "")
        if target:
            yield _destination(route.props), f"{target} (route {route.name})"


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    subnets = Linker(index.get(SUBNET, []))
    tables = Linker(index.get(ROUTE_TABLE, []))
    gateways = Linker(
        [*index.get(INTERNET_GATEWAY, []), *index.get(EGRESS_ONLY_GATEWAY, []), *index.get(NAT_GATEWAY, [])]
    )
    node_subnets: dict[str, str] = {}
    for group in index.get(NODE_GROUP, []):
        label = repr(known_at(as_str, group.props, "nodeGroupName") or group.name)
        for subnet in subnets.named_by(group, "subnetIds"):
            node_subnets.setdefault(subnet.urn, label)
    tables_of: dict[str, list[PolicyResource]] = {}
    for association in index.get(ASSOCIATION, []):
        for subnet in subnets.named_by(association, "subnetId"):
            tables_of.setdefault(subnet.urn, []).extend(tables.named_by(association, "routeTableId"))
    routes_of: dict[str, list[PolicyResource]] = {}
    for route in index.get(ROUTE, []):
        for table in tables.named_by(route, "routeTableId"):
            routes_of.setdefault(table.urn, []).append(route)
    for urn, nodes in node_subnets.items():
        subnet = subnets.by_urn[urn]
        for table in dict.fromkeys(tables_of.get(urn, [])):
            for destination, target in _internet_routes(table, routes_of.get(table.urn, []), gateways):
                message = MSG_NODE_INTERNET_ROUTE.format(
                    subnet=subnet.name, group=nodes, table=table.name, destination=destination, target=target
                )
                yield message, urn


POLICY = stack_rule(
    name=NAME,
    description="Subnets that run Kubernetes nodes have no route to the internet (no NAT, internet or egress-only "
    "gateway) unless a declared flow needs one.",
    resource_types=(NODE_GROUP, SUBNET, ASSOCIATION, ROUTE_TABLE, ROUTE),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("5.4.3", "Ensure clusters are created with Private Nodes"),
    tags=["aws", "ec2", "network", "eks", "stack", "cis-eks:5.4.3"],
    remediation_steps=(
        "Remove the node subnets' routes to NAT and internet gateways; give the nodes VPC endpoints (ECR api and "
        "dkr, S3, STS, EC2, EKS, EKS Auth, Logs, and the services the workloads call) instead. A subnet whose flows "
        "need the internet carries the rule's exemption tag with the reason."
    ),
)
