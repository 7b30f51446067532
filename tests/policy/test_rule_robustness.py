"""Property test: no rule raises anything but the SDK's UnknownValueError, whatever the engine sends.

Random shapes (missing keys, nulls, wrong types, unknown sentinels, broken JSON) are fed to every rule, both
as mutations of the rule's own compliant baselines (deep paths stay reachable) and as free-form props.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from nhi_rules import registry
from tests.policy.harness import build_stack, case_files, encode, load_file, run_resource, run_stack

SENTINELS = [
    UNKNOWN_STRING_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_OBJECT_VALUE,
]
TRICKY = [
    "",
    "*",
    "0.0.0.0/0",
    "::/0",
    "-1",
    "true",
    "false",
    "{",
    "[]",
    "{}",
    "null",
    "a:b",
    "arn:aws:iam::*",
    "system:serviceaccount:*:*",
    "sha256:",
    "@",
    "\x00",
    "🙂",
    "9" * 30,
]


def _baselines() -> dict[str, list[dict]]:
    by_module: dict[str, list[dict]] = {}
    for path in case_files():
        module = f"nhi_rules.{path.parent.name}.{path.name.removesuffix('.cases.yaml')}"
        by_module[module] = [encode(b) for b in load_file(path)["baselines"].values()]
    return by_module


BASELINES = _baselines()


def _keys(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, element in value.items():
            found.add(key)
            _keys(element, found)
    elif isinstance(value, list):
        for element in value:
            _keys(element, found)
    elif isinstance(value, str) and value[:1] in "{[":
        with contextlib.suppress(ValueError):  # not JSON after all: a plain string
            _keys(json.loads(value), found)
    return found


VOCABULARY = sorted(_keys(BASELINES, set()))

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-2, 70000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(SENTINELS + TRICKY)
)
junk = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=4), children, max_size=4)
        | st.builds(json.dumps, st.dictionaries(st.sampled_from(VOCABULARY), children, max_size=3))
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, element in value.items():
            paths += _paths(element, (*prefix, key))
    elif isinstance(value, list):
        for index, element in enumerate(value):
            paths += _paths(element, (*prefix, index))
    return paths


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    value = copy.copy(value)
    value[path[0]] = _replace(value[path[0]], path[1:], new)
    return value


def _mutate(data: st.DataObject, document: Any) -> Any:
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(document)
        path = data.draw(st.sampled_from(paths))
        document = _replace(document, path, data.draw(junk))
    return document


def _judge(policy: Any, spec: dict) -> None:
    """Runs the rule; only UnknownValueError (-> unknown) and not-applicable may leave it (the harness catches
    exactly those), so any other exception fails the test."""
    if policy.kind == "stack":
        # The mutation may replace the list itself (None, a number): the harness then builds an empty stack.
        listed = spec.get("resources") if isinstance(spec, dict) else None
        resources = [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
        clean = [
            {
                "type": r.get("type") if isinstance(r.get("type"), str) else "x:y:Z",
                "name": f"r{i}",
                "props": r.get("props") if isinstance(r.get("props"), dict) else {},
                "dependencies": [f"r{j}" for j in range(len(resources)) if j != i][:2],
                "propertyDependencies": {"roleArn": [f"r{j}" for j in range(len(resources))][:1]},
            }
            for i, r in enumerate(resources)
        ]
        run_stack(policy, build_stack(clean))
    else:
        # The mutation may replace the type token too: a rule then judges nothing, as for any foreign type.
        token = spec.get("type") if isinstance(spec, dict) else None
        props = spec.get("props") if isinstance(spec, dict) else None
        run_resource(policy, token if isinstance(token, str) else "", props if isinstance(props, dict) else {})


FAST = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("module", [m.__name__ for m in registry.RULE_MODULES])
@FAST
@given(data=st.data())
def test_mutated_baselines_never_crash(module: str, data: st.DataObject) -> None:
    policy = next(m.POLICY for m in registry.RULE_MODULES if m.__name__ == module)
    baseline = data.draw(st.sampled_from(BASELINES[module]))
    _judge(policy, _mutate(data, baseline))


@pytest.mark.parametrize("module", [m.__name__ for m in registry.RULE_MODULES])
@FAST
@given(data=st.data())
def test_free_form_props_never_crash(module: str, data: st.DataObject) -> None:
    policy = next(m.POLICY for m in registry.RULE_MODULES if m.__name__ == module)
    resource_type = data.draw(st.sampled_from(policy.resource_types))
    props = data.draw(st.dictionaries(st.sampled_from(VOCABULARY), junk, max_size=6))
    config = data.draw(st.none() | st.dictionaries(st.sampled_from(list(policy.config_properties)), junk, max_size=2))
    if policy.kind == "stack":
        resources = build_stack(
            [
                {"type": t, "name": f"r{i}", "props": p, "dependencies": ["r0"]}
                for i, (t, p) in enumerate(
                    data.draw(st.lists(st.tuples(st.sampled_from(policy.resource_types), st.just(props)), max_size=4))
                )
            ]
        )
        run_stack(policy, resources, config)
    else:
        run_resource(policy, resource_type, props, config)
