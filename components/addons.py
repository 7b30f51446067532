"""The EKS managed add-ons the platform relies on, pinned: the VPC CNI (with its own Pod Identity role and
network-policy enforcement on, in strict mode), kube-proxy and the Pod Identity agent, which nodes need
to become Ready, and CoreDNS, which needs nodes to run on."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

import pulumi
import pulumi_aws as aws

from .identity import POD_IDENTITY_ACTIONS, POD_IDENTITY_PRINCIPAL, pod_identity_conditions
from .policy_documents import managed_policy_arn, service_trust

VPC_CNI = "vpc-cni"
KUBE_PROXY = "kube-proxy"
POD_IDENTITY_AGENT = "eks-pod-identity-agent"
COREDNS = "coredns"
CNI_NAMESPACE, CNI_SERVICE_ACCOUNT = "kube-system", "aws-node"


class AddonPhase(str, Enum):
    """When in the cluster's life the add-ons go in (EKS waits for an add-on to be ACTIVE)."""

    NODE_BOOTSTRAP = "node-bootstrap"
    """Before the node groups: vpc-cni, kube-proxy and the Pod Identity agent (nodes are NotReady without a CNI)."""
    SCHEDULED = "scheduled"
    """After the node groups: CoreDNS (a Deployment, which stays DEGRADED with no node to run on)."""


class NetworkPolicyMode(str, Enum):
    """VPC CNI `NETWORK_POLICY_ENFORCING_MODE`."""

    STRICT = "strict"
    """Every pod starts default-deny until the policies that select it are programmed; a pod no policy
    selects stays denied. System pods that are not on the host network (CoreDNS) need allow policies."""
    STANDARD = "standard"
    """A new pod is open until its policies resolve, and a pod no policy selects is open."""


@dataclass(frozen=True)
class AddonVersions:
    """Pinned versions of the four add-ons, each `vX.Y.Z-eksbuild.N` (`aws eks describe-addon-versions` lists what a
    cluster version accepts)."""

    vpc_cni: str
    coredns: str
    kube_proxy: str
    """Matches the cluster's minor version (v1.34.x for 1.34)."""
    pod_identity_agent: str


@dataclass(frozen=True, kw_only=True)
class ClusterAddonsArgs:
    phase: AddonPhase
    """Which add-ons this instance installs (see AddonPhase)."""
    cluster_name: pulumi.Input[str]
    """The cluster to install into."""
    cluster_arn: pulumi.Input[str]
    """The cluster's ARN, for the VPC CNI role's trust conditions."""
    account_id: str
    """The account, for the VPC CNI role's trust conditions."""
    vpc_cni_version: str = ""
    """Pinned vpc-cni version (phase node-bootstrap), such as v1.20.4-eksbuild.1."""
    kube_proxy_version: str = ""
    """Pinned kube-proxy version (phase node-bootstrap); matches the cluster's minor version."""
    pod_identity_agent_version: str = ""
    """Pinned eks-pod-identity-agent version (phase node-bootstrap)."""
    coredns_version: str = ""
    """Pinned coredns version (phase scheduled)."""
    network_policy_mode: NetworkPolicyMode = NetworkPolicyMode.STRICT
    """How the VPC CNI enforces NetworkPolicies; enforcement itself is always on."""
    partition: str = "aws"
    """The AWS partition."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the add-ons and the VPC CNI role."""

    def __post_init__(self) -> None:
        needed = {
            AddonPhase.NODE_BOOTSTRAP: ("vpc_cni_version", "kube_proxy_version", "pod_identity_agent_version"),
            AddonPhase.SCHEDULED: ("coredns_version",),
        }[self.phase]
        missing = [name for name in needed if not getattr(self, name)]
        if missing:
            raise ValueError(f"phase {self.phase.value} installs pinned add-ons only; set {', '.join(missing)}")


def vpc_cni_configuration(mode: NetworkPolicyMode) -> str:
    """The vpc-cni add-on's configurationValues: NetworkPolicy enforcement on (values are strings)."""
    return json.dumps(
        {"enableNetworkPolicy": "true", "env": {"NETWORK_POLICY_ENFORCING_MODE": mode.value}}, sort_keys=True
    )


def vpc_cni_trust(account_id: str, cluster_arn: str) -> str:
    """Pod Identity trust for aws-node in kube-system of this cluster only (session tags set by EKS)."""
    return service_trust(
        POD_IDENTITY_PRINCIPAL,
        POD_IDENTITY_ACTIONS,
        pod_identity_conditions(
            account_id=account_id, cluster_arn=cluster_arn, namespace=CNI_NAMESPACE, service_account=CNI_SERVICE_ACCOUNT
        ),
    )


class ClusterAddons(pulumi.ComponentResource):
    """The pinned EKS add-ons of one phase."""

    addon_names: list[str]
    vpc_cni_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:addons:ClusterAddons", name, None, opts)
        # Children do not inherit a component's depends_on; pass it on, or the ordering is lost.
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None)
        tags = dict(args.tags)
        self.vpc_cni_role_arn = None

        def addon(
            addon_name: str,
            version: str,
            opts: pulumi.ResourceOptions = child,
            configuration_values: pulumi.Input[str] | None = None,
            pod_identity_associations: Sequence[aws.eks.AddonPodIdentityAssociationArgs] | None = None,
        ) -> aws.eks.Addon:
            return aws.eks.Addon(
                f"{name}-{addon_name}",
                cluster_name=args.cluster_name,
                addon_name=addon_name,
                addon_version=version,
                configuration_values=configuration_values,
                pod_identity_associations=pod_identity_associations,
                # The add-on owns its objects: drift made by hand is overwritten, never kept.
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags=tags,
                opts=opts,
            )

        if args.phase is AddonPhase.NODE_BOOTSTRAP:
            # The CNI's own identity, so that the node role never holds AmazonEKS_CNI_Policy.
            role = aws.iam.Role(
                f"{name}-vpc-cni-role",
                description="VPC CNI (kube-system/aws-node) through EKS Pod Identity",
                assume_role_policy=pulumi.Output.from_input(args.cluster_arn).apply(
                    lambda arn: vpc_cni_trust(args.account_id, arn)
                ),
                tags=tags,
                opts=child,
            )
            policy = aws.iam.RolePolicyAttachment(
                f"{name}-vpc-cni-policy",
                role=role.name,
                policy_arn=managed_policy_arn(args.partition, "AmazonEKS_CNI_Policy"),
                opts=child,
            )
            agent = addon(POD_IDENTITY_AGENT, args.pod_identity_agent_version)
            addon(
                VPC_CNI,
                args.vpc_cni_version,
                configuration_values=vpc_cni_configuration(args.network_policy_mode),
                pod_identity_associations=[
                    aws.eks.AddonPodIdentityAssociationArgs(role_arn=role.arn, service_account=CNI_SERVICE_ACCOUNT)
                ],
                # aws-node fetches its credentials from the agent, with its policy in place.
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[agent, policy])),
            )
            addon(KUBE_PROXY, args.kube_proxy_version)
            self.addon_names = [POD_IDENTITY_AGENT, VPC_CNI, KUBE_PROXY]
            self.vpc_cni_role_arn = role.arn
        else:
            addon(COREDNS, args.coredns_version)
            self.addon_names = [COREDNS]
        self.register_outputs({"addon_names": self.addon_names, "vpc_cni_role_arn": self.vpc_cni_role_arn})
