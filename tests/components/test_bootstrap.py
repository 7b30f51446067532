"""The bootstrap of a new stack, as docs/private-deploy.md writes it: phase 1, from an administrator's workstation,
is `pulumi up --exclude <the Kubernetes provider> --exclude-dependents`, which creates the AWS side (network,
endpoints, cluster, access entries, the pipeline's roles and the in-VPC runner) and no Kubernetes object; phase 2
runs inside the VPC (an administrator's CloudShell VPC environment in the runner subnets, or the deploy workflow on
the runner) and applies the Kubernetes objects and the Pod Identity associations that name their namespaces.
Computed from the captured dependency graph of each stack, as the engine walks it (dependencies, property
dependencies, provider references, parents)."""

from __future__ import annotations

import re
from collections import defaultdict

from nhi.preflight.capture import Capture, CapturedResource
from tests.conftest import REPO

PAGE = REPO / "docs" / "private-deploy.md"
K8S_PROVIDER_TYPE = "pulumi:providers:kubernetes"
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
"""Names the workload's namespace (a Kubernetes object's output): phase 2 creates it."""


def dependents(capture: Capture, root: str) -> set[str]:
    """URNs that depend on `root`, directly or through others."""
    edges: dict[str, set[str]] = defaultdict(set)
    for resource in capture.resources:
        on = {*resource.dependencies, *(u for deps in resource.property_dependencies.values() for u in deps)}
        if resource.provider_urn:
            on.add(resource.provider_urn)
        if resource.parent:
            on.add(resource.parent)
        for urn in on:
            edges[urn].add(resource.urn)
    found: set[str] = set()
    todo = [root]
    while todo:
        for urn in edges[todo.pop()] - found:
            found.add(urn)
            todo.append(urn)
    return found


def kubernetes_provider(capture: Capture) -> CapturedResource:
    [provider] = capture.of_type(K8S_PROVIDER_TYPE)
    return provider


def test_phase_one_creates_every_aws_resource_and_no_kubernetes_object(capture: Capture) -> None:
    excluded = dependents(capture, kubernetes_provider(capture).urn)
    kinds = {r.type for r in capture.resources if r.custom and r.urn in excluded}
    assert {k for k in kinds if not k.startswith("kubernetes:")} == {POD_IDENTITY_ASSOCIATION}
    objects = {r.urn for r in capture.resources if r.type.startswith("kubernetes:")}
    assert objects <= excluded  # phase 2 applies every one of them, through the runner
    created = {r.type for r in capture.resources if r.custom and r.urn not in excluded}
    for needed in (
        "aws:eks/cluster:Cluster",
        "aws:eks/accessEntry:AccessEntry",
        "aws:codebuild/project:Project",
        "aws:codebuild/webhook:Webhook",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    ):
        assert needed in created, needed


def test_the_page_gives_the_command_the_graph_was_checked_for(capture: Capture) -> None:
    text = PAGE.read_text()
    command = re.search(r"pulumi up --exclude '(?P<urn>[^']+)' --exclude-dependents", text)
    assert command is not None
    urn = command["urn"].replace("<stack>", capture.stack)
    assert urn == kubernetes_provider(capture).urn
