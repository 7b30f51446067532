"""Containers run with a read-only root filesystem (writes go to declared volumes)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.k8s import WORKLOAD_TYPES, Container, containers, pod_template
from nhi_rules.lib.props import as_bool, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-pod-require-readonly-rootfs"

MSG_WRITABLE_ROOT = (
    "{path}.securityContext.readOnlyRootFilesystem is not true: set it to true and mount an "
    "emptyDir where the process writes"
)


def check(subject: Subject) -> Iterator[str]:
    template = pod_template(subject.type, subject.props)
    if template is None:
        return
    for container in containers(template):  # ephemeral containers too: a debug shell writes where it may
        yield from subject.apart(_judge, container)


def _judge(container: Container) -> Iterator[str]:
    if as_bool(get(container.value, "securityContext", "readOnlyRootFilesystem")) is not True:
        yield MSG_WRITABLE_ROOT.format(path=container.path)


POLICY = resource_rule(
    name=NAME,
    description="Containers of every workload use a read-only root filesystem.",
    resource_types=WORKLOAD_TYPES,
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-POD-06", "Configure your images with a read-only root file system"),
    tags=["kubernetes", "pod-security", "immutable"],
    remediation_steps="Set securityContext.readOnlyRootFilesystem=true; mount emptyDir volumes for /tmp and caches.",
)
