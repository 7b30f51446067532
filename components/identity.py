"""One workload's identity: a Kubernetes ServiceAccount and the one IAM role bound to it alone.

`pod-identity` (default): the role trusts `pods.eks.amazonaws.com`, scoped by conditions to this account,
this cluster, this namespace and this service account; an EKS Pod Identity association binds them.
`irsa`: the role trusts the cluster's OIDC provider for exactly `system:serviceaccount:<ns>:<sa>` with the
`sts.amazonaws.com` audience; the ServiceAccount carries the role annotation.
Permissions come from the access catalog only. Credentials are short-lived STS sessions: no users, no keys.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from nhi_rules.contract import REVOKE_POLICY_NAME, REVOKE_SID, SESSIONS_REVOKED_TAG

from . import labels
from .access_catalog import Grant, policy_document
from .policy_documents import MAX_SESSION_SECONDS, POLICY_VERSION, STS_AUDIENCE


class IdentityMode(str, Enum):
    """How a workload's pods get its role's credentials."""

    POD_IDENTITY = "pod-identity"
    """EKS Pod Identity: the agent on the node hands out the credentials of the associated role."""
    IRSA = "irsa"
    """IAM Roles for Service Accounts: the pods exchange their projected token with STS themselves."""


POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
IRSA_ACTION = "sts:AssumeRoleWithWebIdentity"
ROLE_PATH = "/nhi-platform/workloads/"
"""Every workload role lives under this path (the pipeline's grants name them by it)."""
# IAM caps name_prefix at 38 characters; the provider appends a unique suffix.
ROLE_NAME_PREFIX_MAX = 38


def revoke_older_sessions(revoked_before: str) -> dict[str, Any]:
    """AWS's deny-older-sessions policy ("Revoking IAM role temporary security credentials", IAM User Guide): every
    action of a session issued before `revoked_before` is denied; sessions issued after it are not affected."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": REVOKE_SID,
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": revoked_before}},
            }
        ],
    }


def service_account_subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def pod_identity_conditions(
    *, account_id: str, cluster_arn: str, namespace: str, service_account: str
) -> dict[str, dict[str, str]]:
    """The conditions that bind a Pod Identity role to one (account, cluster, namespace, service account): EKS sets
    the session tags they check, so no other association in the account can use the role."""
    return {
        "StringEquals": {
            "aws:SourceAccount": account_id,
            "aws:RequestTag/eks-cluster-arn": cluster_arn,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": service_account,
        }
    }


def pod_identity_trust(*, account_id: str, cluster_arn: str, namespace: str, service_account: str) -> dict[str, Any]:
    """Trust for EKS Pod Identity, bound to one (account, cluster, namespace, service account).

    The namespace, service account and cluster ARN arrive as session tags that EKS sets; they cannot be
    chosen by whoever creates an association, so another association in the account cannot use this role.
    `aws:SourceArn` is left out on purpose: AWS does not document the value EKS passes, and a wrong guess
    breaks every pod; `aws:RequestTag/eks-cluster-arn` pins the cluster instead."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "EksPodIdentityForOneServiceAccount",
                "Effect": "Allow",
                "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
                "Action": list(POD_IDENTITY_ACTIONS),
                "Condition": pod_identity_conditions(
                    account_id=account_id, cluster_arn=cluster_arn, namespace=namespace, service_account=service_account
                ),
            }
        ],
    }


def irsa_trust(*, oidc_provider_arn: str, oidc_issuer_url: str, namespace: str, service_account: str) -> dict[str, Any]:
    """Trust for IRSA: this cluster's OIDC provider, exact `sub` and `aud` (StringEquals, no wildcards)."""
    issuer = oidc_issuer_url.removeprefix("https://")
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "IrsaForOneServiceAccount",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": IRSA_ACTION,
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:aud": STS_AUDIENCE,
                        f"{issuer}:sub": service_account_subject(namespace, service_account),
                    }
                },
            }
        ],
    }


