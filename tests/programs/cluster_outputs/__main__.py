"""The Cluster component outside our stacks: a public endpoint for one range, two admins, a Graviton group,
and its outputs serialised into an SSM parameter (captures record inputs, not component outputs)."""

import pulumi
import pulumi_aws as aws

from components.addons import AddonVersions
from components.cluster import Cluster, ClusterArgs
from components.node_group import AmiType, NodeGroupOptions

cluster = Cluster(
    "demo",
    ClusterArgs(
        kubernetes_version="1.34",
        vpc_cidr="10.60.0.0/20",
        availability_zone_count=2,
        public_endpoint_cidrs=["203.0.113.0/24"],
        admin_role_arns=[
            "arn:aws:iam::123456789012:role/platform-admins",
            "arn:aws:iam::123456789012:role/ops/break-glass",
        ],
        node_groups=[
            NodeGroupOptions(
                name="arm",
                instance_types=["m7g.large"],
                ami_type=AmiType.BOTTLEROCKET_ARM_64,
                bottlerocket_release="1.41.0-2b4c1d53",
                min_size=1,
                desired_size=2,
                max_size=3,
            )
        ],
        addon_versions=AddonVersions(
            vpc_cni="v1.20.4-eksbuild.1",
            coredns="v1.12.4-eksbuild.1",
            kube_proxy="v1.34.1-eksbuild.2",
            pod_identity_agent="v1.3.9-eksbuild.3",
        ),
        account_id="123456789012",
        region="eu-west-1",
        repositories=["api", "team/worker"],
    ),
)

aws.ssm.Parameter(
    "cluster-outputs",
    type="String",
    value=pulumi.Output.json_dumps(
        {
            "cluster_name": cluster.cluster_name,
            "cluster_arn": cluster.cluster_arn,
            "endpoint": cluster.endpoint,
            "certificate_authority": cluster.certificate_authority,
            "oidc_issuer_url": cluster.oidc_issuer_url,
            "oidc_provider_arn": cluster.oidc_provider_arn,
            "node_role_arn": cluster.node_role_arn,
            "registry_urls": cluster.registry_urls,
            "service_ipv4_cidr": cluster.service_ipv4_cidr,
        }
    ),
)
