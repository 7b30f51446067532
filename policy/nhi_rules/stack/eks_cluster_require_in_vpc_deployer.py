"""A cluster whose API endpoint is private only, in a stack that also manages Kubernetes objects, declares how its
deployments reach that endpoint: a deployment runner inside the VPC. Otherwise every `pulumi up` from a
GitHub-hosted runner or a laptop fails at the first Kubernetes object (pulumi-eks issue #1134), and the usual
"fix" is to open the endpoint to the internet.

An in-VPC deployment path is a CodeBuild project with a `vpcConfig` and a webhook that starts it for queued GitHub
Actions jobs (filter `EVENT` = `WORKFLOW_JOB_QUEUED`: AWS CodeBuild-hosted GitHub Actions runners). When the
cluster's own security groups (`vpcConfig.securityGroupIds`) and the runner's are in the stack, one of the cluster's
groups must admit the runner's on 443 (a `SecurityGroupIngressRule`, a `SecurityGroupRule` or an inline ingress
rule), or the runner could not reach the endpoint either. Links go through property dependencies, then ids and
names; values unknown during preview are left out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.links import Linker
from nhi_rules.lib.props import as_bool, as_int, as_str, get, maps, present, strings
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import by_type, known, known_at

NAME = "eks-cluster-require-in-vpc-deployer"
CLUSTER = "aws:eks/cluster:Cluster"
PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
KUBERNETES_PREFIX = "kubernetes:"
QUEUED_JOB_EVENT = "WORKFLOW_JOB_QUEUED"
HTTPS = 443

MSG_NO_DEPLOYER = (
    "cluster {cluster} has a private-only API endpoint (vpcConfig.endpointPublicAccess=false) and the stack manages "
    "Kubernetes objects ({example}), but no deployment path runs inside the VPC: declare an in-VPC runner, a "
    "CodeBuild project with vpcConfig and a webhook on EVENT " + QUEUED_JOB_EVENT + " (CodeBuild-hosted GitHub "
    "Actions runners), instead of opening the endpoint"
)
MSG_NO_REACH = (
    "runner project {project} runs in the VPC, but no security group of cluster {cluster} "
    "(vpcConfig.securityGroupIds) admits the runner's security group on 443: add an ingress rule on the cluster's "
    "group from the runner's group, tcp 443"
)


def _private_only(cluster: PolicyResource) -> bool:
    return known_at(as_bool, cluster.props, "vpcConfig", "endpointPublicAccess") is False


def _starts_queued_jobs(webhook: PolicyResource) -> bool:
    def read() -> bool:
        for _, group in maps(get(webhook.props, "filterGroups")):
            for _, event in maps(get(group, "filters")):
                if as_str(get(event, "type")) == "EVENT" and QUEUED_JOB_EVENT in (as_str(get(event, "pattern")) or ""):
                    return True
        return False

    return known(read) is True


def _in_a_vpc(project: PolicyResource) -> bool:
    return known(present, project.props, "vpcConfig", "vpcId") is True


def _inline_ingress(group: PolicyResource) -> list[tuple[int, Mapping[str, Any]]]:
    return known(lambda: list(maps(get(group.props, "ingress")))) or []


def runners(index: Mapping[str, list[PolicyResource]]) -> list[PolicyResource]:
    """The CodeBuild projects in a VPC that a queued-job webhook starts."""
    projects = [project for project in index.get(PROJECT, []) if _in_a_vpc(project)]
    by_urn = {project.urn: project for project in projects}
    by_name: dict[str, PolicyResource] = {}
    for project in projects:
        name = known_at(as_str, project.props, "name")
        by_name[name or project.name] = project
    started: dict[str, PolicyResource] = {}
    for webhook in index.get(WEBHOOK, []):
        if not _starts_queued_jobs(webhook):
            continue
        linked = [d.urn for d in webhook.property_dependencies.get("projectName", []) if d.urn in by_urn]
        named = known_at(as_str, webhook.props, "projectName")
        for project in [by_urn[urn] for urn in linked] or ([by_name[named]] if named in by_name else []):
            started[project.urn] = project
    return list(started.values())


def _covers_https(props: Any, protocol_key: str) -> bool:
    protocol = known_at(as_str, props, protocol_key)
    if protocol in ("-1", "all"):
        return True
    low, high = known_at(as_int, props, "fromPort"), known_at(as_int, props, "toPort")
    return protocol in ("tcp", "6") and low is not None and high is not None and low <= HTTPS <= high


def _admitted(groups: Linker, cluster_groups: set[str], runner_groups: set[str], index: Mapping[str, Any]) -> bool:
    """Whether some rule of a cluster group admits a runner group on 443."""
    runner_ids = {known_at(as_str, groups.by_urn[urn].props, "id") for urn in runner_groups} - {None}
    for rule in index.get(VPC_INGRESS_RULE, []):
        target = {g.urn for g in groups.named_by(rule, "securityGroupId")}
        source = {g.urn for g in groups.named_by(rule, "referencedSecurityGroupId")}
        if target & cluster_groups and source & runner_groups and _covers_https(rule.props, "ipProtocol"):
            return True
    for rule in index.get(SECURITY_GROUP_RULE, []):
        if known_at(as_str, rule.props, "type") != "ingress":
            continue
        target = {g.urn for g in groups.named_by(rule, "securityGroupId")}
        source = {g.urn for g in groups.named_by(rule, "sourceSecurityGroupId")}
        if target & cluster_groups and source & runner_groups and _covers_https(rule.props, "protocol"):
            return True
    for urn in cluster_groups:
        for _, inline in _inline_ingress(groups.by_urn[urn]):
            sources = set(known_at(strings, inline, "securityGroups") or [])
            if sources & runner_ids and _covers_https(inline, "protocol"):
                return True
    return False


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    objects = [r for r in resources if r.resource_type.startswith(KUBERNETES_PREFIX)]
    clusters = [c for c in index.get(CLUSTER, []) if _private_only(c)]
    if not objects or not clusters:
        return
    found = runners(index)
    groups = Linker(index.get(SECURITY_GROUP, []))
    for cluster in clusters:
        label = repr(known_at(as_str, cluster.props, "name") or cluster.name)
        if not found:
            yield MSG_NO_DEPLOYER.format(cluster=label, example=objects[0].resource_type), cluster.urn
            continue
        cluster_groups = {g.urn for g in groups.named_by(cluster, "vpcConfig", ("securityGroupIds",))}
        for runner in found:
            runner_groups = {g.urn for g in groups.named_by(runner, "vpcConfig", ("securityGroupIds",))}
            if cluster_groups and runner_groups and not _admitted(groups, cluster_groups, runner_groups, index):
                project = repr(known_at(as_str, runner.props, "name") or runner.name)
                yield MSG_NO_REACH.format(project=project, cluster=label), cluster.urn


POLICY = stack_rule(
    name=NAME,
    description="A stack with a private-only EKS endpoint that manages Kubernetes objects declares an in-VPC "
    "deployment runner that reaches the endpoint on 443.",
    resource_types=(CLUSTER, PROJECT, WEBHOOK, SECURITY_GROUP, VPC_INGRESS_RULE, SECURITY_GROUP_RULE),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-NET-PRIVATE", "Private cluster endpoint with a deployment path inside the VPC"),
    tags=["aws", "eks", "codebuild", "ci", "network", "stack"],
    remediation_steps=(
        "Declare a CodeBuild project with vpcConfig (private subnets, its own security group) and a webhook with "
        "the filter EVENT = WORKFLOW_JOB_QUEUED, run the jobs that apply Kubernetes objects on it "
        "(runs-on: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}), and admit its security "
        "group on 443 in a security group of the cluster's vpcConfig.securityGroupIds."
    ),
)
