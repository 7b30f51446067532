"""Runs one rule the way the SDK's analyzer does, and loads the case files that sit beside the rules.

Case file (`<rule_module>.cases.yaml`): `baselines` (name -> {type, props} for resource rules, or
{resources: [{type, name, props, dependencies, propertyDependencies}]} for stack rules), and `cases`, each a
compliant baseline changed one thing at a time (`set: {path: value}`, `unset: path` or `append: {path: value}`,
at most one), with `expect: pass | fail | unknown`, `messages` (the rule module's constant names, required for
fail) and optional `config`, and `exempt: <reason>`, which adds the exemption marker of the rule (a tag on AWS
resources, an annotation on Kubernetes objects) besides the one change. Paths are dotted; `[key.with.dots]`
quotes a key, `@name` picks the list element whose `name` is name. Resource rule paths start at the props.
`__unknown__` becomes the engine's unknown sentinel; `{__json__: x}` becomes the JSON string of x (how IAM
documents arrive).
"""

from __future__ import annotations

import importlib
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from nhi_rules.cases import OPS, edited, encode  # the case format lives in the pack, beside the case files
from nhi_rules.lib.exemptions import EXEMPTION_PREFIX
from nhi_rules.registry import FAMILIES

REPO = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO / "policy"
RULES_DIR = POLICY_DIR / "nhi_rules"
STACK = "test"
PROJECT = "nhi"


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{resource_type}::{name}"


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


class NotApplicable(Exception):
    """What `args.not_applicable(reason)` raises under this harness (the SDK's own exception is private)."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


class _ResourceArgs(ResourceValidationArgs):
    def not_applicable(self, reason: str | None = None) -> None:
        raise NotApplicable(reason)


class _StackArgs(StackValidationArgs):
    def not_applicable(self, reason: str | None = None) -> None:
        raise NotApplicable(reason)


@dataclass
class Verdict:
    violations: list[tuple[str, str | None]] = field(default_factory=list)
    unknown: bool = False
    not_applicable: str | None = None

    @property
    def outcome(self) -> str:
        if self.violations:
            return "fail"
        return "unknown" if self.unknown else "pass"

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.violations]


def run_resource(
    policy: Any, resource_type: str, props: Any, config: dict | None = None, name: str = "subject"
) -> Verdict:
    verdict = Verdict()
    args = _ResourceArgs(
        resource_type, unknown_checking_proxy(props), urn(resource_type, name), name, options(), None, config, {}
    )
    try:
        policy.validate(args, lambda message, u=None: verdict.violations.append((message, u)))
    except UnknownValueError:
        verdict.unknown = True
    except NotApplicable as error:
        verdict.not_applicable = error.reason or ""
    return verdict


def build_stack(resources: list[dict]) -> list[PolicyResource]:
    """PolicyResources linked by name, as the SDK links them by URN in AnalyzeStack."""
    built: dict[str, PolicyResource] = {}
    for spec in resources:
        name = spec["name"]
        built[name] = PolicyResource(
            spec["type"],
            unknown_checking_proxy(spec.get("props") or {}),
            urn(spec["type"], name),
            name,
            options(),
            None,
            None,
            [],
            {},
        )
    for spec in resources:
        resource = built[spec["name"]]
        resource.dependencies = [built[d] for d in spec.get("dependencies", []) if d in built]
        resource.property_dependencies = {
            key: [built[d] for d in deps if d in built]
            for key, deps in (spec.get("propertyDependencies") or {}).items()
        }
        if spec.get("parent") in built:
            resource.parent = built[spec["parent"]]
    return list(built.values())


def run_stack(policy: Any, resources: list[PolicyResource], config: dict | None = None) -> Verdict:
    verdict = Verdict()
    args = _StackArgs(resources, config, {})
    try:
        policy.validate(args, lambda message, u=None: verdict.violations.append((message, u)))
    except UnknownValueError:
        verdict.unknown = True
    except NotApplicable as error:
        verdict.not_applicable = error.reason or ""
    return verdict


@dataclass(frozen=True)
class Case:
    rule_module: str
    file: Path
    name: str
    baseline: str
    expect: str
    ops: tuple[tuple[str, Any], ...]
    messages: tuple[str, ...]
    config: dict | None
    exempt: str | None
    spec: dict

    @property
    def id(self) -> str:
        return f"{self.file.name.removesuffix('.cases.yaml')}::{self.name}"


def rule_modules() -> list[str]:
    names = []
    for family in FAMILIES:
        for path in sorted((RULES_DIR / family).glob("*.py")):
            if path.name != "__init__.py":
                names.append(f"nhi_rules.{family}.{path.stem}")
    return names


def case_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*/*.cases.yaml"))


def load_file(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in case_files():
        data = load_file(path)
        module = f"nhi_rules.{path.parent.name}.{path.name.removesuffix('.cases.yaml')}"
        for spec in data.get("cases", []):
            ops = tuple((op, spec[op]) for op in OPS if op in spec)
            cases.append(
                Case(
                    module,
                    path,
                    spec["name"],
                    spec.get("baseline", "default"),
                    spec["expect"],
                    ops,
                    tuple(spec.get("messages", ())),
                    spec.get("config"),
                    spec.get("exempt"),
                    spec,
                )
            )
    return cases


def materialise(case: Case) -> tuple[dict, dict]:
    """(baseline spec after the case's change, encoded for the engine), raw baseline."""
    data = load_file(case.file)
    base = edited(data["baselines"][case.baseline], case.ops)
    if case.exempt is not None:
        add_exemption(base, importlib.import_module(case.rule_module).NAME, case.exempt)
    return encode(base), data["baselines"][case.baseline]


def add_exemption(base: dict, rule: str, reason: str) -> None:
    key = EXEMPTION_PREFIX + rule
    targets = [base] if "type" in base else base["resources"]
    for target in targets[:1] if "type" in base else targets:
        props = target.setdefault("props", {})
        if target["type"].startswith("kubernetes:"):
            props.setdefault("metadata", {}).setdefault("annotations", {})[key] = reason
        else:
            props.setdefault("tags", {})[key] = reason


def run_case(case: Case) -> Verdict:
    module = importlib.import_module(case.rule_module)
    spec, _ = materialise(case)
    config = {**(spec.get("config") or {}), **(case.config or {})} or None  # a baseline may carry its config
    if module.POLICY.kind == "stack":
        return run_stack(module.POLICY, build_stack(spec["resources"]), config)
    return run_resource(module.POLICY, spec["type"], spec.get("props", {}), config)


def template_regex(template: str) -> re.Pattern[str]:
    """A message constant as a regex: literal text, each `{field}` matching anything."""
    pattern = ""
    for literal, field_name, _, _ in string.Formatter().parse(template):
        pattern += re.escape(literal) + (".*?" if field_name is not None else "")
    return re.compile(pattern, re.S)
