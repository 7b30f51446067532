"""Containers declare requests and limits, so one workload cannot starve a node."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.k8s import WORKLOAD_TYPES, Container, containers, pod_template
from nhi_rules.lib.props import present
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-pod-require-resource-limits"

MSG_MISSING = "{path}.resources.{kind}.{resource} is not set: declare it"
MSG_EPHEMERAL_UNBOUNDED = (
    "{path} is an ephemeral container, which Kubernetes lets declare no resources (it takes the pod's spare "
    "ones, unbounded): remove it from the template and attach a debug container with `kubectl debug` when needed"
)

CONFIG = {
    "requests": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["cpu", "memory"],
        "description": "Resources every container must request.",
    },
    "limits": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["memory"],
        "description": "Resources every container must limit (CPU limits are optional by default: throttling).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    template = pod_template(subject.type, subject.props)
    if template is None:
        return
    for container in containers(template, ("containers", "initContainers")):
        for kind in ("requests", "limits"):
            for resource in subject.config[kind]:
                # An unknown quantity (from config resolved later) is set; each is judged apart.
                yield from subject.apart(_judge, container, kind, resource)
    # EphemeralContainer.resources: "Resources are not allowed for ephemeral containers" (the Pod API reference),
    # so no value can satisfy the limits: the container itself is what breaks the rule.
    for container in containers(template, ("ephemeralContainers",)):
        yield MSG_EPHEMERAL_UNBOUNDED.format(path=container.path)


def _judge(container: Container, kind: str, resource: str) -> Iterator[str]:
    if not present(container.value, "resources", kind, resource):
        yield MSG_MISSING.format(path=container.path, kind=kind, resource=resource)


POLICY = resource_rule(
    name=NAME,
    description="Containers of every workload set resource requests and limits.",
    resource_types=WORKLOAD_TYPES,
    check=check,
    severity=Severity.LOW,
    framework=eks_bp("BP-POD-08", "Set requests and limits for each container"),
    tags=["kubernetes", "availability"],
    remediation_steps="Set resources.requests.cpu/memory and resources.limits.memory on every container.",
    config=CONFIG,
)
