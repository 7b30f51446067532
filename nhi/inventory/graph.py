"""The inventory as a picture (Graphviz): workloads by namespace and the flows between them, the IAM roles they
run as, and the AWS resources (or managed policies) each role can touch, with the access levels on the edge.

The DOT text is made here; Graphviz's `dot` binary renders it (Debian/Ubuntu: `apt-get install graphviz`;
`make test` installs it when missing). A `.dot` file needs no Graphviz. The DOT text's SHA-256 travels in the
picture as a comment, so a test can tell whether a committed picture is stale with no Graphviz at all."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from nhi.preflight.errors import PreflightError

from .levels import LEVELS, UNKNOWN_LEVEL
from .model import ACCESS_ENTRY, IAM_ROLE, IAM_USER, SERVICE_ACCOUNT, Identity, Inventory

FORMATS = ("svg", "png", "pdf", "dot")
SOURCE_MARK = "nhi inventory source sha256:"


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def node_id(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def resource_label(arn: str) -> str:
    """`dynamodb table/dev-carts` for an ARN; anything else as written."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return f"{parts[2]}\n{parts[5]}"
    return arn


def fold_resources(resources: set[str]) -> dict[str, str]:
    """resource -> the resource it belongs to (`bucket/*` -> `bucket`, `table/t/index/*` -> `table/t`)."""
    folded = {}
    for resource in resources:
        parents = [p for p in resources if p != resource and resource.startswith((p + "/", p + ":"))]
        folded[resource] = min(parents, key=len) if parents else resource
    return folded


def _levels_text(levels: set[str]) -> str:
    return ", ".join(level for level in (*LEVELS, UNKNOWN_LEVEL) if level in levels)


class _Dot:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.nodes: set[str] = set()

    def node(self, ident: str, label: str, indent: str = "  ", **attributes: str) -> None:
        if ident in self.nodes:
            return
        self.nodes.add(ident)
        extra = "".join(f", {k}={quote(v)}" for k, v in sorted(attributes.items()))
        self.lines.append(f"{indent}{quote(ident)} [label={quote(label)}{extra}];")

    def edge(self, source: str, target: str, label: str = "", **attributes: str) -> None:
        extra = "".join(f", {k}={quote(v)}" for k, v in sorted(attributes.items()))
        self.lines.append(f"  {quote(source)} -> {quote(target)} [label={quote(label)}{extra}];")


def dot_source(inventory: Inventory) -> str:
    """The DOT text, deterministic for an inventory; its hash is embedded as the graph's comment."""
    body = _body(inventory)
    digest = hashlib.sha256(body.encode()).hexdigest()
    header = (
        f"digraph {quote('nhi-inventory')} {{\n"
        f"  graph [comment={quote(SOURCE_MARK + digest)}, rankdir=LR, fontname=Helvetica, fontsize=11, "
        f"labelloc=t, nodesep=0.25, ranksep=0.9, label={quote(_title(inventory))}];\n"
        f'  node [fontname=Helvetica, fontsize=9, shape=box, style="rounded,filled", fillcolor=white];\n'
        f"  edge [fontname=Helvetica, fontsize=8];\n"
    )
    return header + body + "}\n"


def source_digest(inventory: Inventory) -> str:
    return hashlib.sha256(_body(inventory).encode()).hexdigest()


def _title(inventory: Inventory) -> str:
    return (
        f"Non-human identities of {inventory.project} / {inventory.stack}: workloads and allowed flows "
        f"(DNS to kube-dns not drawn), the IAM roles they run as, and what each role can touch"
    )


def expected_nodes(inventory: Inventory) -> set[str]:
    """Node ids the picture has (for tests and other tools)."""
    dot = _Dot()
    _draw(inventory, dot)
    return dot.nodes


def _body(inventory: Inventory) -> str:
    dot = _Dot()
    _draw(inventory, dot)
    return "".join(line + "\n" for line in dot.lines)


