"""Blue-green slots of one workload, released by digest and gated by a smoke test before traffic moves.

Objects (`<w>` is the workload, `<name>` this component):
- `<name>-blue`, `<name>-green`: Deployments `<w>-blue` / `<w>-green`, each pinned to its slot's digest, pods
  labelled `app.kubernetes.io/name=<w>` and `nhi-platform/slot=<slot>`, all running as the workload's one
  ServiceAccount. The active slot runs `replicas`, the idle one `idle_replicas`.
- `<name>-service`: Service `<w>`, selector {name, slot: active}: the traffic.
- `<name>-preview`: Service `<w>-preview`, selector {name, slot: idle}: the next (or the previous) release.
- `<name>-pdb-<slot>`: PodDisruptionBudget `<w>-<slot>` per slot, `maxUnavailable: 1` (see PDB_MAX_UNAVAILABLE).
- `<name>-gate-<slot>`: Job `<w>-gate-<slot>-<digest8>-<spec5>` per slot: the health gate (see below).
- `<name>-gate-sa`, `<name>-gate-policy`, `<name>-gate-ingress`: the gate's own ServiceAccount (no role, no
  token), a NetworkPolicy `<w>-gate` letting the gate pods reach exactly the workload's port, and
  `<w>-gate-ingress` letting the workload's pods (both slots, selected by name) accept them on that port.

The moves, and what each changes (tests compare the preflight of consecutive configs):
- release (a new digest on the idle slot): the idle Deployment and that slot's gate Job (its name carries the
  digest, so it is a new Job: replaced, never patched). The gate runs after both Deployments are ready and
  smoke-tests the idle slot through `<w>-preview`; a failing gate fails `pulumi up`, traffic untouched.
- promote / rollback (flip `active`): the two Services' selectors only (plus replica counts where the idle
  slot is smaller than the live one). The stable Service depends on the gate Job of the slot it selects:
  pulumi-kubernetes awaits a Job until its `Complete` condition and fails on `Failed`, and a Job that failed
  in an earlier update is awaited again on the next one, so traffic cannot move onto a slot whose gate failed.

`idle_replicas: 0` runs no gate: nothing runs on the idle slot to test, and a gate created at promote time
would test the preview Service while it flips away. Then the stable Service waits for the new slot's
Deployment (readiness probes) and the old slot scales to zero only after the flip.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum

import pulumi
import pulumi_kubernetes as k8s

from . import labels
from .pods import (
    GATE_RESOURCES,
    GATE_USER,
    PORT_NAME,
    ComputeResources,
    GatePod,
    HealthChecks,
    ProbeKind,
    ServicePod,
    gate_pod_template,
    pinned_image,
    service_pod_template,
)


class Slot(str, Enum):
    """A rollout slot: one Deployment pinned to one digest. The active slot serves traffic, the other is idle."""

    BLUE = "blue"
    GREEN = "green"

    @property
    def other(self) -> Slot:
        return Slot.GREEN if self is Slot.BLUE else Slot.BLUE


REVISION_HISTORY = 3

# One pod of a slot may be evicted at a time: with 3 replicas a node drain keeps 2 serving; with 1 (dev) or 0
# (an idle slot) it never blocks a drain, which `minAvailable` would (minAvailable 1 of 1 blocks forever).
PDB_MAX_UNAVAILABLE = 1
# Pods that are not ready (a bad release on the idle slot) may always be evicted, so they never block the
# replacement of nodes (`bottlerocketRelease` changes drain every node).
PDB_UNHEALTHY_POD_EVICTION = "AlwaysAllow"

# The gate: 3 attempts (a pod lost with its node, a Service whose endpoints lag the readiness of the pods),
# each bounded by the check's own retries; the whole Job is cut at 5 minutes, under the provider's default
# 10-minute await, so that a hung gate ends as a `Failed` Job with reason DeadlineExceeded (a clear error)
# rather than an await timeout. No `ttlSecondsAfterFinished`: the Job belongs to Pulumi's state; if the TTL
# controller deleted it, a refresh would drop it and the next `up` would run it again at a moment nobody
# chose. A finished Job costs nothing but its record and its pods' logs (kept for a failed gate), and the
# next release of its slot replaces it: at most two gate Jobs per workload exist.
GATE_BACKOFF_LIMIT = 2
GATE_DEADLINE_SECONDS = 300
GATE_CHECK_TIMEOUT_SECONDS = 5
GATE_CHECK_RETRIES = 3
GATE_CHECK_RETRY_DELAY_SECONDS = 2
# Bump when the Job template changes in code: the Job name then changes, so the change is a replacement
# (a Job's pod template is immutable, and a server-side-apply patch of it fails).
GATE_TEMPLATE_REVISION = 1
KUBERNETES_NAME_MAX = 63
GATE_IMAGE_REQUIRED = (
    "a gate image is required when the idle slot runs pods (idle_replicas {idle}): every "
    "release is smoke-tested before traffic may move to it"
)


@dataclass(frozen=True, kw_only=True)
class RolloutArgs:
    workload: str
    """Workload name: the stable Service's name and the prefix of every other object."""
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
    """Replicas of the idle slot (0 allowed: no gate and no instant rollback)."""
    port: int
    """Container and Service port."""
    allowed_registries: tuple[str, ...]
    """Registries images may come from; anything else is refused."""
    gate_image: str | None = None
    """Image of the health gate (`curl` and `nc` on its PATH), pinned by digest from an allowed registry.
    Default: none, refused unless `idle_replicas` is 0 (no gate then)."""
    resources: ComputeResources = field(default_factory=ComputeResources)
    """Container requests and limits. Default: 100m/500m CPU, 128Mi/256Mi memory."""
    health: HealthChecks = field(default_factory=HealthChecks)
    """Probes, and the gate's check. Default: HTTP GET /readyz and /livez."""
    run_as_user: int = 10001
    """Numeric user and group of the container. Default: 10001."""
    kubernetes_api_access: bool = False
    """Mount a Kubernetes API token. Default: no token."""
    pod_annotations: dict[str, str] = field(default_factory=dict)
    """Annotations of both slots' pods; a change replaces them. Default: none."""

    @property
    def idle(self) -> Slot:
        return self.active.other

    @property
    def gated(self) -> bool:
        """Whether releases are smoke-tested: only when the idle slot runs pods to test."""
        return self.idle_replicas > 0


