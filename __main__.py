"""The nhi-platform program: stack settings in, components out. Wiring only: settings build each component's
arguments, and this file connects their outputs (see docs/architecture.md)."""

import pulumi
import pulumi_kubernetes as kubernetes

import settings
from components.admission import Admission
from components.cluster import Cluster
from components.cluster_dns_policy import ClusterDnsPolicy
from components.deployer_identity import DeployerIdentity
from components.detective import DetectiveControls
from components.namespaces import Namespaces
from components.runner import DeploymentRunner
from components.workloads import Workloads

stack = settings.load_settings()
tags = stack.resource_tags(pulumi.get_stack())

# --- Cluster (interface for the workloads wiring below: `cluster`, `k8s_provider`, `namespaces`) ---------
cluster = Cluster(stack.cluster.name, stack.cluster_args(tags))

# Short-lived credentials only: the kubeconfig execs `aws eks get-token`; no token is stored anywhere.
k8s_provider = kubernetes.Provider(
    "k8s",
    kubeconfig=cluster.kubeconfig,
    cluster_identifier=cluster.cluster_arn,  # replace the provider only if the cluster itself is replaced
    enable_server_side_apply=True,
    delete_unreachable=False,
)

namespaces = Namespaces(
    "workload-namespaces", stack.namespaces_args(), opts=pulumi.ResourceOptions(provider=k8s_provider)
)

# Strict network policy enforcement denies CoreDNS too until this allows its traffic.
ClusterDnsPolicy(
    "cluster-dns",
    stack.cluster_dns_policy_args(cluster.service_ipv4_cidr),
    opts=pulumi.ResourceOptions(provider=k8s_provider),
)

detective_args = stack.detective_controls_args(tags)
if detective_args is not None:
    DetectiveControls("detective", detective_args)

pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("clusterEndpoint", cluster.endpoint)
pulumi.export("oidcIssuerUrl", cluster.oidc_issuer_url)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
pulumi.export("nodeRoleArn", cluster.node_role_arn)
pulumi.export("registryUrls", cluster.registry_urls)
# --- end of cluster wiring ------------------------------------------------------------------------------

# --- Run-time allow-list: the API server admits only the declared digests and service accounts ------------
admission = Admission(
    "admission", stack.admission_args(namespaces.names), opts=pulumi.ResourceOptions(providers=[k8s_provider])
)

# --- Workloads: one identity, hardened blue-green slots and declared flows each ---------------------------
workloads = Workloads(
    "workloads",
    stack.workloads_args(
        cluster_name=cluster.cluster_name,
        cluster_arn=cluster.cluster_arn,
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer_url=cluster.oidc_issuer_url,
        namespace_outputs=namespaces.names,
        # Each rollout waits for the admission objects: a release's digest is admitted before its Deployment changes.
        admitted_after=admission.admitting,
    ),
    opts=pulumi.ResourceOptions(providers=[k8s_provider]),
)
pulumi.export("workloadRoleArns", workloads.role_arns)

# --- Deployment runner: ephemeral CodeBuild-hosted GitHub Actions runners inside the VPC (docs/ci.md) --------------
runner_args = stack.runner_args(
    tags,
    vpc_id=cluster.vpc_id,
    subnet_ids=cluster.network.runner_subnet_ids,
    api_security_group_id=cluster.network.api_security_group_id,
    endpoint_security_group_id=cluster.network.endpoint_security_group_id,
    log_key_arn=cluster.log_key_arn,
)
if runner_args is not None:
    runner = DeploymentRunner("deploy-runner", runner_args)
    pulumi.export("ciRunnerProject", runner.project_name)
    pulumi.export("ciRunnerRoleArn", runner.role_arn)
# --- end of deployment runner -----------------------------------------------------------------------------------

# --- Pipeline identity: GitHub Actions OIDC, this environment's deploy role, read-only preview role ------------------
pipeline_args = stack.deployer_identity_args(tags)
if pipeline_args is not None:
    pipeline = DeployerIdentity("pipeline", pipeline_args)
    pulumi.export("ciDeployRoleArn", pipeline.deploy_role_arn)
    pulumi.export("ciPreviewRoleArn", pipeline.preview_role_arn)
    pulumi.export("ciOidcProviderArn", pipeline.oidc_provider_arn)
# --- end of pipeline identity -----------------------------------------------------------------------------------------
