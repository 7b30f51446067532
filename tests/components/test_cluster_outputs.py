"""The Cluster component's outputs and options, through a small program that writes its outputs into a
resource (tests/programs/cluster_outputs): a public endpoint for one range, two admins, Graviton nodes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nhi.preflight.capture import Capture
from nhi.preflight.wire import reveal
from tests.components.cluster_queries import CLUSTER, NODE_GROUP, REPOSITORY, ROLE, one
from tests.conftest import REPO, capture_stack_file

PROGRAM = REPO / "tests" / "programs" / "cluster_outputs"


@pytest.fixture(scope="module")
def capture() -> Capture:
    return capture_stack_file(PROGRAM / "Pulumi.test.yaml", program_dir=PROGRAM)


@pytest.fixture(scope="module")
def outputs(capture: Capture) -> dict[str, Any]:
    # SSM marks `value` secret, so it travels as a signed secret: unwrap it.
    return json.loads(reveal(one(capture, "aws:ssm/parameter:Parameter", "cluster-outputs").inputs["value"]))


def test_outputs_name_the_cluster_and_its_endpoint(capture: Capture, outputs: dict[str, Any]) -> None:
    cluster = one(capture, CLUSTER)
    assert outputs["cluster_name"] == "demo" == cluster.inputs["name"]
    assert outputs["cluster_arn"] == cluster.outputs["arn"]
    assert outputs["endpoint"] == cluster.outputs["endpoint"]
    assert outputs["certificate_authority"] == cluster.outputs["certificateAuthority"]["data"]
    assert (
        outputs["service_ipv4_cidr"] == "172.20.0.0/16" == cluster.inputs["kubernetesNetworkConfig"]["serviceIpv4Cidr"]
    )


def test_outputs_give_the_identity_plumbing(capture: Capture, outputs: dict[str, Any]) -> None:
    assert outputs["oidc_issuer_url"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    provider = one(capture, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert outputs["oidc_provider_arn"] == provider.outputs["arn"]
    assert outputs["oidc_provider_arn"].endswith(outputs["oidc_issuer_url"].removeprefix("https://"))
    assert outputs["node_role_arn"] == one(capture, NODE_GROUP).inputs["nodeRoleArn"]
    assert outputs["node_role_arn"] in {r.outputs["arn"] for r in capture.of_type(ROLE) if "-node-role" in r.name}


def test_registry_urls_by_repository_name(capture: Capture, outputs: dict[str, Any]) -> None:
    urls = {r.inputs["name"]: r.outputs["repositoryUrl"] for r in capture.of_type(REPOSITORY)}
    assert outputs["registry_urls"] == urls
    assert set(urls) == {"api", "team/worker"}


def test_public_endpoint_only_for_the_listed_ranges(capture: Capture) -> None:
    vpc_config = one(capture, CLUSTER).inputs["vpcConfig"]
    assert vpc_config["endpointPublicAccess"] is True and vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_each_admin_gets_its_own_entry(capture: Capture) -> None:
    entries = {e.name: e.inputs["principalArn"] for e in capture.of_type("aws:eks/accessEntry:AccessEntry")}
    assert entries == {
        "demo-admin-platform-admins": "arn:aws:iam::123456789012:role/platform-admins",
        "demo-admin-break-glass": "arn:aws:iam::123456789012:role/ops/break-glass",
    }


def test_graviton_groups_run_the_arm_bottlerocket_ami(capture: Capture) -> None:
    assert one(capture, NODE_GROUP).inputs["amiType"] == "BOTTLEROCKET_ARM_64"


def test_deletion_protection_is_the_default(capture: Capture) -> None:
    assert one(capture, CLUSTER).inputs["deletionProtection"] is True
