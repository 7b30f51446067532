"""The workload wiring of the real program, on a stand-in for the cluster wiring (branch `cluster`).

The stand-in registers the same kinds of resources the cluster components expose (an EKS cluster, its OIDC
provider, a Kubernetes provider built from the cluster, PSA-labelled namespaces), so the workload components
see outputs, not literals, as in the real program. Tests switch to the real program once it has both."""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

import settings
from components.workloads import Workloads, WorkloadsArgs

stack = settings.load_settings()

# --- stand-in for the cluster wiring --------------------------------------------------------------------
_eks = aws.eks.Cluster("cluster", name=stack.cluster.name, role_arn=f"arn:aws:iam::{stack.account_id}:role/eks",
                       vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-0standin"]))
_issuer = _eks.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
_oidc = aws.iam.OpenIdConnectProvider("cluster-oidc", url=_issuer, client_id_lists=["sts.amazonaws.com"])


class _ClusterOutputs:
    cluster_name = _eks.name
    cluster_arn = _eks.arn
    oidc_issuer_url = _issuer
    oidc_provider_arn = _oidc.arn


cluster = _ClusterOutputs()
k8s_provider = k8s.Provider("k8s", kubeconfig="standin", enable_server_side_apply=True)


class _Namespaces:
    namespaces = {
        name: k8s.core.v1.Namespace(
            f"namespace-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, labels={
                f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}),
            opts=pulumi.ResourceOptions(provider=k8s_provider))
        for name in sorted({w.namespace for w in stack.workloads})
    }


namespaces = _Namespaces()

# --- workload wiring: keep identical to the block in ../../../__main__.py --------------------------------
workloads = Workloads("workloads", WorkloadsArgs.from_settings(
    stack,
    cluster_name=cluster.cluster_name,
    cluster_arn=cluster.cluster_arn,
    oidc_provider_arn=cluster.oidc_provider_arn,
    oidc_issuer_url=cluster.oidc_issuer_url,
    namespace_outputs={name: ns.metadata.name for name, ns in namespaces.namespaces.items()},
), opts=pulumi.ResourceOptions(providers=[k8s_provider]))
pulumi.export("workloadRoleArns", workloads.role_arns)
