"""Short texts for one identity's columns, shared by the table and Markdown formats."""

from __future__ import annotations

from collections import defaultdict

from .documents import POD_IDENTITY_SERVICE
from .levels import is_pattern
from .model import ACCESS_ENTRY, IAM_ROLE, IAM_USER, SERVICE_ACCOUNT, Flow, Grant, Identity

SHORT_KIND = {
    IAM_ROLE: "IAM role",
    IAM_USER: "IAM user",
    ACCESS_ENTRY: "access entry",
    SERVICE_ACCOUNT: "service account",
}


def short_image(image: str) -> str:
    """`repo@sha256:0123456789ab` (12 hex digits identify an image in practice); tags stay as written."""
    name, at, digest = image.rpartition("@")
    if not at:
        return image.rsplit("/", 1)[-1]
    return f"{name.rsplit('/', 1)[-1]}@{digest[:19]}"


def short_workload(workload: str) -> str:
    return workload.split("/", 1)[1] if "/" in workload else workload


def assumed_by(identity: Identity) -> list[str]:
    if identity.kind == SERVICE_ACCOUNT:
        if identity.trusted:
            return [short_workload(p.value) for p in identity.trusted]
        return [f"{b.via} ({b.mechanism})" for b in identity.bindings] or ["no pods in this stack"]
    out = []
    for principal in identity.trusted:
        if principal.kind == "Service" and principal.value == POD_IDENTITY_SERVICE:
            out.append(f"Pod Identity: {principal.subject or 'ANY service account'}")
        elif principal.kind == "Federated" and "oidc-provider/oidc.eks." in principal.value:
            out.append(f"OIDC (IRSA): {principal.subject or 'ANY service account'}")
        elif principal.kind == "Federated" and "oidc-provider/" in principal.value:
            host = principal.value.split("oidc-provider/", 1)[1]
            out.append(f"OIDC {host}: {principal.subject or 'ANY subject'}")
        elif principal.kind == "Service":
            out.append(f"service {principal.value}")
        elif principal.kind == "AWS":
            out.append(f"IAM {principal.value.rsplit(':', 1)[-1]}")
        else:
            out.append(principal.describe())
    return out or (["access keys"] if identity.kind == IAM_USER else ["-"])


def credentials(identity: Identity) -> str:
    if identity.credential.static:
        return f"STATIC: {identity.credential.lifetime}"
    return identity.credential.lifetime


def can_do(identity: Identity) -> list[str]:
    if identity.kind == SERVICE_ACCOUNT:
        return [f"role {b.role.split(':', 1)[1]} ({b.mechanism})" for b in identity.bindings] or ["no AWS role"]
    if identity.kind == ACCESS_ENTRY:
        lines = [f"{a.policy} ({a.scope})" for a in identity.cluster_access]
        lines += [f"group {g}" for g in identity.kubernetes_groups]
        return lines or ["no access policy"]
    lines = [f"{service}: {', '.join(levels)}" for service, levels in identity.levels_by_service().items()]
    lines += [f"{name} (managed)" for name in identity.managed_policies]
    denies = {g.action for g in identity.grants if g.effect == "Deny"}
    if denies:
        lines.append(f"denies {len(denies)} action(s)")
    return lines or ["nothing"]


def flow_text(flow: Flow) -> str:
    port = "any port" if flow.port == "*" else flow.port
    if flow.peer_kind == "any":
        who = "anywhere" if flow.direction == "egress" else "anyone"
        unisolated = " (no NetworkPolicy)" if flow.peer.startswith("* (") else ""
        return f"{who}{unisolated}" if flow.port == "*" else f"{who}:{port}"
    protocol = "" if flow.protocol in ("TCP", "*") else f"/{flow.protocol}"
    return f"{flow.peer}:{port}{protocol}"


def reach(flows: tuple[Flow, ...]) -> list[str]:
    """Flows other than DNS, one a line; DNS (port 53) is summed up in one word."""
    main = [flow_text(f) for f in flows if not f.is_dns]
    dns = any(f.is_dns for f in flows)
    if not main:
        return ["none (DNS only)" if dns else "none"]
    return sorted(dict.fromkeys(main)) + (["+ DNS"] if dns else [])


def images(identity: Identity) -> list[str]:
    return [short_image(i) for i in identity.images] or ["-"]


def admitted(identity: Identity) -> list[str]:
    return [short_image(i) for i in identity.admitted] or ["-"]


def grant_rows(grants: tuple[Grant, ...]) -> list[tuple[str, str, str, str, str]]:
    """(effect, service, level, actions, resources): actions with the same resources on one row."""
    by_level: dict[tuple[str, str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    conditional: set[tuple[str, str]] = set()
    for grant in grants:
        by_level[(grant.effect, grant.service, grant.level)][grant.action].add(grant.resource)
        if grant.conditional:
            conditional.add(grant.key)
    rows = []
    for (effect, service, level), actions in sorted(by_level.items()):
        by_resources: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for action, action_resources in actions.items():
            by_resources[tuple(sorted(action_resources))].append(action)
        for resources, names in sorted(by_resources.items(), key=lambda item: sorted(item[1])):
            marked = [
                f"{n} (conditional)" if any((n, r) in conditional for r in resources) else n for n in sorted(names)
            ]
            shown = ", ".join(a if is_pattern(a.split(" ")[0]) else a.split(":", 1)[-1] for a in marked)
            rows.append((effect, service, level, shown, "\n".join(resources)))
    return rows
