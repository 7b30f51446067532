"""One workload, end to end: its identity (ServiceAccount + IAM role), its blue-green slots and stable
Service, and the NetworkPolicy that allows exactly its declared flows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from nhi_rules.contract import SESSIONS_REVOKED_TAG

from . import labels
from .access_catalog import Grant
from .identity import IdentityMode, WorkloadIdentity, WorkloadIdentityArgs
from .network_policies import Peer, flow_policy_spec
from .pods import ComputeResources, HealthChecks
from .rollout import Rollout, RolloutArgs, Slot

FLOWS_SUFFIX = "flows"


@dataclass(frozen=True, kw_only=True)
class WorkloadArgs:
    name: str
    """Workload name: ServiceAccount, Service and `app.kubernetes.io/name` label."""
    namespace: str
    """Namespace name."""
    port: int
    """The port the workload listens on."""
    images: dict[Slot, str]
    """Image of each rollout slot, pinned by digest."""
    active: Slot
    """The slot that receives traffic."""
    replicas: int
    """Replicas of the active slot."""
    idle_replicas: int
    """Replicas of the idle slot."""
    allowed_registries: tuple[str, ...]
    """Registries images may come from."""
    account_id: str
    """The stack's AWS account."""
    cluster_name: pulumi.Input[str]
    """EKS cluster name (Pod Identity association)."""
    cluster_arn: pulumi.Input[str]
    """EKS cluster ARN (Pod Identity trust)."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider ARN (IRSA trust)."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer URL (IRSA trust)."""
    gate_image: str | None = None
    """Image of the rollout's health gate, pinned by digest. Default: none (only valid with idle_replicas 0)."""
    identity: IdentityMode = IdentityMode.POD_IDENTITY
    """How pods get AWS credentials. Default: EKS Pod Identity."""
    grants: Sequence[Grant] = ()
    """Access catalog entries. Default: no AWS permissions."""
    permissions_boundary_arn: str | None = None
    """Permissions boundary of the role. Default: none."""
    ingress: tuple[Peer, ...] = ()
    """Declared inbound flows. Default: none (isolated)."""
    egress: tuple[Peer, ...] = ()
    """Declared outbound flows (DNS is always allowed). Default: none."""
    resources: ComputeResources = field(default_factory=ComputeResources)
    """Container requests and limits."""
    health: HealthChecks = field(default_factory=HealthChecks)
    """Readiness and liveness probes."""
    run_as_user: int = 10001
    """Numeric user and group of the container."""
    kubernetes_api_access: bool = False
    """Mount a Kubernetes API token. Default: no token."""
    revoke_sessions_before: str | None = None
    """ISO 8601 UTC time (`nhi revoke`): the role denies older sessions and the pods are replaced. Default: none."""
    namespace_output: pulumi.Input[str] | None = None
    """The namespace name as an output of its Namespace resource. Default: the plain name."""
    admitted_after: Sequence[pulumi.Resource] = ()
    """What the cluster's admission of the workload's pods depends on (the run-time allow-list): the rollout, the
    parent of every object that runs pods, waits for it, so a release's digest is admitted before its Deployment
    changes. Only the rollout waits: the identity (IAM) is not held behind the Kubernetes API. Default: nothing."""


class Workload(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    service_account_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    identity: WorkloadIdentity
    rollout: Rollout

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:workload:Workload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = args.namespace_output if args.namespace_output is not None else args.namespace

        self.identity = WorkloadIdentity(
            f"{name}-identity",
            WorkloadIdentityArgs(
                workload=args.name,
                namespace=args.namespace,
                namespace_output=args.namespace_output,
                account_id=args.account_id,
                cluster_name=args.cluster_name,
                cluster_arn=args.cluster_arn,
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer_url=args.oidc_issuer_url,
                mode=args.identity,
                grants=args.grants,
                permissions_boundary_arn=args.permissions_boundary_arn,
                kubernetes_api_access=args.kubernetes_api_access,
                revoke_sessions_before=args.revoke_sessions_before,
            ),
            opts=child,
        )

        self.rollout = Rollout(
            f"{name}-rollout",
            RolloutArgs(
                workload=args.name,
                namespace=namespace,
                service_account=self.identity.service_account_name,
                images=args.images,
                active=args.active,
                replicas=args.replicas,
                idle_replicas=args.idle_replicas,
                port=args.port,
                allowed_registries=args.allowed_registries,
                gate_image=args.gate_image,
                resources=args.resources,
                health=args.health,
                run_as_user=args.run_as_user,
                kubernetes_api_access=args.kubernetes_api_access,
                # New pods start with fresh sessions once their role denies the older ones.
                pod_annotations=(
                    {SESSIONS_REVOKED_TAG: args.revoke_sessions_before} if args.revoke_sessions_before else {}
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.admitted_after)),
        )

        k8s.networking.v1.NetworkPolicy(
            f"{name}-{FLOWS_SUFFIX}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.name}-{FLOWS_SUFFIX}", namespace=namespace, labels=labels.workload_labels(args.name)
            ),
            spec=flow_policy_spec(args.name, args.ingress, args.egress),
            opts=child,
        )

        self.role_arn = self.identity.role_arn
        self.service_account_name = self.identity.service_account_name
        self.service_name = self.rollout.service_name
        self.register_outputs({"role_arn": self.role_arn, "service_name": self.service_name})
