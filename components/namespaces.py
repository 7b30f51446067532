"""The workloads' namespaces, each labelled for Pod Security Admission `restricted` (enforce, audit and
warn), pinned to the cluster's Kubernetes version so that a control-plane upgrade never changes the bar
silently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

import pulumi
import pulumi_kubernetes as kubernetes

from .identifiers import DNS_LABEL_RE

PSA_PREFIX = "pod-security.kubernetes.io"
PSA_MODES = ("enforce", "audit", "warn")
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
"""Kubernetes' own namespaces: never an application's."""


class PodSecurityLevel(str, Enum):
    """Pod Security Standards level. Only `restricted` exists here: application namespaces get no less."""

    RESTRICTED = "restricted"


@dataclass(frozen=True, kw_only=True)
class NamespacesArgs:
    names: Sequence[str]
    """Application namespace names (never default or kube-*)."""
    kubernetes_version: str
    """The cluster's Kubernetes version, such as "1.33": the PSA `-version` labels pin the policy to it."""
    level: PodSecurityLevel = PodSecurityLevel.RESTRICTED
    """Pod Security level for enforce, audit and warn."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels for every namespace (PSA labels cannot be overridden)."""

    def __post_init__(self) -> None:
        problems = [f"{n!r} is reserved" for n in self.names if n in RESERVED_NAMESPACES]
        problems += [f"{n!r} is not a DNS label" for n in self.names if not DNS_LABEL_RE.fullmatch(n)]
        if len(set(self.names)) != len(self.names):
            problems.append(f"names repeat: {list(self.names)}")
        if any(key.startswith(f"{PSA_PREFIX}/") for key in self.labels):
            problems.append("labels may not set pod-security.kubernetes.io/* (the level is fixed)")
        if problems:
            raise ValueError("namespaces: " + "; ".join(problems))


def pod_security_labels(level: PodSecurityLevel, kubernetes_version: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for mode in PSA_MODES:
        labels[f"{PSA_PREFIX}/{mode}"] = level.value
        labels[f"{PSA_PREFIX}/{mode}-version"] = f"v{kubernetes_version}"
    return labels


class Namespaces(pulumi.ComponentResource):
    """One Namespace per name, through the Kubernetes provider passed in the options."""

    namespaces: dict[str, kubernetes.core.v1.Namespace]
    names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: NamespacesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:namespaces:Namespaces", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {
            **args.labels,
            "app.kubernetes.io/managed-by": "pulumi",
            **pod_security_labels(args.level, args.kubernetes_version),
        }
        self.namespaces = {
            namespace: kubernetes.core.v1.Namespace(
                f"{name}-{namespace}",
                metadata=kubernetes.meta.v1.ObjectMetaArgs(name=namespace, labels=labels),
                opts=child,
            )
            for namespace in args.names
        }
        self.names = {namespace: resource.metadata.name for namespace, resource in self.namespaces.items()}
        self.register_outputs({"names": self.names})
