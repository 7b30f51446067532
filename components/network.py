"""The cluster's VPC: private node subnets (one per AZ) with no route to the internet, VPC endpoints for every AWS
service the nodes, the Pod Identity agent, the workloads' declared access and the deployment runner call (each with a
data-perimeter policy), a security group for the private API endpoint that admits nothing by itself, and, only when
the stack declares an in-VPC deployment runner, runner subnets whose default route goes through a NAT gateway in a
small public subnet (the runner fetches its job from GitHub and its tools from package registries). Flow logs go
to an encrypted log group; the default security group has no rules."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

import pulumi
import pulumi_aws as aws

from .endpoint_policies import BASE_GATEWAY_SERVICES, BASE_INTERFACE_SERVICES, GATEWAY_SERVICES, endpoint_policy
from .policy_documents import document, service_trust

FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
"""VPC Flow Logs: the flow-log role trusts it (and the pipeline may pass the role to it)."""


HTTPS = 443


class InternetEgress(str, Enum):
    """Which subnets have a route to the internet. Node subnets never do: every image comes from ECR and every AWS
    call goes through a VPC endpoint."""

    NONE = "none"
    """No internet gateway, no NAT gateway, no route out of the VPC."""
    RUNNER_SUBNETS = "runner-subnets"
    """Only the deployment runner's subnets route to the internet, through a NAT gateway per AZ."""


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
    internet_egress: InternetEgress = InternetEgress.NONE
    """Which subnets reach the internet: none (default), or the deployment runner's only."""
    endpoint_services: Sequence[str] = ()
    """AWS services the workloads call (their declared access: `sqs`, `secretsmanager`, `dynamodb`...), reached
    through VPC endpoints besides the base set (ECR api and dkr, S3, STS, CloudWatch Logs, EC2, EKS, EKS Auth)."""
    image_registry_accounts: Sequence[str] = ()
    """AWS-owned registry accounts, besides the EKS add-on registry of the region, whose images the nodes pull (the
    GuardDuty agent's, for example); the ECR endpoints admit pulls from them and from this account only."""
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


def runner_subnet_plan(cidr: str, zones: int) -> list[str]:
    """The runner subnets' CIDRs: small ones carved from the seventh eighth, which node subnets (at most six
    eighths) never use; a runner holds one address per running job."""
    seventh = list(ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=3))[6]
    return [str(n) for n in list(seventh.subnets(prefixlen_diff=3))[:zones]]


