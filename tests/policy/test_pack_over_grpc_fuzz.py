"""The real pack process answers every request over gRPC, whatever the properties hold.

Generated properties (unknowns, secrets, assets, archives, resource references, NaN and infinities, huge
integers, deep nesting, hostile strings) are sent for every resource type a rule judges, through the same
Analyze and AnalyzeStack calls the engine makes. A rule that raised would come back as a gRPC error: each call
must return an answer whose diagnostics name a policy of the pack. The in-process robustness test skips the
process, the protobuf conversion and the SDK seam; this one goes through all three.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from nhi.preflight.analyzer import PackProcess
from nhi.preflight.wire import OUTPUT_SIG, RESOURCE_SIG, SECRETS_SIG, SIG_KEY, UNKNOWN
from nhi_rules.cases import encode
from nhi_rules.registry import RULES
from tests.conftest import REPO

ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_TYPES = sorted({t for rule in RULES for t in rule.resource_types})
POLICY_NAMES = {rule.name for rule in RULES}
# Struct nesting the protobuf runtime accepts stays below its recursion limit (100 levels of message).
DEEPEST = 40

TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [UNKNOWN, "*", "0.0.0.0/0", "::/0", "arn:aws:iam::*:role/*", "-1", "22", "true", "", "\x00", "a" * 300]
    ),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)


def _signed(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The signed objects the engine sends analyzers: secrets, assets and archives. (It lowers resource
    references and output values before an analyzer sees them, as the preflight does.)"""
    return st.one_of(
        st.builds(lambda value: {SIG_KEY: SECRETS_SIG, "value": value}, children),
        st.builds(lambda text: {SIG_KEY: ASSET_SIG, "text": text}, TEXT),
        st.builds(lambda path: {SIG_KEY: ARCHIVE_SIG, "path": path}, TEXT),
    )


VALUES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(TEXT, children, max_size=4),
        _signed(children),
    ),
    max_leaves=25,
)


def _deep(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"spec": value}
    return value


PROPERTIES = st.one_of(
    st.dictionaries(TEXT, VALUES, max_size=6),
    st.builds(lambda depth, leaf: {"spec": _deep(depth, leaf)}, st.integers(1, DEEPEST), LEAVES),
)


