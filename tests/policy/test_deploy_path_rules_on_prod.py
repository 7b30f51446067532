"""The three rules of issue 18 judged on the prod stack as our program renders it (its captured resources, linked as
the engine links them): prod passes, and each rule names the mistake a fork could make to it. A breakage of the
broken copy edits one resource and cannot add a route or remove a runner, so these run here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from nhi.preflight.capture import Capture
from nhi_rules.aws import ec2_vpcendpoint_disallow_full_access as endpoints
from nhi_rules.stack import ec2_subnet_disallow_node_internet_route as node_routes
from nhi_rules.stack import eks_cluster_require_in_vpc_deployer as deployer
from tests.conftest import capture_stack
from tests.policy.harness import Verdict, build_stack, run_resource, run_stack, template_regex

Specs = list[dict[str, Any]]


@functools.cache
def prod() -> Capture:
    return capture_stack("prod")


def specs(capture: Capture) -> Specs:
    """The capture as the harness's stack resources: names, types, state, and dependencies by name."""
    names = {r.urn: r.name for r in capture.resources}
    return [
        {
            "name": r.name,
            "type": r.type,
            "props": dict(r.outputs),
            "propertyDependencies": {
                k: [names[u] for u in v if u in names] for k, v in r.property_dependencies.items()
            },
            "dependencies": [names[u] for u in r.dependencies if u in names],
        }
        for r in capture.resources
        if r.custom
    ]


def judged(policy: Any, change: Callable[[Specs], Specs] = lambda s: s) -> Verdict:
    return run_stack(policy, build_stack(change(specs(prod()))))


def named(resources: Specs, name: str) -> dict[str, Any]:
    return next(r for r in resources if r["name"] == name)


def matches(verdict: Verdict, template: str) -> bool:
    return any(template_regex(template).search(message) for message in verdict.messages)


def test_prod_passes_the_three_rules() -> None:
    assert judged(deployer.POLICY).violations == []
    assert judged(node_routes.POLICY).violations == []
    for endpoint in prod().of_type(endpoints.VPC_ENDPOINT):
        assert run_resource(endpoints.POLICY, endpoint.type, endpoint.outputs).violations == [], endpoint.name


def test_prod_without_its_runner_has_no_way_to_deploy() -> None:
    def without_runner(resources: Specs) -> Specs:
        return [r for r in resources if not r["type"].startswith("aws:codebuild/")]

    assert matches(judged(deployer.POLICY, without_runner), deployer.MSG_NO_DEPLOYER)


def test_prod_s_runner_must_be_admitted_by_the_endpoint_s_security_group() -> None:
    def without_ingress(resources: Specs) -> Specs:
        return [r for r in resources if r["name"] != "deploy-runner-into-cluster-api"]

    assert matches(judged(deployer.POLICY, without_ingress), deployer.MSG_NO_REACH)


def test_a_node_subnet_that_shares_the_runner_s_route_table_routes_to_the_internet() -> None:
    def through_the_runner_table(resources: Specs) -> Specs:
        node = named(resources, "prod-core-network-private-az1-rta")
        runner = named(resources, "prod-core-network-runner-az1-rta")
        node["props"]["routeTableId"] = runner["props"]["routeTableId"]
        node["propertyDependencies"]["routeTableId"] = runner["propertyDependencies"]["routeTableId"]
        return resources

    verdict = judged(node_routes.POLICY, through_the_runner_table)
    assert matches(verdict, node_routes.MSG_NODE_INTERNET_ROUTE)
    assert all("prod-core-network-private-az1" in message for message in verdict.messages)


def test_an_endpoint_left_with_aws_s_default_policy_is_full_access() -> None:
    endpoint = next(e for e in prod().of_type(endpoints.VPC_ENDPOINT) if e.name.endswith("-sts-endpoint"))
    props = {k: v for k, v in endpoint.outputs.items() if k != "policy"}
    assert matches(run_resource(endpoints.POLICY, endpoint.type, props), endpoints.MSG_DEFAULT_FULL_ACCESS)
