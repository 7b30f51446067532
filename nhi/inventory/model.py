"""The inventory's data: one Identity per non-human identity of a stack, built from a preflight capture.

Everything is frozen and made of plain values so that the JSON output is `dataclasses.asdict` and two
inventories (before and after a change) compare as sets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .levels import LEVELS, UNKNOWN_LEVEL, WIDENING_LEVELS

# Identity kinds.
IAM_ROLE = "iam-role"
IAM_USER = "iam-user"
ACCESS_ENTRY = "eks-access-entry"
SERVICE_ACCOUNT = "k8s-service-account"
KINDS = (IAM_ROLE, IAM_USER, ACCESS_ENTRY, SERVICE_ACCOUNT)


@dataclass(frozen=True)
class Principal:
    """Who may assume a role (one principal of an Allow statement of its trust policy), or who an access entry
    or service account stands for."""

    kind: str
    """`Service`, `Federated`, `AWS`, `*` (anyone), or `Pods` (pods running as a service account)."""
    value: str
    actions: tuple[str, ...] = ()
    subject: str | None = None
    """`namespace/service-account` (Pod Identity tags, an IRSA `:sub`), another OIDC subject, or None."""
    conditions: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.value, self.subject or "")

    def describe(self) -> str:
        text = self.value if self.kind in ("Service", "Pods") else f"{self.kind} {self.value}"
        return f"{text} for {self.subject}" if self.subject else text


@dataclass(frozen=True)
class Binding:
    """A Kubernetes service account bound to an IAM role."""

    mechanism: str
    """`pod-identity` or `irsa`, prefixed `add-on ` when an EKS add-on makes the binding."""
    namespace: str | None
    service_account: str
    role: str
    """The role's identity id."""
    via: str
    """The resource that makes the binding (association, annotated service account, add-on)."""

    @property
    def subject(self) -> str:
        return f"{self.namespace or '?'}/{self.service_account}"


@dataclass(frozen=True)
class Credential:
    type: str
    """`sts` (short-lived), `static-access-key`, `kubernetes-token`, or `none`."""
    lifetime: str
    static: bool = False
    max_session_seconds: int | None = None
    """For roles: the longest STS session (MaxSessionDuration)."""


@dataclass(frozen=True)
class Grant:
    """One (action, resource) an identity is allowed (or denied), with its IAM access level."""

    service: str
    level: str
    action: str
    resource: str
    effect: str = "Allow"
    conditional: bool = False
    source: str = ""
    """`inline:<resource name>` or `managed:<policy name>`."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.action, self.resource)


@dataclass(frozen=True)
class ClusterAccess:
    """An EKS access policy associated with an access entry."""

    cluster: str
    policy: str
    scope: str
    """`cluster`, or `namespaces: a, b`."""


@dataclass(frozen=True)
class Flow:
    """A network flow the rendered NetworkPolicies allow, seen from one identity's pods."""

    direction: str
    """`egress` (the identity's pods open it) or `ingress` (they accept it)."""
    peer_kind: str
    """`identity` (pods running as a service account of this stack), `cidr`, `selector` (pods this stack does
    not create), or `any` (no policy restricts the direction, or a rule with no peers)."""
    peer: str
    protocol: str
    port: str
    """A number, a range `a-b`, a named port, or `*`."""

    @property
    def is_dns(self) -> bool:
        return self.port == "53"


@dataclass(frozen=True)
class Identity:
    id: str
    """Stable across changes of a stack: `iam-role:<resource name>`, `k8s-service-account:<ns>/<name>`..."""
    kind: str
    name: str
    category: str
    """What the identity is for: workload, node, add-on, cluster, service, admin, cluster-access, user."""
    arn: str | None = None
    namespace: str | None = None
    trusted: tuple[Principal, ...] = ()
    bindings: tuple[Binding, ...] = ()
    credential: Credential = Credential("none", "-")
    grants: tuple[Grant, ...] = ()
    managed_policies: tuple[str, ...] = ()
    boundary: str | None = None
    cluster_access: tuple[ClusterAccess, ...] = ()
    kubernetes_groups: tuple[str, ...] = ()
    egress: tuple[Flow, ...] = ()
    ingress: tuple[Flow, ...] = ()
    workloads: tuple[str, ...] = ()
    """Workload templates whose pods run under this identity, `namespace/Kind/name`."""
    images: tuple[str, ...] = ()
    admitted: tuple[str, ...] = ()
    """The images the cluster's admission allow-list admits for pods running as this identity (for a role: as its
    service accounts); empty where no denying binding of a list covers its namespace (see `flags`)."""
    flags: tuple[str, ...] = ()
    """What a reviewer should look at: static keys, wildcards, unrestricted traffic, images by tag..."""

    def levels_by_service(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, set[str]] = {}
        for grant in self.grants:
            if grant.effect == "Allow":
                found.setdefault(grant.service, set()).add(grant.level)
        order = (*LEVELS, UNKNOWN_LEVEL)
        return {
            service: tuple(level for level in order if level in levels) for service, levels in sorted(found.items())
        }

    @property
    def can_write(self) -> bool:
        """Write, Permissions management or Tagging on anything."""
        return any(g.effect == "Allow" and g.level in WIDENING_LEVELS for g in self.grants)


@dataclass(frozen=True)
class Inventory:
    project: str
    stack: str
    identities: tuple[Identity, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def by_id(self) -> dict[str, Identity]:
        return {identity.id: identity for identity in self.identities}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
