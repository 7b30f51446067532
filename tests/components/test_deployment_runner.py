"""The in-VPC deployment runner as each stack renders it: a CodeBuild project in the runner subnets, started by
GitHub's queued workflow jobs through the declared connection; what it can reach, computed from the rendered
security-group rules; and the VPC endpoints with their data-perimeter policies."""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict

import settings
from components.endpoint_policies import BASE_GATEWAY_SERVICES, BASE_INTERFACE_SERVICES, eks_addon_registry_account
from components.runner import WORKFLOW_JOB_QUEUED
from nhi.preflight.capture import Capture, CapturedResource
from tests.components.cluster_queries import CLUSTER, ROLE, by_output, one

PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
HTTPS = (443, 443)


def runner_subnets(capture: Capture) -> list[CapturedResource]:
    project = one(capture, PROJECT)
    subnets = {s.outputs["id"]: s for s in capture.of_type(SUBNET)}
    return [subnets[i] for i in project.inputs["vpcConfig"]["subnets"]]


def test_the_runner_runs_in_private_runner_subnets_one_per_zone(
    declared: settings.StackSettings, capture: Capture
) -> None:
    subnets = runner_subnets(capture)
    assert {s.name.split("-runner-")[0] for s in subnets} == {f"{declared.cluster.name}-network"}
    assert len({s.inputs["availabilityZone"] for s in subnets}) == declared.availability_zone_count
    assert not any(s.inputs["mapPublicIpOnLaunch"] for s in subnets)
    # Private: their only way out is NAT (no internet gateway route, no public address).
    ids = {s.outputs["id"] for s in subnets}
    tables = {a.inputs["routeTableId"] for a in capture.of_type(ASSOCIATION) if a.inputs["subnetId"] in ids}
    routes = [r for r in capture.of_type(ROUTE) if r.inputs["routeTableId"] in tables]
    assert routes and all("natGatewayId" in r.inputs and "gatewayId" not in r.inputs for r in routes)


def test_github_s_queued_jobs_start_the_runner_through_the_declared_connection(
    declared: settings.StackSettings, capture: Capture
) -> None:
    assert declared.runner is not None and declared.ci is not None
    project, webhook = one(capture, PROJECT), one(capture, WEBHOOK)
    assert project.inputs["name"] == declared.runner_project_name == webhook.inputs["projectName"]
    assert webhook.inputs["filterGroups"] == [{"filters": [{"type": "EVENT", "pattern": WORKFLOW_JOB_QUEUED}]}]
    source = project.inputs["source"]
    assert source["location"] == f"https://github.com/{declared.ci.org}/{declared.ci.repository}"
    assert source["auth"] == {"type": "CODECONNECTIONS", "resource": declared.runner.connection_arn}
    environment = project.inputs["environment"]
    assert environment["image"] == declared.runner.image and environment["imagePullCredentialsType"] == "SERVICE_ROLE"
    assert environment["privilegedMode"] is False
    role = by_output(capture, ROLE, "arn", project.inputs["serviceRole"])
    assert role.inputs["path"] == "/nhi-platform/ci/"  # the pipeline's path: never the deploy role's to change


def admitted(capture: Capture, group_id: str, cidrs: list[str]) -> dict[str, set[tuple[int, int]]]:
    """Security group id -> port ranges on which its ingress admits `group_id` or an address of `cidrs`, from every
    rendered rule: standalone ingress rules and the groups' inline ingress."""
    networks = [ipaddress.IPv4Network(c) for c in cidrs]
    found: dict[str, set[tuple[int, int]]] = defaultdict(set)
    rules = [r.inputs for r in capture.of_type(INGRESS)]
    for group in capture.of_type(SECURITY_GROUP):
        rules += [{**rule, "securityGroupId": group.outputs["id"]} for rule in group.inputs.get("ingress") or []]
    for rule in rules:
        by_group = rule.get("referencedSecurityGroupId") == group_id or group_id in (rule.get("securityGroups") or [])
        blocks = [rule["cidrIpv4"]] if rule.get("cidrIpv4") else list(rule.get("cidrBlocks") or [])
        by_cidr = any(n.subnet_of(ipaddress.IPv4Network(b)) for n in networks for b in blocks)
        if by_group or by_cidr:
            found[rule["securityGroupId"]].add((rule["fromPort"], rule["toPort"]))
    return dict(found)


