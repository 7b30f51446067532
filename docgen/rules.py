"""One page per policy rule and the rule index, written from each rule's metadata and its case file.

A page says what the rule checks (its description), why (its module's docstring), how severe a violation is, the
level in each environment (the environment's pack config if it sets one, else the rule's own default), its
configuration, the remediation, and two examples from its `.cases.yaml`: the baseline passes, and the first
failing case's edit applied to that baseline fails.
"""

from __future__ import annotations

import inspect
import json
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from nhi_rules.cases import JSON, OPS, UNKNOWN, edited

from .outputs import GENERATED_NOTE, Page, markdown_cell, table

RULES_DIR = "docs/rules"
INDEX = f"{RULES_DIR}/README.md"
ALL = "all"
"""The pack config key that sets the level of every policy (a policy's own entry wins over it)."""
LEVEL = "enforcementLevel"


@dataclass(frozen=True)
class Example:
    passing: dict[str, Any]
    baseline: str
    failing: dict[str, Any] | None
    case: Mapping[str, Any] | None
    """The failing case as written in the case file."""


def page_path(name: str) -> str:
    return f"{RULES_DIR}/{name}.md"


def source_path(module: ModuleType) -> Path:
    return Path(inspect.getfile(module))


def level_in(config: Mapping[str, Any], name: str, default: str) -> str:
    """The level a pack config gives a policy, as the engine resolves it: its own entry, else `all`, else its own."""
    level = default
    for key in (ALL, name):
        entry = config.get(key)
        if isinstance(entry, str):
            level = entry
        elif isinstance(entry, Mapping) and LEVEL in entry:
            level = entry[LEVEL]
    return level


