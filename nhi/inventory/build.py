"""Build the Inventory of a capture from resource types and properties the engine sees, like the policy pack:
IAM roles and users with their trust and policies, EKS access entries, Kubernetes service accounts with the
pods that run as them, their bindings to roles, and the network reach of those pods."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nhi.preflight import wire
from nhi.preflight.capture import Capture, CapturedResource
from nhi.preflight.errors import PreflightError
from nhi.preflight.manifests import manifest

from . import admission, documents, flows, pods
from .model import (
    ACCESS_ENTRY,
    IAM_ROLE,
    IAM_USER,
    KINDS,
    SERVICE_ACCOUNT,
    Binding,
    ClusterAccess,
    Credential,
    Flow,
    Grant,
    Identity,
    Inventory,
    Principal,
)
from .netpol import NetworkModel, UnsupportedPolicy

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_ATTACHMENTS_EXCLUSIVE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
POLICY = "aws:iam/policy:Policy"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
USER = "aws:iam/user:User"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ADDON = "aws:eks/addon:Addon"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
EKS_ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
K8S_SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
K8S_NAMESPACE = "kubernetes:core/v1:Namespace"
K8S_NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
DEFAULT_MAX_SESSION = 3600  # IAM's default MaxSessionDuration


def props(resource: CapturedResource) -> dict[str, Any]:
    """Inputs, then outputs that are known (ARNs, auto-names); secrets stay redacted."""
    known = {k: v for k, v in resource.outputs.items() if not wire.contains_unknown(v)}
    return wire.for_display({**resource.inputs, **known})


def _known(value: Any) -> str | None:
    return value if isinstance(value, str) and value and not wire.contains_unknown(value) else None


def policy_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


@dataclass
class _Entity:
    resource: CapturedResource
    props: dict[str, Any]

    @property
    def arn(self) -> str | None:
        return _known(self.props.get("arn"))

    @property
    def physical(self) -> str | None:
        return _known(self.props.get("name"))


class _Index:
    """Roles (or users, or policies) of the capture by URN, ARN and name. A reference is resolved by its value
    first, then by the property's dependencies (values are unknown during a first preview)."""

    def __init__(self, resources: Iterable[CapturedResource]) -> None:
        self.by_urn = {r.urn: _Entity(r, props(r)) for r in resources}
        self.by_value: dict[str, _Entity] = {}
        for entity in self.by_urn.values():
            for value in (entity.arn, entity.physical, entity.resource.name):
                if value:
                    self.by_value.setdefault(value, entity)

    def resolve(self, resource: CapturedResource, prop: str, value: Any) -> _Entity | None:
        text = _known(value)
        if text:
            found = self.by_value.get(text) or self.by_value.get(text.rsplit("/", 1)[-1])
            if found:
                return found
        candidates = [self.by_urn[u] for u in resource.property_dependencies.get(prop, ()) if u in self.by_urn]
        return candidates[0] if len(candidates) == 1 else None


def role_id(entity: _Entity) -> str:
    return f"{IAM_ROLE}:{entity.resource.name}"


def user_id(entity: _Entity) -> str:
    return f"{IAM_USER}:{entity.resource.name}"


def service_account_id(namespace: str, name: str) -> str:
    return f"{SERVICE_ACCOUNT}:{namespace}/{name}"


@dataclass
class _Permissions:
    grants: list[Grant]
    managed: list[str]
    flags: list[str]


