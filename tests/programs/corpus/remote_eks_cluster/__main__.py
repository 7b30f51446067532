"""The shape of the `pulumi new kubernetes-aws-python` template: an EKS cluster from pulumi_eks (a
multi-language component: its Python class only registers `eks:index:Cluster` with remote=True, and the
eks plugin constructs the real cluster) and a workload on it. Written with the pulumi SDK directly, as
pulumi_eks's generated class registers it, so that the test needs no pulumi_eks."""

import pulumi
import pulumi_aws as aws

# pulumi_eks sends its own version in every registration (its _utilities.get_resource_opts_defaults()).
EKS_SDK_VERSION = "4.4.0"


class Cluster(pulumi.ComponentResource):
    kubeconfig: pulumi.Output[object]
    eks_cluster: pulumi.Output[object]

    def __init__(self, name: str, props: dict, opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = {"kubeconfig": None, "eksCluster": None, "core": None}
        super().__init__(
            "eks:index:Cluster",
            name,
            {**props, **outputs},
            pulumi.ResourceOptions.merge(pulumi.ResourceOptions(version=EKS_SDK_VERSION), opts),
            remote=True,
        )


vpc = aws.ec2.Vpc("eks-vpc", cidr_block="10.0.0.0/16", tags={"Name": "eks-vpc"})
cluster = Cluster(
    "cluster",
    {
        "vpcId": vpc.id,
        "instanceType": "t3.medium",
        "desiredCapacity": 2,
        "endpointPublicAccess": True,  # the template's default: the API server is open to the internet
    },
)
pulumi.export("kubeconfig", cluster.kubeconfig)
