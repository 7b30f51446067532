"""Blue-green slots of one workload: a Deployment per slot, each pinned to its slot's digest, and the stable
Service selecting the active slot. Both slots run as the workload's one ServiceAccount.

Layout (issue 5 adds to it without moving anything):
- `<name>-blue`, `<name>-green`: Deployments `<workload>-blue` / `<workload>-green`, pods labelled
  `app.kubernetes.io/name=<workload>` and `nhi-platform/slot=<slot>`; the active slot runs `replicas`, the
  idle one `idle_replicas`. A release changes only the idle slot's image, so only its Deployment changes.
- `<name>-service`: Service `<workload>`, selector {name, slot: active}. A promote or rollback changes only
  this selector. (Planned beside it: `<name>-preview` selecting the idle slot, `<name>-pdb-<slot>`, and the
  gate Job that the stable Service will depend on.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from settings.model import ComputeResources, HealthChecks, Slot

from . import labels
from .pods import PORT_NAME, ServicePod, pinned_image, service_pod_template

REVISION_HISTORY = 3


@dataclass(frozen=True, kw_only=True)
class RolloutArgs:
    workload: str
    """Workload name: the stable Service's name and the prefix of the Deployments."""
    namespace: pulumi.Input[str]
    """Namespace (the Namespace resource's name output, so that objects wait for it)."""
    service_account: pulumi.Input[str]
    """The workload's ServiceAccount (both slots use it: one identity)."""
    images: dict[Slot, str]
    """Image of each slot, pinned by digest."""
    active: Slot
    """The slot the stable Service sends traffic to."""
    replicas: int
    """Replicas of the active slot."""
    idle_replicas: int
    """Replicas of the idle slot (0 allowed: no instant rollback)."""
    port: int
    """Container and Service port."""
    allowed_registries: tuple[str, ...]
    """Registries images may come from; anything else is refused."""
    resources: ComputeResources = field(default_factory=ComputeResources)
    """Container requests and limits. Default: 100m/500m CPU, 128Mi/256Mi memory."""
    health: HealthChecks = field(default_factory=HealthChecks)
    """Probes. Default: HTTP GET /readyz and /livez."""
    run_as_user: int = 10001
    """Numeric user and group of the container. Default: 10001."""
    kubernetes_api_access: bool = False
    """Mount a Kubernetes API token. Default: no token."""


class Rollout(pulumi.ComponentResource):
    """Two slot Deployments and the stable Service of one workload."""

    deployments: dict[Slot, k8s.apps.v1.Deployment]
    service: k8s.core.v1.Service
    service_name: pulumi.Output[str]

    def __init__(self, name: str, args: RolloutArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:rollout:Rollout", name, None, opts)
        if set(args.images) != set(Slot):
            raise ValueError(f"expected an image for each slot ({', '.join(s.value for s in Slot)}), "
                             f"got {', '.join(sorted(s.value for s in args.images))}")
        child = pulumi.ResourceOptions(parent=self)
        self.deployments = {}
        for slot in Slot:
            self.deployments[slot] = self._deployment(name, args, slot, child)

        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.workload, namespace=args.namespace,
                                                labels=labels.workload_labels(args.workload)),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=labels.slot_selector(args.workload, args.active.value),
                ports=[k8s.core.v1.ServicePortArgs(name=PORT_NAME, port=args.port, target_port=PORT_NAME,
                                                   protocol="TCP")],
            ),
            opts=child,
        )
        self.service_name = self.service.metadata.name
        self.register_outputs({"service_name": self.service_name})

    @staticmethod
    def _deployment(name: str, args: RolloutArgs, slot: Slot,
                    child: pulumi.ResourceOptions) -> k8s.apps.v1.Deployment:
        pod_labels = labels.slot_labels(args.workload, slot.value)
        template = service_pod_template(ServicePod(
            labels=pod_labels,
            service_account=args.service_account,
            image=pinned_image(args.images[slot], args.allowed_registries),
            port=args.port,
            resources=args.resources,
            health=args.health,
            run_as_user=args.run_as_user,
            kubernetes_api_access=args.kubernetes_api_access,
        ))
        return k8s.apps.v1.Deployment(
            f"{name}-{slot.value}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{args.workload}-{slot.value}", namespace=args.namespace,
                                                labels=pod_labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.replicas if slot is args.active else args.idle_replicas,
                revision_history_limit=REVISION_HISTORY,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels.slot_selector(args.workload, slot.value)),
                # Within a slot, never drop below the running count while pods are replaced.
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_surge=1, max_unavailable=0),
                ),
                template=template,
            ),
            opts=child,
        )
