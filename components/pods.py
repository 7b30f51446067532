"""Hardened pod templates: Pod Security `restricted` and beyond. Every pod the platform renders (the
workload slots and the rollout's health-gate Job) is built from these pieces, so none can drift.

Beyond `restricted`: a numeric non-root user and group, a read-only root filesystem with an emptyDir for
/tmp, seccomp also on the container, no host namespaces, no service links (no other Services' addresses
in the environment), no environment variables at all (secrets come from the workload's IAM role),
requests and limits, readiness and liveness probes, images by digest only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated

import pulumi
import pulumi_kubernetes as k8s
from pydantic import AfterValidator, model_validator

from .values import Value

DIGEST_REF_RE = re.compile(
    r"^(?P<repository>(?P<registry>[a-z0-9.-]+(?::[0-9]+)?)/[a-z0-9._/-]+)@sha256:[0-9a-f]{64}\Z"
)
"""An image pinned by digest, REGISTRY/REPOSITORY@sha256:<64 hex>: the only form of image reference accepted.
Ends in `\\Z`, not `$`, which would accept a trailing newline."""
# Kubernetes quantities, in the forms this platform accepts (no exponents, no decimal SI suffixes for memory).
CPU_RE = re.compile(r"^(?P<milli>[1-9][0-9]*)m$|^(?P<cores>[0-9]+(\.[0-9]{1,3})?)$")
MEMORY_RE = re.compile(r"^(?P<amount>[1-9][0-9]*)(?P<unit>Ki|Mi|Gi)$")
HTTP_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/-]*$")


def cpu_millicores(value: str) -> int:
    match = CPU_RE.match(value)
    if not match:
        raise ValueError(f"expected a CPU quantity such as '250m' or '1', got {value!r}")
    if match.group("milli"):
        return int(match.group("milli"))
    return round(float(match.group("cores")) * 1000)


def memory_bytes(value: str) -> int:
    match = MEMORY_RE.match(value)
    if not match:
        raise ValueError(f"expected a memory quantity such as '256Mi' or '1Gi', got {value!r}")
    return int(match.group("amount")) * {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}[match.group("unit")]


def _cpu(value: str) -> str:
    if cpu_millicores(value) <= 0:
        raise ValueError(f"expected a positive CPU quantity, got {value!r}")
    return value


def _memory(value: str) -> str:
    memory_bytes(value)
    return value


def _http_path(value: str) -> str:
    if not HTTP_PATH_RE.match(value):
        raise ValueError(f"expected an absolute HTTP path such as /readyz, got {value!r}")
    return value


Cpu = Annotated[str, AfterValidator(_cpu)]
Memory = Annotated[str, AfterValidator(_memory)]
HttpPath = Annotated[str, AfterValidator(_http_path)]


class ProbeKind(str, Enum):
    """How the kubelet checks a workload: an HTTP GET on a path, or a TCP connect (for non-HTTP servers)."""

    HTTP = "http"
    TCP = "tcp"


class ComputeResources(Value):
    """Requests and limits of a container; every pod gets both (no unbounded pods)."""

    cpu_request: Cpu = "100m"
    """CPU the scheduler reserves for the container, such as `250m` or `1`."""
    cpu_limit: Cpu = "500m"
    """CPU the container may use at most (throttled beyond); at least `cpuRequest`."""
    memory_request: Memory = "128Mi"
    """Memory the scheduler reserves for the container, in Ki, Mi or Gi, such as `256Mi`."""
    memory_limit: Memory = "256Mi"
    """Memory the container may use at most (killed beyond); at least `memoryRequest`."""

    @model_validator(mode="after")
    def _requests_within_limits(self) -> ComputeResources:
        if cpu_millicores(self.cpu_request) > cpu_millicores(self.cpu_limit):
            raise ValueError(f"expected cpuRequest <= cpuLimit, got {self.cpu_request} > {self.cpu_limit}")
        if memory_bytes(self.memory_request) > memory_bytes(self.memory_limit):
            raise ValueError(f"expected memoryRequest <= memoryLimit, got {self.memory_request} > {self.memory_limit}")
        return self


class HealthChecks(Value):
    """Readiness and liveness probes on the container's named port: HTTP paths, or a TCP connect."""

    probe: ProbeKind = ProbeKind.HTTP
    """`http` (a GET of the paths below must answer 2xx) or `tcp` (a connect to the port, for servers that do not
    speak HTTP). The rollout's health gate runs the same check against the idle slot."""
    readiness_path: HttpPath = "/readyz"
    """HTTP path that answers 2xx when the pod may receive traffic (ignored for `probe: tcp`)."""
    liveness_path: HttpPath = "/livez"
    """HTTP path that answers 2xx while the process is healthy (ignored for `probe: tcp`)."""