def _case_baselines() -> list[dict[str, Any]]:
    found = []
    for path in sorted((REPO / "policy" / "nhi_rules").glob("*/*.cases.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found += [b for b in (data.get("baselines") or {}).values() if isinstance(b, dict)]
    return found


def _baselines() -> list[tuple[str, dict[str, Any]]]:
    """Every compliant baseline resource (type and props) of the rules' case files: a resource rule's, and each
    resource of a stack rule's (the IAM roles, policies, bindings and workloads the identity paths are built from)."""
    found = []
    for baseline in _case_baselines():
        if "type" in baseline:
            found.append((baseline["type"], baseline.get("props") or {}))
        for resource in baseline.get("resources") or []:
            found.append((resource["type"], resource.get("props") or {}))
    return found


def _stack_baselines() -> list[list[dict[str, Any]]]:
    """Each stack rule's compliant baseline, whole: its resources with their dependencies by name."""
    return [list(b["resources"]) for b in _case_baselines() if isinstance(b.get("resources"), list)]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document, deepest included (a key of a mapping, an index of a list)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _with(document: dict[str, Any], path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return changed


BASELINES = _baselines()
# A rule's own baseline with one place replaced by a generated value: reaches the rules' deeper logic (inside an
# IAM document, a container, a security-group rule), which random documents rarely do.
MUTATED = st.sampled_from(BASELINES).flatmap(
    lambda baseline: st.tuples(
        st.just(baseline[0]),
        st.builds(
            lambda path, new: encode(_with(baseline[1], path, new) if path else baseline[1]),
            st.sampled_from(_paths(baseline[1]) or [()]),
            VALUES,
        ),
    )
)


STACK_BASELINES = _stack_baselines()


@st.composite
def mutated_stack(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A stack rule's whole baseline with one place of one resource replaced by a generated value: the links
    between resources (a RolePolicy's role, a binding's roleRef, an association's role ARN) stay, so the stack
    rules' deeper logic runs on the damaged one."""
    resources = copy.deepcopy(draw(st.sampled_from(STACK_BASELINES)))
    target = draw(st.sampled_from(resources))
    props = target.get("props") or {}
    path = draw(st.sampled_from(_paths(props) or [()]))
    target["props"] = _with(props, path, draw(VALUES)) if path else props
    return [{**resource, "props": encode(resource.get("props") or {})} for resource in resources]


def _wire(value: Any) -> Any:
    """A Struct holds numbers as doubles: integers past 2**53 and non-finite floats travel as the engine's
    JSON would carry them (the engine itself never sends NaN), so the pack still sees them as numbers or text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return float(value) if abs(value) < 2**53 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list):
        return [_wire(item) for item in value]
    return {key: _wire(item) for key, item in value.items()}


def _struct(properties: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(_wire(properties))
    return message


@pytest.fixture(scope="module")
def pack() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process = PackProcess(REPO / "policy", dict(os.environ), startup_timeout=60)
    try:
        yield process.start()
    finally:
        process.stop()


def _analyze(stub: analyzer_pb2_grpc.AnalyzerStub, index: int, type_: str, properties: dict[str, Any]) -> Any:
    name = f"fuzz{index}"
    request = analyzer_pb2.AnalyzeRequest(
        type=type_, name=name, urn=f"urn:pulumi:test::nhi::{type_}::{name}", properties=_struct(properties)
    )
    return stub.Analyze(request, timeout=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(resource=st.one_of(st.tuples(st.sampled_from(RESOURCE_TYPES), PROPERTIES), MUTATED))
def test_every_analyze_request_gets_an_answer(
    pack: analyzer_pb2_grpc.AnalyzerStub, resource: tuple[str, dict[str, Any]]
) -> None:
    type_, properties = resource
    try:
        response = _analyze(pack, 0, type_, properties)
    except grpc.RpcError as error:  # a rule raised inside the pack
        pytest.fail(f"{type_}: the pack failed the call: {error.code()}: {error.details()}")
    assert {d.policyName for d in response.diagnostics} <= POLICY_NAMES


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    resources=st.lists(
        st.one_of(st.tuples(st.sampled_from(RESOURCE_TYPES), PROPERTIES), MUTATED), min_size=1, max_size=8
    )
)
def test_every_analyze_stack_request_gets_an_answer(
    pack: analyzer_pb2_grpc.AnalyzerStub, resources: list[tuple[str, dict[str, Any]]]
) -> None:
    request = analyzer_pb2.AnalyzeStackRequest()
    for index, (type_, properties) in enumerate(resources):
        name = f"fuzz{index}"
        request.resources.add(
            type=type_, name=name, urn=f"urn:pulumi:test::nhi::{type_}::{name}", properties=_struct(properties)
        )
    try:
        response = pack.AnalyzeStack(request, timeout=120)
    except grpc.RpcError as error:
        pytest.fail(f"the pack failed AnalyzeStack: {error.code()}: {error.details()}")
    assert {d.policyName for d in response.diagnostics} <= POLICY_NAMES


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::nhi::{type_}::{name}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(resources=mutated_stack())
def test_every_mutated_stack_baseline_gets_an_answer(
    pack: analyzer_pb2_grpc.AnalyzerStub, resources: list[dict[str, Any]]
) -> None:
    urns = {resource["name"]: _urn(resource["type"], resource["name"]) for resource in resources}
    request = analyzer_pb2.AnalyzeStackRequest()
    for resource in resources:
        sent = request.resources.add(
            type=resource["type"],
            name=resource["name"],
            urn=urns[resource["name"]],
            properties=_struct(resource["props"]),
            dependencies=[urns[name] for name in resource.get("dependencies") or [] if name in urns],
        )
        for prop, names in (resource.get("propertyDependencies") or {}).items():
            sent.propertyDependencies[prop].urns.extend(urns[name] for name in names if name in urns)
    try:
        response = pack.AnalyzeStack(request, timeout=120)
    except grpc.RpcError as error:
        pytest.fail(f"the pack failed AnalyzeStack: {error.code()}: {error.details()}")
    assert {d.policyName for d in response.diagnostics} <= POLICY_NAMES


def test_annotations_that_are_an_asset_get_an_answer(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """Found by the mutated stack baselines: the IRSA lookup iterated a ServiceAccount's annotations, which
    failed the whole AnalyzeStack call when they were an asset."""
    request = analyzer_pb2.AnalyzeStackRequest()
    annotations = {SIG_KEY: ASSET_SIG, "text": ""}
    request.resources.add(
        type="kubernetes:core/v1:ServiceAccount",
        name="ledger",
        urn=_urn("kubernetes:core/v1:ServiceAccount", "ledger"),
        properties=_struct({"metadata": {"name": "ledger", "namespace": "payments", "annotations": annotations}}),
    )
    response = pack.AnalyzeStack(request, timeout=120)
    assert {d.policyName for d in response.diagnostics} <= POLICY_NAMES


@pytest.mark.parametrize("signature", [OUTPUT_SIG, RESOURCE_SIG])
def test_the_check_sees_a_failed_call(pack: analyzer_pb2_grpc.AnalyzerStub, signature: str) -> None:
    """The check can fail: a value the engine never sends an analyzer (an output value or a resource reference,
    which it lowers first) makes the SDK refuse the call, and that comes back as a gRPC error."""
    with pytest.raises(grpc.RpcError, match="Unrecognized signature"):
        _analyze(pack, 0, "aws:iam/role:Role", {"name": {SIG_KEY: signature, "urn": "u", "value": "v"}})
