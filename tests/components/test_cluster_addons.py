"""Pinned add-ons as captured for every stack; the VPC CNI enforces NetworkPolicies (strict) with its own
Pod Identity role, never the node role."""

from __future__ import annotations

import json

import settings
from components.addons import NetworkPolicyMode, vpc_cni_configuration
from nhi.preflight.capture import Capture
from tests.components.cluster_queries import ADDON, CLUSTER, NODE_GROUP, ROLE, by_output, one, policies_of


def addons(capture: Capture) -> dict[str, dict]:
    return {a.inputs["addonName"]: a.inputs for a in capture.of_type(ADDON)}


def test_the_four_addons_are_pinned_to_the_settings_versions(
    declared: settings.StackSettings, capture: Capture
) -> None:
    versions = declared.addon_versions
    assert {name: a["addonVersion"] for name, a in addons(capture).items()} == {
        "vpc-cni": versions.vpc_cni,
        "coredns": versions.coredns,
        "kube-proxy": versions.kube_proxy,
        "eks-pod-identity-agent": versions.pod_identity_agent,
    }
    cluster_name = declared.cluster.name
    assert all(a["clusterName"] == cluster_name for a in addons(capture).values())


def test_vpc_cni_enforces_network_policy_in_strict_mode(capture: Capture) -> None:
    values = json.loads(addons(capture)["vpc-cni"]["configurationValues"])
    assert values["enableNetworkPolicy"] == "true"  # a string: the add-on schema types it so
    assert values["env"]["NETWORK_POLICY_ENFORCING_MODE"] == "strict"


def test_vpc_cni_has_its_own_pod_identity_role_not_the_node_role(
    declared: settings.StackSettings, capture: Capture
) -> None:
    [association] = addons(capture)["vpc-cni"]["podIdentityAssociations"]
    assert association["serviceAccount"] == "aws-node"
    node_role_arns = {g.inputs["nodeRoleArn"] for g in capture.of_type(NODE_GROUP)}
    assert association["roleArn"] not in node_role_arns
    role = by_output(capture, ROLE, "arn", association["roleArn"])
    assert policies_of(capture, role) == {"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": declared.account_id,
        "aws:RequestTag/eks-cluster-arn": one(capture, CLUSTER).outputs["arn"],
        "aws:RequestTag/kubernetes-namespace": "kube-system",
        "aws:RequestTag/kubernetes-service-account": "aws-node",
    }


def test_no_role_but_the_cni_role_holds_the_cni_policy(capture: Capture) -> None:
    holders = [
        a
        for a in capture.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["policyArn"].endswith("/AmazonEKS_CNI_Policy")
    ]
    assert len(holders) == 1 and holders[0].name.endswith("-bootstrap-addons-vpc-cni-policy")


def test_coredns_waits_for_the_nodes_and_the_node_addons_do_not(capture: Capture) -> None:
    groups = {g.urn for g in capture.of_type(NODE_GROUP)}
    by_name = {a.inputs["addonName"]: a for a in capture.of_type(ADDON)}
    assert groups and groups <= set(by_name["coredns"].dependencies)  # a Deployment needs nodes to be ACTIVE
    for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        assert not groups & set(by_name[name].dependencies)  # nodes need these to become Ready


def test_configuration_text_per_mode() -> None:
    assert json.loads(vpc_cni_configuration(NetworkPolicyMode.STANDARD)) == {
        "enableNetworkPolicy": "true",
        "env": {"NETWORK_POLICY_ENFORCING_MODE": "standard"},
    }
