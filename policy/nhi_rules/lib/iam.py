"""IAM policy documents as the engine sends them (JSON strings, or rarely objects), normalised to statements."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from nhi_rules.lib.props import as_str, get, is_list, is_map, maps, strings

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
# Every resource that carries a permissions document (not trust policies).
PERMISSION_TYPES = (POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY, ROLE, POD_IDENTITY_ASSOCIATION)


class InvalidDocument(Exception):
    """A document that is not JSON or not an object; the grammar rule reports it, the others skip it."""


@dataclass(frozen=True)
class Statement:
    path: str
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principal_any: bool = False
    principals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    conditions: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    """operator -> condition key -> values."""

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def grants(self, action: str) -> bool:
        """Whether an Allow statement's Action/NotAction can match `action` (case-insensitive IAM globbing)."""
        if not self.allows:
            return False
        if self.actions:
            return any(action_matches(pattern, action) for pattern in self.actions)
        if self.not_actions:
            return not any(action_matches(pattern, action) for pattern in self.not_actions)
        return False

    def condition_values(self, key: str) -> dict[str, tuple[str, ...]]:
        """operator -> values for one condition key (keys compare case-insensitively, as IAM does)."""
        found: dict[str, tuple[str, ...]] = {}
        for operator, entries in self.conditions.items():
            for name, values in entries.items():
                if name.lower() == key.lower():
                    found[operator] = values
        return found


def action_matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower().replace("[", "[[]"))


def parse_document(value: Any) -> Any:
    """The document object: parsed from a JSON string, or the object itself. InvalidDocument otherwise."""
    if isinstance(value, str):
        try:
            document = json.loads(value)
        except json.JSONDecodeError as error:
            raise InvalidDocument(f"not valid JSON ({error.msg} at character {error.pos})") from None
    else:
        document = value
    if not is_map(document):
        raise InvalidDocument("not a JSON object")
    return document


def _principals(value: Any) -> tuple[bool, dict[str, tuple[str, ...]]]:
    if isinstance(value, str):
        return value.strip() == "*", {}
    if not is_map(value):
        return False, {}
    principals = {key: tuple(strings(value[key])) for key in value if isinstance(key, str)}
    return any("*" in values for values in principals.values()), principals


def _conditions(value: Any) -> dict[str, dict[str, tuple[str, ...]]]:
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    if not is_map(value):
        return result
    for operator in value:
        entries = value[operator]
        if isinstance(operator, str) and is_map(entries):
            result[operator] = {}
            for key in entries:
                if isinstance(key, str):
                    element = entries[key]
                    values = strings(element) if not isinstance(element, bool) else [str(element).lower()]
                    result[operator][key] = tuple(values)
    return result


def statements(document: Any, prefix: str = "") -> Iterator[Statement]:
    raw = get(document, "Statement")
    if is_map(raw):
        indexed = [(f"{prefix}Statement", raw)]
    elif is_list(raw):
        indexed = [(f"{prefix}Statement[{index}]", element) for index, element in maps(raw)]
    else:
        indexed = []
    for path, statement in indexed:
        principal_any, principals = _principals(get(statement, "Principal"))
        yield Statement(
            path=path,
            effect=as_str(get(statement, "Effect")) or "",
            actions=tuple(strings(get(statement, "Action"))),
            not_actions=tuple(strings(get(statement, "NotAction"))),
            resources=tuple(strings(get(statement, "Resource"))),
            not_resources=tuple(strings(get(statement, "NotResource"))),
            principal_any=principal_any,
            principals=principals,
            conditions=_conditions(get(statement, "Condition")),
        )


@dataclass(frozen=True)
class Document:
    """A policy document a resource carries, read on use: an unknown document (a JSON string built with
    `apply`) raises UnknownValueError only where a rule reads it, so a rule can judge the others apart."""

    path: str
    """Property path of the document, e.g. `policy` or `inlinePolicies[0].policy`."""
    holder: Any
    key: str

    @property
    def value(self) -> Any:
        return self.holder[self.key]


def _document(holder: Any, key: str, path: str) -> Document | None:
    """The document at holder[key] unless it is absent or null; an unknown one counts as present."""
    if not is_map(holder) or key not in list(iter(holder)):
        return None
    try:
        if holder[key] is None:
            return None
    except UnknownValueError:
        pass
    return Document(path, holder, key)


def permission_documents(resource_type: str, props: Any) -> Iterator[Document]:
    """Permission documents a resource carries (a Role's trust policy is not one: see trust_document)."""
    found: Document | None
    if resource_type == ROLE:
        for index, inline in maps(get(props, "inlinePolicies")):
            found = _document(inline, "policy", f"inlinePolicies[{index}].policy")
            if found is not None:
                yield found
    elif resource_type in PERMISSION_TYPES:
        found = _document(props, "policy", "policy")
        if found is not None:
            yield found


def trust_document(props: Any) -> Document | None:
    return _document(props, "assumeRolePolicy", "assumeRolePolicy")


def parsed_statements(document: Document) -> list[Statement]:
    """Statements of a document, or [] when it does not parse (the grammar rule reports that)."""
    try:
        parsed = parse_document(document.value)
    except InvalidDocument:
        return []
    return list(statements(parsed, f"{document.path}."))