CONTAINER = "app"
PORT_NAME = "app"
TMP_VOLUME = "tmp"
# The container's own /tmp (an emptyDir named after it), not a temporary file of this program.
TMP_MOUNT = f"/{TMP_VOLUME}"
TMP_SIZE_LIMIT = "64Mi"
TERMINATION_GRACE_SECONDS = 30
ZONE_KEY = "topology.kubernetes.io/zone"

REFUSED_TAG = "expected an image pinned by digest (REGISTRY/REPOSITORY@sha256:<64 hex>), got {image!r}"
REFUSED_REGISTRY = "expected an image from an allowed registry ({allowed}), got one from {registry!r}"


def pinned_image(image: str, allowed_registries: tuple[str, ...]) -> str:
    """The image, if pinned by digest and from an allowed registry; settings check this first."""
    match = DIGEST_REF_RE.match(image)
    if not match:
        raise ValueError(REFUSED_TAG.format(image=image))
    if match.group("registry") not in allowed_registries:
        raise ValueError(
            REFUSED_REGISTRY.format(allowed=", ".join(allowed_registries), registry=match.group("registry"))
        )
    return image


def pod_security_context(run_as_user: int) -> k8s.core.v1.PodSecurityContextArgs:
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=run_as_user,
        run_as_group=run_as_user,
        fs_group=run_as_user,
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def container_security_context(run_as_user: int) -> k8s.core.v1.SecurityContextArgs:
    return k8s.core.v1.SecurityContextArgs(
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=True,
        run_as_non_root=True,
        run_as_user=run_as_user,
        run_as_group=run_as_user,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def tmp_volume() -> k8s.core.v1.VolumeArgs:
    """A writable, size-capped /tmp: the root filesystem is read-only."""
    return k8s.core.v1.VolumeArgs(
        name=TMP_VOLUME, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=TMP_SIZE_LIMIT)
    )


def tmp_mount() -> k8s.core.v1.VolumeMountArgs:
    return k8s.core.v1.VolumeMountArgs(name=TMP_VOLUME, mount_path=TMP_MOUNT)


def resource_requirements(resources: ComputeResources) -> k8s.core.v1.ResourceRequirementsArgs:
    return k8s.core.v1.ResourceRequirementsArgs(
        requests={"cpu": resources.cpu_request, "memory": resources.memory_request},
        limits={"cpu": resources.cpu_limit, "memory": resources.memory_limit},
    )


def probes(health: HealthChecks) -> tuple[k8s.core.v1.ProbeArgs, k8s.core.v1.ProbeArgs]:
    """(readiness, liveness) on the named port: readiness gates traffic, liveness restarts a stuck process."""
    tcp = health.probe is ProbeKind.TCP

    def probe(path: str, *, period_seconds: int, initial_delay_seconds: int | None = None) -> k8s.core.v1.ProbeArgs:
        return k8s.core.v1.ProbeArgs(
            tcp_socket=k8s.core.v1.TCPSocketActionArgs(port=PORT_NAME) if tcp else None,
            http_get=None if tcp else k8s.core.v1.HTTPGetActionArgs(path=path, port=PORT_NAME),
            initial_delay_seconds=initial_delay_seconds,
            period_seconds=period_seconds,
            failure_threshold=3,
            timeout_seconds=2,
        )

    return (
        probe(health.readiness_path, period_seconds=5),
        probe(health.liveness_path, period_seconds=10, initial_delay_seconds=10),
    )


