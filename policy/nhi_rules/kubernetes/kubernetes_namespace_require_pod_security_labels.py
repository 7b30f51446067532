"""Namespaces carry Pod Security Admission labels, so the cluster enforces what the pack checks."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.k8s import NAMESPACE, labels
from nhi_rules.lib.props import get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-namespace-require-pod-security-labels"
MODES = ("enforce", "audit", "warn")
RANK = {"privileged": 0, "baseline": 1, "restricted": 2}

MSG_LABEL_MISSING = "metadata.labels[pod-security.kubernetes.io/{mode}] is not set: set it to {level!r}"
MSG_LABEL_WEAK = "metadata.labels[pod-security.kubernetes.io/{mode}] is {value!r}: set it to {level!r}"

CONFIG = {
    "level": {
        "type": "string",
        "enum": ["baseline", "restricted"],
        "default": "restricted",
        "description": "Lowest Pod Security Admission level accepted for enforce, audit and warn.",
    },
    "systemNamespaces": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["kube-system", "kube-public", "kube-node-lease"],
        "description": "Namespaces managed by EKS itself, not judged.",
    },
}


def check(subject: Subject) -> Iterator[str]:
    metadata = get(subject.props, "metadata")
    if get(metadata, "name") in subject.config["systemNamespaces"]:
        return
    level = subject.config["level"]
    present = labels(metadata)
    for mode in MODES:
        value = present.get(f"pod-security.kubernetes.io/{mode}")
        if value is None:
            yield MSG_LABEL_MISSING.format(mode=mode, level=level)
        elif RANK.get(value, -1) < RANK[level]:
            yield MSG_LABEL_WEAK.format(mode=mode, value=value, level=level)


POLICY = resource_rule(
    name=NAME,
    description="Namespaces set pod-security.kubernetes.io/enforce, audit and warn to the configured level.",
    resource_types=(NAMESPACE,),
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-POD-01", "Use Pod Security Admission labels on namespaces"),
    tags=["kubernetes", "pod-security", "admission"],
    remediation_steps="Label the namespace pod-security.kubernetes.io/{enforce,audit,warn}=restricted.",
    config=CONFIG,
)
