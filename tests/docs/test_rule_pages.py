"""The rule pages: one per rule, linked from the index; the level per environment is the one the pack really
runs with; the passing example passes the rule and the failing example fails it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from docgen import REPO, rules
from docgen.outputs import Page, Site
from docgen.site import pack_configs
from nhi_rules.cases import encode
from nhi_rules.registry import RULE_MODULES
from tests.conftest import STACKS
from tests.policy.harness import Verdict, build_stack, run_resource, run_stack

NAMES = [module.POLICY.name for module in RULE_MODULES]


def pages(site: Site) -> dict[str, str]:
    return {output.path: output.text for output in site.outputs if isinstance(output, Page)}


def test_every_rule_has_a_page_linked_from_the_index(site: Site) -> None:
    found = pages(site)
    assert {path for path in found if path.startswith("docs/rules/") and path != rules.INDEX} == {
        rules.page_path(name) for name in NAMES
    }
    linked = set(re.findall(r"\]\(([a-z0-9-]+)\.md\)", found[rules.INDEX]))
    assert linked == set(NAMES)


@pytest.mark.parametrize(
    ("config", "level"),
    [
        ({}, "mandatory"),
        ({"all": "advisory"}, "advisory"),
        ({"all": "advisory", "kms-key-require-rotation": {"enforcementLevel": "mandatory"}}, "mandatory"),
        ({"all": {"enforcementLevel": "disabled"}}, "disabled"),
        ({"kms-key-require-rotation": "advisory"}, "advisory"),
        ({"kms-key-require-rotation": {"allowExemptions": True}}, "mandatory"),
        ({"other-rule": "disabled"}, "mandatory"),
    ],
)
def test_the_level_in_a_config_is_resolved_as_the_engine_does(config: dict[str, Any], level: str) -> None:
    assert rules.level_in(config, "kms-key-require-rotation", "mandatory") == level


def test_the_levels_on_the_pages_are_those_the_pack_runs_with_in_each_stack(site: Site) -> None:
    """Compared with the preflight's JSON contract, which reports each policy's level as the pack was configured."""
    index = pages(site)[rules.INDEX]
    environments = list(pack_configs())
    for stack in STACKS:
        result = subprocess.run(
            [sys.executable, "-m", "nhi", "preflight", "--stack", stack, "--format", "json"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        running = {p["name"]: p["enforcementLevel"] for p in json.loads(result.stdout)["policies"]}
        assert set(running) == set(NAMES)
        column = environments.index(stack)
        for name, level in running.items():
            row = next(line for line in index.splitlines() if line.startswith(f"| [`{name}`]"))
            assert row.split(" | ")[2 + column] == level, (stack, name)
            assert f"| {stack} | `{level}` |" in pages(site)[rules.page_path(name)], (stack, name)


def judge(module: ModuleType, spec: dict[str, Any], config: dict[str, Any] | None) -> Verdict:
    spec = encode(spec)
    config = {**(spec.get("config") or {}), **(config or {})} or None
    if module.POLICY.kind == "stack":
        return run_stack(module.POLICY, build_stack(spec["resources"]), config)
    return run_resource(module.POLICY, spec["type"], spec.get("props", {}), config)


@pytest.mark.parametrize("module", RULE_MODULES, ids=NAMES)
def test_the_passing_example_passes_and_the_failing_example_fails(module: ModuleType) -> None:
    path = rules.source_path(module)
    example = rules.example(path.with_name(path.stem + ".cases.yaml"))
    assert judge(module, example.passing, None).outcome == "pass"
    assert example.failing is not None and example.case is not None, "every rule has a failing case"
    assert example.failing != example.passing
    verdict = judge(module, example.failing, example.case.get("config"))
    assert verdict.outcome == "fail", example.case["name"]


@pytest.mark.parametrize("module", RULE_MODULES, ids=NAMES)
def test_a_page_shows_the_rules_own_metadata(site: Site, module: ModuleType) -> None:
    policy = module.POLICY
    page = pages(site)[rules.page_path(policy.name)]
    assert page.startswith(f"# `{policy.name}`\n")
    assert policy.description in page and policy.remediation_steps in page
    assert f"| severity | {policy.severity.value} |" in page
    assert module.__doc__ and " ".join(module.__doc__.split()) in " ".join(page.split())
    for key in policy.config_properties:
        assert f"| `{key}` |" in page


def test_the_failing_example_is_the_first_clear_failing_case() -> None:
    cases: list[dict[str, Any]] = [
        {"name": "ok", "expect": "pass"},
        {"name": "exempted", "expect": "fail", "exempt": "a reason that is long enough", "set": {"a": 1}},
        {"name": "unknown", "expect": "fail", "set": {"a": "__unknown__"}},
        {"name": "clear", "expect": "fail", "unset": "a"},
        {"name": "later", "expect": "fail", "unset": "b"},
    ]
    assert rules.first_failing(cases) == cases[3]
    assert rules.first_failing(cases[:3]) == cases[1]
    assert rules.first_failing(cases[:1]) is None


def test_edits_and_documents_read_as_a_person_writes_them() -> None:
    assert rules.describe_edit({"set": {"policy.__json__.Statement.0.Action": "*"}}) == (
        '`policy.Statement.0.Action` set to `"*"`'
    )
    assert rules.describe_edit({"unset": "spec.ingress"}) == "`spec.ingress` removed"
    assert rules.describe_edit({"append": {"verbs": "bind"}}) == '`"bind"` appended to `verbs`'
    assert rules.readable({"policy": {"__json__": {"Version": "2012-10-17"}}}) == {"policy": {"Version": "2012-10-17"}}
    assert rules.message_text("{path} is {value!r}: set it to {{}}") == "<path> is <value>: set it to {}"
