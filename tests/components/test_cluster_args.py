"""Unsafe combinations are refused by the components' Args, with a message that names the problem,
even for programs that do not go through our settings."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

import pytest

from components.addons import AddonVersions
from components.cluster import ClusterArgs, exec_kubeconfig
from components.encryption import EncryptionKeyArgs, KeyUse
from components.node_group import AmiType, Architecture, NodeGroupArgs, NodeGroupOptions, instance_architecture

GROUP = NodeGroupOptions(
    name="general",
    instance_types=["m7i.large"],
    ami_type=AmiType.BOTTLEROCKET_X86_64,
    bottlerocket_release="1.41.0-2b4c1d53",
    min_size=1,
    desired_size=2,
    max_size=3,
)
BASE: dict[str, Any] = {
    "kubernetes_version": "1.33",
    "vpc_cidr": "10.20.0.0/16",
    "availability_zone_count": 2,
    "admin_role_arns": ["arn:aws:iam::123456789012:role/platform-admins"],
    "node_groups": [GROUP],
    "addon_versions": AddonVersions(
        vpc_cni="v1.20.4-eksbuild.1",
        coredns="v1.12.4-eksbuild.1",
        kube_proxy="v1.33.5-eksbuild.2",
        pod_identity_agent="v1.3.9-eksbuild.3",
    ),
    "account_id": "123456789012",
    "region": "eu-west-1",
}


def test_the_base_arguments_are_accepted_and_private() -> None:
    args = ClusterArgs(**BASE)
    assert args.public_endpoint is False and args.deletion_protection is True and args.log_retention_days == 365


@pytest.mark.parametrize(
    "change, message",
    [
        ({"public_endpoint_cidrs": ["0.0.0.0/0"]}, "whole internet"),
        ({"public_endpoint_cidrs": ["::/0"]}, "whole internet"),
        ({"admin_role_arns": []}, "creator gets no implicit admin"),
        ({"node_groups": []}, "at least one"),
        ({"node_groups": [GROUP, GROUP]}, "names must be unique"),
        (
            {"addon_versions": AddonVersions("v1.20.4-eksbuild.1", "v1.12.4-eksbuild.1", "v1.32.9-eksbuild.2", "v1")},
            "does not match Kubernetes 1.33",
        ),
    ],
)
def test_cluster_args_refuse(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClusterArgs(**{**BASE, **change})


PLACEMENT: dict[str, Any] = {
    "cluster_name": "c",
    "kubernetes_version": "1.33",
    "node_role_arn": "arn:r",
    "subnet_ids": ["s"],
    "volume_key_arn": "arn:k",
}


def node_group_options(**change: Any) -> NodeGroupOptions:
    fields = {
        "name": "general",
        "bottlerocket_release": "1.41.0-2b4c1d53",
        "ami_type": AmiType.BOTTLEROCKET_X86_64,
        "instance_types": ["m7i.large"],
        "min_size": 1,
        "desired_size": 1,
        "max_size": 2,
    }
    return NodeGroupOptions(**{**fields, **change})


@pytest.mark.parametrize(
    "change, message",
    [
        ({"metadata_hop_limit": 2}, "must be 1"),
        ({"bottlerocket_release": ""}, "unpinned release floats"),
        ({"min_size": 3, "desired_size": 1}, "min_size <= desired_size"),
    ],
)
def test_node_group_options_refuse(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        node_group_options(**change)
    with pytest.raises(ValueError, match=message):  # the same rules when a standalone group is placed directly
        NodeGroupArgs(**{**asdict(node_group_options()), **change, **PLACEMENT})


def test_a_cluster_places_its_groups_with_their_own_options() -> None:
    options = node_group_options(data_volume_gib=80, max_unavailable_percentage=20)
    args = NodeGroupArgs.of(options, **PLACEMENT, labels={"nhi-platform/node-group": "general"})
    assert isinstance(args, NodeGroupOptions)
    assert {f.name: getattr(args, f.name) for f in fields(NodeGroupOptions)} == asdict(options)
    assert (args.cluster_name, args.volume_key_arn, args.labels) == (
        "c",
        "arn:k",
        {"nhi-platform/node-group": "general"},
    )
    with pytest.raises(TypeError):
        NodeGroupArgs.of(options, cluster_name="c")  # the placement is required


def test_ami_type_per_architecture() -> None:
    assert AmiType.for_architecture(Architecture.ARM_64) is AmiType.BOTTLEROCKET_ARM_64
    assert AmiType.for_architecture("x86_64") is AmiType.BOTTLEROCKET_X86_64
    with pytest.raises(ValueError, match="x86_64 or arm64"):
        AmiType.for_architecture("sparc")


@pytest.mark.parametrize(
    "instance_type, architecture",
    [
        ("m7i.large", Architecture.X86_64),
        ("c7a.xlarge", Architecture.X86_64),
        ("g5.xlarge", Architecture.X86_64),
        ("g4dn.xlarge", Architecture.X86_64),
        ("m7g.large", Architecture.ARM_64),
        ("c6gn.large", Architecture.ARM_64),
        ("t4g.medium", Architecture.ARM_64),
        ("r7gd.large", Architecture.ARM_64),
        ("g5g.xlarge", Architecture.ARM_64),
    ],
)
def test_architecture_from_instance_type(instance_type: str, architecture: Architecture) -> None:
    assert instance_architecture(instance_type) is architecture


def test_key_deletion_window_is_bounded() -> None:
    with pytest.raises(ValueError, match=r"7\.\.30"):
        EncryptionKeyArgs(use=KeyUse.LOGS, account_id="123456789012", region="eu-west-1", deletion_window_days=3)


def test_kubeconfig_has_no_static_credentials() -> None:
    import json

    config = json.loads(exec_kubeconfig("c", "https://x", "Q0E=", "eu-west-1"))
    [user] = config["users"]
    assert user["user"]["exec"]["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "c",
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ]
    assert "token" not in json.dumps(user["user"]).replace("get-token", "")
