"""What the API server's validating-policy plugin does with the rendered ValidatingAdmissionPolicies, their
bindings and parameter ConfigMaps, evaluated with a real CEL runtime (Google's cel-cpp, `cel-expr-python`).

Matching follows k8s.io/apiserver pkg/admission/plugin/policy: a request is judged by a policy when the policy's
matchConstraints and the binding's matchResources both match it (resource or `resource/subresource`, API
group, operation, namespace selector on `kubernetes.io/metadata.name`); the binding's paramRef is looked up
(`parameterNotFoundAction: Deny` refuses the request when it is missing); variables are evaluated in order
(`variables.<name>`), then every validation, whose messageExpression gives the denial message.
`object`, `oldObject`, `params` and `request` are dynamic, as in Kubernetes for a policy that matches several
kinds. The environment has CEL's standard library and the strings extension (version 2), as Kubernetes 1.30+
(k8s.io/apiserver pkg/cel/environment/base.go); nothing else, so an expression using anything more fails to
compile here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext.ext_strings import ExtStrings

NAMESPACE_NAME = "kubernetes.io/metadata.name"
STRINGS_EXTENSION_VERSION = 2


class CompileError(AssertionError):
    """An expression the runtime cannot compile (a test fails on it)."""


@cache
def environment() -> Any:
    return cel.NewEnv(
        variables=dict.fromkeys(("object", "oldObject", "params", "request", "variables"), cel.Type.DYN),
        extensions=[ExtStrings(STRINGS_EXTENSION_VERSION)],
    )


@cache
def compiled(expression: str) -> Any:
    try:
        return environment().compile(expression)
    except RuntimeError as error:
        raise CompileError(f"{expression!r} does not compile: {error}") from error


def evaluate(expression: str, data: dict[str, Any]) -> tuple[Any, str | None]:
    """(value, None), or (None, the runtime's error) when evaluation fails."""
    value = compiled(expression).eval(data=data)
    if value.type() == cel.Type.ERROR:
        return None, str(value.plain_value())
    return value.plain_value(), None


@dataclass(frozen=True)
class Request:
    operation: str
    resource: str
    namespace: str
    name: str
    object: dict[str, Any] | None
    old_object: dict[str, Any] | None = None
    sub_resource: str = ""
    group: str = ""

    def as_cel(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "resource": {"group": self.group, "version": "v1", "resource": self.resource},
            "subResource": self.sub_resource,
            "namespace": self.namespace,
            "name": self.name,
        }


@dataclass
class Cluster:
    """The admission objects of a capture: policies by name, bindings, ConfigMaps by (namespace, name)."""

    policies: dict[str, dict[str, Any]]
    bindings: list[dict[str, Any]]
    config_maps: dict[tuple[str, str], dict[str, Any]]
    evaluated: set[str] = field(default_factory=set)
    """Every expression evaluated so far (tests check that each rendered expression ran)."""

    @classmethod
    def of(cls, objects: list[dict[str, Any]]) -> Cluster:
        return cls(
            policies={o["metadata"]["name"]: o for o in objects if o["kind"] == "ValidatingAdmissionPolicy"},
            bindings=[o for o in objects if o["kind"] == "ValidatingAdmissionPolicyBinding"],
            config_maps={
                (o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects if o["kind"] == "ConfigMap"
            },
        )

    def admit(self, request: Request) -> list[str]:
        """The denial messages (empty: admitted)."""
        denials = []
        for binding in self.bindings:
            policy = self.policies.get(binding["spec"]["policyName"])
            if policy is None or not _matches(policy["spec"]["matchConstraints"], request):
                continue
            if not _matches(binding["spec"].get("matchResources") or {}, request, rules_required=False):
                continue
            denials += self._judge(policy, binding, request)
        return denials

    def _judge(self, policy: dict[str, Any], binding: dict[str, Any], request: Request) -> list[str]:
        spec = policy["spec"]
        params = None
        if spec.get("paramKind"):
            ref = binding["spec"]["paramRef"]
            params = self.config_maps.get((ref.get("namespace") or request.namespace, ref["name"]))
            if params is None:
                assert ref["parameterNotFoundAction"] == "Deny"
                return [f"no params found for binding {binding['metadata']['name']}: denied"]
        data: dict[str, Any] = {
            "object": request.object,
            "oldObject": request.old_object,
            "params": params,
            "request": request.as_cel(),
            "variables": {},
        }
        failed = []
        for variable in spec.get("variables") or []:
            value, error = evaluate(variable["expression"], data)
            self.evaluated.add(variable["expression"])
            assert error is None, f"variable {variable['name']} failed: {error}"
            data["variables"] = {**data["variables"], variable["name"]: value}
        for validation in spec["validations"]:
            value, error = evaluate(validation["expression"], data)
            self.evaluated.add(validation["expression"])
            assert error is None and isinstance(value, bool), f"{validation['expression']!r}: {error or value!r}"
            if not value:
                message, error = evaluate(validation["messageExpression"], data)
                self.evaluated.add(validation["messageExpression"])
                assert error is None and isinstance(message, str), f"message failed: {error or message!r}"
                failed.append(message)
        return failed


def _matches(match: dict[str, Any], request: Request, *, rules_required: bool = True) -> bool:
    selector = match.get("namespaceSelector") or {}
    namespace_labels = {NAMESPACE_NAME: request.namespace}
    for key, value in (selector.get("matchLabels") or {}).items():
        if namespace_labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        present = namespace_labels.get(expression["key"])
        inside = present in expression.get("values", [])
        if (expression["operator"] == "In" and not inside) or (expression["operator"] == "NotIn" and inside):
            return False
    rules = match.get("resourceRules")
    if rules is None:
        return not rules_required
    resource = f"{request.resource}/{request.sub_resource}" if request.sub_resource else request.resource
    return any(
        request.group in rule["apiGroups"]
        and resource in rule["resources"]
        and (request.operation in rule["operations"] or "*" in rule["operations"])
        for rule in rules
    )


def policy_expressions(policy: dict[str, Any]) -> list[str]:
    spec = policy["spec"]
    found = [v["expression"] for v in spec.get("variables") or []]
    for validation in spec["validations"]:
        found += [validation["expression"], validation["messageExpression"]]
    return found
