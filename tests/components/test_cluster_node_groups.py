"""Immutable Bottlerocket nodes, as captured for every stack: pinned release, hardened launch template,
no remote access, bounded replacement, a node role with node policies only."""

from __future__ import annotations

import base64
import json
import tomllib

import settings
from components.node_group import BOTTLEROCKET_SETTINGS
from nhi.preflight.capture import Capture, CapturedResource
from tests.components.cluster_queries import KEY, LAUNCH_TEMPLATE, NODE_GROUP, ROLE, by_output, policies_of


def template_of(capture: Capture, group: CapturedResource) -> CapturedResource:
    return by_output(capture, LAUNCH_TEMPLATE, "id", group.inputs["launchTemplate"]["id"])


def test_one_node_group_per_setting_with_the_pinned_release(declared: settings.StackSettings, capture: Capture) -> None:
    groups = {g.inputs["nodeGroupName"]: g for g in capture.of_type(NODE_GROUP)}
    assert set(groups) == {f"{declared.cluster.name}-{g.name}" for g in declared.cluster.node_groups}
    for setting in declared.cluster.node_groups:
        group = groups[f"{declared.cluster.name}-{setting.name}"]
        assert group.inputs["releaseVersion"] == setting.bottlerocket_release
        assert group.inputs["version"] == declared.cluster.kubernetes_version
        assert group.inputs["amiType"] == "BOTTLEROCKET_x86_64"  # the stacks use x86 instance types
        assert group.inputs["instanceTypes"] == setting.instance_types
        assert group.inputs["scalingConfig"] == {
            "minSize": setting.min_size,
            "desiredSize": setting.desired_size,
            "maxSize": setting.max_size,
        }
        assert group.inputs["updateConfig"] == {
            "maxUnavailablePercentage": setting.max_unavailable_percentage,
            "updateStrategy": "DEFAULT",
        }


def test_no_remote_access_and_no_key_pair(capture: Capture) -> None:
    for group in capture.of_type(NODE_GROUP):
        assert "remoteAccess" not in group.inputs
        assert "diskSize" not in group.inputs  # sizes live in the launch template, encrypted
        assert "keyName" not in template_of(capture, group).inputs


def test_nodes_live_in_private_subnets_only(capture: Capture) -> None:
    subnets = {s.outputs["id"]: s for s in capture.of_type("aws:ec2/subnet:Subnet")}
    for group in capture.of_type(NODE_GROUP):
        chosen = [subnets[i] for i in group.inputs["subnetIds"]]
        assert chosen and all("-private-" in s.name and s.inputs["mapPublicIpOnLaunch"] is False for s in chosen)


def test_imdsv2_required_with_hop_limit_one(capture: Capture) -> None:
    templates = capture.of_type(LAUNCH_TEMPLATE)
    assert len(templates) == len(capture.of_type(NODE_GROUP))
    for template in templates:
        assert template.inputs["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
            "instanceMetadataTags": "disabled",
        }


def test_every_volume_is_encrypted_with_the_node_volume_key(capture: Capture) -> None:
    for template in capture.of_type(LAUNCH_TEMPLATE):
        devices = {d["deviceName"]: d["ebs"] for d in template.inputs["blockDeviceMappings"]}
        assert set(devices) == {"/dev/xvda", "/dev/xvdb"}  # Bottlerocket's OS and data volumes
        for ebs in devices.values():
            assert ebs["encrypted"] == "true"
            key = by_output(capture, KEY, "arn", ebs["kmsKeyId"])
            assert key.inputs["tags"]["nhi-platform/key-use"] == "node-volumes"


def test_user_data_is_bottlerocket_toml_with_admin_and_control_off(capture: Capture) -> None:
    for template in capture.of_type(LAUNCH_TEMPLATE):
        text = base64.b64decode(template.inputs["userData"]).decode()
        assert text == BOTTLEROCKET_SETTINGS
        toml = tomllib.loads(text)
        containers = toml["settings"]["host-containers"]
        assert containers["admin"]["enabled"] is False and containers["control"]["enabled"] is False
        assert toml["settings"]["kernel"]["lockdown"] == "integrity"
        # Nothing secret or cluster-specific: EKS adds the API server and CA itself.
        assert not any(word in text.lower() for word in ("password", "token", "secret", "-----begin"))


def test_the_node_role_holds_node_policies_only(capture: Capture) -> None:
    arns = {g.inputs["nodeRoleArn"] for g in capture.of_type(NODE_GROUP)}
    assert len(arns) == 1
    role = by_output(capture, ROLE, "arn", arns.pop())
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert policies_of(capture, role) == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    }
    inline = [
        p
        for p in capture.of_type("aws:iam/rolePolicy:RolePolicy")
        if role.urn in p.property_dependencies.get("role", ())
    ]
    assert inline == []


def test_node_groups_wait_for_the_cni_kube_proxy_and_agent(capture: Capture) -> None:
    # On the node group itself: a component's depends_on does not hold its children back.
    bootstrap = {
        a.urn
        for a in capture.of_type("aws:eks/addon:Addon")
        if a.inputs["addonName"] in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
    }
    assert len(bootstrap) == 3
    for group in capture.of_type(NODE_GROUP):
        assert bootstrap <= set(group.dependencies)
