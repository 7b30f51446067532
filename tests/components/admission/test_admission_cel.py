"""Every CEL expression of the rendered admission policies, evaluated with a real CEL runtime (cel-expr-python)
against every object of the three stacks (all admitted) and against crafted violations of each kind (each denied,
with a message naming the container, the image and the stack-file key that would allow it)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from components.admission.expressions import (
    ALLOWLIST_CONFIGMAP,
    ALLOWLIST_POLICY,
    CREDENTIAL_POLICY,
    LONG_LIVED_CREDENTIAL_TYPE,
    NO_ENTRY_POLICY,
)
from tests.components.admission.apiserver import Cluster, CompileError, Request, compiled, policy_expressions
from tests.components.admission.conftest import (
    TEMPLATE_PATHS,
    create,
    pod_from,
    stack_objects,
    template_of,
    update,
)
from tests.conftest import STACKS, stack_settings

REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
OTHER_DIGEST = "sha256:" + "ab" * 32
# Functions and macros every Kubernetes 1.30+ API server gives a ValidatingAdmissionPolicy: CEL's standard
# library and the strings extension (k8s.io/apiserver pkg/cel/environment/base.go).
KUBERNETES_130_FUNCTIONS = {"has", "size", "string", "map", "filter", "exists", "all", "startsWith", "join"}


def cluster(stack: str) -> Cluster:
    return Cluster.of(stack_objects(stack))


def objects_of(stack: str, kind: str) -> list[dict[str, Any]]:
    return [o for o in stack_objects(stack) if o["kind"] == kind]


def deployment(stack: str, name: str) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in objects_of(stack, "Deployment") if o["metadata"]["name"] == name))


# --- Compilation ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_expression_compiles(stack: str) -> None:
    policies = objects_of(stack, "ValidatingAdmissionPolicy")
    assert {p["metadata"]["name"] for p in policies} >= {ALLOWLIST_POLICY, CREDENTIAL_POLICY}
    for policy in policies:
        for expression in policy_expressions(policy):
            compiled(expression)


def test_an_expression_the_runtime_cannot_compile_fails() -> None:
    """The check above can fail: a function Kubernetes does not provide is refused at compile time."""
    with pytest.raises(CompileError):
        compiled("object.spec.containers.sortBy(c, c.name)")
    with pytest.raises(CompileError):
        compiled("size(object.spec.containers) ==")


def test_only_kubernetes_130_functions_are_called() -> None:
    called = set()
    for policy in objects_of("prod", "ValidatingAdmissionPolicy"):
        for expression in policy_expressions(policy):
            without_strings = re.sub(r"'(?:\\.|[^'\\])*'", "''", expression)
            called |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", without_strings))
    assert called <= KUBERNETES_130_FUNCTIONS, called - KUBERNETES_130_FUNCTIONS
    assert {"join", "startsWith", "has"} <= called


# --- Everything the stacks render is admitted ------------------------------------------------------------------
@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_object_and_the_pods_of_its_templates_are_admitted(stack: str) -> None:
    objects = stack_objects(stack)
    api = Cluster.of(objects)
    judged_pods = 0
    for body in objects:
        if "namespace" not in body["metadata"]:
            continue
        assert api.admit(create(body)) == [], body["metadata"]
        if template_of(body) is not None:
            pod = pod_from(body, f"{body['metadata']['name']}-x1")
            assert api.admit(create(pod)) == [], pod["metadata"]
            judged_pods += 1
            if body["kind"] == "Deployment":  # the ReplicaSet the deployment controller creates
                replica_set = {**copy.deepcopy(body), "kind": "ReplicaSet"}
                assert api.admit(create(replica_set)) == []
    declared = stack_settings(stack)
    assert judged_pods >= 2 * len(declared.workloads)
    # Every variable and validation of the allow-list ran (its messages only on denials; the stacks render no
    # Secret, so the token policy runs in the crafted cases below).
    spec = api.policies[ALLOWLIST_POLICY]["spec"]
    expected = {v["expression"] for v in spec["variables"]} | {v["expression"] for v in spec["validations"]}
    assert expected - api.evaluated == set()


# --- Crafted violations ---------------------------------------------------------------------------------------
def _denied(api: Cluster, request: Request) -> str:
    messages = api.admit(request)
    assert messages, f"{request.resource} {request.name} was admitted"
    return "\n".join(messages)


def _with_image(body: dict[str, Any], image: str, kind: str = "containers") -> dict[str, Any]:
    changed = copy.deepcopy(body)
    template = template_of(changed)
    spec = (template if template is not None else changed)["spec"]
    if kind == "containers":
        spec["containers"][0]["image"] = image
    else:
        spec[kind] = [{**copy.deepcopy(spec["containers"][0]), "name": "sidecar", "image": image}]
    return changed


def _prod_gateway_key() -> tuple[int, str]:
    declared = stack_settings("prod")
    index = next(i for i, w in enumerate(declared.workloads) if w.name == "gateway")
    return index, f"nhi-platform:workloads[{index}].rollout.blue"


@pytest.mark.parametrize(
    ("case", "image"),
    [
        ("undeclared digest", f"{REGISTRY}/gateway@{OTHER_DIGEST}"),
        ("tag", f"{REGISTRY}/gateway:1.2.3"),
        ("foreign registry", f"docker.io/library/nginx@{OTHER_DIGEST}"),
    ],
)
def test_an_undeclared_image_is_denied_naming_container_image_and_key(case: str, image: str) -> None:
    api = cluster("prod")
    _, key = _prod_gateway_key()
    message = _denied(api, create(_with_image(deployment("prod", "gateway-blue"), image)))
    assert f"containers app runs image {image}" in message
    assert f"declare it at {key}" in message
    assert "Deployment edge/gateway-blue" in message


def test_another_workloads_digest_is_denied_for_this_service_account() -> None:
    """The list is per identity: the catalog's digest does not run as the cart service account."""
    api = cluster("prod")
    catalog = next(w for w in stack_settings("prod").workloads if w.name == "catalog")
    message = _denied(api, create(_with_image(deployment("prod", "cart-blue"), catalog.rollout.blue)))
    assert catalog.rollout.blue in message and "for service account cart" in message