def test_inside_the_vpc_the_runner_reaches_the_api_endpoint_and_the_aws_endpoints_on_443_only(
    declared: settings.StackSettings, capture: Capture
) -> None:
    project = one(capture, PROJECT)
    [runner_group] = project.inputs["vpcConfig"]["securityGroupIds"]
    cidrs = [s.inputs["cidrBlock"] for s in runner_subnets(capture)]
    reach = admitted(capture, runner_group, cidrs)
    groups = {g.outputs["id"]: g.name for g in capture.of_type(SECURITY_GROUP)}
    network = f"{declared.cluster.name}-network"
    assert {groups[g]: ports for g, ports in reach.items()} == {
        f"{network}-api-sg": {HTTPS},
        f"{network}-endpoints-sg": {HTTPS},
    }
    api = next(g for g, name in groups.items() if name == f"{network}-api-sg")
    assert one(capture, CLUSTER).inputs["vpcConfig"]["securityGroupIds"] == [api]
    # Nothing admits anything into the runner, and it sends HTTPS only.
    assert not [r for r in capture.of_type(INGRESS) if r.inputs["securityGroupId"] == runner_group]
    egress = [r.inputs for r in capture.of_type(EGRESS) if r.inputs["securityGroupId"] == runner_group]
    assert {(r["ipProtocol"], r["fromPort"], r["toPort"]) for r in egress} == {("tcp", 443, 443)}


def test_the_reach_computation_sees_a_rule_that_admits_the_runner_elsewhere(capture: Capture) -> None:
    project = one(capture, PROJECT)
    [runner_group] = project.inputs["vpcConfig"]["securityGroupIds"]
    widened = Capture(**{**capture.__dict__, "resources": list(capture.resources)})
    nodes = CapturedResource(
        urn="urn:test::nodes-from-runner",
        type=INGRESS,
        name="nodes-from-runner",
        parent=None,
        custom=True,
        provider=None,
        dependencies=(),
        property_dependencies={},
        inputs={"securityGroupId": "sg-nodes", "cidrIpv4": "10.0.0.0/8", "fromPort": 10250, "toPort": 10250},
        outputs={},
    )
    widened.resources.append(nodes)
    cidrs = [s.inputs["cidrBlock"] for s in runner_subnets(capture)]
    assert admitted(widened, runner_group, cidrs)["sg-nodes"] == {(10250, 10250)}


def test_the_vpc_endpoints_cover_the_cluster_and_the_workloads_each_with_a_perimeter_policy(
    declared: settings.StackSettings, capture: Capture
) -> None:
    endpoints = capture.of_type(ENDPOINT)
    prefix = f"com.amazonaws.{declared.region}."
    services = {e.inputs["serviceName"].removeprefix(prefix) for e in endpoints}
    assert services == {*BASE_INTERFACE_SERVICES, *BASE_GATEWAY_SERVICES, *declared.endpoint_services}
    account = declared.account_id
    for endpoint in endpoints:
        statements = json.loads(endpoint.inputs["policy"])["Statement"]
        assert statements[0]["Sid"] == "ThisAccountOnly"
        assert statements[0]["Condition"] == {
            "StringEquals": {"aws:PrincipalAccount": account, "aws:ResourceAccount": account}
        }
        for statement in statements:
            if statement["Sid"] == "EcrLayers":  # presigned by ECR: its principal is ECR's, the bucket is named
                assert statement["Resource"] == f"arn:aws:s3:::prod-{declared.region}-starport-layer-bucket/*"
                continue
            equals = statement["Condition"]["StringEquals"]
            assert account in (equals.get("aws:PrincipalAccount"), equals.get("aws:ResourceAccount")), endpoint.name
    ecr = next(e for e in endpoints if e.inputs["serviceName"] == f"{prefix}ecr.dkr")
    pulls = json.loads(ecr.inputs["policy"])["Statement"][1]
    registry = eks_addon_registry_account(declared.region)
    assert pulls["Resource"] == f"arn:aws:ecr:{declared.region}:{registry}:repository/*"
