"""Images come only from the allowed registries (by default, private ECR registries)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.k8s import WORKLOAD_TYPES, Container, containers, pod_template
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-pod-limit-image-registries"

MSG_REGISTRY = (
    "{path}.image comes from {registry!r}, not an allowed registry ({allowed}): push it to an allowed registry"
)

CONFIG = {
    "allowedRegistries": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["*.dkr.ecr.*.amazonaws.com"],
        "description": "Registry host globs images may come from (e.g. 111122223333.dkr.ecr.eu-west-1.amazonaws.com).",
    },
}


def registry_of(image: str) -> str:
    """The registry host of an image reference; Docker Hub when the first part is not a host."""
    first, slash, _ = image.strip().partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


def check(subject: Subject) -> Iterator[str]:
    template = pod_template(subject.type, subject.props)
    if template is None:
        return
    allowed = [pattern.lower() for pattern in subject.config["allowedRegistries"]]
    for container in containers(template):
        # Each container apart: an image built from an output (unknown) does not hide a foreign one in another.
        yield from subject.apart(_judge, container, allowed)


def _judge(container: Container, allowed: list[str]) -> Iterator[str]:
    image = as_str(get(container.value, "image"))
    if image is None:
        return  # kubernetes-pod-require-image-digest reports a missing image
    registry = registry_of(image)
    if not any(fnmatch.fnmatchcase(registry, pattern) for pattern in allowed):
        yield MSG_REGISTRY.format(path=container.path, registry=registry, allowed=", ".join(allowed))


POLICY = resource_rule(
    name=NAME,
    description="Containers of every workload pull images only from allowed registries.",
    resource_types=WORKLOAD_TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("5.1.4", "Minimize Container Registries to only those approved"),
    tags=["kubernetes", "supply-chain", "registry"],
    remediation_steps="Mirror the image into an allowed ECR registry, or add the registry to allowedRegistries.",
    config=CONFIG,
)
