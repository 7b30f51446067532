"""The preflight's verdict and its three forms: a table for people, JSON (a stable contract for tools),
SARIF 2.1.0 for code scanning."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import wire
from .analyzer import Diagnostic, NotRun, PackResult
from .capture import Capture, CapturedResource
from .lookups import AnswerKind, LookupRecord

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/nhi-platform/nhi-platform"


@dataclass
class Verdict:
    capture: Capture
    packs: list[PackResult]
    program_seconds: float
    pack_seconds: float
    total_seconds: float
    stack_file: Path | None = None

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for pack in self.packs for d in pack.diagnostics]

    @property
    def not_run(self) -> list[NotRun]:
        return [n for pack in self.packs for n in pack.not_run]

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.enforcement_level in ("mandatory", "remediate")]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.enforcement_level == "advisory"]

    @property
    def not_constructed(self) -> list[CapturedResource]:
        """Multi-language components recorded without their children: nothing inside them was judged."""
        return [r for r in self.capture.resources if r.plugin is not None]

    def lookups_of(self, kind: AnswerKind) -> list[LookupRecord]:
        return [record for record in self.capture.lookups if record.kind is kind]

    def not_run_mandatory(self) -> list[NotRun]:
        levels = {(p.name, policy.name): policy.enforcement_level for p in self.packs for policy in p.policies}
        return [n for n in self.not_run if levels.get((n.pack, n.policy)) in ("mandatory", "remediate")]

    def exit_code(self, strict: bool) -> int:
        # --strict: whatever could not be judged offline fails, as a mandatory check that could not run does.
        if self.mandatory or (strict and (self.not_run_mandatory() or self.not_constructed)):
            return 1
        return 0


def to_json(verdict: Verdict) -> dict[str, Any]:
    capture = verdict.capture
    return {
        "project": capture.project,
        "stack": capture.stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "custom": r.custom,
                "provider": r.provider,
                "dependencies": list(r.dependencies),
                "inputs": wire.for_display(r.inputs),
            }
            for r in capture.resources
        ],
        "policies": [
            {"pack": pack.name, "name": p.name, "enforcementLevel": p.enforcement_level}
            for pack in verdict.packs
            for p in pack.policies
        ],
        "diagnostics": [
            {
                "pack": d.pack,
                "policy": d.policy,
                "enforcementLevel": d.enforcement_level,
                "severity": d.severity,
                "urn": d.urn,
                "message": d.message,
            }
            for d in verdict.diagnostics
        ],
        "notRun": [{"pack": n.pack, "policy": n.policy, "urn": n.urn, "reason": n.reason} for n in verdict.not_run],
        # An extension of the contract (additive): what remediate-level policies changed before analysis.
        "remediations": [
            {
                "pack": r.pack,
                "policy": r.policy,
                "urn": r.urn,
                "description": r.description,
                "changes": [{"property": c.property, "before": c.before, "after": c.after} for c in r.changes],
            }
            for pack in verdict.packs
            for r in pack.remediations
        ],
        # Extensions of the contract (additive): what the preflight could not construct, and how each lookup
        # was answered (a stand-in's values are invented: listed so that a reader can recognise them).
        "notConstructed": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "package": r.plugin.package,
                "version": r.plugin.version,
                "pluginDownloadURL": r.plugin.download_url,
                "reason": r.plugin.reason(),
            }
            for r in verdict.not_constructed
            if r.plugin is not None
        ],
        "lookups": [
            {
                "token": record.token,
                "answer": record.kind.value,
                "calls": record.calls,
                "standIns": [wire.for_display(answer) for answer in record.stand_ins],
            }
            for record in capture.lookups
        ],
        "summary": {
            "resources": len(capture.resources),
            "mandatory": len(verdict.mandatory),
            "advisory": len(verdict.advisory),
            "notRun": len(verdict.not_run),
            "seconds": round(verdict.total_seconds, 3),
            "notConstructed": len(verdict.not_constructed),
            "standInLookups": len(verdict.lookups_of(AnswerKind.STAND_IN)),
            "unansweredLookups": len(verdict.lookups_of(AnswerKind.UNANSWERED)),
            # Extensions of the contract (additive).
            "programSeconds": round(verdict.program_seconds, 3),
            "packSeconds": round(verdict.pack_seconds, 3),
            "unknowns": capture.unknowns,
            "peakMemoryMiB": _peak_memory_mib(),
        },
        "warnings": capture.warnings
        + [f"no mock answer for invoke {token}" for token in capture.unanswered_calls]
        + _gap_warnings(verdict)
        + [w for pack in verdict.packs for w in pack.warnings],
    }


def _gap_warnings(verdict: Verdict) -> list[str]:
    """What the preflight invented or left out, said in the warnings too (read by tools that read only them)."""
    return [f"{r.type}::{r.name}: {r.plugin.reason()}" for r in verdict.not_constructed if r.plugin] + [
        f"stand-in answer for invoke {record.token}: its values were invented offline, not looked up"
        for record in verdict.lookups_of(AnswerKind.STAND_IN)
    ]


def _peak_memory_mib() -> dict[str, float]:
    """Peak resident memory of this process and of the largest finished child (a pack), in MiB."""
    import resource

    def mib(who: int) -> float:
        return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux reports KiB

    return {"preflight": mib(resource.RUSAGE_SELF), "packs": mib(resource.RUSAGE_CHILDREN)}


def _sarif_level(level: str) -> str:
    return "error" if level in ("mandatory", "remediate") else "warning"


def to_sarif(verdict: Verdict, repo_root: Path) -> dict[str, Any]:
    location_file = verdict.stack_file or repo_root / "Pulumi.yaml"
    try:
        uri = location_file.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        uri = location_file.resolve().as_posix()
    rules: list[dict[str, Any]] = []
    index: dict[tuple[str, str], int] = {}
    for pack in verdict.packs:
        for policy in pack.policies:
            index[(pack.name, policy.name)] = len(rules)
            rule: dict[str, Any] = {
                "id": policy.name,
                "name": policy.name,
                "shortDescription": {"text": policy.description or policy.name},
                "defaultConfiguration": {
                    "level": "none"
                    if policy.enforcement_level == "disabled"
                    else _sarif_level(policy.enforcement_level)
                },
                "properties": {"pack": pack.name, "severity": policy.severity, "tags": list(policy.tags)},
            }
            if policy.remediation:
                rule["help"] = {"text": policy.remediation}
            rules.append(rule)
    results = []
    if verdict.not_constructed:
        index[(PREFLIGHT_RULE_PACK, NOT_CONSTRUCTED_RULE)] = len(rules)
        rules.append(
            {
                "id": NOT_CONSTRUCTED_RULE,
                "name": NOT_CONSTRUCTED_RULE,
                "shortDescription": {
                    "text": "A multi-language component was not constructed: its children were not judged"
                },
                "defaultConfiguration": {"level": "warning"},
                "properties": {"pack": PREFLIGHT_RULE_PACK},
            }
        )
    for component in verdict.not_constructed:
        if component.plugin is None:
            continue
        results.append(
            {
                "ruleId": NOT_CONSTRUCTED_RULE,
                "ruleIndex": index[(PREFLIGHT_RULE_PACK, NOT_CONSTRUCTED_RULE)],
                "level": "warning",
                "message": {"text": f"{component.type}::{component.name} {component.plugin.reason()}"},
                "locations": [_sarif_location(uri, component.urn)],
                "partialFingerprints": {
                    "nhiPreflight/v1": hashlib.sha256(f"{NOT_CONSTRUCTED_RULE}/{component.urn}".encode()).hexdigest()
                },
            }
        )
    for diagnostic in verdict.diagnostics:
        fingerprint = hashlib.sha256(f"{diagnostic.pack}/{diagnostic.policy}/{diagnostic.urn}".encode()).hexdigest()
        result: dict[str, Any] = {
            "ruleId": diagnostic.policy,
            "level": _sarif_level(diagnostic.enforcement_level),
            "message": {"text": diagnostic.message},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}},
                    "logicalLocations": [
                        {"fullyQualifiedName": diagnostic.urn or f"stack {verdict.capture.stack}", "kind": "resource"}
                    ],
                }
            ],
            "partialFingerprints": {"nhiPreflight/v1": fingerprint},
        }
        if (diagnostic.pack, diagnostic.policy) in index:
            result["ruleIndex"] = index[(diagnostic.pack, diagnostic.policy)]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "nhi-preflight", "informationUri": TOOL_URI, "version": "0.1.0", "rules": rules}
                },
                "automationDetails": {"id": f"nhi-preflight/{verdict.capture.project}/{verdict.capture.stack}/"},
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": _notifications(verdict)}],
                "results": results,
            }
        ],
    }


# The preflight's own findings (not a pack's): what it could not judge.
PREFLIGHT_RULE_PACK = "nhi-preflight"
NOT_CONSTRUCTED_RULE = "preflight-component-not-constructed"


def _sarif_location(uri: str, urn: str) -> dict[str, Any]:
    return {
        "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}},
        "logicalLocations": [{"fullyQualifiedName": urn, "kind": "resource"}],
    }


def _notifications(verdict: Verdict) -> list[dict[str, Any]]:
    """SARIF's place for what a tool met while running: lookups answered with invented values or not at all."""
    notes: list[dict[str, Any]] = []
    for record in verdict.lookups_of(AnswerKind.STAND_IN):
        notes.append(
            {
                "descriptor": {"id": "preflight-lookup-stand-in"},
                "level": "note",
                "message": {
                    "text": f"stand-in answer for lookup {record.token}, invented offline: {record.headline()}"
                },
            }
        )
    for record in verdict.lookups_of(AnswerKind.UNANSWERED):
        notes.append(
            {
                "descriptor": {"id": "preflight-lookup-unanswered"},
                "level": "warning",
                "message": {"text": f"no offline answer for lookup {record.token}: the program got empty results"},
            }
        )
    return notes


