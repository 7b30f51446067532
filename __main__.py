"""The nhi-platform program: stack config in, components out. No logic of its own (see ../shared/DESIGN.md)."""

import pulumi

import settings
from components.workloads import Workloads, WorkloadsArgs

stack = settings.load_settings()

# --- workloads (after the cluster wiring: uses `cluster`, `k8s_provider` and `namespaces`) ---------------
workloads = Workloads("workloads", WorkloadsArgs.from_settings(
    stack,
    cluster_name=cluster.cluster_name,
    cluster_arn=cluster.cluster_arn,
    oidc_provider_arn=cluster.oidc_provider_arn,
    oidc_issuer_url=cluster.oidc_issuer_url,
    namespace_outputs={name: ns.metadata.name for name, ns in namespaces.namespaces.items()},
), opts=pulumi.ResourceOptions(providers=[k8s_provider]))
pulumi.export("workloadRoleArns", workloads.role_arns)
