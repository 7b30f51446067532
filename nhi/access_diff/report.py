"""The access diff as Markdown for a pull-request comment, or JSON."""

from __future__ import annotations

import json

from .diff import IDENTITIES, PERMISSIONS, SECTIONS, AccessDiff, Change

WIDENS_MARK = "**widens**"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _row(change: Change) -> str:
    mark = WIDENS_MARK if change.widens else ""
    return f"| {change.change} | {mark} | `{_md(change.identity)}` | {_md(change.what)} | {_md(change.detail)} |"


def to_markdown(diff: AccessDiff) -> str:
    widening = [c for c in diff.changes if c.widens]
    head = f"### Access diff of stack `{diff.stack}`: {diff.after} against {diff.before}"
    if widening:
        verdict = (
            f"**Access widens**: {len(widening)} change(s) give an identity more access, reach or "
            "principals. Ask for a second review."
        )
    elif diff.changes:
        verdict = "Access does not widen: only removals or changes that grant nothing new."
    else:
        verdict = "No change in identities or access."
    lines = [head, "", verdict]
    for section in SECTIONS:
        found = [c for c in diff.changes if c.section == section]
        if not found:
            continue
        lines += [
            "",
            f"#### {section.capitalize()} ({len(found)})",
            "",
            "| change | | identity | what | detail |",
            "|---|---|---|---|---|",
        ]
        lines += [_row(c) for c in found]
    counts = {s: sum(1 for c in diff.changes if c.section == s) for s in (IDENTITIES, PERMISSIONS)}
    lines += [
        "",
        f"<sub>nhi access-diff: {counts[IDENTITIES]} identity change(s), {counts[PERMISSIONS]} "
        "permission change(s); exit code 3 when access widens, 0 otherwise.</sub>",
    ]
    return "\n".join(lines)


def to_json(diff: AccessDiff) -> str:
    return json.dumps(diff.to_json(), indent=2)