def _short(urn: str) -> str:
    """`urn:pulumi:prod::proj::a$b::name` -> `b::name` (the resource's own type and name)."""
    if not urn:
        return "(stack)"
    parts = urn.split("::")
    return f"{parts[-2].split('$')[-1]}::{parts[-1]}" if len(parts) >= 4 else urn


def to_table(verdict: Verdict, strict: bool) -> str:
    capture = verdict.capture
    lines = [
        f"Preflight of {capture.project}/{capture.stack}"
        f" ({'computed outputs unknown, as in a first preview' if capture.unknowns else 'realistic outputs'})",
        "",
    ]
    counts = Counter(r.type for r in capture.resources)
    lines.append(f"Plan: {len(capture.resources)} resources to create")
    width = max((len(t) for t in counts), default=10)
    plugins = {r.type: r.plugin for r in verdict.not_constructed if r.plugin is not None}
    for type_token, count in sorted(counts.items()):
        plugin = plugins.get(type_token)
        note = f"  {plugin.reason()}" if plugin else ""
        lines.append(f"  + {type_token.ljust(width)}  {count:>4}{note}")
    lines.append("")
    for pack in verdict.packs:
        levels = Counter(p.enforcement_level for p in pack.policies)
        summary = ", ".join(f"{n} {level}" for level, n in sorted(levels.items()))
        lines.append(f"Policy pack {pack.name} v{pack.version}: {len(pack.policies)} policies ({summary})")
    grouped: dict[tuple[str, str, str, str], list[Diagnostic]] = defaultdict(list)
    for d in verdict.diagnostics:
        grouped[(d.enforcement_level, d.pack, d.policy, d.severity)].append(d)
    if grouped:
        lines += ["", "Violations, by policy:"]
        order = {"mandatory": 0, "remediate": 0, "advisory": 1}
        for (level, pack_name, policy, severity), violations in sorted(
            grouped.items(), key=lambda kv: (order.get(kv[0][0], 2), kv[0][2])
        ):
            lines.append(f"  [{level}] {pack_name}/{policy} ({severity}): {len(violations)}")
            for d in violations:
                message = d.message.split("\n", 1)[-1].strip().replace("\n", " ")
                lines.append(f"    - {_short(d.urn)}: {message}")
    remediations = [r for pack in verdict.packs for r in pack.remediations]
    if remediations:
        lines += ["", "Remediated before analysis (the inputs a deployment would send instead):"]
        for r in remediations:
            changed = ", ".join(c.property for c in r.changes) or "no property"
            lines.append(f"  {r.pack}/{r.policy}: {_short(r.urn)}: changed {changed}")
    if verdict.not_run:
        lines += ["", "Could not run on unknown values (known only after deployment):"]
        by_policy: dict[tuple[str, str], list[NotRun]] = defaultdict(list)
        for n in verdict.not_run:
            by_policy[(n.pack, n.policy)].append(n)
        for (pack_name, policy), not_run in sorted(by_policy.items()):
            lines.append(f"  {pack_name}/{policy}: {len(not_run)} resource(s), e.g. {_short(not_run[0].urn)}")
    lines += _gap_lines(verdict)
    warnings = capture.warnings + [w for pack in verdict.packs for w in pack.warnings]
    if warnings:
        lines += ["", "Warnings:"] + [f"  {w}" for w in warnings]
    lines.append("")
    mandatory, advisory = len(verdict.mandatory), len(verdict.advisory)
    if verdict.exit_code(strict):
        if mandatory:
            reason = f"{mandatory} mandatory violation(s)"
        elif verdict.not_run_mandatory():
            reason = f"{len(verdict.not_run_mandatory())} mandatory check(s) could not run (--strict)"
        else:
            reason = f"{len(verdict.not_constructed)} component(s) not constructed offline (--strict)"
        lines.append(f"Verdict: BLOCKED: {reason}; {advisory} advisory.")
    else:
        unjudged = f", {len(verdict.not_constructed)} not constructed" if verdict.not_constructed else ""
        lines.append(
            f"Verdict: PASSED: no mandatory violation; {advisory} advisory, {len(verdict.not_run)} not run{unjudged}."
        )
    lines.append(
        f"Time: program {verdict.program_seconds:.2f} s, packs {verdict.pack_seconds:.2f} s, "
        f"total {verdict.total_seconds:.2f} s"
    )
    return "\n".join(lines)


def _gap_lines(verdict: Verdict) -> list[str]:
    """The table's sections on what was not constructed and how each lookup was answered."""
    lines: list[str] = []
    if verdict.not_constructed:
        lines += ["", "Not constructed offline (multi-language components: their children were not judged):"]
        lines += [f"  {r.type}::{r.name}: {r.plugin.reason()}" for r in verdict.not_constructed if r.plugin]
    computed = verdict.lookups_of(AnswerKind.COMPUTED)
    stand_ins = verdict.lookups_of(AnswerKind.STAND_IN)
    unanswered = verdict.lookups_of(AnswerKind.UNANSWERED)
    if computed or stand_ins or unanswered:
        lines += ["", "Lookups:"]
        lines += [f"  computed   {r.token} ({r.calls} call(s)): as the provider computes it" for r in computed]
        lines += [
            f"  STAND-IN   {r.token} ({r.calls} call(s)): invented offline, not real: {r.headline()}" for r in stand_ins
        ]
        lines += [f"  NO ANSWER  {r.token} ({r.calls} call(s)): the program got empty results" for r in unanswered]
    return lines


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False)