def endpoint_services(extra: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(interface, gateway) endpoint services: the base set and the workloads' services, each once, sorted."""
    wanted = {*BASE_INTERFACE_SERVICES, *BASE_GATEWAY_SERVICES, *extra}
    return tuple(sorted(wanted - GATEWAY_SERVICES)), tuple(sorted(wanted & GATEWAY_SERVICES))


class Network(pulumi.ComponentResource):
    """VPC, subnets, routes, NAT and flow logs for one cluster."""

    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    """The node subnets: no route to the internet."""
    public_subnet_ids: list[pulumi.Output[str]]
    """NAT gateways only; empty unless the runner subnets reach the internet."""
    runner_subnet_ids: list[pulumi.Output[str]]
    """The deployment runner's subnets; empty unless `internet_egress` is RUNNER_SUBNETS."""
    api_security_group_id: pulumi.Output[str]
    """Attached to the cluster's API endpoint; admits only the clients that add an ingress rule to it."""
    endpoint_security_group_id: pulumi.Output[str]

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

        def zone_name(index: int) -> pulumi.Output[str]:
            return zones.names.apply(lambda names: names[index])

        private_cidrs, public_cidrs = subnet_plan(args.cidr, args.availability_zone_count)
        self.private_subnet_ids, self.public_subnet_ids, self.runner_subnet_ids = [], [], []
        private_route_tables: list[pulumi.Output[str]] = []
        for index, private_cidr in enumerate(private_cidrs):
            suffix = f"az{index + 1}"
            private = aws.ec2.Subnet(
                f"{name}-private-{suffix}",
                vpc_id=vpc.id,
                cidr_block=private_cidr,
                availability_zone=zone_name(index),
                map_public_ip_on_launch=False,
                tags={
                    **tags,
                    "Name": f"{name}-private-{suffix}",
                    "kubernetes.io/role/internal-elb": "1",
                    f"kubernetes.io/cluster/{args.cluster_name}": "shared",
                },
                opts=child,
            )
            # No default route: nodes reach AWS through the endpoints below and nothing else outside the VPC.
            routes = aws.ec2.RouteTable(
                f"{name}-private-{suffix}-rt",
                vpc_id=vpc.id,
                tags={**tags, "Name": f"{name}-private-{suffix}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{suffix}-rta", subnet_id=private.id, route_table_id=routes.id, opts=child
            )
            self.private_subnet_ids.append(private.id)
            private_route_tables.append(routes.id)

        runner_route_tables: list[pulumi.Output[str]] = []
        if args.internet_egress is InternetEgress.RUNNER_SUBNETS:
            runner_route_tables = self._runner_subnets(name, args, vpc, public_cidrs, zone_name, tags)

        self.api_security_group_id, self.endpoint_security_group_id = self._endpoints(
            name, args, vpc, private_route_tables + runner_route_tables, tags
        )
        self._flow_logs(name, args, vpc, tags)
        self.vpc_id = vpc.id
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "runner_subnet_ids": self.runner_subnet_ids,
                "api_security_group_id": self.api_security_group_id,
                "endpoint_security_group_id": self.endpoint_security_group_id,
            }
        )

    def _runner_subnets(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        public_cidrs: list[str],
        zone_name: Callable[[int], pulumi.Output[str]],
        tags: dict[str, str],
    ) -> list[pulumi.Output[str]]:
        """Public subnets holding one NAT gateway per AZ, and the runner subnets that route out through them; returns
        the runner route tables (the gateway endpoints attach to them too)."""
        child = pulumi.ResourceOptions(parent=self)
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
        route_tables: list[pulumi.Output[str]] = []
        runner_cidrs = runner_subnet_plan(args.cidr, args.availability_zone_count)
        for index, (public_cidr, runner_cidr) in enumerate(zip(public_cidrs, runner_cidrs, strict=True)):
            suffix = f"az{index + 1}"
            public = aws.ec2.Subnet(
                f"{name}-public-{suffix}",
                vpc_id=vpc.id,
                cidr_block=public_cidr,
                availability_zone=zone_name(index),
                map_public_ip_on_launch=False,  # only NAT gateways live here, with their own Elastic IPs
                tags={**tags, "Name": f"{name}-public-{suffix}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{suffix}-rta", subnet_id=public.id, route_table_id=public_routes.id, opts=child
            )
            address = aws.ec2.Eip(
                f"{name}-nat-{suffix}-eip", domain="vpc", tags={**tags, "Name": f"{name}-nat-{suffix}"}, opts=child
            )
            # One NAT gateway per AZ: losing an AZ never cuts the others' runners.
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{suffix}",
                subnet_id=public.id,
                allocation_id=address.id,
                tags={**tags, "Name": f"{name}-nat-{suffix}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
            )
            runner = aws.ec2.Subnet(
                f"{name}-runner-{suffix}",
                vpc_id=vpc.id,
                cidr_block=runner_cidr,
                availability_zone=zone_name(index),
                map_public_ip_on_launch=False,
                tags={**tags, "Name": f"{name}-runner-{suffix}", "nhi-platform/subnet": "deployment-runner"},
                opts=child,
            )
            routes = aws.ec2.RouteTable(
                f"{name}-runner-{suffix}-rt",
                vpc_id=vpc.id,
                tags={**tags, "Name": f"{name}-runner-{suffix}"},
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-runner-{suffix}-default-route",
                route_table_id=routes.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-runner-{suffix}-rta", subnet_id=runner.id, route_table_id=routes.id, opts=child
            )
            self.public_subnet_ids.append(public.id)
            self.runner_subnet_ids.append(runner.id)
            route_tables.append(routes.id)
        return route_tables

    def _endpoints(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        route_table_ids: list[pulumi.Output[str]],
        tags: dict[str, str],
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """The VPC endpoints with their data-perimeter policies, the endpoints' security group (HTTPS from inside
        the VPC), and the API endpoint's security group (no rule: whoever may reach the cluster's API adds its own
        ingress rule, as the deployment runner does). Returns (API group id, endpoints group id)."""
        child = pulumi.ResourceOptions(parent=self)
        api = aws.ec2.SecurityGroup(
            f"{name}-api-sg",
            vpc_id=vpc.id,
            description=f"Private API endpoint of EKS cluster {args.cluster_name}: only listed clients, HTTPS",
            tags={**tags, "Name": f"{name}-api"},
            opts=child,
        )
        endpoints = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="AWS service endpoints: HTTPS from inside the VPC",
            tags={**tags, "Name": f"{name}-endpoints"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https-from-vpc",
            security_group_id=endpoints.id,
            cidr_ipv4=args.cidr,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="HTTPS to the AWS service endpoints from nodes, pods and the deployment runner",
            tags=tags,
            opts=child,
        )
        interface, gateway = endpoint_services(args.endpoint_services)

        def policy(service: str) -> str:
            return endpoint_policy(
                service,
                account_id=args.account_id,
                region=args.region,
                partition=args.partition,
                image_accounts=args.image_registry_accounts,
            )

        for service in gateway:
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=route_table_ids,
                policy=policy(service),
                tags={**tags, "Name": f"{name}-{service}"},
                opts=child,
            )
        for service in interface:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=self.private_subnet_ids,
                security_group_ids=[endpoints.id],
                private_dns_enabled=True,  # the SDKs' default regional hostnames resolve to the endpoint
                policy=policy(service),
                tags={**tags, "Name": f"{name}-{service}"},
                opts=child,
            )
        return api.id, endpoints.id

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