@dataclass(frozen=True, kw_only=True)
class ServicePod:
    """What differs between the pods of two long-running services."""

    labels: dict[str, str]
    """Pod labels (workload name and slot)."""
    service_account: pulumi.Input[str]
    """ServiceAccount name (an output of the ServiceAccount, so that the pods wait for it)."""
    image: str
    """Image pinned by digest."""
    port: int
    """The port the container listens on (named `app`)."""
    resources: ComputeResources
    """Requests and limits of the container."""
    health: HealthChecks
    """Readiness and liveness probes."""
    run_as_user: int
    """Numeric user and group of the container."""
    kubernetes_api_access: bool = False
    """Mount a Kubernetes API token. Default: no token."""
    annotations: dict[str, str] = field(default_factory=dict)
    """Pod annotations; a change replaces every pod (the revocation time of `nhi revoke`). Default: none."""


def service_pod_template(pod: ServicePod) -> k8s.core.v1.PodTemplateSpecArgs:
    """A hardened pod template for a long-running service."""
    readiness, liveness = probes(pod.health)
    container = k8s.core.v1.ContainerArgs(
        name=CONTAINER,
        image=pod.image,
        image_pull_policy="IfNotPresent",  # a digest never changes, so the cached layer is the same image
        ports=[k8s.core.v1.ContainerPortArgs(name=PORT_NAME, container_port=pod.port, protocol="TCP")],
        resources=resource_requirements(pod.resources),
        readiness_probe=readiness,
        liveness_probe=liveness,
        security_context=container_security_context(pod.run_as_user),
        volume_mounts=[tmp_mount()],
    )
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels=pod.labels, annotations=pod.annotations or None),
        spec=k8s.core.v1.PodSpecArgs(
            service_account_name=pod.service_account,
            automount_service_account_token=pod.kubernetes_api_access,
            enable_service_links=False,
            host_network=False,
            host_pid=False,
            host_ipc=False,
            security_context=pod_security_context(pod.run_as_user),
            containers=[container],
            volumes=[tmp_volume()],
            termination_grace_period_seconds=TERMINATION_GRACE_SECONDS,
            # Spread a slot's replicas over zones where possible; never block scheduling on it.
            topology_spread_constraints=[
                k8s.core.v1.TopologySpreadConstraintArgs(
                    max_skew=1,
                    topology_key=ZONE_KEY,
                    when_unsatisfiable="ScheduleAnyway",
                    label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=pod.labels),
                )
            ],
        ),
    )


# The gate is a short-lived client (curl or nc): small, fixed resources and its own non-root user (the
# conventional `nonroot` uid), unrelated to the workload's.
GATE_CONTAINER = "gate"
GATE_USER = 65532
GATE_RESOURCES = ComputeResources(cpu_request="10m", cpu_limit="100m", memory_request="16Mi", memory_limit="64Mi")
GATE_TERMINATION_GRACE_SECONDS = 5


@dataclass(frozen=True, kw_only=True)
class GatePod:
    """What a rollout gate pod runs."""

    labels: dict[str, str]
    """Pod labels (the gate's, never the workload's)."""
    service_account: pulumi.Input[str]
    """The gate's own ServiceAccount (an output of it): no role, no token."""
    image: str
    """Image pinned by digest."""
    command: tuple[str, ...]
    """The check; its exit code is the verdict."""


def gate_pod_template(pod: GatePod) -> k8s.core.v1.PodTemplateSpecArgs:
    """A hardened pod template for a run-to-completion check: the same contexts, /tmp and limits as the
    services, no probes (it exits), `restartPolicy: Never` so that each failed attempt keeps its logs."""
    container = k8s.core.v1.ContainerArgs(
        name=GATE_CONTAINER,
        image=pod.image,
        image_pull_policy="IfNotPresent",
        command=list(pod.command),
        resources=resource_requirements(GATE_RESOURCES),
        security_context=container_security_context(GATE_USER),
        volume_mounts=[tmp_mount()],
    )
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels=pod.labels),
        spec=k8s.core.v1.PodSpecArgs(
            restart_policy="Never",
            service_account_name=pod.service_account,
            automount_service_account_token=False,
            enable_service_links=False,
            host_network=False,
            host_pid=False,
            host_ipc=False,
            security_context=pod_security_context(GATE_USER),
            containers=[container],
            volumes=[tmp_volume()],
            termination_grace_period_seconds=GATE_TERMINATION_GRACE_SECONDS,
        ),
    )