class _Builder:
    def __init__(self, capture: Capture) -> None:
        self.capture = capture
        self.by_type: dict[str, list[CapturedResource]] = defaultdict(list)
        for resource in capture.resources:
            self.by_type[resource.type].append(resource)
        self.roles = _Index(self.by_type[ROLE])
        self.users = _Index(self.by_type[USER])
        self.policies = _Index(self.by_type[POLICY])
        self.warnings: list[str] = []

    # --- permissions ---------------------------------------------------------------------------------------
    def _document(self, document: Any, source: str, into: _Permissions) -> None:
        try:
            found, flags = documents.grants(document, source)
        except documents.UnreadableDocument as error:
            into.flags.append(f"{source}: policy {error}")
            return
        into.grants.extend(found)
        into.flags.extend(flags)

    def _managed(self, arn: Any, resource: CapturedResource, prop: str, into: _Permissions) -> None:
        in_stack = self.policies.resolve(resource, prop, arn)
        text = _known(arn)
        name = policy_name(text) if text else (in_stack.resource.name if in_stack else "(unknown policy)")
        into.managed.append(name)
        if in_stack is not None:
            self._document(in_stack.props.get("policy"), f"managed:{name}", into)

    def permissions(
        self, index: _Index, entity: _Entity, inline_type: str, attachment_type: str, owner_prop: str
    ) -> _Permissions:
        found = _Permissions([], [], [])
        for inline in entity.props.get("inlinePolicies") or []:
            if isinstance(inline, dict) and inline.get("policy"):
                self._document(inline["policy"], f"inline:{inline.get('name') or entity.resource.name}", found)
        for arn in entity.props.get("managedPolicyArns") or []:
            self._managed(arn, entity.resource, "managedPolicyArns", found)
        for policy in self.by_type[inline_type]:
            values = props(policy)
            if index.resolve(policy, owner_prop, values.get(owner_prop)) is entity:
                self._document(values.get("policy"), f"inline:{policy.name}", found)
        for attachment in self.by_type[attachment_type]:
            values = props(attachment)
            if index.resolve(attachment, owner_prop, values.get(owner_prop)) is entity:
                self._managed(values.get("policyArn"), attachment, "policyArn", found)
        for attachment in self.by_type[POLICY_ATTACHMENT]:
            values = props(attachment)
            members = values.get(f"{owner_prop}s") or []
            if any(index.by_value.get(str(m)) is entity for m in members):
                self._managed(values.get("policyArn"), attachment, "policyArn", found)
        if inline_type == ROLE_POLICY:
            for exclusive in self.by_type[ROLE_ATTACHMENTS_EXCLUSIVE]:
                values = props(exclusive)
                if index.resolve(exclusive, "roleName", values.get("roleName")) is entity:
                    for arn in values.get("policyArns") or []:
                        self._managed(arn, exclusive, "policyArns", found)
        return found

    # --- bindings of service accounts to roles -------------------------------------------------------------
    def bindings(self) -> list[Binding]:
        found: list[Binding] = []
        for association in self.by_type[POD_IDENTITY_ASSOCIATION]:
            values = props(association)
            role = self.roles.resolve(association, "roleArn", values.get("roleArn"))
            namespace, account = _known(values.get("namespace")), _known(values.get("serviceAccount"))
            if role and namespace and account:
                found.append(Binding("pod-identity", namespace, account, role_id(role), association.name))
        for resource in self.by_type[K8S_SERVICE_ACCOUNT]:
            body = manifest(resource)
            arn = (body["metadata"].get("annotations") or {}).get(IRSA_ANNOTATION)
            if arn is None:
                continue
            role = self.roles.resolve(resource, "metadata", arn)
            namespace = str(body["metadata"].get("namespace") or "default")
            if role:
                found.append(Binding("irsa", namespace, str(body["metadata"]["name"]), role_id(role), resource.name))
            else:
                self.warnings.append(
                    f"service account {namespace}/{body['metadata']['name']} names role {arn}, "
                    "which this stack does not create"
                )
        for addon in self.by_type[ADDON]:
            values = props(addon)
            name = values.get("addonName") or addon.name
            for entry in values.get("podIdentityAssociations") or []:
                role = self.roles.resolve(addon, "podIdentityAssociations", entry.get("roleArn"))
                if role:
                    account = str(entry.get("serviceAccount") or "?")
                    found.append(
                        Binding(
                            "add-on pod-identity",
                            self._trusted_namespace(role, account),
                            account,
                            role_id(role),
                            f"add-on {name}",
                        )
                    )
            if values.get("serviceAccountRoleArn"):
                role = self.roles.resolve(addon, "serviceAccountRoleArn", values["serviceAccountRoleArn"])
                if role:
                    subject = self._single_subject(role)
                    namespace, _, account = (subject or "?/?").partition("/")
                    found.append(
                        Binding(
                            "add-on irsa",
                            None if namespace == "?" else namespace,
                            account,
                            role_id(role),
                            f"add-on {name}",
                        )
                    )
        return found

    def _trust(self, role: _Entity) -> tuple[list[Principal], list[str]]:
        try:
            return documents.principals(role.props.get("assumeRolePolicy"))
        except documents.UnreadableDocument as error:
            return [], [f"trust policy {error}"]

    def _single_subject(self, role: _Entity) -> str | None:
        subjects = {p.subject for p in self._trust(role)[0] if p.subject and "/" in p.subject}
        return subjects.pop() if len(subjects) == 1 else None

    def _trusted_namespace(self, role: _Entity, account: str) -> str | None:
        namespaces = {
            p.subject.split("/")[0] for p in self._trust(role)[0] if p.subject and p.subject.endswith(f"/{account}")
        }
        return namespaces.pop() if len(namespaces) == 1 else None

    # --- roles that the cluster itself uses ----------------------------------------------------------------
    def infrastructure_roles(self) -> dict[str, str]:
        """role id -> `cluster` or `node`, from the resources that reference the role."""
        found: dict[str, str] = {}
        for cluster in self.by_type[EKS_CLUSTER]:
            role = self.roles.resolve(cluster, "roleArn", props(cluster).get("roleArn"))
            if role:
                found[role_id(role)] = "cluster"
        references = [(r, "nodeRoleArn") for r in self.by_type[NODE_GROUP]]
        references += [(r, "role") for r in self.by_type[INSTANCE_PROFILE]]
        references += [
            (r, "principalArn")
            for r in self.by_type[EKS_ACCESS_ENTRY]
            if str(props(r).get("type") or "").startswith("EC2")
        ]
        for resource, prop in references:
            role = self.roles.resolve(resource, prop, props(resource).get(prop))
            if role:
                found[role_id(role)] = "node"
        return found

    # --- identities ----------------------------------------------------------------------------------------
    def role_identities(self, bindings: list[Binding], service_accounts: dict[str, Identity]) -> list[Identity]:
        infrastructure = self.infrastructure_roles()
        out = []
        for entity in self.roles.by_urn.values():
            rid = role_id(entity)
            trusted, trust_flags = self._trust(entity)
            permissions = self.permissions(self.roles, entity, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, "role")
            bound = tuple(sorted((b for b in bindings if b.role == rid), key=lambda b: (b.subject, b.mechanism)))
            accounts = [
                service_accounts[service_account_id(b.namespace, b.service_account)]
                for b in bound
                if b.namespace and service_account_id(b.namespace, b.service_account) in service_accounts
            ]
            if rid in infrastructure:
                category = infrastructure[rid]
            elif any(b.mechanism.startswith("add-on") for b in bound):
                category = "add-on"
            elif bound:
                category = "workload"
            else:
                category = _category_from_trust(trusted)
            session = entity.props.get("maxSessionDuration")
            seconds = int(session) if isinstance(session, (int, float)) else DEFAULT_MAX_SESSION
            flags = [*trust_flags, *permissions.flags]
            if seconds > DEFAULT_MAX_SESSION:
                flags.append(f"sessions up to {seconds // 3600}h (more than IAM's 1h default)")
            boundary = _known(entity.props.get("permissionsBoundary"))
            out.append(
                Identity(
                    id=rid,
                    kind=IAM_ROLE,
                    name=entity.resource.name,
                    category=category,
                    arn=entity.arn,
                    trusted=tuple(sorted(set(trusted), key=lambda p: p.key)),
                    bindings=bound,
                    credential=Credential("sts", f"STS, sessions ≤{_duration(seconds)}", False, seconds),
                    grants=_sorted_grants(permissions.grants),
                    managed_policies=tuple(sorted(set(permissions.managed))),
                    boundary=policy_name(boundary) if boundary else None,
                    egress=_union(a.egress for a in accounts),
                    ingress=_union(a.ingress for a in accounts),
                    workloads=tuple(sorted({w for a in accounts for w in a.workloads})),
                    images=tuple(sorted({i for a in accounts for i in a.images})),
                    admitted=tuple(sorted({i for a in accounts for i in a.admitted})),
                    flags=tuple(sorted(set(flags))),
                )
            )
        return out

    def user_identities(self) -> list[Identity]:
        keys: dict[str, int] = defaultdict(int)
        for key in self.by_type[ACCESS_KEY]:
            user = self.users.resolve(key, "user", props(key).get("user"))
            keys[user_id(user) if user else "?"] += 1
        out = []
        for entity in self.users.by_urn.values():
            uid = user_id(entity)
            permissions = self.permissions(self.users, entity, USER_POLICY, USER_POLICY_ATTACHMENT, "user")
            static = keys.get(uid, 0) > 0
            credential = (
                Credential("static-access-key", f"{keys[uid]} access key(s) that never expire", True)
                if static
                else Credential("none", "IAM user without an access key in this stack")
            )
            flags = [
                "IAM user: a long-lived identity; use a role with short-lived credentials",
                *(["static access key"] if static else []),
                *permissions.flags,
            ]
            out.append(
                Identity(
                    id=uid,
                    kind=IAM_USER,
                    name=entity.resource.name,
                    category="user",
                    arn=entity.arn,
                    credential=credential,
                    grants=_sorted_grants(permissions.grants),
                    managed_policies=tuple(sorted(set(permissions.managed))),
                    flags=tuple(sorted(set(flags))),
                )
            )
        return out

    def access_entry_identities(self) -> list[Identity]:
        policies: dict[tuple[str, str], list[ClusterAccess]] = defaultdict(list)
        for association in self.by_type[EKS_ACCESS_POLICY]:
            values = props(association)
            cluster, principal = str(values.get("clusterName")), str(values.get("principalArn"))
            scope = values.get("accessScope") or {}
            text = (
                "cluster"
                if scope.get("type") == "cluster"
                else f"namespaces: {', '.join(sorted(scope.get('namespaces') or []))}"
            )
            policies[(cluster, principal)].append(
                ClusterAccess(cluster, policy_name(str(values.get("policyArn"))), text)
            )
        out = []
        for entry in self.by_type[EKS_ACCESS_ENTRY]:
            values = props(entry)
            cluster, principal = str(values.get("clusterName")), str(values.get("principalArn"))
            entry_type = str(values.get("type") or "STANDARD")
            access = tuple(sorted(set(policies.get((cluster, principal), [])), key=lambda a: (a.policy, a.scope)))
            in_stack = self.roles.resolve(entry, "principalArn", principal)
            if entry_type.startswith("EC2"):
                category = "node"
            elif any(a.policy.endswith("AdminPolicy") for a in access):
                category = "admin"
            else:
                category = "cluster-access"
            lifetime = (
                f"STS session of {in_stack.resource.name}" if in_stack else "the principal's own (outside this stack)"
            )
            static = ":user/" in principal
            flags = ["access entry for an IAM user: static keys reach the cluster"] if static else []
            flags += [f"{a.policy} on {a.scope}" for a in access if a.policy.endswith("AdminPolicy")]
            out.append(
                Identity(
                    id=f"{ACCESS_ENTRY}:{cluster}:{principal}",
                    kind=ACCESS_ENTRY,
                    name=f"{cluster}: {policy_name(principal)}",
                    category=category,
                    arn=_known(values.get("arn")),
                    trusted=(Principal("AWS", principal),),
                    credential=Credential("static-access-key" if static else "sts", lifetime, static),
                    cluster_access=access,
                    kubernetes_groups=tuple(sorted(str(g) for g in values.get("kubernetesGroups") or [])),
                    flags=tuple(sorted(flags)),
                )
            )
        return out

    def service_account_identities(self, bindings: list[Binding]) -> dict[str, Identity]:
        workloads = pods.workload_pods(self.capture)
        try:
            reach = flows.compute(self._network_model(), workloads)
        except UnsupportedPolicy as error:
            raise PreflightError(
                f"A NetworkPolicy of this stack uses a construct the inventory cannot evaluate "
                f"({error}); its network reach would be wrong, so there is no inventory."
            ) from None
        declared: dict[str, dict[str, Any]] = {}
        for resource in self.by_type[K8S_SERVICE_ACCOUNT]:
            body = manifest(resource)
            key = f"{body['metadata'].get('namespace') or 'default'}/{body['metadata']['name']}"
            declared[key] = body
        keys = set(declared) | {flows.owner(w) for w in workloads}
        allowed = admission.admitted(self.capture)
        keys |= {b.subject for b in bindings if b.namespace}
        out: dict[str, Identity] = {}
        for key in sorted(keys):
            namespace, _, name = key.partition("/")
            running = [w for w in workloads if flows.owner(w) == key]
            bound = tuple(sorted((b for b in bindings if b.subject == key), key=lambda b: (b.role, b.mechanism)))
            account = declared.get(key)
            account_automount = account.get("automountServiceAccountToken") if account else None
            mounted = sorted(
                w.workload
                for w in running
                if w.automount_token is True or (w.automount_token is None and account_automount is not False)
            )
            flags: list[str] = []
            if account is None and running:
                flags.append("pods run as a service account this stack does not create")
            if name == "default" and running:
                flags.append("pods run as the namespace's default service account")
            if mounted:
                flags.append(f"Kubernetes API token mounted in {', '.join(mounted)}")
            images = tuple(sorted({i for w in running for i in w.images}))
            flags += [f"image not pinned by digest: {i}" for i in images if "@sha256:" not in i]
            # Only in a stack that allow-lists images at all: elsewhere the pack's advisory rule says it once.
            if running and allowed and f"{namespace}/" not in allowed:
                flags.append(f"no admission allow-list binds namespace {namespace}: the cluster admits any image")
            elif running and f"{namespace}/" in allowed:
                flags += [f"the cluster would not admit {i}" for i in images if i not in allowed.get(key, ())]
            egress, ingress = reach.get(key, flows.Reach()).egress, reach.get(key, flows.Reach()).ingress
            flags += [
                f"{f.direction} not restricted by any NetworkPolicy"
                for f in egress | ingress
                if f.peer_kind == "any" and f.peer.startswith("* (")
            ]
            if running:
                category = "workload"
            elif any(b.mechanism.startswith("add-on") for b in bound):
                category = "add-on"
            else:
                category = "unused"
            credential = (
                Credential("kubernetes-token", "API token (projected, ~1h, rotated)")
                if mounted
                else Credential("none", "no API token")
            )
            if not running and bound:
                credential = Credential("kubernetes-token", "managed by the add-on")
            out[service_account_id(namespace, name)] = Identity(
                id=service_account_id(namespace, name),
                kind=SERVICE_ACCOUNT,
                name=key,
                category=category,
                namespace=namespace,
                trusted=tuple(Principal("Pods", w.workload) for w in running),
                bindings=bound,
                credential=credential,
                egress=_sorted_flows(egress),
                ingress=_sorted_flows(ingress),
                workloads=tuple(w.workload for w in running),
                images=images,
                admitted=allowed.get(key, ()),
                flags=tuple(sorted(set(flags))),
            )
        return out

    def _network_model(self) -> NetworkModel:
        labels = {}
        for namespace in self.by_type[K8S_NAMESPACE]:
            body = manifest(namespace)
            labels[str(body["metadata"]["name"])] = {
                str(k): str(v) for k, v in (body["metadata"].get("labels") or {}).items()
            }
        policies = []
        for resource in self.by_type[K8S_NETWORK_POLICY]:
            body = manifest(resource)
            body["metadata"].setdefault("namespace", "default")
            body.setdefault("spec", {})
            policies.append(body)
        return NetworkModel(policies, labels)


