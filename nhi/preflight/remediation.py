"""Remediation before analysis, as the engine does it: each resource goes through every pack's `Remediate`, in
pack order, each seeing what the previous one changed; only then is it analyzed, with the final properties
(pulumi/pulumi pkg/resource/deploy/step_generator.go: "First pass: perform remediations sequentially ... Second
pass: perform analysis"). A remediate-level policy that fixed a resource is therefore no violation; one that
still finds something after remediating is reported by the pack as mandatory (pulumi-policy, Analyze)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import grpc
from google.protobuf import json_format

from . import wire
from .analyzer import (
    CALL_TIMEOUT_SECONDS,
    CANNOT_RUN_PREFIX_REMEDIATION,
    Analysis,
    Diagnostic,
    NotRun,
    PackResult,
    PropertyChange,
    Remediation,
    StartedPack,
)
from .capture import Capture, CapturedResource


def remediate(
    records: list[CapturedResource], packs: list[StartedPack], found: list[list[Remediation]]
) -> list[CapturedResource]:
    """Every record, in registration order, with the inputs every pack's remediations left; what each pack
    changed (or could not) is appended to its list in `found`."""
    analyses = [Analysis(pack.stub, None, pack.process.directory) for pack in packs]
    remediated: list[CapturedResource] = []
    for registered in records:
        current = registered
        for pack, analysis, changes in zip(packs, analyses, found, strict=True):
            analysis.add(current)
            current = _remediate_one(pack, analysis, current, changes)
        remediated.append(current)
    return remediated


def _remediate_one(
    pack: StartedPack, analysis: Analysis, record: CapturedResource, found: list[Remediation]
) -> CapturedResource:
    request = analysis.analyze_request(record, internal_keys=True)  # Remediate keeps internal keys
    try:
        response = pack.stub.Remediate(request, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.UNIMPLEMENTED:  # a pack without Remediate: skipped, as the engine does
            return record
        raise pack.process.call_failure(f"Remediate of {record.urn}", error.code().name, error.details()) from None
    for result in response.remediations:
        pack_name, policy, description = result.policyPackName, result.policyName, result.description
        if result.diagnostic:
            found.append(Remediation(pack_name, policy, record.urn, description, (), result.diagnostic))
            continue
        after = wire.lower_references(json_format.MessageToDict(result.properties))
        found.append(Remediation(pack_name, policy, record.urn, description, _changes(record.inputs, after)))
        record = replace(record, inputs=after, wire_inputs=result.properties.SerializeToString())
    return record


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[PropertyChange, ...]:
    keys = sorted(set(before) | set(after))
    return tuple(
        PropertyChange(key, wire.for_display(before.get(key)), wire.for_display(after.get(key)))
        for key in keys
        if before.get(key) != after.get(key)
    )


def with_remediated_inputs(capture: Capture, remediated: list[CapturedResource]) -> Capture:
    """The capture with each remediated resource's inputs, and its state's outputs following them (what the
    provider would be given instead)."""
    by_urn = {record.urn: record for record in remediated}
    resources = []
    for record in capture.resources:
        new = by_urn.get(record.urn, record)
        if new.inputs is record.inputs:
            resources.append(record)
            continue
        kept = {key: value for key, value in record.outputs.items() if key not in record.inputs}
        outputs = {**kept, **new.inputs}
        resources.append(
            replace(record, inputs=new.inputs, wire_inputs=new.wire_inputs, outputs=outputs, wire_outputs=None)
        )
    return replace(capture, resources=resources)


def add_to_result(result: PackResult, remediations: list[Remediation]) -> None:
    """A pack's remediations in its result; one that could not run is said as the engine says it: as an
    advisory violation (step_generator.go), or as could-not-run when an unknown value stopped it."""
    for remediation in remediations:
        if not remediation.diagnostic:
            result.remediations.append(remediation)
        elif remediation.diagnostic.startswith(CANNOT_RUN_PREFIX_REMEDIATION):
            result.not_run.append(NotRun(result.name, remediation.policy, remediation.urn, remediation.diagnostic))
        else:
            level, severity = "advisory", "unspecified"
            result.diagnostics.append(
                Diagnostic(result.name, remediation.policy, level, severity, remediation.urn, remediation.diagnostic)
            )
