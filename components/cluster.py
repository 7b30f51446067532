"""The hardened EKS cluster: private API endpoint, secrets envelope-encrypted with a rotated customer key,
all five control-plane log types to an encrypted log group, API-only authentication with access entries
(no aws-auth ConfigMap, no creator admin), the Pod Identity agent and an IRSA OIDC provider, a VPC CNI
with its own identity and NetworkPolicy enforcement, immutable Bottlerocket node groups, and the image
registry of the workloads."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .addons import AddonPhase, AddonVersions, ClusterAddons, ClusterAddonsArgs, NetworkPolicyMode
from .encryption import EncryptionKey, EncryptionKeyArgs, KeyUse
from .network import InternetEgress, Network, NetworkArgs
from .node_group import NodeGroup, NodeGroupArgs, NodeGroupOptions
from .policy_documents import STS_AUDIENCE, document, managed_policy_arn, service_trust
from .registry import ImageRegistry, ImageRegistryArgs

CONTROL_PLANE_SERVICE = "eks.amazonaws.com"
"""The EKS service: the control plane's role trusts it (and the pipeline may pass the cluster's roles to it)."""
# Kubernetes Service range, fixed so that NetworkPolicies can name the API service (first address) and DNS (.10).
SERVICE_IPV4_CIDR = "172.20.0.0/16"
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
# Node policies: join the cluster (incl. eks-auth:AssumeRoleForPodIdentity for the agent) and pull images.
# Never AmazonEKS_CNI_Policy: the VPC CNI has its own role.
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")


@dataclass(frozen=True, kw_only=True)
class ClusterArgs:
    kubernetes_version: str
    """Pinned Kubernetes version, such as "1.33"."""
    vpc_cidr: str
    """The VPC's private IPv4 range."""
    availability_zone_count: int
    """AZs the VPC and node groups span (at least 2; prod 3)."""
    admin_role_arns: Sequence[str]
    """IAM roles given cluster-admin through EKS access entries. The identity that runs `pulumi up` must be
    one of them: the creator gets no implicit admin."""
    node_groups: Sequence[NodeGroupOptions]
    """The managed node groups (at least one, names unique)."""
    addon_versions: AddonVersions
    """Pinned EKS add-on versions; kube-proxy's matches the Kubernetes version."""
    account_id: str
    """The AWS account (key policies and trust conditions)."""
    region: str
    """The AWS region."""
    partition: str = "aws"
    """The AWS partition."""
    public_endpoint_cidrs: Sequence[str] = ()
    """Empty (default): the API endpoint is private only. Otherwise the public endpoint is on for these CIDRs
    only; the whole internet (/0) is refused."""
    log_retention_days: int = 365
    """Retention of control-plane and flow logs."""
    deletion_protection: bool = True
    """EKS deletion protection; stacks other than prod may turn it off."""
    network_policy_mode: NetworkPolicyMode = NetworkPolicyMode.STRICT
    """VPC CNI NetworkPolicy enforcing mode (enforcement is always on)."""
    service_ipv4_cidr: str = SERVICE_IPV4_CIDR
    """Kubernetes Service range, fixed so that NetworkPolicies can name the API service (first address) and
    cluster DNS (.10)."""
    repositories: Sequence[str] = ()
    """ECR repositories to create (one per workload name)."""
    internet_egress: InternetEgress = InternetEgress.NONE
    """Which subnets reach the internet (`NetworkArgs.internet_egress`): none, or the deployment runner's only."""
    endpoint_services: Sequence[str] = ()
    """AWS services the workloads call, reached through VPC endpoints (`NetworkArgs.endpoint_services`)."""
    image_registry_accounts: Sequence[str] = ()
    """Further AWS-owned registry accounts the nodes pull from (`NetworkArgs.image_registry_accounts`)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every AWS resource."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        for cidr in self.public_endpoint_cidrs:
            if ipaddress.ip_network(cidr, strict=False).prefixlen == 0:
                problems.append(f"public_endpoint_cidrs: {cidr!r} opens the API endpoint to the whole internet")
        if not self.admin_role_arns:
            problems.append("admin_role_arns: at least one role (the creator gets no implicit admin)")
        if not self.node_groups:
            problems.append("node_groups: at least one")
        names = [g.name for g in self.node_groups]
        if len(set(names)) != len(names):
            problems.append(f"node_groups: names must be unique, got {names}")
        kube_proxy = self.addon_versions.kube_proxy
        if not kube_proxy.startswith(f"v{self.kubernetes_version}."):
            problems.append(f"kube_proxy version {kube_proxy!r} does not match Kubernetes {self.kubernetes_version}")
        if problems:
            raise ValueError("unsafe or inconsistent cluster arguments: " + "; ".join(problems))

    @property
    def public_endpoint(self) -> bool:
        return bool(self.public_endpoint_cidrs)


def cluster_arn(partition: str, region: str, account_id: str, name: str) -> str:
    """The ARN EKS gives a cluster of this name (fixed by its inputs, so known before it exists)."""
    return f"arn:{partition}:eks:{region}:{account_id}:cluster/{name}"


def exec_kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, region: str) -> str:
    """A kubeconfig whose credentials are short-lived tokens from `aws eks get-token` (no static token)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority},
                }
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": [
                                "eks",
                                "get-token",
                                "--cluster-name",
                                cluster_name,
                                "--region",
                                region,
                                "--output",
                                "json",
                            ],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