@dataclass(frozen=True, kw_only=True)
class WorkloadIdentityArgs:
    workload: str
    """Workload name; also the ServiceAccount's name (one identity per workload)."""
    namespace: str
    """Namespace of the ServiceAccount, as a plain name (it appears in the trust policy)."""
    account_id: str
    """The stack's AWS account (the pod-identity trust accepts calls from it only)."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster the association belongs to (pod-identity)."""
    cluster_arn: pulumi.Input[str]
    """The EKS cluster's ARN, matched against the `eks-cluster-arn` session tag (pod-identity)."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider (irsa)."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer, `https://oidc.eks.<region>.amazonaws.com/id/<ID>` (irsa)."""
    mode: IdentityMode = IdentityMode.POD_IDENTITY
    """How pods get the role's credentials. Default: EKS Pod Identity."""
    grants: Sequence[Grant] = ()
    """Access catalog entries; the role's only permissions. Default: none."""
    permissions_boundary_arn: str | None = None
    """A customer-managed policy set as the role's permissions boundary. Default: none."""
    kubernetes_api_access: bool = False
    """Mount a Kubernetes API token in pods of this ServiceAccount. Default: no token."""
    namespace_output: pulumi.Input[str] | None = None
    """The namespace name as an output of its Namespace resource, so the ServiceAccount waits for it.
    Default: the plain name (the namespace already exists)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Extra AWS tags for the role and association."""
    revoke_sessions_before: str | None = None
    """ISO 8601 UTC time (`nhi revoke`): sessions of the role issued before it are denied everything. Default: none."""


class WorkloadIdentity(pulumi.ComponentResource):
    """ServiceAccount + IAM role (+ its permission policy) + Pod Identity association or IRSA annotation."""

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    service_account_name: pulumi.Output[str]

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:identity:WorkloadIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sa_name = args.workload
        tags = {
            **args.tags,
            labels.WORKLOAD_TAG: args.workload,
            "nhi-platform/namespace": args.namespace,
            "nhi-platform/service-account": sa_name,
        }
        role_tags = dict(tags)
        if args.revoke_sessions_before is not None:
            role_tags[SESSIONS_REVOKED_TAG] = args.revoke_sessions_before

        if args.mode is IdentityMode.IRSA:
            trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer_url).apply(
                lambda v: json.dumps(
                    irsa_trust(
                        oidc_provider_arn=v[0], oidc_issuer_url=v[1], namespace=args.namespace, service_account=sa_name
                    )
                )
            )
        else:
            trust = pulumi.Output.from_input(args.cluster_arn).apply(
                lambda arn: json.dumps(
                    pod_identity_trust(
                        account_id=args.account_id, cluster_arn=arn, namespace=args.namespace, service_account=sa_name
                    )
                )
            )

        role = aws.iam.Role(
            f"{name}-role",
            name_prefix=f"{args.workload}-"[:ROLE_NAME_PREFIX_MAX],
            path=ROLE_PATH,
            description=f"Workload identity of {args.namespace}/{sa_name} ({args.mode.value})",
            assume_role_policy=trust,
            permissions_boundary=args.permissions_boundary_arn,
            max_session_duration=MAX_SESSION_SECONDS,
            tags=role_tags,
            opts=child,
        )
        if args.revoke_sessions_before is not None:
            aws.iam.RolePolicy(
                f"{name}-revoke-older-sessions",
                role=role.name,
                name=REVOKE_POLICY_NAME,
                policy=json.dumps(revoke_older_sessions(args.revoke_sessions_before)),
                opts=child,
            )
        document = policy_document(args.grants)
        if document is not None:
            aws.iam.RolePolicy(f"{name}-access", role=role.name, policy=json.dumps(document), opts=child)

        annotations = {}
        if args.mode is IdentityMode.IRSA:
            annotations[labels.IRSA_ROLE_ANNOTATION] = role.arn
        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=sa_name,
                namespace=args.namespace_output if args.namespace_output is not None else args.namespace,
                labels=labels.workload_labels(args.workload),
                annotations=annotations or None,
            ),
            automount_service_account_token=args.kubernetes_api_access,
            opts=child,
        )
        if args.mode is IdentityMode.POD_IDENTITY:
            aws.eks.PodIdentityAssociation(
                f"{name}-association",
                cluster_name=args.cluster_name,
                namespace=args.namespace,
                service_account=service_account.metadata.name,
                role_arn=role.arn,
                # Session tags carry the namespace and SA that the trust conditions check: never disabled.
                disable_session_tags=False,
                tags=tags,
                opts=child,
            )

        self.role_arn = role.arn
        self.role_name = role.name
        self.service_account_name = service_account.metadata.name
        self.register_outputs({"role_arn": self.role_arn, "service_account_name": self.service_account_name})
