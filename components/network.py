"""The cluster's VPC: private subnets for nodes (one per AZ), small public subnets that hold only the NAT
gateways, flow logs to an encrypted log group, and a default security group with no rules."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

import pulumi
import pulumi_aws as aws

from .policy_documents import document, service_trust

FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
"""VPC Flow Logs: the flow-log role trusts it (and the pipeline may pass the role to it)."""


class FlowLogTraffic(str, Enum):
    """What the VPC flow logs record; there is no "off"."""

    ALL = "ALL"
    REJECT = "REJECT"


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    cidr: str
    """The VPC's private IPv4 range, /16 to /20."""
    availability_zone_count: int
    """How many AZs to span (2 to 6); one private subnet, public subnet and NAT gateway in each."""
    cluster_name: str
    """The EKS cluster that will use the subnets (subnet tags for load balancers, log group name)."""
    account_id: str
    """The account, for the flow-log role's confused-deputy condition."""
    region: str
    """The region, for the same condition."""
    log_key_arn: pulumi.Input[str]
    """KMS key (use: logs) that encrypts the flow-log group."""
    log_retention_days: int
    """Retention of the flow logs."""
    partition: str = "aws"
    """The AWS partition."""
    flow_log_traffic: FlowLogTraffic = FlowLogTraffic.ALL
    """Which traffic the flow logs record: accepted and rejected (default), or rejected only."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every resource."""

    def __post_init__(self) -> None:
        network = ipaddress.ip_network(self.cidr)
        if network.version != 4 or not 16 <= network.prefixlen <= 20:
            raise ValueError(f"cidr must be an IPv4 /16 to /20, got {self.cidr!r}")
        if not 2 <= self.availability_zone_count <= 6:
            raise ValueError(
                f"availability_zone_count must be 2..6 (a cluster spans at least two AZs), "
                f"got {self.availability_zone_count}"
            )


def subnet_plan(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """(private, public) CIDRs: the VPC in eighths, private subnets in the first `zones` eighths (room for
    pod IPs with the VPC CNI), public subnets carved small from the last eighth (they hold NAT gateways only)."""
    vpc = ipaddress.IPv4Network(cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    private = [str(n) for n in eighths[:zones]]
    public = [str(n) for n in list(eighths[-1].subnets(prefixlen_diff=3))[:zones]]
    return private, public


class Network(pulumi.ComponentResource):
    """VPC, subnets, routes, NAT and flow logs for one cluster."""

    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # nodes resolve the private API endpoint through the VPC
            tags={**tags, "Name": f"{name}-vpc"},
            opts=child,
        )
        # Adopting the default security group strips its rules: nothing may use it by accident.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={**tags, "Name": f"{name}-default-deny"},
            opts=child,
        )

        zones = aws.get_availability_zones_output(
            state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
        )
        gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-igw"}, opts=child
        )
        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-public"}, opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default-route",
            route_table_id=public_routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
            opts=child,
        )

        private_cidrs, public_cidrs = subnet_plan(args.cidr, args.availability_zone_count)
        self.private_subnet_ids, self.public_subnet_ids = [], []

        def zone_name(index: int) -> pulumi.Output[str]:
            return zones.names.apply(lambda names: names[index])

        for index, (private_cidr, public_cidr) in enumerate(zip(private_cidrs, public_cidrs, strict=True)):
            zone = zone_name(index)
            suffix = f"az{index + 1}"
            public = aws.ec2.Subnet(
                f"{name}-public-{suffix}",
                vpc_id=vpc.id,
                cidr_block=public_cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,  # only NAT gateways live here, with their own Elastic IPs
                tags={**tags, "Name": f"{name}-public-{suffix}", "kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{suffix}-rta", subnet_id=public.id, route_table_id=public_routes.id, opts=child
            )
            address = aws.ec2.Eip(
                f"{name}-nat-{suffix}-eip", domain="vpc", tags={**tags, "Name": f"{name}-nat-{suffix}"}, opts=child
            )
            # One NAT gateway per AZ: losing an AZ never cuts the others' egress.
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{suffix}",
                subnet_id=public.id,
                allocation_id=address.id,
                tags={**tags, "Name": f"{name}-nat-{suffix}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{suffix}",
                vpc_id=vpc.id,
                cidr_block=private_cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={
                    **tags,
                    "Name": f"{name}-private-{suffix}",
                    "kubernetes.io/role/internal-elb": "1",
                    f"kubernetes.io/cluster/{args.cluster_name}": "shared",
                },
                opts=child,
            )
            routes = aws.ec2.RouteTable(
                f"{name}-private-{suffix}-rt",
                vpc_id=vpc.id,
                tags={**tags, "Name": f"{name}-private-{suffix}"},
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-private-{suffix}-default-route",
                route_table_id=routes.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{suffix}-rta", subnet_id=private.id, route_table_id=routes.id, opts=child
            )
            self.private_subnet_ids.append(private.id)
            self.public_subnet_ids.append(public.id)

        self._flow_logs(name, args, vpc, tags)
        self.vpc_id = vpc.id
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )

    def _flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc, tags: dict[str, str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        group_name = f"/aws/vpc/{args.cluster_name}/flow-logs"
        group_arn = f"arn:{args.partition}:logs:{args.region}:{args.account_id}:log-group:{group_name}"
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key_arn,
            tags=tags,
            opts=child,
        )
        source_arn = f"arn:{args.partition}:ec2:{args.region}:{args.account_id}:vpc-flow-log/*"
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=service_trust(
                FLOW_LOGS_SERVICE,
                conditions={
                    "StringEquals": {"aws:SourceAccount": args.account_id},
                    "ArnLike": {"aws:SourceArn": source_arn},
                },
            ),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=role.id,
            # Streams are written under the group (log-stream ARNs); only the describe call takes the group.
            # The group's ARN is fixed by its name, so the document is known in a first preview.
            policy=document(
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": [f"{group_arn}:log-stream:*"],
                },
                {"Effect": "Allow", "Action": ["logs:DescribeLogStreams"], "Resource": [group_arn]},
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type=args.flow_log_traffic.value,
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=tags,
            opts=child,
        )
