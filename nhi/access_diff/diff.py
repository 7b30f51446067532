"""Compare two inventories of the same stack (before and after a change) and say what access it gains or loses.

A change WIDENS access when after it some identity can do, reach or be used by more than before: a new
identity, a new (action, resource) allowed or a deny dropped, a new managed policy or EKS access policy or
Kubernetes group, a new trust principal or binding of a service account to a role (so switching a service
account between IRSA and Pod Identity widens: another principal may now assume the role), a new pod template
running as an identity, a new network flow, a longer session, a static key, a dropped permissions boundary.
Everything else (removals, image digests) is reported and does not widen."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nhi.inventory.cells import flow_text
from nhi.inventory.model import SERVICE_ACCOUNT, Binding, Identity, Inventory

# Sections of the report, in order.
IDENTITIES = "identities"
PERMISSIONS = "permissions"
TRUST = "trust and bindings"
FLOWS = "network flows"
OTHER = "other"
SECTIONS = (IDENTITIES, PERMISSIONS, TRUST, FLOWS, OTHER)


@dataclass(frozen=True)
class Change:
    section: str
    change: str
    """`added`, `removed` or `changed`."""
    identity: str
    what: str
    detail: str = ""
    widens: bool = False


@dataclass(frozen=True)
class AccessDiff:
    stack: str
    before: str
    """What the old side is: a git ref or a file."""
    after: str
    changes: tuple[Change, ...]

    @property
    def widens(self) -> bool:
        return any(c.widens for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "before": self.before,
            "after": self.after,
            "widens": self.widens,
            "changes": [asdict(c) for c in self.changes],
        }


def _set_changes(
    section: str,
    identity: str,
    what: str,
    before: set[Any],
    after: set[Any],
    describe: Any,
    widen_added: bool = True,
    widen_removed: bool = False,
) -> list[Change]:
    out = [Change(section, "added", identity, what, describe(item), widen_added) for item in sorted(after - before)]
    out += [
        Change(section, "removed", identity, what, describe(item), widen_removed) for item in sorted(before - after)
    ]
    return out


def _grants(identity: Identity, effect: str) -> set[tuple[str, str, str]]:
    """(action, resource, access level) of each grant with `effect` (`Allow` or `Deny`)."""
    return {(g.action, g.resource, g.level) for g in identity.grants if g.effect == effect}


def _grant_text(grant: tuple[str, str, str]) -> str:
    action, resource, level = grant
    return f"{action} on {resource} ({level})"


def _binding_key(binding: Binding) -> tuple[str, str, str]:
    """(mechanism, subject, role name): what a binding connects, whichever row reports it."""
    return binding.mechanism, binding.subject, binding.role.split(":", 1)[1]


def _own_bindings(identity: Identity) -> set[tuple[str, str, str]]:
    """The bindings reported on the identity's row: a binding is reported on its service account's row, and on a
    role's row only when it has no such row."""
    return {_binding_key(b) for b in identity.bindings if identity.kind == SERVICE_ACCOUNT or b.namespace is None}


