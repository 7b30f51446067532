"""What a set of IAM statements really grants for one action, evaluated as IAM does, offline.

IAM's policy evaluation logic (IAM User Guide, "Policy evaluation logic"): an explicit Deny wins over any Allow;
an Allow applies only to the resources its Resource names (or NotResource leaves) and only when its Condition
holds. Offline, some conditions can be settled (an empty value list, a Bool that is neither true nor false, a
date already past, two operators on one key that contradict each other) and some hold whenever the holder wants
(it picks the region and TLS); the rest depend on the request and are reported as such, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from nhi_rules.lib import iamdb
from nhi_rules.lib.iam import Statement, action_matches

NOT_RESOURCE = "NotResource"
"""Stands for the resources an Allow's NotResource leaves: nearly all of them."""
AWS_MANAGED_POLICY_RE = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/[^*?]*$", re.I)
"""An AWS managed policy: only AWS can create its versions, so policy-editing actions on it escalate nothing."""
# Keys whose condition the holder of the grant satisfies at will: they do not narrow who can escalate.
HOLDER_CONTROLLED_KEYS = frozenset(
    {
        "aws:requestedregion",
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
        "aws:tokenissuetime",
        "aws:viaawsservice",
        "aws:calledvia",
        "aws:calledviafirst",
        "aws:calledvialast",
        "iam:permissionsboundary",
        "iam:passedtoservice",
        "iam:policyarn",
        "iam:awsservicename",
    }
)
_TIME_KEYS = {"aws:currenttime", "aws:epochtime"}


@dataclass(frozen=True)
class Grant:
    """An Allow statement that grants an action on some resources, after Deny, Resource and Condition."""

    statement: Statement
    action: str
    resources: tuple[str, ...]
    """Resource patterns (or NOT_RESOURCE) still granted."""
    open_conditions: tuple[str, ...] = ()
    """Condition keys the grant depends on that cannot be evaluated before deploy."""

    @property
    def on(self) -> str:
        return ", ".join(repr(resource) for resource in self.resources)


def _base(operator: str) -> str:
    """The operator without its set prefix and IfExists suffix (`ForAnyValue:StringLikeIfExists` -> `StringLike`)."""
    name = operator.rpartition(":")[2]
    return name[: -len("IfExists")] if name.endswith("IfExists") else name


def _instant(text: str) -> datetime | None:
    try:
        if text.strip().isdigit():
            return datetime.fromtimestamp(int(text.strip()), tz=UTC)
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _never_holds(statement: Statement, now: datetime) -> bool:
    """Whether the statement's Condition can hold for no request at all."""
    for operator, entries in statement.conditions.items():
        base = _base(operator)
        lenient = operator.endswith("IfExists") or operator.lower().startswith("forallvalues:")
        for key, values in entries.items():
            if not values and not lenient and base != "Null":
                return True  # no value to match: the condition never holds
            if base == "Bool" and values and all(value.lower() not in ("true", "false") for value in values):
                return True
            if base in ("DateLessThan", "DateLessThanEquals") and key.lower() in _TIME_KEYS and not lenient:
                instants = [_instant(value) for value in values]
                if instants and all(instant is not None and instant <= now for instant in instants):
                    return True  # a deadline already past
    return _contradicts(statement)


def _contradicts(statement: Statement) -> bool:
    """StringEquals and StringNotEquals (or NumericLessThan and NumericGreaterThan) on one key that exclude
    every value."""
    by_key: dict[str, dict[str, tuple[str, ...]]] = {}
    for operator, entries in statement.conditions.items():
        if ":" in operator or operator.endswith("IfExists"):
            continue  # multi-valued or lenient operators: not settled here
        for key, values in entries.items():
            by_key.setdefault(key.lower(), {})[operator] = values
    for operators in by_key.values():
        equals, not_equals = operators.get("StringEquals"), operators.get("StringNotEquals")
        if equals and not_equals and set(equals) <= set(not_equals):
            return True
        below, above = operators.get("NumericLessThan"), operators.get("NumericGreaterThan")
        try:
            if below and above and max(float(v) for v in below) <= min(float(v) for v in above):
                return True
        except ValueError:
            continue
    return False


