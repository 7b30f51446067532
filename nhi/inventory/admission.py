"""What the cluster will admit for each service account: the images of the per-namespace allow-list that a
denying ValidatingAdmissionPolicyBinding passes as its parameter (`paramRef`), read from the captured objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.admission import admitted_images
from nhi.preflight.capture import Capture
from nhi.preflight.manifests import manifest

BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NAMESPACE_NAME = "kubernetes.io/metadata.name"


def _bound_namespace(spec: Mapping[str, Any]) -> str | None:
    """The one namespace a binding selects by name (how per-namespace allow-lists are bound), else None."""
    selector = (spec.get("matchResources") or {}).get("namespaceSelector") or {}
    name = (selector.get("matchLabels") or {}).get(NAMESPACE_NAME)
    return name if isinstance(name, str) and not selector.get("matchExpressions") else None


def admitted(capture: Capture) -> dict[str, tuple[str, ...]]:
    """`namespace/service-account` -> the images a denying binding's parameter list admits for it; every
    namespace with such a binding appears as `namespace/` (its other accounts are admitted nothing)."""
    lists = {}
    for resource in capture.of_type(CONFIG_MAP):
        body = manifest(resource)
        metadata = body.get("metadata") or {}
        lists[(metadata.get("namespace"), metadata.get("name"))] = body.get("data") or {}
    found: dict[str, tuple[str, ...]] = {}
    for resource in capture.of_type(BINDING):
        spec = manifest(resource).get("spec") or {}
        namespace = _bound_namespace(spec)
        reference = spec.get("paramRef") or {}
        if namespace is None or "Deny" not in (spec.get("validationActions") or []) or not reference:
            continue
        data = lists.get((reference.get("namespace") or namespace, reference.get("name")))
        if data is None:
            continue
        found[f"{namespace}/"] = ()
        for account, images in admitted_images(data).items():
            key = f"{namespace}/{account}"
            found[key] = tuple(sorted({*found.get(key, ()), *images}))
    return found
