"""Images are pinned by digest: what was reviewed is what runs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.k8s import WORKLOAD_TYPES, Container, containers, pod_template
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-pod-require-image-digest"
# The whole reference, no whitespace anywhere (Kubernetes refuses it, and `$` would let a trailing newline pass).
PINNED_RE = re.compile(r"\S+@sha256:[0-9a-f]{64}")

MSG_NOT_PINNED = "{path}.image {image!r} is not pinned: use REGISTRY/REPOSITORY@sha256:<64 hex digest>"
MSG_NO_IMAGE = "{path}.image is not set: set an image pinned by digest"


def check(subject: Subject) -> Iterator[str]:
    template = pod_template(subject.type, subject.props)
    if template is None:
        return
    for container in containers(template):
        # Each container apart: an image built from an output (unknown) does not hide a tag in another.
        yield from subject.apart(_judge, container)


def _judge(container: Container) -> Iterator[str]:
    image = as_str(get(container.value, "image"))
    if image is None:
        yield MSG_NO_IMAGE.format(path=container.path)
    elif not PINNED_RE.fullmatch(image):
        yield MSG_NOT_PINNED.format(path=container.path, image=image)


POLICY = resource_rule(
    name=NAME,
    description="Containers of every workload use images pinned by sha256 digest.",
    resource_types=WORKLOAD_TYPES,
    check=check,
    severity=Severity.MEDIUM,
    framework=cis_eks("5.1.4", "Minimize Container Registries to only those approved"),
    tags=["kubernetes", "supply-chain", "immutable"],
    remediation_steps="Reference images as REGISTRY/REPOSITORY@sha256:<digest> (resolve the tag at build time).",
)