@pytest.mark.parametrize("kind", ["initContainers", "ephemeralContainers"])
def test_init_and_ephemeral_container_images_are_judged(kind: str) -> None:
    api = cluster("prod")
    image = f"docker.io/library/busybox@{OTHER_DIGEST}"
    message = _denied(api, create(_with_image(deployment("prod", "gateway-blue"), image, kind)))
    assert f"{kind} sidecar runs image {image}" in message


def test_an_ephemeral_container_added_to_a_running_pod_is_denied_outside_prod_too() -> None:
    """`kubectl debug` in dev: an UPDATE of pods/ephemeralcontainers, judged by the allow-list."""
    api = cluster("dev")
    pod = pod_from(objects_of("dev", "Deployment")[0], "live-pod")
    debugged = copy.deepcopy(pod)
    debugged["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox:latest"}]
    message = _denied(api, update(pod, debugged, "ephemeralcontainers"))
    assert "ephemeralContainers debugger runs image busybox:latest" in message


@pytest.mark.parametrize("kind", sorted({*TEMPLATE_PATHS, "Pod"}))
def test_every_pod_template_kind_is_judged(kind: str) -> None:
    api = cluster("prod")
    base = deployment("prod", "gateway-blue")
    template = base["spec"]["template"]
    bodies = {
        "Pod": pod_from(base, "gateway-x"),
        "CronJob": {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "gateway-cron", "namespace": "edge"},
            "spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": copy.deepcopy(template)}}},
        },
    }
    group = {"Job": "batch/v1", "ReplicationController": "v1"}.get(kind, "apps/v1")
    body = bodies.get(kind) or {
        "apiVersion": group,
        "kind": kind,
        "metadata": {"name": "gateway-x", "namespace": "edge"},
        "spec": {"selector": base["spec"]["selector"], "template": copy.deepcopy(template)},
    }
    assert api.admit(create(body)) == []  # the declared digest and service account: admitted
    image = f"{REGISTRY}/gateway:latest"
    message = _denied(api, create(_with_image(body, image)))
    assert f"{kind} edge/" in message and f"containers app runs image {image}" in message


@pytest.mark.parametrize(
    ("account", "expected"),
    [(None, "default service account"), ("default", "default"), ("intruder", "service account intruder")],
)
def test_a_pod_runs_only_as_a_declared_service_account(account: str | None, expected: str) -> None:
    api = cluster("prod")
    body = deployment("prod", "gateway-blue")
    spec = body["spec"]["template"]["spec"]
    if account is None:
        del spec["serviceAccountName"]
    else:
        spec["serviceAccountName"] = account
    message = _denied(api, create(body))
    assert expected in message and "declared workload's own service account" in message


def test_a_service_account_token_secret_is_denied() -> None:
    api = cluster("prod")
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "gateway-token",
            "namespace": "edge",
            "annotations": {"kubernetes.io/service-account.name": "gateway"},
        },
        "type": LONG_LIVED_CREDENTIAL_TYPE,
    }
    assert "edge/gateway-token is of type kubernetes.io/service-account-token" in _denied(api, create(secret))
    assert api.admit(create({**secret, "type": "Opaque"})) == []


