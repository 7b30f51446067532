"""`aws:iam/getPolicyDocument:getPolicyDocument` computed as the AWS provider computes it: a pure function
of its arguments, so its offline answer is the provider's own, not a stand-in.

The provider is the Terraform AWS provider's `aws_iam_policy_document` data source, bridged by pulumi-aws
(hashicorp/terraform-provider-aws, internal/service/iam/policy_document_data_source.go and policy_model.go):
- a set of strings with one element becomes that string; more become a list sorted in reverse;
- `&{` becomes `${` (IAM policy variables) in resources, principals and condition values;
- principals and conditions are JSON objects keyed by type and by test, then variable (Go sorts map keys);
- `source_policy_documents` are merged first (their Sids must be unique), then the statements, then the
  `override_policy_documents`, a statement with a Sid replacing an earlier one with the same Sid;
- `json` is Go's `json.MarshalIndent(doc, "", "  ")`, `minifiedJson` Go's `json.Marshal(doc)`; both escape
  `<`, `>`, `&`, U+2028 and U+2029 as Go does; `id` is the CRC-32 of `json` (the SDK's StringHashcode).
One approximation: principal and condition blocks are schema sets, which the provider visits in the order of
their hashes; where two blocks share a principal type (or a condition test and variable) their identifiers
(values) are joined here in the order given. The document means the same; only the order in the list differs."""

from __future__ import annotations

import json
import zlib
from typing import Any

DEFAULT_VERSION = "2012-10-17"
VERSIONS = ("2008-10-17", "2012-10-17")
# Go's encoding/json escapes these so that JSON is safe inside HTML.
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class PolicyDocumentError(ValueError):
    """Arguments the provider refuses (it fails the lookup with this message); `argument` is the one at fault."""

    def __init__(self, message: str, argument: str = "statements") -> None:
        super().__init__(message)
        self.argument = argument


def _strings(values: Any) -> list[str]:
    return [str(v) for v in values or []]


def _set_of_strings(values: Any) -> str | list[str] | None:
    """A schema set of strings as the provider writes it: duplicates gone, one as a string, else reverse-sorted."""
    unique = sorted(set(_strings(values)), reverse=True)
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else unique


def _replace_variables(value: str | list[str], version: str) -> str | list[str]:
    items = [value] if isinstance(value, str) else value
    for item in items:
        if version == "2008-10-17" and "&{" in item:
            raise PolicyDocumentError(
                f"found &{{ sequence in ({item}), which is not supported in document version 2008-10-17"
            )
    replaced = [item.replace("&{", "${") for item in items]
    return replaced[0] if isinstance(value, str) else replaced


def _principals(blocks: list[dict[str, Any]], version: str) -> str | dict[str, Any]:
    typed: list[tuple[str, str | list[str]]] = []
    for block in blocks:
        identifiers = _set_of_strings(block.get("identifiers"))
        typed.append((str(block.get("type", "")), _replace_variables(identifiers or [], version)))
    # Only {"*": "*"} is written as the bare "*" (IAM refuses "*" for role trust policies otherwise).
    if len(typed) == 1 and typed[0][0] == "*" and typed[0][1] in ("*", ["*"]):
        return "*"
    raw: dict[str, str | list[str]] = {}
    for kind, identifiers in typed:
        present = raw.get(kind)
        if isinstance(identifiers, list):
            listed = [] if present is None else [present] if isinstance(present, str) else list(present)
            raw[kind] = listed + sorted(identifiers, reverse=True)
        elif present is None:
            raw[kind] = identifiers
        else:
            raw[kind] = ([present] if isinstance(present, str) else list(present)) + [identifiers]
    return raw


def _conditions(blocks: list[dict[str, Any]], version: str) -> dict[str, dict[str, str | list[str]]]:
    raw: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        values = _replace_variables(_strings(block.get("values")), version)
        # Order matters in condition values: kept as given.
        raw.setdefault(str(block.get("test", "")), {}).setdefault(str(block.get("variable", "")), []).extend(values)
    return {test: {var: v[0] if len(v) == 1 else v for var, v in by_var.items()} for test, by_var in raw.items()}


def _statement(block: dict[str, Any], version: str) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    sid, effect = str(block.get("sid") or ""), str(block.get("effect") or "Allow")
    # The provider's schema: a Sid of letters and digits only, an Effect of Allow or Deny.
    if not sid.isascii() or (sid and not sid.isalnum()):
        raise PolicyDocumentError(f"sid {sid!r} must only include alphanumeric characters")
    if effect not in ("Allow", "Deny"):
        raise PolicyDocumentError(f"effect must be Allow or Deny, got {effect!r}")
    if sid:
        statement["Sid"] = sid
    statement["Effect"] = effect
    for key, field in (("actions", "Action"), ("notActions", "NotAction")):
        value = _set_of_strings(block.get(key))
        if value is not None:
            statement[field] = value
    for key, field in (("resources", "Resource"), ("notResources", "NotResource")):
        value = _set_of_strings(block.get(key))
        if value is not None:
            statement[field] = _replace_variables(value, version)
    for key, field in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        if block.get(key):
            statement[field] = _principals(list(block[key]), version)
    if block.get("conditions"):
        statement["Condition"] = _conditions(list(block["conditions"]), version)
    return statement


