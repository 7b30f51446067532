"""A pack that writes down what it is sent, one JSON line per call, into the file named by ENGINE_PROBE_LOG
(the pack inherits the preflight's environment): Analyze calls in the order they arrive and how many ran at
once, the options, properties and stack tags each resource came with, and the stack AnalyzeStack saw.

Two policies judge: `exports-name-an-owner` (mandatory) wants the stack to export an `owner`, and
`stack-summary` (advisory) reports once with no URN, as a stack-wide finding."""

import json
import os
import threading
import time
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

LOG = os.environ.get("ENGINE_PROBE_LOG", "")
STACK_TYPE = "pulumi:pulumi:Stack"
# Long enough that Analyze calls sent together would overlap in the pack's thread pool.
ANALYZE_SECONDS = 0.02

_lock = threading.Lock()
_in_flight = [0]  # Analyze calls running now


def _write(entry: dict[str, Any]) -> None:
    if LOG:
        with _lock, open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry, default=str) + "\n")


def _plain(value: Any) -> Any:
    """The unknown-checking proxy's values as plain JSON values."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def record_analyze(args: ResourceValidationArgs, report: ReportViolation) -> None:
    with _lock:
        _in_flight[0] += 1
        at_once = _in_flight[0]
    time.sleep(ANALYZE_SECONDS)
    timeouts = args.opts.custom_timeouts
    _write(
        {
            "call": "analyze",
            "urn": args.urn,
            "type": args.resource_type,
            "inFlight": at_once,
            "propertyKeys": sorted(args.props.keys()),
            "tags": _plain(args.props.get("tags")) if args.resource_type != STACK_TYPE else None,
            "aliases": list(args.opts.aliases or []),
            "customTimeouts": [timeouts.create_seconds, timeouts.update_seconds, timeouts.delete_seconds]
            if timeouts
            else None,
            "providerKeys": sorted(args.provider.props.keys()) if args.provider else None,
            "stackTags": dict(args.stack_tags),
            "config": dict(args.get_config() or {}),
        }
    )
    with _lock:
        _in_flight[0] -= 1


def _known(props: Any) -> dict[str, Any]:
    """The properties whose values are known (an unknown one would stop the policy)."""
    known = {}
    for key in props:
        try:
            known[key] = _plain(props[key])
        except UnknownValueError:
            continue
    return known


def record_stack(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = {
        r.urn: {
            "type": r.resource_type,
            "propertyKeys": sorted(r.props.keys()),
            "props": _known(r.props),
            "propertyDependencies": {k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
        }
        for r in args.resources
    }
    _write({"call": "analyzeStack", "resources": resources, "stackTags": dict(args.stack_tags)})
    report(f"{len(resources)} resources in the stack")


def exports_name_an_owner(args: StackValidationArgs, report: ReportViolation) -> None:
    for resource in args.resources:
        if resource.resource_type == STACK_TYPE and not resource.props.get("owner"):
            report("the stack exports no `owner`: export who answers for it", resource.urn)


PolicyPack(
    name="engine-probe",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="record-analyze",
            description="Writes down each Analyze call.",
            validate=record_analyze,
            enforcement_level=EnforcementLevel.ADVISORY,
        ),
        StackValidationPolicy(
            name="stack-summary",
            description="Writes down the stack and reports it once.",
            validate=record_stack,
            enforcement_level=EnforcementLevel.ADVISORY,
        ),
        StackValidationPolicy(
            name="exports-name-an-owner",
            description="The stack exports an owner.",
            validate=exports_name_an_owner,
        ),
    ],
)
