"""Compliance frameworks the rules map to (PolicyComplianceFramework), named once here."""

from __future__ import annotations

from pulumi_policy import PolicyComplianceFramework

CIS_EKS = "CIS Amazon EKS Benchmark"
CIS_EKS_VERSION = "1.8.0"
CIS_K8S = "CIS Kubernetes Benchmark"
CIS_K8S_VERSION = "1.11.0"
EKS_BP = "Amazon EKS Best Practices Guide (security)"
EKS_BP_VERSION = "2025"
PSS = "Kubernetes Pod Security Standards"
PSS_VERSION = "v1.37"


def cis_eks(reference: str, specification: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(
        name=CIS_EKS, version=CIS_EKS_VERSION, reference=reference, specification=specification
    )


def cis_k8s(reference: str, specification: str) -> PolicyComplianceFramework:
    """For controls of the Kubernetes benchmark that the EKS benchmark does not carry (its section 5.1, RBAC)."""
    return PolicyComplianceFramework(
        name=CIS_K8S, version=CIS_K8S_VERSION, reference=reference, specification=specification
    )


def eks_bp(reference: str, specification: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(
        name=EKS_BP, version=EKS_BP_VERSION, reference=reference, specification=specification
    )


def pss(reference: str, specification: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(name=PSS, version=PSS_VERSION, reference=reference, specification=specification)


ACCESS_ANALYZER = "AWS IAM Access Analyzer policy checks"
ACCESS_ANALYZER_VERSION = "2025"


def access_analyzer(reference: str, specification: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(
        name=ACCESS_ANALYZER, version=ACCESS_ANALYZER_VERSION, reference=reference, specification=specification
    )