def _category_from_trust(trusted: list[Principal]) -> str:
    kinds = {p.kind for p in trusted}
    if "*" in kinds:
        return "public"
    if "AWS" in kinds:
        return "iam-principals"
    if "Federated" in kinds:
        return "federated"
    return "service"


def _duration(seconds: int) -> str:
    return f"{seconds // 3600}h" if seconds % 3600 == 0 else f"{seconds // 60}min"


def _sorted_grants(grants: list[Grant]) -> tuple[Grant, ...]:
    return tuple(sorted(set(grants), key=lambda g: (g.effect, g.service, g.level, g.action, g.resource, g.source)))


def _sorted_flows(found: Iterable[Flow]) -> tuple[Flow, ...]:
    return tuple(sorted(set(found), key=lambda f: (f.direction, f.peer_kind, f.peer, f.protocol, f.port)))


def _union(groups: Iterable[Iterable[Flow]]) -> tuple[Flow, ...]:
    return _sorted_flows(f for group in groups for f in group)


def build(capture: Capture) -> Inventory:
    builder = _Builder(capture)
    bindings = builder.bindings()
    accounts = builder.service_account_identities(bindings)
    identities = [
        *builder.role_identities(bindings, accounts),
        *builder.user_identities(),
        *builder.access_entry_identities(),
        *accounts.values(),
    ]
    order = {kind: i for i, kind in enumerate(KINDS)}
    identities.sort(key=lambda i: (order[i.kind], i.category, i.name))
    return Inventory(capture.project, capture.stack, tuple(identities), tuple(sorted(set(builder.warnings))))