def _identity_changes(old: Identity, new: Identity) -> list[Change]:
    name = new.name
    changes: list[Change] = []
    changes += _set_changes(PERMISSIONS, name, "allow", _grants(old, "Allow"), _grants(new, "Allow"), _grant_text)
    changes += _set_changes(
        PERMISSIONS,
        name,
        "deny",
        _grants(old, "Deny"),
        _grants(new, "Deny"),
        _grant_text,
        widen_added=False,
        widen_removed=True,
    )
    changes += _set_changes(
        PERMISSIONS, name, "managed policy", set(old.managed_policies), set(new.managed_policies), str
    )
    changes += _set_changes(
        PERMISSIONS,
        name,
        "EKS access policy",
        {(a.policy, a.cluster, a.scope) for a in old.cluster_access},
        {(a.policy, a.cluster, a.scope) for a in new.cluster_access},
        lambda a: f"{a[0]} on {a[1]} ({a[2]})",
    )
    changes += _set_changes(
        PERMISSIONS, name, "Kubernetes group", set(old.kubernetes_groups), set(new.kubernetes_groups), str
    )
    principal = {p.key: p for p in (*old.trusted, *new.trusted)}
    what = "runs in pods of" if new.kind == SERVICE_ACCOUNT else "trusted principal"
    # New pods under a service account widen access only if the account carries some: a binding to an IAM
    # role or a mounted API token. A replaced run-to-completion Job (a new name per release) under an
    # account with neither gains nothing.
    carries_access = new.kind != SERVICE_ACCOUNT or bool(new.bindings) or new.credential.type != "none"
    changes += _set_changes(
        TRUST,
        name,
        what,
        {p.key for p in old.trusted},
        {p.key for p in new.trusted},
        lambda key: principal[key].describe(),
        widen_added=carries_access,
    )
    changes += _set_changes(
        TRUST, name, "binding", _own_bindings(old), _own_bindings(new), lambda b: f"{b[1]} -> {b[2]} ({b[0]})"
    )
    if new.kind == SERVICE_ACCOUNT:
        modes_before = sorted({b.mechanism for b in old.bindings})
        modes_after = sorted({b.mechanism for b in new.bindings})
        if modes_before and modes_after and modes_before != modes_after:
            changes.append(
                Change(
                    TRUST,
                    "changed",
                    name,
                    "identity mode",
                    f"{', '.join(modes_before)} -> {', '.join(modes_after)}",
                    True,
                )
            )
    if old.credential != new.credential:
        longer = (new.credential.max_session_seconds or 0) > (old.credential.max_session_seconds or 0)
        changes.append(
            Change(
                OTHER,
                "changed",
                name,
                "credentials",
                f"{old.credential.lifetime} -> {new.credential.lifetime}",
                (new.credential.static and not old.credential.static) or longer,
            )
        )
    if old.boundary != new.boundary:
        changes.append(
            Change(
                OTHER,
                "changed",
                name,
                "permissions boundary",
                f"{old.boundary or 'none'} -> {new.boundary or 'none'}",
                new.boundary is None,
            )
        )
    if new.kind == SERVICE_ACCOUNT:
        changes += _set_changes(OTHER, name, "image", set(old.images), set(new.images), str, widen_added=False)
    return changes


def _flows(inventory: Inventory) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(from, to, port/protocol) -> (from, to) display: egress of every service account, and ingress from
    peers outside the stack (flows between two identities are seen once, from the egress side)."""
    found = {}
    for identity in inventory.identities:
        if identity.kind != SERVICE_ACCOUNT:
            continue
        for flow in identity.egress:
            found[(identity.name, flow.peer, f"{flow.port}/{flow.protocol}")] = (identity.name, flow_text(flow))
        for flow in identity.ingress:
            if flow.peer_kind != "identity":
                found[(flow.peer, identity.name, f"{flow.port}/{flow.protocol}")] = (flow_text(flow), identity.name)
    return found


def compare(old: Inventory, new: Inventory, before: str, after: str) -> AccessDiff:
    changes: list[Change] = []
    old_ids, new_ids = old.by_id(), new.by_id()
    for key in sorted(new_ids.keys() - old_ids.keys()):
        identity = new_ids[key]
        changes.append(Change(IDENTITIES, "added", identity.name, identity.kind, identity.category, True))
        empty = Identity(key, identity.kind, identity.name, identity.category)
        changes += [c for c in _identity_changes(empty, identity) if c.section != OTHER or c.what == "image"]
    for key in sorted(old_ids.keys() - new_ids.keys()):
        identity = old_ids[key]
        changes.append(Change(IDENTITIES, "removed", identity.name, identity.kind, identity.category, False))
    for key in sorted(old_ids.keys() & new_ids.keys()):
        changes += _identity_changes(old_ids[key], new_ids[key])
    old_flows, new_flows = _flows(old), _flows(new)
    for flow_key in sorted(new_flows.keys() - old_flows.keys()):
        source, target = new_flows[flow_key]
        changes.append(Change(FLOWS, "added", source, "flow opened", f"{source} -> {target}", True))
    for flow_key in sorted(old_flows.keys() - new_flows.keys()):
        source, target = old_flows[flow_key]
        changes.append(Change(FLOWS, "removed", source, "flow closed", f"{source} -> {target}", False))
    return AccessDiff(new.stack, before, after, tuple(changes))