def open_condition_keys(statement: Statement) -> tuple[str, ...]:
    """Condition keys that depend on the request (tags, source, MFA, the principal): unknowable before deploy."""
    keys = [
        key for entries in statement.conditions.values() for key in entries if key.lower() not in HOLDER_CONTROLLED_KEYS
    ]
    return tuple(dict.fromkeys(keys))


def _names(patterns: Sequence[str], action: str) -> bool:
    return any(action_matches(pattern, action) for pattern in patterns)


def _acts_on(statement: Statement, action: str) -> bool:
    """Whether the statement's Action/NotAction covers `action`, whatever its Effect."""
    if statement.actions:
        return _names(statement.actions, action)
    if statement.not_actions:
        return not _names(statement.not_actions, action)
    return False


def _within(inner: str, outer: str) -> bool:
    """Whether every ARN the pattern `inner` names is named by `outer` (a conservative test: equal, `*`, or a
    literal ARN that `outer` matches)."""
    if outer.strip() == "*" or inner.strip().lower() == outer.strip().lower():
        return True
    return "*" not in inner and "?" not in inner and action_matches(outer, inner)


def _denied(resource: str, denies: Iterable[Statement]) -> bool:
    """Whether an unconditional Deny covers every resource of the pattern (a conditional Deny may not apply)."""
    for deny in denies:
        if deny.conditions:
            continue
        if resource == NOT_RESOURCE:
            if any(r.strip() == "*" for r in deny.resources):
                return True
            continue
        if any(_within(resource, outer) for outer in deny.resources):
            return True
        if deny.not_resources and not any(iamdb.patterns_meet(resource, kept) for kept in deny.not_resources):
            return True
    return False


def _reachable(action: str, resource: str) -> bool:
    """Whether the Resource can name a resource of the action that can be escalated through."""
    if AWS_MANAGED_POLICY_RE.match(resource.strip()):
        return False
    service, _, name = action.partition(":")
    found = iamdb.expand(action) if iamdb.known_service(service) and "*" not in name else []
    return not found or any(iamdb.resource_matches(entry, resource) for entry in found)


_EXAMPLE_VALUE = "nhi-example-0"
"""Fills an ARN template's variables to make one ARN of that resource type (a name no policy spells)."""


def _leaves_some(action: str, excluded: Sequence[str]) -> bool:
    """Whether an Allow's NotResource leaves the action some resource: not when `*` is excluded, nor when
    every resource type of the action has an example ARN that one of the excluded patterns matches."""
    if any(pattern.strip() == "*" for pattern in excluded):
        return False
    service, _, name = action.partition(":")
    found = iamdb.expand(action) if iamdb.known_service(service) and "*" not in name else []
    templates = [template for entry in found for template in entry.arn_patterns]
    if not templates:
        return True  # the action takes only '*', which NotResource leaves unless it excludes '*'
    return not all(any(action_matches(pattern, _example(template)) for pattern in excluded) for template in templates)


def _example(template: str) -> str:
    """One ARN of a resource type: `arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}` ->
    `arn:aws:iam::nhi-example-0:role/nhi-example-0`."""
    return re.sub(r"\$\{[^}]*\}", _EXAMPLE_VALUE, template.replace("${Partition}", "aws"))


def grants(statements: Sequence[Statement], action: str, now: datetime | None = None) -> list[Grant]:
    """The Allow statements that still grant `action` on some resource once Deny statements (of the same
    set), Resource and Condition are applied: empty when IAM would deny every request for it."""
    moment = now or datetime.now(UTC)
    denies = [s for s in statements if s.effect == "Deny" and _acts_on(s, action)]
    found: list[Grant] = []
    for statement in statements:
        if not statement.allows or not _acts_on(statement, action) or _never_holds(statement, moment):
            continue
        leaves = bool(statement.not_resources) and _leaves_some(action, statement.not_resources)
        named = list(statement.resources) + ([NOT_RESOURCE] if leaves else [])
        kept = tuple(
            resource
            for resource in named
            if (resource == NOT_RESOURCE or _reachable(action, resource)) and not _denied(resource, denies)
        )
        if kept:
            found.append(Grant(statement, action, kept, open_condition_keys(statement)))
    return found
