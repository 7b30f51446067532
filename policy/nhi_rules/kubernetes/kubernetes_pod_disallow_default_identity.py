"""Workloads run in their own namespace under their own service account, never `default`."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.k8s import WORKLOAD_TYPES, PodTemplate, namespace_of, pod_template
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-pod-disallow-default-identity"

MSG_DEFAULT_NAMESPACE = (
    "metadata.namespace is {value}: put the workload in its own namespace "
    "(an omitted namespace means the provider's default, usually 'default')"
)
MSG_DEFAULT_SA = (
    "{path}.serviceAccountName is {value}: give the workload its own ServiceAccount (one identity per workload)"
)


def check(subject: Subject) -> Iterator[str]:
    template = pod_template(subject.type, subject.props)
    if template is None:
        return
    # The namespace and the ServiceAccount are judged apart: either may be another resource's output.
    yield from subject.apart(_namespace, subject)
    yield from subject.apart(_service_account, template)


def _namespace(subject: Subject) -> Iterator[str]:
    namespace = namespace_of(subject.props)
    if namespace in (None, "", "default"):
        yield MSG_DEFAULT_NAMESPACE.format(value=repr(namespace) if namespace else "not set")


def _service_account(template: PodTemplate) -> Iterator[str]:
    account = as_str(get(template.spec, "serviceAccountName"))
    if account in (None, "", "default"):
        yield MSG_DEFAULT_SA.format(path=template.path, value=repr(account) if account else "not set")


POLICY = resource_rule(
    name=NAME,
    description="Workloads use a dedicated namespace and service account, not `default`.",
    resource_types=WORKLOAD_TYPES,
    check=check,
    severity=Severity.MEDIUM,
    framework=cis_eks("4.5.2", "The default namespace should not be used"),
    tags=["kubernetes", "identity", "nhi", "cis-eks:4.1.5"],
    remediation_steps="Set metadata.namespace to the workload's namespace and spec.serviceAccountName to its own SA.",
)