def preview_service_name(workload: str) -> str:
    return f"{workload}-preview"


def gate_service_account_name(workload: str) -> str:
    """The gate's own ServiceAccount (and NetworkPolicy): `<w>-gate`."""
    return f"{workload}-gate"


def gate_command(workload: str, port: int, health: HealthChecks) -> tuple[str, ...]:
    """The gate's check against the preview Service (short name: the gate runs in the workload's namespace):
    an HTTP GET of the readiness path that must answer 2xx, or a TCP connect for `probe: tcp`."""
    target = preview_service_name(workload)
    if health.probe is ProbeKind.TCP:
        return ("nc", "-z", "-w", str(GATE_CHECK_TIMEOUT_SECONDS), target, str(port))
    return (
        "curl",
        "--fail",
        "--silent",
        "--show-error",
        "--output",
        "/dev/null",
        "--max-time",
        str(GATE_CHECK_TIMEOUT_SECONDS),
        "--retry",
        str(GATE_CHECK_RETRIES),
        "--retry-delay",
        str(GATE_CHECK_RETRY_DELAY_SECONDS),
        "--retry-all-errors",
        "--write-out",
        "gate: HTTP %{http_code} from %{url_effective}\\n",
        f"http://{target}:{port}{health.readiness_path}",
    )


