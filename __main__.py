"""The nhi-platform program: stack config in, components out. No logic of its own (see ../shared/DESIGN.md)."""

import pulumi
import pulumi_kubernetes as kubernetes

import settings
from components.cluster import Cluster, ClusterArgs, NodeGroupSpec
from components.cluster_dns_policy import ClusterDnsPolicy, ClusterDnsPolicyArgs
from components.detective import DetectiveControls, DetectiveControlsArgs
from components.namespaces import Namespaces, NamespacesArgs
from components.node_group import AmiType
from components.workloads import Workloads, WorkloadsArgs

stack = settings.load_settings()
tags = {"nhi-platform/stack": pulumi.get_stack(), "nhi-platform/environment": stack.environment.value}

# --- Cluster (interface for the workloads wiring below: `cluster`, `k8s_provider`, `namespaces`) ---------
versions = stack.addon_versions
cluster = Cluster(
    stack.cluster.name,
    ClusterArgs(
        kubernetes_version=stack.cluster.kubernetes_version,
        vpc_cidr=stack.cluster.vpc_cidr,
        availability_zone_count=stack.availability_zone_count,
        public_endpoint_cidrs=stack.cluster.public_endpoint_cidrs,
        admin_role_arns=stack.cluster.admin_role_arns,
        node_groups=[
            NodeGroupSpec(
                name=group.name,
                instance_types=group.instance_types,
                ami_type=AmiType.for_architecture(group.architecture.value),
                bottlerocket_release=group.bottlerocket_release,
                min_size=group.min_size,
                desired_size=group.desired_size,
                max_size=group.max_size,
                data_volume_gib=group.disk_size_gib,
                max_unavailable_percentage=group.max_unavailable_percentage,
                metadata_hop_limit=group.metadata_hop_limit,
            )
            for group in stack.cluster.node_groups
        ],
        vpc_cni_version=versions.vpc_cni,
        coredns_version=versions.coredns,
        kube_proxy_version=versions.kube_proxy,
        pod_identity_agent_version=versions.pod_identity_agent,
        account_id=stack.account_id,
        region=stack.region,
        partition=stack.partition,
        log_retention_days=stack.log_retention_days,
        deletion_protection=stack.deletion_protection,
        repositories=[workload.name for workload in stack.workloads],
        tags=tags,
    ),
)

# Short-lived credentials only: the kubeconfig execs `aws eks get-token`; no token is stored anywhere.
k8s_provider = kubernetes.Provider(
    "k8s",
    kubeconfig=cluster.kubeconfig,
    cluster_identifier=cluster.cluster_arn,  # replace the provider only if the cluster itself is replaced
    enable_server_side_apply=True,
    delete_unreachable=False,
)

namespaces = Namespaces(
    "workload-namespaces",
    NamespacesArgs(
        names=stack.namespaces,
        kubernetes_version=stack.cluster.kubernetes_version,
    ),
    opts=pulumi.ResourceOptions(provider=k8s_provider),
)

# Strict network policy enforcement denies CoreDNS too until this allows its traffic.
ClusterDnsPolicy(
    "cluster-dns",
    ClusterDnsPolicyArgs(
        client_namespaces=tuple(stack.namespaces),
        vpc_cidr=stack.cluster.vpc_cidr,
        service_ipv4_cidr=cluster.service_ipv4_cidr,
    ),
    opts=pulumi.ResourceOptions(provider=k8s_provider),
)

if stack.detective_controls:
    DetectiveControls("detective", DetectiveControlsArgs(tags=tags))

pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("clusterEndpoint", cluster.endpoint)
pulumi.export("oidcIssuerUrl", cluster.oidc_issuer_url)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
pulumi.export("nodeRoleArn", cluster.node_role_arn)
pulumi.export("registryUrls", cluster.registry_urls)
# --- end of cluster wiring ------------------------------------------------------------------------------

# --- Workloads: one identity, hardened blue-green slots and declared flows each ---------------------------
workloads = Workloads(
    "workloads",
    WorkloadsArgs.from_settings(
        stack,
        cluster_name=cluster.cluster_name,
        cluster_arn=cluster.cluster_arn,
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer_url=cluster.oidc_issuer_url,
        namespace_outputs=namespaces.names,
    ),
    opts=pulumi.ResourceOptions(providers=[k8s_provider]),
)
pulumi.export("workloadRoleArns", workloads.role_arns)

# --- Pipeline identity (README: CI): GitHub Actions OIDC, this environment's deploy role, read-only preview role ----
from components.deployer_identity import DeployerIdentity, DeployerIdentityArgs  # noqa: E402  (self-contained block)

if stack.ci is not None:
    pipeline = DeployerIdentity(
        "pipeline",
        DeployerIdentityArgs(
            org=stack.ci.org,
            repository=stack.ci.repository,
            environment=stack.environment,
            account_id=stack.account_id,
            region=stack.region,
            partition=stack.partition,
            cluster_name=stack.cluster.name,
            cluster_admin_role_arns=stack.cluster.admin_role_arns,
            oidc_provider=stack.ci.oidc_provider,
            role_boundary_arn=stack.permissions_boundary_arn,
            detective_controls=stack.detective_controls,
            tags=tags,
        ),
    )
    pulumi.export("ciDeployRoleArn", pipeline.deploy_role_arn)
    pulumi.export("ciPreviewRoleArn", pipeline.preview_role_arn)
    pulumi.export("ciOidcProviderArn", pipeline.oidc_provider_arn)
# --- end of pipeline identity -----------------------------------------------------------------------------------------