class Cluster(pulumi.ComponentResource):
    """The EKS cluster and everything it needs to run pods with their own identities."""

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    """Base64 PEM of the cluster CA."""
    oidc_issuer_url: pulumi.Output[str]
    """https URL of the cluster's OIDC issuer (IRSA trust conditions use it without the scheme)."""
    oidc_provider_arn: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    registry_urls: dict[str, pulumi.Output[str]]
    """Repository URL by workload name."""
    kubeconfig: pulumi.Output[str]
    """Exec-based kubeconfig, resolved only once the admin access entries exist."""
    service_ipv4_cidr: str
    vpc_id: pulumi.Output[str]
    log_key_arn: pulumi.Output[str]
    """The KMS key (use: logs) of the stack's log groups."""
    network: Network
    """The cluster's VPC: its runner subnets and API endpoint security group place a deployment runner."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "nhi-platform/cluster": name}
        part = args.partition

        def key(use: KeyUse) -> EncryptionKey:
            return EncryptionKey(
                f"{name}-{use.value}",
                EncryptionKeyArgs(use=use, account_id=args.account_id, region=args.region, partition=part, tags=tags),
                opts=child,
            )

        secrets_key, logs_key = key(KeyUse.KUBERNETES_SECRETS), key(KeyUse.LOGS)
        volumes_key, images_key = key(KeyUse.NODE_VOLUMES), key(KeyUse.IMAGES)

        network = Network(
            f"{name}-network",
            NetworkArgs(
                cidr=args.vpc_cidr,
                availability_zone_count=args.availability_zone_count,
                cluster_name=name,
                account_id=args.account_id,
                region=args.region,
                partition=part,
                log_key_arn=logs_key.key_arn,
                log_retention_days=args.log_retention_days,
                internet_egress=args.internet_egress,
                endpoint_services=args.endpoint_services,
                image_registry_accounts=args.image_registry_accounts,
                tags=tags,
            ),
            opts=child,
        )

        # Control plane role: the EKS service, with the cluster policy and use of the secrets key only.
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            description=f"EKS control plane of {name}",
            assume_role_policy=service_trust(CONTROL_PLANE_SERVICE, ("sts:AssumeRole", "sts:TagSession")),
            tags=tags,
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=cluster_role.name,
            policy_arn=managed_policy_arn(part, "AmazonEKSClusterPolicy"),
            opts=child,
        )
        secrets_key_use = aws.iam.RolePolicy(
            f"{name}-cluster-secrets-key",
            role=cluster_role.id,
            policy=secrets_key.key_arn.apply(
                lambda arn: document(
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                        "Resource": arn,
                    }
                )
            ),
            opts=child,
        )

        # Created before the cluster, so that EKS never makes an unencrypted group without retention.
        control_plane_logs = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=logs_key.key_arn,
            tags=tags,
            opts=child,
        )

        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=name,
            version=args.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=network.private_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=args.public_endpoint,
                # The private endpoint's ENIs carry this group too: clients such as the deployment runner are
                # admitted by a rule on it, not by EKS's cluster security group (which the nodes share).
                security_group_ids=[network.api_security_group_id],
                # Only sent when public: EKS reports 0.0.0.0/0 for a private endpoint, never set it ourselves.
                public_access_cidrs=list(args.public_endpoint_cidrs) if args.public_endpoint else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"], provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.key_arn)
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False
            ),
            # No unmanaged aws-node/kube-proxy/CoreDNS: every add-on is a pinned, managed one.
            bootstrap_self_managed_addons=False,
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                ip_family="ipv4", service_ipv4_cidr=args.service_ipv4_cidr
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            deletion_protection=args.deletion_protection,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[control_plane_logs, cluster_policy, secrets_key_use]),
        )

        admin_grants: list[aws.eks.AccessPolicyAssociation] = []
        for role_arn in args.admin_role_arns:
            role_name = role_arn.rsplit("/", 1)[-1]
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{role_name}",
                cluster_name=cluster.name,
                principal_arn=role_arn,
                type="STANDARD",
                tags={**tags, "nhi-platform/access": "cluster-admin"},
                opts=child,
            )
            admin_grants.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-admin-{role_name}-policy",
                    cluster_name=cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=f"arn:{part}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}",
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=child,
                )
            )

        issuer = cluster.identities.apply(
            lambda ids: ids[0]["oidcs"][0]["issuer"] if isinstance(ids[0], dict) else ids[0].oidcs[0].issuer
        )
        oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=issuer, client_id_lists=[STS_AUDIENCE], tags=tags, opts=child
        )

        node_role = aws.iam.Role(
            f"{name}-node-role",
            description=f"Bottlerocket nodes of {name}",
            assume_role_policy=service_trust("ec2.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}", role=node_role.name, policy_arn=managed_policy_arn(part, policy), opts=child
            )
            for policy in NODE_POLICIES
        ]

        # EKS cluster ARNs are determined by partition, region, account and name. Using the derived value
        # (not the computed output) keeps trust policies known in a first preview, so the policy pack can
        # judge them before anything exists; ordering still comes from cluster.name where it matters.
        known_arn = pulumi.Output.from_input(cluster_arn(part, args.region, args.account_id, name))

        bootstrap = ClusterAddons(
            f"{name}-bootstrap-addons",
            ClusterAddonsArgs(
                phase=AddonPhase.NODE_BOOTSTRAP,
                cluster_name=cluster.name,
                cluster_arn=known_arn,
                account_id=args.account_id,
                partition=part,
                vpc_cni_version=args.addon_versions.vpc_cni,
                kube_proxy_version=args.addon_versions.kube_proxy,
                pod_identity_agent_version=args.addon_versions.pod_identity_agent,
                network_policy_mode=args.network_policy_mode,
                tags=tags,
            ),
            opts=child,
        )

        groups = [
            NodeGroup(
                f"{name}-{group.name}",
                NodeGroupArgs.of(
                    group,
                    cluster_name=cluster.name,
                    kubernetes_version=args.kubernetes_version,
                    node_role_arn=node_role.arn,
                    subnet_ids=network.private_subnet_ids,
                    volume_key_arn=volumes_key.key_arn,
                    labels={"nhi-platform/node-group": group.name},
                    tags=tags,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[bootstrap, *node_policies]),
            )
            for group in args.node_groups
        ]

        ClusterAddons(
            f"{name}-addons",
            ClusterAddonsArgs(
                phase=AddonPhase.SCHEDULED,
                cluster_name=cluster.name,
                cluster_arn=known_arn,
                account_id=args.account_id,
                partition=part,
                coredns_version=args.addon_versions.coredns,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=groups),
        )

        registry = ImageRegistry(
            f"{name}-registry",
            ImageRegistryArgs(repositories=list(args.repositories), key_arn=images_key.key_arn, tags=tags),
            opts=child,
        )

        self.cluster_name = cluster.name
        self.cluster_arn = known_arn
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.apply(
            lambda ca: ca["data"] if isinstance(ca, dict) else ca.data
        )
        self.oidc_issuer_url = issuer
        self.oidc_provider_arn = oidc_provider.arn
        self.node_role_arn = node_role.arn
        self.registry_urls = registry.repository_urls
        self.service_ipv4_cidr = args.service_ipv4_cidr
        self.vpc_id = network.vpc_id
        self.network = network
        self.log_key_arn = logs_key.key_arn
        # Resolves after the admin grants: a provider built from it never calls an API it may not use yet.
        self.kubeconfig = pulumi.Output.all(
            cluster.name,
            cluster.endpoint,
            self.certificate_authority,
            *[g.id for g in admin_grants],
        ).apply(lambda values: exec_kubeconfig(values[0], values[1], values[2], args.region))
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "endpoint": self.endpoint,
                "certificate_authority": self.certificate_authority,
                "oidc_issuer_url": self.oidc_issuer_url,
                "oidc_provider_arn": self.oidc_provider_arn,
                "node_role_arn": self.node_role_arn,
                "registry_urls": self.registry_urls,
                "kubeconfig": self.kubeconfig,
                "service_ipv4_cidr": self.service_ipv4_cidr,
                "vpc_id": self.vpc_id,
            }
        )
