"""The VPC as captured for every stack: one private and one public subnet and NAT gateway per AZ, flow
logs to an encrypted group, a default security group without rules."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable

import pytest

import settings
from components.network import NetworkArgs, subnet_plan
from nhi.preflight.capture import Capture, CapturedResource
from settings.model import RUNNER
from tests.components.cluster_queries import KEY, LOG_GROUP, ROLE, by_output, one


def test_subnets_and_nat_gateways_per_availability_zone(
    declared: settings.StackSettings, stack: str, capture: Capture
) -> None:
    zones = declared.availability_zone_count
    assert zones == (3 if stack == "prod" else 2)
    subnets = capture.of_type("aws:ec2/subnet:Subnet")
    private = [s for s in subnets if "-private-" in s.name]
    public = [s for s in subnets if "-public-" in s.name]
    runner = [s for s in subnets if "-runner-" in s.name]
    assert declared.runner is not None  # every sample stack deploys through its in-VPC runner
    nats = capture.of_type("aws:ec2/natGateway:NatGateway")
    assert len(private) == len(public) == len(runner) == len(nats) == zones
    assert len({s.inputs["availabilityZone"] for s in private}) == zones
    vpc = ipaddress.IPv4Network(declared.cluster.vpc_cidr)
    assert all(ipaddress.IPv4Network(s.inputs["cidrBlock"]).subnet_of(vpc) for s in subnets)
    networks = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])
    assert not any(s.inputs["mapPublicIpOnLaunch"] for s in subnets)
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)
    assert not any("kubernetes.io/role/elb" in s.inputs["tags"] for s in subnets)  # no public load balancer


def routes_of_subnets(capture: Capture, kind: str) -> list[CapturedResource]:
    """The routes of the route tables associated with the subnets named `-<kind>-`."""
    subnet_ids = {s.outputs["id"] for s in capture.of_type("aws:ec2/subnet:Subnet") if f"-{kind}-" in s.name}
    tables = {
        a.inputs["routeTableId"]
        for a in capture.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if a.inputs["subnetId"] in subnet_ids
    }
    assert tables, kind
    return [r for r in capture.of_type("aws:ec2/route:Route") if r.inputs["routeTableId"] in tables]


def test_node_subnets_have_no_route_out_of_the_vpc(capture: Capture) -> None:
    """Computed from the associations: no route at all in a node subnet's table (the VPC's local route is
    implicit), so neither NAT nor internet gateway; gateway endpoints add only AWS prefix lists."""
    assert routes_of_subnets(capture, "private") == []


def test_only_the_runner_subnets_route_out_each_through_its_own_nat(capture: Capture) -> None:
    routes = routes_of_subnets(capture, "runner")
    nats = {n.outputs["id"] for n in capture.of_type("aws:ec2/natGateway:NatGateway")}
    assert {r.inputs["natGatewayId"] for r in routes} == nats and len(routes) == len(nats)
    assert not any("gatewayId" in r.inputs for r in routes)  # no runner subnet reaches the internet gateway
    assert {r.inputs["destinationCidrBlock"] for r in routes} == {"0.0.0.0/0"}


def test_without_a_runner_nothing_in_the_vpc_reaches_the_internet(capture_config: Callable[..., Capture]) -> None:
    capture = capture_config("dev", lambda config: config.pop(RUNNER))
    for kind in ("aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip"):
        assert capture.of_type(kind) == [], kind
    assert capture.of_type("aws:ec2/route:Route") == []
    assert capture.of_type("aws:codebuild/project:Project") == []


def test_the_default_security_group_has_no_rules(capture: Capture) -> None:
    group = one(capture, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert group.inputs["ingress"] == [] and group.inputs["egress"] == []


def test_flow_logs_go_to_an_encrypted_group_with_retention(declared: settings.StackSettings, capture: Capture) -> None:
    flow_log = one(capture, "aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["vpcId"] == one(capture, "aws:ec2/vpc:Vpc").outputs["id"]
    group = by_output(capture, LOG_GROUP, "arn", flow_log.inputs["logDestination"])
    assert group.inputs["retentionInDays"] == declared.log_retention_days
    assert by_output(capture, KEY, "arn", group.inputs["kmsKeyId"]).inputs["tags"]["nhi-platform/key-use"] == "logs"
    role = by_output(capture, ROLE, "arn", flow_log.inputs["iamRoleArn"])
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": declared.account_id}


def test_subnet_plan_fits_six_zones_in_the_smallest_vpc() -> None:
    private, public = subnet_plan("10.0.0.0/20", 6)
    networks = [ipaddress.IPv4Network(c) for c in private + public]
    assert all(a == b or not a.overlaps(b) for a in networks for b in networks)
    assert all(n.subnet_of(ipaddress.IPv4Network("10.0.0.0/20")) for n in networks)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"availability_zone_count": 1}, "at least two AZs"),
        ({"cidr": "10.0.0.0/24"}, "/16 to /20"),
    ],
)
def test_network_args_refuse_unsafe_shapes(change: dict, message: str) -> None:
    base = {
        "cidr": "10.0.0.0/16",
        "availability_zone_count": 2,
        "cluster_name": "c",
        "account_id": "123456789012",
        "region": "eu-west-1",
        "log_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/x",
        "log_retention_days": 90,
    }
    with pytest.raises(ValueError, match=message):
        NetworkArgs(**{**base, **change})