@pytest.mark.parametrize("sub_resource", ["exec", "attach"])
def test_prod_denies_exec_and_attach_and_dev_does_not(sub_resource: str) -> None:
    options = {"apiVersion": "v1", "kind": "PodExecOptions", "command": ["sh"], "stdin": True, "tty": True}
    request = Request(
        operation="CONNECT",
        resource="pods",
        sub_resource=sub_resource,
        namespace="edge",
        name="gateway-blue-abc",
        object=options,
    )
    message = _denied(cluster("prod"), request)
    assert f"pods/{sub_resource} on edge/gateway-blue-abc is denied" in message and NO_ENTRY_POLICY in message
    dev_namespace = objects_of("dev", "Deployment")[0]["metadata"]["namespace"]
    assert cluster("dev").admit(Request(**{**request.__dict__, "namespace": dev_namespace})) == []


def test_prod_denies_a_declared_ephemeral_container_too() -> None:
    """Even an admitted image may not be added to a running prod pod: a pod is replaced, never entered."""
    api = cluster("prod")
    pod = pod_from(deployment("prod", "gateway-blue"), "gateway-blue-abc")
    debugged = copy.deepcopy(pod)
    image = pod["spec"]["containers"][0]["image"]
    debugged["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": image}]
    messages = api.admit(update(pod, debugged, "ephemeralcontainers"))
    assert len(messages) == 1 and "pods/ephemeralcontainers on edge/gateway-blue-abc is denied" in messages[0]


def test_a_namespace_without_its_list_admits_nothing() -> None:
    api = cluster("prod")
    del api.config_maps[("edge", ALLOWLIST_CONFIGMAP)]
    assert "no params found" in _denied(api, create(deployment("prod", "gateway-blue")))


def test_an_update_keeps_an_image_the_object_already_ran() -> None:
    """The deployment controller scales down an old ReplicaSet whose digest has left the list: admitted; a new
    undeclared image in the same update is not."""
    api = cluster("prod")
    old = {
        **_with_image(deployment("prod", "gateway-blue"), f"{REGISTRY}/gateway@{OTHER_DIGEST}"),
        "kind": "ReplicaSet",
    }
    scaled = copy.deepcopy(old)
    scaled["spec"]["replicas"] = 0
    assert api.admit(update(old, scaled)) == []
    swapped = _with_image(scaled, f"{REGISTRY}/gateway:evil")
    assert "runs image 111122223333.dkr.ecr.eu-west-1.amazonaws.com/gateway:evil" in _denied(api, update(old, swapped))


def test_an_update_keeps_the_service_account_the_object_already_had() -> None:
    """Garbage collection removes a finalizer from a Deployment whose workload left the stack: admitted; moving
    a template onto an undeclared service account is not."""
    api = cluster("prod")
    old = deployment("prod", "gateway-blue")
    old["spec"]["template"]["spec"]["serviceAccountName"] = "retired"
    finalized = copy.deepcopy(old)
    finalized["metadata"]["finalizers"] = []
    assert api.admit(update(old, finalized)) == []
    moved = copy.deepcopy(deployment("prod", "gateway-blue"))
    moved["spec"]["template"]["spec"]["serviceAccountName"] = "intruder"
    assert "runs as service account intruder" in _denied(api, update(deployment("prod", "gateway-blue"), moved))


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_runs_in_the_default_namespace(stack: str) -> None:
    """`kubectl run` with a stolen credential lands in `default`: bound with no list, it admits no pod, and no
    service-account token either."""
    api = cluster(stack)
    intruder = {
        **_with_image(deployment(stack, objects_of(stack, "Deployment")[0]["metadata"]["name"]), "busybox:latest"),
        "metadata": {"name": "intruder", "namespace": "default"},
    }
    assert "no params found" in _denied(api, create(intruder))
    assert "no params found" in _denied(api, create(pod_from(intruder, "intruder-pod")))
    token = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": LONG_LIVED_CREDENTIAL_TYPE,
        "metadata": {
            "name": "forever",
            "namespace": "default",
            "annotations": {"kubernetes.io/service-account.name": "default"},
        },
    }
    assert "default/forever is of type kubernetes.io/service-account-token" in _denied(api, create(token))


def test_system_namespaces_are_left_to_eks() -> None:
    api = cluster("prod")
    addon = {
        **_with_image(deployment("prod", "gateway-blue"), "602401143452.dkr.ecr.eu-west-1.amazonaws.com/coredns:v1"),
        "metadata": {"name": "coredns", "namespace": "kube-system"},
    }
    addon["spec"]["template"]["spec"]["serviceAccountName"] = "coredns"
    assert api.admit(create(addon)) == []
