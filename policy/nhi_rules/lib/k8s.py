"""Kubernetes objects as the engine sends them: pod templates of every workload kind, containers, selectors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from nhi_rules.contract import WORKLOAD_TEMPLATES
from nhi_rules.lib.props import as_str, get, is_map, maps, str_map, strings

WORKLOAD_TYPES = tuple(WORKLOAD_TEMPLATES)
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CONTAINER_KINDS = ("containers", "initContainers", "ephemeralContainers")


@dataclass(frozen=True)
class PodTemplate:
    path: str
    """Property path of the pod spec, e.g. `spec.template.spec`."""
    metadata: Any
    spec: Any


@dataclass(frozen=True)
class Container:
    path: str
    kind: str
    value: Mapping[str, Any]

    @property
    def name(self) -> str:
        return as_str(get(self.value, "name")) or "?"


def pod_template(resource_type: str, props: Any) -> PodTemplate | None:
    prefix = WORKLOAD_TEMPLATES.get(resource_type)
    if prefix is None:
        return None
    holder = get(props, *prefix) if prefix else props
    path = ".".join((*prefix, "spec"))
    return PodTemplate(path, get(holder, "metadata"), get(holder, "spec"))


def containers(template: PodTemplate, kinds: tuple[str, ...] = CONTAINER_KINDS) -> Iterator[Container]:
    for kind in kinds:
        for index, container in maps(get(template.spec, kind)):
            yield Container(f"{template.path}.{kind}[{index}]", kind, container)


DEFAULT_NAMESPACE = "default"
"""Where the API server puts an object whose metadata.namespace is omitted (the provider's default namespace,
which is `default` unless the provider sets another: pulumi-kubernetes' `namespace` option)."""


def namespace_of(props: Any) -> str | None:
    return as_str(get(props, "metadata", "namespace"))


def namespace_or_default(props: Any) -> str:
    """The namespace a namespaced object lands in: an omitted or empty one means `default`, as Kubernetes does
    (an unknown one raises, as every read does)."""
    return namespace_of(props) or DEFAULT_NAMESPACE


def labels(metadata: Any) -> dict[str, str]:
    return str_map(get(metadata, "labels"))


def selector_matches(selector: Any, pod_labels: Mapping[str, str]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against labels; {} selects everything."""
    if not is_map(selector):
        return False
    for key, value in str_map(get(selector, "matchLabels")).items():
        if pod_labels.get(key) != value:
            return False
    for _, expression in maps(get(selector, "matchExpressions")):
        key = as_str(get(expression, "key")) or ""
        operator = as_str(get(expression, "operator")) or ""
        values = strings(get(expression, "values"))
        if operator == "In" and pod_labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in pod_labels and pod_labels[key] in values:
            return False
        if operator == "Exists" and key not in pod_labels:
            return False
        if operator == "DoesNotExist" and key in pod_labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def selects_all(selector: Any) -> bool:
    """An empty LabelSelector ({}): it selects every pod of the namespace."""
    return (
        is_map(selector)
        and not str_map(get(selector, "matchLabels"))
        and not list(maps(get(selector, "matchExpressions")))
    )