def configured(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The properties a pack config sets for a policy (besides its level)."""
    entry = config.get(name)
    return {key: value for key, value in entry.items() if key != LEVEL} if isinstance(entry, Mapping) else {}


def settings_cell(properties: Mapping[str, Mapping[str, Any]], set_by_config: Mapping[str, Any]) -> str:
    """Every setting in effect: the schema's default, or (in bold) the value the environment's config sets."""
    cells = []
    for key, prop in properties.items():
        if key in set_by_config:
            cells.append(f"**`{key}`: `{compact(set_by_config[key])}`**")
        elif "default" in prop:
            cells.append(f"`{key}`: `{compact(prop['default'])}`")
    return ", ".join(cells)


def _mentions_unknown(value: Any) -> bool:
    return UNKNOWN in json.dumps(value)


def first_failing(cases: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The first case that fails for a known value and without an exemption: the clearest failing example."""
    failing = [case for case in cases if case.get("expect") == "fail"]
    clear = [case for case in failing if "exempt" not in case and not _mentions_unknown(case)]
    for group in (clear, failing):
        if group:
            return group[0]
    return None


def example(case_file: Path) -> Example:
    data = yaml.safe_load(case_file.read_text(encoding="utf-8")) or {}
    case = first_failing(data.get("cases", []))
    baseline = case.get("baseline", "default") if case else next(iter(data["baselines"]))
    passing = data["baselines"][baseline]
    failing = edited(passing, [(op, case[op]) for op in OPS if op in case]) if case else None
    return Example(passing, baseline, failing, case)


def readable(value: Any) -> Any:
    """Case-file values as a reader wants them: `{__json__: x}` (a document sent as JSON text) shown as x."""
    if isinstance(value, dict):
        if set(value) == {JSON}:
            return readable(value[JSON])
        return {key: readable(element) for key, element in value.items()}
    if isinstance(value, list):
        return [readable(element) for element in value]
    return value


def _has_json(value: Any) -> bool:
    return f'"{JSON}"' in json.dumps(value)


def yaml_block(value: Any) -> list[str]:
    text = yaml.safe_dump(readable(value), sort_keys=False, default_flow_style=False, width=100, allow_unicode=True)
    return ["```yaml", text.rstrip("\n"), "```"]


def compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def readable_path(path: str) -> str:
    """A case path without the `__json__` step that reaches into a document sent as JSON text."""
    return path.replace(f".{JSON}", "")


def describe_edit(case: Mapping[str, Any]) -> str:
    edits = []
    for op in OPS:
        if op not in case:
            continue
        argument = case[op]
        if op == "unset":
            edits.append(f"`{readable_path(argument)}` removed")
            continue
        ((raw_path, value),) = argument.items()
        path, value = readable_path(raw_path), compact(readable(value))
        edits.append(f"`{path}` set to `{value}`" if op == "set" else f"`{value}` appended to `{path}`")
    return "; ".join(edits) or "no edit"


def message_text(template: str) -> str:
    """A message constant as a reader sees it: each `{field}` shown as `<field>`."""
    return "".join(
        literal + (f"<{field}>" if field is not None else "")
        for literal, field, _, _ in string.Formatter().parse(template)
    )


def _messages(module: ModuleType, case: Mapping[str, Any]) -> list[str]:
    templates = [getattr(module, name, None) for name in case.get("messages", ())]
    return [f"- {message_text(template)}" for template in templates if isinstance(template, str)]


def _framework(policy: Any) -> str:
    framework = policy.framework
    if framework is None:
        return ""
    text = f"{framework.name} {framework.version}, {framework.reference}"
    return f"{text}: {framework.specification}" if framework.specification else text


def _value(policy_level: Any) -> str:
    return getattr(policy_level, "value", str(policy_level)) if policy_level is not None else ""


def _repo_link(path: Path, repo: Path) -> str:
    relative = path.relative_to(repo).as_posix()
    return f"[`{relative}`](../../{relative})"


def rule_page(module: ModuleType, configs: Mapping[str, Mapping[str, Any]], repo: Path) -> Page:
    policy = module.POLICY
    source = source_path(module)
    case_file = source.with_name(source.stem + ".cases.yaml")
    default_level = _value(policy.enforcement_level)
    kind = "stack rule: judges all resources of the stack together" if policy.kind == "stack" else "resource rule"
    lines = [
        f"# `{policy.name}`",
        "",
        GENERATED_NOTE.format(source=f"{source.relative_to(repo).as_posix()} and its case file"),
        "",
        policy.description,
        "",
        *table(
            ("", ""),
            [
                ["severity", _value(policy.severity)],
                ["kind", kind],
                ["resource types", "<br>".join(f"`{t}`" for t in policy.resource_types)],
                ["framework", markdown_cell(_framework(policy))],
                ["tags", ", ".join(policy.tags or [])],
                ["source", f"{_repo_link(source, repo)}, cases {_repo_link(case_file, repo)}"],
            ],
        ),
        "",
        "## Why",
        "",
        inspect.cleandoc(module.__doc__ or policy.description),
        "",
        "## Level per environment",
        "",
        f"The rule's own level is `{default_level}`; an environment's pack config (`policy/config/<env>.json`) may "
        "set another. Its settings are the configuration's defaults below, with what that config sets in bold.",
        "",
        *table(
            ("environment", "level", "settings"),
            [
                [
                    env,
                    f"`{level_in(config, policy.name, default_level)}`",
                    markdown_cell(settings_cell(policy.config_properties, configured(config, policy.name))),
                ]
                for env, config in configs.items()
            ],
        ),
        "",
        "## Configuration",
        "",
        *table(
            ("property", "type", "default", "description"),
            [
                [
                    f"`{key}`",
                    str(prop.get("type", "")),
                    f"`{compact(prop.get('default'))}`",
                    markdown_cell(str(prop.get("description", ""))),
                ]
                for key, prop in policy.config_properties.items()
            ],
        ),
        "",
        "## Remediation",
        "",
        policy.remediation_steps or "",
        "",
        *example_section(module, case_file, policy.kind),
    ]
    return Page(page_path(policy.name), "\n".join(lines).rstrip("\n") + "\n")


def example_section(module: ModuleType, case_file: Path, kind: str) -> list[str]:
    found = example(case_file)
    what = "stack" if kind == "stack" else "resource"
    lines = [
        "## Examples",
        "",
        f"Passing: the {what} of baseline `{found.baseline}` in the case file.",
        "",
        *yaml_block(found.passing),
        "",
    ]
    if found.failing is not None and found.case is not None:
        lines += [f"Failing (case `{found.case['name']}`): the same with {describe_edit(found.case)}.", ""]
        if found.case.get("config"):
            lines += [f"With the pack config `{compact(found.case['config'])}`.", ""]
        lines += [*yaml_block(found.failing), ""]
        messages = _messages(module, found.case)
        if messages:
            lines += ["The rule reports:", "", *messages, ""]
    if _has_json(found.passing) or (found.failing is not None and _has_json(found.failing)):
        lines += ["IAM documents are shown as YAML here; the engine passes them to the rule as JSON text.", ""]
    return lines


def family(module: ModuleType) -> str:
    return module.__name__.split(".")[1]


def index_page(modules: Sequence[ModuleType], configs: Mapping[str, Mapping[str, Any]]) -> Page:
    envs = list(configs)
    lines = [
        "# Policy rules",
        "",
        GENERATED_NOTE.format(source="policy/nhi_rules/ and policy/config/"),
        "",
        f"The `nhi-platform` pack has {len(modules)} rules. Each page says what the rule checks and why, its "
        "severity, its level in each environment, its configuration, how to fix a violation, and a passing and a "
        "failing example taken from the rule's case file. How the pack is laid out and how to add a rule: "
        "[policy/README.md](../../policy/README.md).",
        "",
    ]
    families: dict[str, list[ModuleType]] = {}
    for module in modules:
        families.setdefault(family(module), []).append(module)
    for name, members in families.items():
        lines += [f"## {name}", ""]
        rows = []
        for module in members:
            policy = module.POLICY
            default_level = _value(policy.enforcement_level)
            rows.append(
                [
                    f"[`{policy.name}`]({policy.name}.md)",
                    _value(policy.severity),
                    *(level_in(configs[env], policy.name, default_level) for env in envs),
                    markdown_cell(policy.description),
                ]
            )
        lines += [*table(("rule", "severity", *envs, "checks"), rows), ""]
    return Page(INDEX, "\n".join(lines).rstrip("\n") + "\n")


def pages(modules: Sequence[ModuleType], configs: Mapping[str, Mapping[str, Any]], repo: Path) -> list[Page]:
    return [index_page(modules, configs), *(rule_page(module, configs, repo) for module in modules)]
