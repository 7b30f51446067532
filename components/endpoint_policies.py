"""VPC endpoint policies: a data perimeter around the cluster's private paths to AWS. Each endpoint admits only
calls by this account's principals to this account's resources (`aws:PrincipalAccount` and `aws:ResourceAccount`,
the keys of AWS's data-perimeter guidance), plus the few AWS-owned resources the cluster needs by name: the EKS
add-on images (ECR repositories of AWS's registry account for the region, layers in the region's ECR layer
bucket, fetched with URLs ECR presigns) and the web-identity calls of IRSA and GitHub OIDC, which carry no principal
account yet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .policy_documents import document

GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})
"""Services reached through a gateway endpoint (a route in the subnets' route tables, no ENI, no charge)."""
BASE_INTERFACE_SERVICES = ("ecr.api", "ecr.dkr", "sts", "logs", "ec2", "eks", "eks-auth")
"""What the nodes, the VPC CNI, the Pod Identity agent and the deployment runner call: image pulls (ECR api and
dkr, layers from S3), credentials (STS, EKS Auth for Pod Identity), the CNI's ENI calls (EC2), the node's
registration (EKS) and the runner's logs (CloudWatch Logs)."""
BASE_GATEWAY_SERVICES = ("s3",)
"""ECR serves image layers from S3: the gateway endpoint is required for image pulls without internet."""

# Amazon EKS add-on images come from an AWS-owned registry per region (EKS User Guide, "View Amazon container image
# registries for Amazon EKS add-ons"): 602401143452 in most commercial regions, these elsewhere.
EKS_ADDON_REGISTRY_DEFAULT = "602401143452"
EKS_ADDON_REGISTRY_ACCOUNTS = {
    "af-south-1": "877085696533",
    "ap-east-1": "800184023465",
    "ap-south-2": "900889452093",
    "ap-southeast-3": "296578399912",
    "ap-southeast-4": "491585149902",
    "ap-southeast-5": "151610086707",
    "ap-southeast-7": "121268973566",
    "ca-west-1": "761377655185",
    "eu-central-2": "900612956339",
    "eu-south-1": "590381155156",
    "eu-south-2": "455263428931",
    "il-central-1": "066635153087",
    "me-central-1": "759879836304",
    "me-south-1": "558608220178",
    "mx-central-1": "730335286997",
    "cn-north-1": "918309763551",
    "cn-northwest-1": "961992271922",
    "us-gov-east-1": "151742754352",
    "us-gov-west-1": "013241004608",
}
ECR_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
WEB_IDENTITY_ACTIONS = ("sts:AssumeRoleWithWebIdentity",)
PRINCIPAL_ACCOUNT = "aws:PrincipalAccount"
RESOURCE_ACCOUNT = "aws:ResourceAccount"


def eks_addon_registry_account(region: str) -> str:
    """The AWS account whose ECR serves the EKS add-on images (vpc-cni, kube-proxy, CoreDNS, Pod Identity agent)."""
    return EKS_ADDON_REGISTRY_ACCOUNTS.get(region, EKS_ADDON_REGISTRY_DEFAULT)


def ecr_layer_bucket(region: str) -> str:
    """The S3 bucket ECR serves layers from (ECR User Guide, "Amazon ECR interface VPC endpoints": minimum S3
    gateway endpoint policy)."""
    return f"prod-{region}-starport-layer-bucket"


def _statement(
    sid: str, actions: Sequence[str], resources: Sequence[str], condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": "*",
        "Action": list(actions) if len(actions) > 1 else actions[0],
        "Resource": list(resources) if len(resources) > 1 else resources[0],
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


def endpoint_policy(
    service: str, *, account_id: str, region: str, partition: str, image_accounts: Sequence[str] = ()
) -> str:
    """The policy of the endpoint for `service` (`ecr.dkr`, `s3`, `sts`...): this account's principals on this
    account's resources, and the named AWS-owned resources that service must reach."""
    statements = [
        _statement(
            "ThisAccountOnly",
            ("*",),
            ("*",),
            {"StringEquals": {PRINCIPAL_ACCOUNT: account_id, RESOURCE_ACCOUNT: account_id}},
        )
    ]
    ours = {"StringEquals": {PRINCIPAL_ACCOUNT: account_id}}
    registries = sorted({eks_addon_registry_account(region), *image_accounts})
    if service in ("ecr.api", "ecr.dkr"):
        statements.append(
            _statement(
                "AwsImagesForThisAccount",
                ECR_PULL_ACTIONS,
                [f"arn:{partition}:ecr:{region}:{registry}:repository/*" for registry in registries],
                ours,
            )
        )
        # GetAuthorizationToken names no resource: its resource account is not this account's registry.
        statements.append(_statement("RegistryLoginForThisAccount", ("ecr:GetAuthorizationToken",), ("*",), ours))
    elif service == "s3":
        # Layers are fetched with URLs that ECR presigns, so the request's principal is ECR's, not this account's:
        # the statement names AWS's one bucket instead (ECR User Guide, "minimum S3 gateway endpoint policy").
        statements.append(
            _statement("EcrLayers", ("s3:GetObject",), (f"arn:{partition}:s3:::{ecr_layer_bucket(region)}/*",))
        )
    elif service == "sts":
        # A web identity call is not signed by a principal of any account: it names this account's role instead.
        statements.append(
            _statement(
                "WebIdentityToThisAccountsRoles",
                WEB_IDENTITY_ACTIONS,
                (f"arn:{partition}:iam::{account_id}:role/*",),
                {"StringEquals": {RESOURCE_ACCOUNT: account_id}},
            )
        )
    return document(*statements)
