"""Pods of a capture: every workload template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
CronJob...) as the service account it runs as, its labels, declared ports and images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nhi.preflight.capture import Capture
from nhi.preflight.manifests import manifest
from nhi_rules.contract import WORKLOAD_TEMPLATES

from .netpol import Pod, pod

CONTAINER_KINDS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class WorkloadPod:
    """The pods of one workload template."""

    workload: str
    """`namespace/Kind/name`."""
    namespace: str
    service_account: str
    automount_token: bool | None
    images: tuple[str, ...]
    pod: Pod


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def workload_pods(capture: Capture) -> list[WorkloadPod]:
    found = []
    for resource in capture.resources:
        path = WORKLOAD_TEMPLATES.get(resource.type)
        if path is None:
            continue
        body = manifest(resource)
        namespace = str(_dig(body, ("metadata", "namespace")) or "default")
        template = _dig(body, path) if path else body
        spec = _dig(template, ("spec",)) or {}
        labels = {str(k): str(v) for k, v in (_dig(template, ("metadata", "labels")) or {}).items()}
        account = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
        images: list[str] = []
        ports: list[tuple[str, int, str]] = []
        for kind in CONTAINER_KINDS:
            for container in spec.get(kind) or []:
                if isinstance(container, dict):
                    if container.get("image"):
                        images.append(str(container["image"]))
                    for port in container.get("ports") or []:
                        if isinstance(port.get("containerPort"), int):
                            ports.append(
                                (str(port.get("name") or ""), port["containerPort"], str(port.get("protocol") or "TCP"))
                            )
        kind_name = resource.type.rsplit(":", 1)[-1]
        name = str(_dig(body, ("metadata", "name")))
        automount = spec.get("automountServiceAccountToken")
        found.append(
            WorkloadPod(
                f"{namespace}/{kind_name}/{name}",
                namespace,
                account,
                automount if isinstance(automount, bool) else None,
                tuple(images),
                pod(f"{namespace}/{kind_name}/{name}", namespace, labels, ports),
            )
        )
    return sorted(found, key=lambda w: w.workload)