def gate_job_name(workload: str, slot: Slot, image: str, gate_image: str, command: tuple[str, ...]) -> str:
    """`<w>-gate-<slot>-<digest8>-<spec5>`: a new digest (a release) or any change to the gate itself gives a
    new name, hence a new Job beside the old one (create, then delete), never a patch of an immutable
    template. The workload prefix is shortened when needed to stay a valid 63-character name; the spec hash
    (which covers the workload name) keeps such names apart."""
    digest = image.rsplit("@sha256:", 1)[1]
    spec = repr(
        (
            workload,
            slot.value,
            image,
            gate_image,
            command,
            GATE_RESOURCES.model_dump(),
            GATE_USER,
            GATE_BACKOFF_LIMIT,
            GATE_DEADLINE_SECONDS,
            GATE_TEMPLATE_REVISION,
        )
    )
    suffix = f"-gate-{slot.value}-{digest[:8]}-{hashlib.sha256(spec.encode()).hexdigest()[:5]}"
    return f"{workload[: KUBERNETES_NAME_MAX - len(suffix)].rstrip('-')}{suffix}"


class Rollout(pulumi.ComponentResource):
    """Two slot Deployments, the stable and preview Services, a disruption budget per slot and the health gate
    of one workload."""

    deployments: dict[Slot, k8s.apps.v1.Deployment]
    service: k8s.core.v1.Service
    preview_service: k8s.core.v1.Service
    disruption_budgets: dict[Slot, k8s.policy.v1.PodDisruptionBudget]
    gates: dict[Slot, k8s.batch.v1.Job]
    """The gate Job of each slot; empty when `idle_replicas` is 0."""
    service_name: pulumi.Output[str]
    preview_service_name: pulumi.Output[str]

    def __init__(self, name: str, args: RolloutArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Refuse before registering anything.
        if set(args.images) != set(Slot):
            raise ValueError(
                f"expected an image for each slot ({', '.join(s.value for s in Slot)}), "
                f"got {', '.join(sorted(s.value for s in args.images))}"
            )
        if args.gated and args.gate_image is None:
            raise ValueError(GATE_IMAGE_REQUIRED.format(idle=args.idle_replicas))
        images = {slot: pinned_image(image, args.allowed_registries) for slot, image in args.images.items()}
        gate_image = pinned_image(args.gate_image, args.allowed_registries) if args.gated and args.gate_image else None
        super().__init__("nhi:rollout:Rollout", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.preview_service = self._service(
            f"{name}-preview", preview_service_name(args.workload), args, args.idle, child
        )
        self.disruption_budgets = {slot: self._disruption_budget(name, args, slot, child) for slot in Slot}
        self.deployments = {args.active: self._deployment(name, args, args.active, images, child)}
        self.gates = {}
        if gate_image is not None:
            self.deployments[args.idle] = self._deployment(name, args, args.idle, images, child)
            self.gates = self._gates(name, args, images, gate_image, child)
            # Traffic moves only onto a ready slot whose gate has completed.
            waits_for: list[pulumi.Resource] = [self.deployments[args.active], self.gates[args.active]]
            self.service = self._service(
                f"{name}-service",
                args.workload,
                args,
                args.active,
                pulumi.ResourceOptions(parent=self, depends_on=waits_for),
            )
        else:
            self.service = self._service(
                f"{name}-service",
                args.workload,
                args,
                args.active,
                pulumi.ResourceOptions(parent=self, depends_on=[self.deployments[args.active]]),
            )
            # No gate, so no cycle: the old slot scales down only once traffic has left it.
            self.deployments[args.idle] = self._deployment(
                name, args, args.idle, images, pulumi.ResourceOptions(parent=self, depends_on=[self.service])
            )

        self.service_name = self.service.metadata.name
        self.preview_service_name = self.preview_service.metadata.name
        self.register_outputs({"service_name": self.service_name, "preview_service_name": self.preview_service_name})

    @staticmethod
    def _deployment(
        name: str, args: RolloutArgs, slot: Slot, images: dict[Slot, str], opts: pulumi.ResourceOptions
    ) -> k8s.apps.v1.Deployment:
        pod_labels = labels.slot_labels(args.workload, slot.value)
        template = service_pod_template(
            ServicePod(
                labels=pod_labels,
                service_account=args.service_account,
                image=images[slot],
                port=args.port,
                resources=args.resources,
                health=args.health,
                run_as_user=args.run_as_user,
                kubernetes_api_access=args.kubernetes_api_access,
                annotations=dict(args.pod_annotations),
            )
        )
        return k8s.apps.v1.Deployment(
            f"{name}-{slot.value}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.workload}-{slot.value}", namespace=args.namespace, labels=pod_labels
            ),
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
            opts=opts,
        )

    @staticmethod
    def _service(
        resource_name: str, service_name: str, args: RolloutArgs, slot: Slot, opts: pulumi.ResourceOptions
    ) -> k8s.core.v1.Service:
        return k8s.core.v1.Service(
            resource_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=service_name, namespace=args.namespace, labels=labels.workload_labels(args.workload)
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=labels.slot_selector(args.workload, slot.value),
                ports=[
                    k8s.core.v1.ServicePortArgs(name=PORT_NAME, port=args.port, target_port=PORT_NAME, protocol="TCP")
                ],
            ),
            opts=opts,
        )

    @staticmethod
    def _disruption_budget(
        name: str, args: RolloutArgs, slot: Slot, child: pulumi.ResourceOptions
    ) -> k8s.policy.v1.PodDisruptionBudget:
        return k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb-{slot.value}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.workload}-{slot.value}",
                namespace=args.namespace,
                labels=labels.slot_labels(args.workload, slot.value),
            ),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=PDB_MAX_UNAVAILABLE,
                unhealthy_pod_eviction_policy=PDB_UNHEALTHY_POD_EVICTION,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels.slot_selector(args.workload, slot.value)),
            ),
            opts=child,
        )

    def _gates(
        self, name: str, args: RolloutArgs, images: dict[Slot, str], gate_image: str, child: pulumi.ResourceOptions
    ) -> dict[Slot, k8s.batch.v1.Job]:
        gate_labels = labels.gate_labels(args.workload)
        # Its own identity: the workload's ServiceAccount would hand the gate the workload's IAM role.
        account = k8s.core.v1.ServiceAccount(
            f"{name}-gate-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=gate_service_account_name(args.workload), namespace=args.namespace, labels=gate_labels
            ),
            automount_service_account_token=False,
            opts=child,
        )
        port = [k8s.networking.v1.NetworkPolicyPortArgs(port=args.port, protocol="TCP")]
        # DNS comes from the namespace's allow-dns policy, like every pod's.
        egress = k8s.networking.v1.NetworkPolicy(
            f"{name}-gate-policy",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=gate_service_account_name(args.workload), namespace=args.namespace, labels=gate_labels
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels.gate_selector(args.workload)),
                policy_types=["Ingress", "Egress"],  # no ingress rules: nothing may call the gate
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                pod_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels=labels.workload_selector(args.workload)
                                )
                            )
                        ],
                        ports=port,
                    )
                ],
            ),
            opts=child,
        )
        ingress = k8s.networking.v1.NetworkPolicy(
            f"{name}-gate-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.workload}-gate-ingress",
                namespace=args.namespace,
                labels=labels.workload_labels(args.workload),
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels.workload_selector(args.workload)),
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                pod_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels=labels.gate_selector(args.workload)
                                )
                            )
                        ],
                        ports=port,
                    )
                ],
            ),
            opts=child,
        )
        command = gate_command(args.workload, args.port, args.health)
        # Both slots ready first: on the first `up` the live slot's gate also tests the preview (idle) slot.
        ready: list[pulumi.Resource] = [*self.deployments.values(), self.preview_service, egress, ingress]
        gates = {}
        for slot in Slot:
            gates[slot] = k8s.batch.v1.Job(
                f"{name}-gate-{slot.value}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=gate_job_name(args.workload, slot, images[slot], gate_image, command),
                    namespace=args.namespace,
                    labels=gate_labels,
                    annotations={labels.IMAGE_ANNOTATION: images[slot]},
                ),
                spec=k8s.batch.v1.JobSpecArgs(
                    backoff_limit=GATE_BACKOFF_LIMIT,
                    active_deadline_seconds=GATE_DEADLINE_SECONDS,
                    completions=1,
                    parallelism=1,
                    template=gate_pod_template(
                        GatePod(
                            labels=gate_labels, service_account=account.metadata.name, image=gate_image, command=command
                        )
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=ready),
            )
        return gates
