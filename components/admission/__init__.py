"""Run-time allow-listing with ValidatingAdmissionPolicies: the component (`component`), the per-namespace lists
(`allowlist`) and the CEL the API server evaluates (`expressions`)."""

from .allowlist import AllowedIdentity, AllowedImage, NamespaceAllowList, admitted_images
from .component import Admission, AdmissionArgs, PodEntry

__all__ = [
    "Admission",
    "AdmissionArgs",
    "AllowedIdentity",
    "AllowedImage",
    "NamespaceAllowList",
    "PodEntry",
    "admitted_images",
]
