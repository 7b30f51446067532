"""IAM access levels from policy_sentry's action database (pinned): List, Read, Write, Permissions management,
Tagging. Wildcard action patterns expand to the actions they match, so `s3:Get*` is judged by what it grants."""

from __future__ import annotations

import fnmatch
import functools

LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
UNKNOWN_LEVEL = "Unknown"
"""An action policy_sentry does not know (a new or misspelled action): shown, never dropped."""
WIDENING_LEVELS = frozenset({"Write", "Permissions management", "Tagging"})


@functools.cache
def _service_actions(service: str) -> dict[str, tuple[str, str]]:
    """lower-case action name -> (canonical `service:Action`, access level)."""
    from policy_sentry.querying.actions import get_action_data, get_actions_for_service

    found: dict[str, tuple[str, str]] = {}
    for full in get_actions_for_service(service):
        name = full.split(":", 1)[1]
        entries = get_action_data(service, name).get(service) or []
        level = entries[0].get("access_level", UNKNOWN_LEVEL) if entries else UNKNOWN_LEVEL
        found[name.lower()] = (full, level)
    return found


def _all_services() -> list[str]:
    from policy_sentry.querying.all import get_all_service_prefixes

    return sorted(get_all_service_prefixes())


def canonical(action: str) -> str:
    """`S3:getobject` -> `s3:GetObject` when policy_sentry knows it; otherwise as written, service lower-cased."""
    service, _, name = action.strip().partition(":")
    known = _service_actions(service.lower()).get(name.lower())
    return known[0] if known else f"{service.lower()}:{name}"


def level_of(action: str) -> str:
    service, _, name = action.strip().partition(":")
    known = _service_actions(service.lower()).get(name.lower())
    return known[1] if known else UNKNOWN_LEVEL


def is_pattern(action: str) -> bool:
    return "*" in action or "?" in action


def expand(pattern: str) -> list[tuple[str, str]]:
    """(action, level) for every action an IAM action pattern matches (`*`, `s3:*`, `s3:Get*`)."""
    text = pattern.strip()
    if not is_pattern(text):
        return [(canonical(text), level_of(text))]
    service, _, name = text.partition(":")
    services = _all_services() if service == "*" else [service.lower()]
    matches = []
    for prefix in services:
        for lowered, entry in _service_actions(prefix).items():
            if fnmatch.fnmatchcase(lowered, (name or "*").lower()):
                matches.append(entry)
    return sorted(matches)


def levels_of(action: str) -> tuple[str, ...]:
    """The access levels an action or pattern grants, in the order of LEVELS."""
    found = {level for _, level in expand(action)} or {UNKNOWN_LEVEL}
    return tuple(level for level in (*LEVELS, UNKNOWN_LEVEL) if level in found)
