"""The pack's layout: the registry finds every rule module, each named by convention, with SDK metadata and cases.

The registry derives the rules from the packages; these tests walk the files on their own to keep it honest. The
rules' generated pages are checked with the rest of the docs, in tests/docs."""

from __future__ import annotations

import ast
import importlib
import re
from collections import Counter
from pathlib import Path

import pytest

from nhi_rules import registry
from nhi_rules.lib.rule import NhiResourcePolicy, NhiStackPolicy
from tests.policy.harness import (
    POLICY_DIR,
    RULES_DIR,
    Case,
    case_files,
    load_cases,
    load_file,
    rule_modules,
    run_case,
)

NAME_RE = re.compile(r"^[a-z0-9]+-[a-z0-9]+-(require|disallow|enforce|limit)-[a-z0-9]+(-[a-z0-9]+)*$")
MODULES = rule_modules()
CASES = load_cases()


def test_the_registry_finds_every_rule_module_in_family_order() -> None:
    registered = [module.__name__ for module in registry.RULE_MODULES]
    # Order matters: it is the order of the pack's policies in GetAnalyzerInfo and in preflight reports.
    assert registered == MODULES, "the registry and the files of the rule families disagree"
    assert [policy.name for policy in registry.POLICIES] == [module.NAME for module in registry.RULE_MODULES]


def test_rule_modules_live_only_in_the_rule_families() -> None:
    # lib: the rules' helpers; sdk_seam: the pack's one seam to pulumi_policy's internals.
    packages = {path.parent.name for path in RULES_DIR.glob("*/*.py")}
    assert packages - {"lib", "sdk_seam"} == set(registry.FAMILIES), (
        "a folder of modules that is not a rule family (nor lib or sdk_seam)"
    )


def test_policy_names_are_unique_and_match_file_names() -> None:
    names = [policy.name for policy in registry.POLICIES]
    assert [n for n, c in Counter(names).items() if c > 1] == []
    for module in registry.RULE_MODULES:
        stem = module.__name__.rsplit(".", 1)[1]
        assert module.POLICY.name == module.NAME == stem.replace("_", "-"), module.__name__
        assert NAME_RE.match(module.NAME), f"{module.NAME}: <service>-<resource>-<verb>-<object>"
        # The name is the last part of an annotation key (exemptions): at most 63 characters.
        assert len(module.NAME) <= 63


@pytest.mark.parametrize("module_name", MODULES)
def test_rule_module_shape(module_name: str) -> None:
    module = importlib.import_module(module_name)
    policy = module.POLICY
    assert isinstance(policy, (NhiResourcePolicy, NhiStackPolicy))
    assert policy.description and policy.severity and policy.tags and policy.remediation_steps
    assert policy.framework and policy.framework.name and policy.framework.reference
    assert policy.resource_types, "a rule names the type tokens it judges"
    assert all(":" in t for t in policy.resource_types)
    constants = [name for name in vars(module) if name.startswith("MSG_")]
    assert constants, "message constants name the property path and the fix"
    # One policy per module: no other module-level Policy objects.
    tree = ast.parse(Path(str(module.__file__)).read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("resource_rule", "stack_rule")
    ]
    assert len(calls) == 1
    for key, prop in policy.config_properties.items():
        assert "default" in prop and "description" in prop and "type" in prop, key


def test_every_case_file_has_a_rule_and_every_rule_has_cases() -> None:
    stems = {path.parent / path.name.removesuffix(".cases.yaml") for path in case_files()}
    rules = {RULES_DIR / name.split(".")[1] / name.split(".")[2] for name in MODULES}
    assert stems - rules == set(), "case files without a rule module beside them"
    assert rules - stems == set(), "rules without a .cases.yaml beside them"
    stray = [p for p in RULES_DIR.rglob("*.yaml") if not p.name.endswith(".cases.yaml")]
    assert stray == []


@pytest.mark.parametrize("module_name", MODULES)
def test_cases_cover_pass_fail_omitted_and_unknown(module_name: str) -> None:
    cases = [case for case in CASES if case.rule_module == module_name]
    expects = {case.expect for case in cases}
    assert {"pass", "fail"} <= expects, f"{module_name}: {expects}"
    # An unknown case feeds the engine's unknown sentinel; it expects "unknown" (could not run) or, where an
    # unknown value is certain to be fine (a key ARN that will exist), "pass".
    assert any("__unknown__" in repr(argument) for case in cases for _, argument in case.ops), (
        f"{module_name}: no unknown case"
    )
    assert any(op == "unset" for case in cases for op, _ in case.ops), f"{module_name}: no attribute-omitted case"
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names are unique within a file"
    for case in cases:
        assert len(case.ops) <= 1, f"{case.id}: change one thing at a time"
        assert case.expect in ("pass", "fail", "unknown")
        assert set(case.spec) <= {
            "name",
            "baseline",
            "expect",
            "messages",
            "config",
            "exempt",
            "set",
            "unset",
            "append",
        }, case.id


def test_every_baseline_is_compliant() -> None:
    for path in case_files():
        module = f"nhi_rules.{path.parent.name}.{path.name.removesuffix('.cases.yaml')}"
        for baseline in load_file(path)["baselines"]:
            case = Case(module, path, f"baseline:{baseline}", baseline, "pass", (), (), None, None, {})
            verdict = run_case(case)
            assert verdict.outcome == "pass", f"{module} baseline {baseline}: {verdict.messages}"


def test_policy_pack_is_built_only_in_main() -> None:
    offenders = [
        path
        for path in POLICY_DIR.rglob("*.py")
        if "PolicyPack(" in path.read_text() and path != POLICY_DIR / "__main__.py"
    ]
    assert offenders == []
    assert 'name="nhi-platform"' in (POLICY_DIR / "__main__.py").read_text()


def test_pack_never_imports_components() -> None:
    for path in POLICY_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("components", "settings", "nhi.")), path
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith(("components", "settings")) for a in node.names), path