def _draw(inventory: Inventory, dot: _Dot) -> None:
    by_id = inventory.by_id()
    accounts = [i for i in inventory.identities if i.kind == SERVICE_ACCOUNT and (i.workloads or i.bindings)]
    principals = [i for i in inventory.identities if i.kind in (IAM_ROLE, IAM_USER)]
    entries = [i for i in inventory.identities if i.kind == ACCESS_ENTRY]

    # Workloads (service accounts with their pods), one cluster per namespace.
    by_namespace: dict[str, list[Identity]] = defaultdict(list)
    for account in accounts:
        by_namespace[account.namespace or "?"].append(account)
    for n, (namespace, members) in enumerate(sorted(by_namespace.items())):
        dot.lines.append(f"  subgraph cluster_ns_{n} {{")
        dot.lines.append(f'    label={quote("namespace " + namespace)}; style="rounded,dashed"; color=gray50;')
        for account in members:
            workloads = ", ".join(w.rsplit("/", 1)[-1] for w in account.workloads) or "add-on managed"
            images = (
                f"\n{len(account.images)} image(s) by digest"
                if account.images and all("@sha256:" in i for i in account.images)
                else (f"\n{len(account.images)} image(s), NOT all by digest" if account.images else "")
            )
            dot.node(
                node_id("sa", account.name),
                f"{account.name}\n{workloads}{images}",
                "    ",
                fillcolor="#e8f1fb",
                color="#2f6db5",
            )
        dot.lines.append("  }")

    # Flows between workloads and to/from address ranges or pods outside the stack (DNS left out).
    for account in accounts:
        for flow in account.egress:
            if flow.is_dns:
                continue
            label = f"{flow.port}" if flow.protocol in ("TCP", "*") else f"{flow.port}/{flow.protocol}"
            target = _peer_node(dot, flow.peer_kind, flow.peer)
            dot.edge(node_id("sa", account.name), target, label, color="#2f6db5", fontcolor="#2f6db5")
        for flow in account.ingress:
            if flow.is_dns or flow.peer_kind == "identity":
                continue  # identity-to-identity flows are drawn once, from the egress side
            label = f"{flow.port}" if flow.protocol in ("TCP", "*") else f"{flow.port}/{flow.protocol}"
            source = _peer_node(dot, flow.peer_kind, flow.peer)
            dot.edge(source, node_id("sa", account.name), label, color="#2f6db5", fontcolor="#2f6db5")

    # IAM roles and users, and what they can touch.
    dot.lines.append("  subgraph cluster_iam {")
    dot.lines.append('    label="IAM roles and users"; style="rounded"; color="#b5832f";')
    for principal in principals:
        kind = "role" if principal.kind == IAM_ROLE else "user"
        trust = ", ".join(
            sorted({p.value for p in principal.trusted if p.kind == "Service"} - {"pods.eks.amazonaws.com"})
        )
        label = f"{principal.name}\n({principal.category}{', ' + trust if trust else ''})"
        fill = "#fde2e2" if principal.credential.static else "#fdf3e1"
        dot.node(node_id(kind, principal.name), label, "    ", fillcolor=fill, color="#b5832f")
    dot.lines.append("  }")
    for account in accounts:
        for binding in account.bindings:
            role = by_id.get(binding.role)
            if role:
                dot.edge(
                    node_id("sa", account.name),
                    node_id("role", role.name),
                    binding.mechanism,
                    style="dashed",
                    color="#b5832f",
                    fontcolor="#b5832f",
                )
    for principal in principals:
        kind = "role" if principal.kind == IAM_ROLE else "user"
        allowed = [g for g in principal.grants if g.effect == "Allow"]
        folded = fold_resources({g.resource for g in allowed})
        levels: dict[str, set[str]] = defaultdict(set)
        for grant in allowed:
            levels[folded[grant.resource]].add(grant.level)
        for resource, found in sorted(levels.items()):
            target = node_id("aws", resource)
            dot.node(
                target,
                resource_label(resource) if resource != "*" else "ANY resource (*)",
                shape="cylinder",
                fillcolor="#eaf5ea",
                color="#3c8d40",
            )
            write = bool(found & {"Write", "Permissions management", "Tagging"})
            dot.edge(
                node_id(kind, principal.name),
                target,
                _levels_text(found),
                color="#c0392b" if write else "#3c8d40",
                fontcolor="#c0392b" if write else "#3c8d40",
            )
        for name in principal.managed_policies:
            target = node_id("managed-policy", name)
            dot.node(target, f"{name}\n(managed policy)", shape="note", fillcolor="#f2f2f2", color="gray40")
            dot.edge(node_id(kind, principal.name), target, "attached", color="gray40", fontcolor="gray40")

    # EKS access entries: who may use the Kubernetes API, with which access policy.
    for entry in entries:
        source = node_id("access-entry", entry.name)
        assumed_by = entry.trusted[0].value if entry.trusted else "?"
        dot.node(
            source,
            f"{assumed_by.rsplit(':', 1)[-1]}\n(EKS access entry, {entry.category})",
            shape="box",
            fillcolor="#fde2e2" if entry.category == "admin" else "#fdf3e1",
            color="#b5832f",
        )
        for access in entry.cluster_access:
            target = node_id("eks-cluster", access.cluster)
            dot.node(
                target,
                f"EKS cluster {access.cluster}\n(Kubernetes API)",
                shape="cylinder",
                fillcolor="#eaf5ea",
                color="#3c8d40",
            )
            dot.edge(source, target, f"{access.policy}\n({access.scope})", color="#c0392b", fontcolor="#c0392b")


def _peer_node(dot: _Dot, kind: str, peer: str) -> str:
    if kind == "identity":
        return node_id("sa", peer)
    ident = node_id(kind, peer)
    label = {"cidr": f"addresses {peer}", "selector": f"pods {peer}\n(not in this stack)", "any": "ANYWHERE"}.get(
        kind, peer
    )
    dot.node(ident, label, shape="hexagon" if kind != "selector" else "box", fillcolor="#f2f2f2", color="gray40")
    return ident


def check_target(path: Path) -> str | None:
    """The `dot` binary a picture at `path` needs (None for a .dot file); raises before any work is done."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise PreflightError(f"--graph {path}: the file name must end in one of {', '.join('.' + f for f in FORMATS)}.")
    if fmt == "dot":
        return None
    binary = shutil.which("dot")
    if binary is None:
        raise PreflightError(
            f"--graph {path}: Graphviz's `dot` is not installed. Install it (Debian/Ubuntu: "
            "`apt-get install graphviz`, macOS: `brew install graphviz`; `make test` does it when "
            "missing) or write the DOT source with --graph FILE.dot."
        )
    return binary


def render(inventory: Inventory, path: Path) -> Path:
    """Write the picture to `path`; the format is the file's suffix (svg, png, pdf, or dot for the source)."""
    binary = check_target(path)
    fmt = path.suffix.lower().lstrip(".")
    source = dot_source(inventory)
    path.parent.mkdir(parents=True, exist_ok=True)
    if binary is None:
        path.write_text(source)
        return path
    result = subprocess.run(
        [binary, f"-T{fmt}", "-o", str(path)], input=source.encode(), capture_output=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise PreflightError(f"Graphviz could not render {path}: {result.stderr.decode(errors='replace').strip()}")
    return path
