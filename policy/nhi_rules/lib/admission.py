"""ValidatingAdmissionPolicies and their bindings (admissionregistration.k8s.io/v1) as the engine sends them:
which namespaces a binding or policy selects, whether a binding denies, whether a policy allow-lists images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nhi_rules.lib.k8s import selector_matches
from nhi_rules.lib.props import as_str, get, is_map, maps, strings

ADMISSION_POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
ADMISSION_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
NAMESPACE_NAME = "kubernetes.io/metadata.name"
"""Kubernetes sets it on every namespace (NamespaceDefaultLabelName), so a selector can always name one."""
DENY = "Deny"
IGNORE = "Ignore"
POD_RESOURCES = ("pods", "pods/*")


def selects_namespace(match: Any, namespace: str, namespace_labels: Mapping[str, str]) -> bool:
    """Whether a MatchResources' namespaceSelector selects the namespace (absent or {}: every namespace)."""
    selector = get(match, "namespaceSelector")
    if selector is None:
        return True
    return selector_matches(selector, {**namespace_labels, NAMESPACE_NAME: namespace})


def denies(binding_props: Any) -> bool:
    """`Deny` among the binding's validationActions (Warn and Audit alone let the request through)."""
    return DENY in strings(get(binding_props, "spec", "validationActions"))


def matches_pod_creation(policy_props: Any) -> bool:
    """The policy's matchConstraints take Pod creations (core group, `pods`, CREATE)."""
    for _, rule in maps(get(policy_props, "spec", "matchConstraints", "resourceRules")):
        groups = strings(get(rule, "apiGroups"))
        resources = strings(get(rule, "resources"))
        operations = strings(get(rule, "operations"))
        if set(groups) & {"", "*"} and set(resources) & {"pods", "*"} and set(operations) & {"CREATE", "*"}:
            return True
    return False


def judges_images(policy_props: Any) -> bool:
    """A validation (or a variable it uses) reads container images and the policy takes a parameter object:
    a per-namespace list of images."""
    spec = get(policy_props, "spec")
    if not is_map(get(spec, "paramKind")):
        return False
    expressions = [as_str(get(v, "expression")) or "" for _, v in maps(get(spec, "variables"))]
    expressions += [as_str(get(v, "expression")) or "" for _, v in maps(get(spec, "validations"))]
    return any(".image" in expression for expression in expressions)