def _merge(into: dict[str, Any], document: dict[str, Any]) -> None:
    """The provider's IAMPolicyDoc.Merge: adopt the Id, upgrade the Version, replace statements by Sid."""
    if document.get("Id"):
        into["Id"] = document["Id"]
    if str(document.get("Version") or "") > str(into.get("Version") or ""):
        into["Version"] = document["Version"]
    statements: list[dict[str, Any]] = into.setdefault("Statement", [])
    for statement in document.get("Statement") or []:
        sid = statement.get("Sid")
        same = next((i for i, existing in enumerate(statements) if sid and existing.get("Sid") == sid), None)
        if same is None:
            statements.append(statement)
        else:
            statements[same] = statement


def _parsed(text: Any, what: str, index: int) -> dict[str, Any]:
    try:
        document = json.loads(str(text))
    except json.JSONDecodeError as error:
        raise PolicyDocumentError(f"merging {what} document {index}: {error}", f"{what}PolicyDocuments") from None
    if not isinstance(document, dict):
        raise PolicyDocumentError(f"merging {what} document {index}: not a JSON object", f"{what}PolicyDocuments")
    statements = document.get("Statement")
    if isinstance(statements, dict):  # IAM allows a single statement object
        statements = [statements]
    document["Statement"] = [_reread(dict(s)) for s in statements or [] if isinstance(s, dict)]
    return document


def _reread(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement of a merged document as the provider's structs read and write it again: a string
    principal is "*", principal identifiers are reverse-sorted, condition values become strings."""
    for key in ("Principal", "NotPrincipal"):
        principal = statement.get(key)
        if isinstance(principal, str):
            statement[key] = "*"
        elif isinstance(principal, dict):
            statement[key] = {
                kind: value if isinstance(value, str) else sorted(_strings(value), reverse=True)
                for kind, value in principal.items()
            }
    condition = statement.get("Condition")
    if isinstance(condition, dict):
        statement["Condition"] = {
            test: {var: _condition_values(values) for var, values in by_var.items()}
            for test, by_var in condition.items()
            if isinstance(by_var, dict)
        }
    return statement


def _condition_values(values: Any) -> str | list[str]:
    if isinstance(values, bool):
        return "true" if values else "false"
    listed = [values] if isinstance(values, str) else _strings(values)
    return listed[0] if len(listed) == 1 else listed


def _ordered(document: dict[str, Any]) -> dict[str, Any]:
    """The field order of the provider's Go structs (Version, Id, Statement; Sid, Effect, Action, ...)."""
    fields = (
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    )
    out: dict[str, Any] = {key: document[key] for key in ("Version", "Id") if document.get(key)}
    statements = [
        {key: s[key] for key in fields if s.get(key) not in (None, "", [], {})} for s in document.get("Statement") or []
    ]
    if statements:
        out["Statement"] = [_sorted_maps(s) for s in statements]
    return out


def _sorted_maps(statement: dict[str, Any]) -> dict[str, Any]:
    # Go writes map keys sorted: principal types, condition tests and variables.
    out = dict(statement)
    for key in ("Principal", "NotPrincipal"):
        if isinstance(out.get(key), dict):
            out[key] = dict(sorted(out[key].items()))
    if isinstance(out.get("Condition"), dict):
        out["Condition"] = {test: dict(sorted(v.items())) for test, v in sorted(out["Condition"].items())}
    return out


def _go_json(document: dict[str, Any], indent: int | None) -> str:
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(document, indent=indent, separators=separators, ensure_ascii=False)
    for character, escape in _GO_ESCAPES.items():
        text = text.replace(character, escape)
    return text


def policy_document(args: dict[str, Any]) -> dict[str, Any]:
    """The provider's answer to getPolicyDocument for `args` (wire names: statements, policyId, version,
    sourcePolicyDocuments, overridePolicyDocuments). Raises PolicyDocumentError where the provider fails."""
    version = str(args.get("version") or DEFAULT_VERSION)
    if version not in VERSIONS:
        raise PolicyDocumentError(f"version must be one of {', '.join(VERSIONS)}, got {version!r}", "version")
    merged: dict[str, Any] = {}
    seen_sids: set[str] = set()
    for index, text in enumerate(args.get("sourcePolicyDocuments") or []):
        if text is None:
            continue
        source = _parsed(text, "source", index)
        for position, statement in enumerate(source.get("Statement") or []):
            sid = statement.get("Sid")
            if sid and sid in seen_sids:
                raise PolicyDocumentError(
                    f"merging source document {index}: duplicate Sid ({sid}) in source_policy_documents "
                    f"(statement {position}). Remove the Sid or ensure Sids are unique.",
                    "sourcePolicyDocuments",
                )
            if sid:
                seen_sids.add(sid)
        _merge(merged, source)
    own: dict[str, Any] = {"Version": version, "Statement": []}
    if args.get("policyId"):
        own["Id"] = str(args["policyId"])
    own_sids: set[str] = set()
    for block in args.get("statements") or []:
        statement = _statement(dict(block), version)
        sid = statement.get("Sid")
        if sid in own_sids:
            raise PolicyDocumentError(f"duplicate Sid ({sid}). Remove the Sid or ensure the Sid is unique.")
        if sid:
            own_sids.add(sid)
        own["Statement"].append(statement)
    _merge(merged, own)
    for index, text in enumerate(args.get("overridePolicyDocuments") or []):
        if text is not None:
            _merge(merged, _parsed(text, "override", index))
    document = _ordered(merged)
    pretty = _go_json(document, indent=2)
    return {
        **args,
        "id": str(zlib.crc32(pretty.encode())),
        "json": pretty,
        "minifiedJson": _go_json(document, indent=None),
        "version": version,
    }
