"""No plaintext secrets in container env values: use secretKeyRef, a mounted secret or the workload's role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.k8s import WORKLOAD_TYPES, Container, containers, pod_template
from nhi_rules.lib.props import as_str, get, is_list
from nhi_rules.lib.rule import Subject, resource_rule
from nhi_rules.lib.secrets import secret_reason

NAME = "kubernetes-pod-disallow-env-secrets"

MSG_ENV_SECRETS = (
    "{path}.env[{index}] ({name}) holds a plaintext secret ({reason}): use valueFrom.secretKeyRef, "
    "or better, let the workload's IAM role fetch it from Secrets Manager"
)


def check(subject: Subject) -> Iterator[str]:
    template = pod_template(subject.type, subject.props)
    if template is None:
        return
    for container in containers(template):
        yield from subject.apart(_container, subject, container)


def _container(subject: Subject, container: Container) -> Iterator[str]:
    variables = get(container.value, "env")
    for index in range(len(variables)) if is_list(variables) else ():
        # Each variable apart: a value from an output (unknown) does not hide a plaintext secret next to it.
        yield from subject.apart(_variable, container, index, variables)


def _variable(container: Container, index: int, variables: Any) -> Iterator[str]:
    variable = variables[index]
    name = as_str(get(variable, "name")) or ""
    value = as_str(get(variable, "value"))
    if value:
        reason = secret_reason(name, value)
        if reason:
            yield MSG_ENV_SECRETS.format(path=container.path, index=index, name=name, reason=reason)


POLICY = resource_rule(
    name=NAME,
    description="Container env values of every workload hold no plaintext secrets.",
    resource_types=WORKLOAD_TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("4.4.1", "Prefer using secrets as files over secrets as environment variables"),
    tags=["kubernetes", "secrets", "detect-secrets"],
    remediation_steps=(
        "Move the value into a Secret (valueFrom.secretKeyRef) or Secrets Manager read by the pod's role."
    ),
)
