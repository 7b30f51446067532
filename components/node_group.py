"""One managed node group of immutable Bottlerocket nodes: a pinned release, a launch template with IMDSv2
only (hop limit 1), encrypted volumes, no SSH key, no remote access, no admin container. A new release
replaces the nodes in bounded batches; nothing is patched in place."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

import pulumi
import pulumi_aws as aws

# Graviton families carry a `g` right after the generation digit (m7g, c6gn, t4g, x2gd, g5g); the rest are x86.
GRAVITON_INSTANCE_RE = re.compile(r"^[a-z]+[0-9]+g[a-z]*\.")


class Architecture(str, Enum):
    """CPU architecture of a node group, from its instance types; picks the Bottlerocket AMI type."""

    X86_64 = "x86_64"
    ARM_64 = "arm64"


def instance_architecture(instance_type: str) -> Architecture:
    return Architecture.ARM_64 if GRAVITON_INSTANCE_RE.match(instance_type) else Architecture.X86_64


class AmiType(str, Enum):
    """Bottlerocket AMI types for managed node groups, by architecture."""

    BOTTLEROCKET_X86_64 = "BOTTLEROCKET_x86_64"
    BOTTLEROCKET_ARM_64 = "BOTTLEROCKET_ARM_64"

    @classmethod
    def for_architecture(cls, architecture: str) -> AmiType:
        """An Architecture (x86_64 or arm64) to the Bottlerocket AMI type."""
        try:
            known = Architecture(architecture)
        except ValueError:
            raise ValueError(f"expected x86_64 or arm64, got {architecture!r}") from None
        return cls.BOTTLEROCKET_ARM_64 if known is Architecture.ARM_64 else cls.BOTTLEROCKET_X86_64


# Bottlerocket settings (TOML) merged by EKS with the cluster's own bootstrap settings. No secrets here:
# user data is readable by anyone who can describe the launch template.
BOTTLEROCKET_SETTINGS = """\
# Immutable nodes: no shell, no SSM session; a change means a new release and new nodes.
[settings.host-containers.admin]
enabled = false

[settings.host-containers.control]
enabled = false

# Kernel lockdown: no unsigned modules, no /dev/mem, even for root.
[settings.kernel]
lockdown = "integrity"
"""

OS_VOLUME = "/dev/xvda"
DATA_VOLUME = "/dev/xvdb"


@dataclass(frozen=True, kw_only=True)
class NodeGroupOptions:
    """What a node group runs: the options of one group, as the cluster takes them (`ClusterArgs.node_groups`)."""

    name: str
    """Node group name, unique in the cluster; the group is named `<cluster>-<name>`."""
    instance_types: Sequence[str]
    """EC2 instance types, one architecture."""
    ami_type: AmiType
    """Bottlerocket AMI type for the instance types' architecture."""
    bottlerocket_release: str
    """Pinned Bottlerocket release (`releaseVersion`), such as 1.41.0-2b4c1d53. Required: nodes never float, and
    changing it replaces the group's nodes and nothing else."""
    min_size: int
    """Fewest nodes."""
    desired_size: int
    """Nodes to start with (min_size <= desired_size <= max_size)."""
    max_size: int
    """Most nodes."""
    data_volume_gib: int = 50
    """Size of the encrypted data volume (images, container storage)."""
    max_unavailable_percentage: int = 33
    """At most this share of nodes is replaced at once when the release changes."""
    metadata_hop_limit: int = 1
    """IMDSv2 PUT response hop limit. Only 1: a pod must not reach the node role's credentials."""

    def __post_init__(self) -> None:
        if self.metadata_hop_limit != 1:
            raise ValueError(
                f"metadata_hop_limit must be 1 (pods would reach the node's instance credentials "
                f"through IMDS), got {self.metadata_hop_limit}"
            )
        if not self.bottlerocket_release:
            raise ValueError("bottlerocket_release is required: an unpinned release floats at every update")
        if not 1 <= self.max_unavailable_percentage <= 100:
            raise ValueError(f"max_unavailable_percentage must be 1..100, got {self.max_unavailable_percentage}")
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"expected min_size <= desired_size <= max_size, got "
                f"{self.min_size} / {self.desired_size} / {self.max_size}"
            )


@dataclass(frozen=True, kw_only=True)
class NodeGroupArgs(NodeGroupOptions):
    """A node group's options, and where its nodes go: the cluster they join, its role, subnets and volume key."""

    cluster_name: pulumi.Input[str]
    """The EKS cluster the nodes join."""
    kubernetes_version: str
    """The cluster's Kubernetes version (the kubelet version of the nodes)."""
    node_role_arn: pulumi.Input[str]
    """IAM role of the nodes (worker node and ECR pull policies only)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets only: the nodes get no public address."""
    volume_key_arn: pulumi.Input[str]
    """KMS key (use: node-volumes) for the OS and data volumes."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Kubernetes labels on the nodes."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the launch template, node group and the instances and volumes it launches."""

    @classmethod
    def of(cls, options: NodeGroupOptions, **placement: Any) -> NodeGroupArgs:
        """The args of a group with these options, placed by `placement` (the fields this class adds)."""
        return cls(**{f.name: getattr(options, f.name) for f in fields(NodeGroupOptions)}, **placement)


def user_data() -> str:
    return base64.b64encode(BOTTLEROCKET_SETTINGS.encode()).decode()


class NodeGroup(pulumi.ComponentResource):
    """A launch template and the managed node group that uses it."""

    node_group_name: pulumi.Output[str]
    launch_template_id: pulumi.Output[str]

    def __init__(self, name: str, args: NodeGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:node_group:NodeGroup", name, None, opts)
        # Children do not inherit a component's depends_on; pass it on, or the ordering is lost.
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None)
        tags = dict(args.tags)

        def volume(device: str, size: int | None) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
            return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=device,
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    encrypted="true",
                    kms_key_id=args.volume_key_arn,
                    volume_type="gp3",
                    volume_size=size,
                    delete_on_termination="true",
                ),
            )

        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"Bottlerocket nodes of {name}: IMDSv2 only, encrypted volumes, no key pair",
            # No image_id: EKS picks the AMI of `release_version`; no key_name: there is no SSH.
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=args.metadata_hop_limit,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[volume(OS_VOLUME, None), volume(DATA_VOLUME, args.data_volume_gib)],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            user_data=user_data(),
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            tags=tags,
            opts=child,
        )
        group = aws.eks.NodeGroup(
            f"{name}-ng",
            cluster_name=args.cluster_name,
            node_group_name=name,
            version=args.kubernetes_version,
            release_version=args.bottlerocket_release,
            ami_type=args.ami_type.value,
            capacity_type="ON_DEMAND",
            instance_types=list(args.instance_types),
            node_role_arn=args.node_role_arn,
            subnet_ids=list(args.subnet_ids),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_size, desired_size=args.desired_size, max_size=args.max_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(
                max_unavailable_percentage=args.max_unavailable_percentage, update_strategy="DEFAULT"
            ),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            labels=dict(args.labels),
            tags=tags,
            opts=child,
        )
        self.node_group_name = group.node_group_name
        self.launch_template_id = template.id
        self.register_outputs({"node_group_name": self.node_group_name, "launch_template_id": self.launch_template_id})
