"""Every namespace that runs workloads is bound to an admission policy that allow-lists its images.

The pack stops a non-compliant stack before `pulumi up`; nothing stops a stolen kubeconfig or CI credential after
it from running an unpinned image under any service account. A ValidatingAdmissionPolicy (GA since Kubernetes
1.30, no controller to install) makes the API server itself refuse what the stack does not declare. This rule
asks, for each namespace with workloads, for a binding that denies (`validationActions` with `Deny`), selects
the namespace, passes a parameter object (`paramRef`: the namespace's list) and binds a policy that takes Pod
creations and judges container images against that list. Advisory by default (a program may enforce its
allow-list another way); mandatory in prod's pack config.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource, Severity

from nhi_rules.lib.admission import (
    ADMISSION_BINDING,
    ADMISSION_POLICY,
    denies,
    judges_images,
    matches_pod_creation,
    selects_namespace,
)
from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.k8s import NAMESPACE, WORKLOAD_TYPES, labels, namespace_of
from nhi_rules.lib.props import as_str, get, is_map
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import by_type, known, known_at

NAME = "kubernetes-namespace-require-admission-allowlist"

MSG_NO_ALLOWLIST = (
    "namespace {namespace!r} runs workloads but no ValidatingAdmissionPolicyBinding enforces an image allow-list "
    "there: bind a policy that judges Pod images against a per-namespace parameter object, with spec.paramRef, "
    "spec.validationActions [Deny, Audit] and a namespaceSelector that selects the namespace"
)


def _enforcing(binding: PolicyResource, policies: Mapping[str, PolicyResource]) -> PolicyResource | None:
    """The binding's policy when the binding denies, passes a list and the policy allow-lists images."""
    props = binding.props
    if known(denies, props) is not True or known(lambda: is_map(get(props, "spec", "paramRef"))) is not True:
        return None
    name = known_at(as_str, props, "spec", "policyName")
    policy = policies.get(name) if name else None
    if policy is None:
        return None
    if known(matches_pod_creation, policy.props) and known(judges_images, policy.props):
        return policy
    return None


def _labels_of(namespace: PolicyResource | None) -> dict[str, str]:
    return labels(get(namespace.props, "metadata")) if namespace is not None else {}


def _covers(
    binding: PolicyResource, policy: PolicyResource, namespace: str, namespace_labels: Mapping[str, str]
) -> bool:
    """Both the binding's matchResources and the policy's matchConstraints select the namespace."""
    return selects_namespace(
        get(binding.props, "spec", "matchResources"), namespace, namespace_labels
    ) and selects_namespace(get(policy.props, "spec", "matchConstraints"), namespace, namespace_labels)


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    workloads: dict[str, PolicyResource] = {}
    for workload_type in WORKLOAD_TYPES:
        for workload in index.get(workload_type, []):
            namespace = known(namespace_of, workload.props)
            if namespace:
                workloads.setdefault(namespace, workload)
    policies = {
        name: policy
        for policy in index.get(ADMISSION_POLICY, [])
        if (name := known_at(as_str, policy.props, "metadata", "name"))
    }
    namespaces = {known_at(as_str, n.props, "metadata", "name"): n for n in index.get(NAMESPACE, [])}
    enforcing = [
        (binding, policy) for binding in index.get(ADMISSION_BINDING, []) if (policy := _enforcing(binding, policies))
    ]
    for namespace, workload in sorted(workloads.items()):
        resource = namespaces.get(namespace)
        namespace_labels = known(_labels_of, resource) or {}
        covered = any(
            known(_covers, binding, policy, namespace, namespace_labels) is True for binding, policy in enforcing
        )
        if not covered:
            yield MSG_NO_ALLOWLIST.format(namespace=namespace), (resource or workload).urn


POLICY = stack_rule(
    name=NAME,
    description="Namespaces with workloads are bound to an admission policy that allow-lists their images.",
    resource_types=(ADMISSION_POLICY, ADMISSION_BINDING, NAMESPACE, *WORKLOAD_TYPES),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IMG-04", "Use an admission controller to allow only images from trusted sources"),
    tags=["kubernetes", "admission", "images", "stack"],
    remediation_steps="Render a ValidatingAdmissionPolicy that judges every container image of Pods and pod "
    "templates against a parameter object (a ConfigMap per namespace listing the declared digests), and bind it "
    "to every workload namespace with paramRef (parameterNotFoundAction: Deny) and validationActions [Deny, Audit].",
    enforcement_level=EnforcementLevel.ADVISORY,
)
