"""The CEL of the admission policies, as data: each policy's match rules, variables and validations, so that the
component renders them and the tests evaluate exactly these strings with a real CEL runtime.

Only what Kubernetes 1.30+ gives every ValidatingAdmissionPolicy: the standard CEL macros (`has`, `all`,
`exists`, `filter`, `map`), `startsWith`/`endsWith`, `in`, and the strings extension's `join`
(k8s.io/apiserver/pkg/cel/environment/base.go). `object`, `oldObject`, `params` and `request` are dynamic there
(the policy matches several kinds), which the tests reproduce.

The parameter object is one ConfigMap per workload namespace (`ALLOWLIST_CONFIGMAP`). Its keys, for every service
account `<sa>` declared in the namespace and each of its entries `<entry>` (`blue`, `green`, `gate`):
- `<sa>.image.<entry>`: an image the namespace admits for pods running as `<sa>`, by digest;
- `<sa>.key.<entry>`: the stack-file key that declares it (named in the denial message).
A service account is declared when it has at least one image. ConfigMap keys allow `[-._a-zA-Z0-9]`, which
service-account names (DNS labels) and these entries fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import labels

ALLOWLIST_CONFIGMAP = "nhi-admission-allowlist"
"""The parameter ConfigMap of each workload namespace."""
IMAGE_KEY = "{account}.image.{entry}"
STACK_KEY = "{account}.key.{entry}"
LONG_LIVED_CREDENTIAL_TYPE = "kubernetes.io/service-account-token"

# The policies (cluster-scoped, one each) and the prefix of their per-namespace bindings.
ALLOWLIST_POLICY = "nhi-platform-workload-allowlist"
CREDENTIAL_POLICY = "nhi-platform-no-token-secrets"
NO_ENTRY_POLICY = "nhi-platform-no-pod-entry"


@dataclass(frozen=True)
class ResourceRule:
    """One `matchConstraints.resourceRules` entry."""

    api_group: str
    resources: tuple[str, ...]
    operations: tuple[str, ...]


@dataclass(frozen=True)
class Variable:
    name: str
    expression: str


@dataclass(frozen=True)
class Validation:
    name: str
    """What the validation enforces (for tests and docs; not part of the API object)."""
    expression: str
    message_expression: str
    reason: str = "Forbidden"


@dataclass(frozen=True)
class PolicySpec:
    name: str
    rules: tuple[ResourceRule, ...]
    variables: tuple[Variable, ...]
    validations: tuple[Validation, ...]
    uses_params: bool


CREATE_UPDATE = ("CREATE", "UPDATE")


def _template(root: str) -> str:
    """The pod template of `root` (an object of any matched kind): the Pod itself, a CronJob's job template's,
    or `spec.template` of the others."""
    return (
        f"{root}.kind == 'Pod' ? {root} : "
        f"({root}.kind == 'CronJob' ? {root}.spec.jobTemplate.spec.template : {root}.spec.template)"
    )


def _service_account(spec: str) -> str:
    """The service account a pod spec runs as: `serviceAccountName`, else the deprecated `serviceAccount`, else
    `default`."""
    return (
        f"has({spec}.serviceAccountName) && {spec}.serviceAccountName != '' ? {spec}.serviceAccountName : "
        f"(has({spec}.serviceAccount) && {spec}.serviceAccount != '' ? {spec}.serviceAccount : 'default')"
    )


def _containers(spec: str) -> str:
    """Every container of a pod spec as {kind, name, image}: init, regular and ephemeral (distinct types in the
    API, hence made into maps before they are joined)."""
    parts = []
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        mapped = f"{spec}.{kind}.map(c, {{'kind': '{kind}', 'name': c.name, 'image': c.image}})"
        parts.append(f"(has({spec}.{kind}) ? {mapped} : [])")
    return " + ".join(parts)


_ALLOWLIST_VARIABLES = (
    Variable("template", _template("object")),
    Variable("spec", "variables.template.spec"),
    Variable("containers", _containers("variables.spec")),
    Variable("serviceAccount", _service_account("variables.spec")),
    Variable("entries", "has(params.data) ? params.data : {}"),
    Variable(
        "allowed",
        "variables.entries.filter(k, k.startsWith(variables.serviceAccount + '.image.')).map(k, variables.entries[k])",
    ),
    # On UPDATE an image the object already ran stays admitted: controllers update objects whose digest has left
    # the list since (the deployment controller scales an old ReplicaSet down, garbage collection edits owner
    # references), and a pod's image was admitted when it was created.
    # Likewise the service account: the garbage collector removes a finalizer from a Deployment whose workload has
    # left the stack file (an UPDATE); only a change of service account is judged.
    Variable(
        "previousServiceAccount",
        f"oldObject == null ? '' : ({_service_account('(' + _template('oldObject') + ').spec')})",
    ),
    Variable(
        "previous",
        f"oldObject == null ? [] : ({_containers('(' + _template('oldObject') + ').spec')}).map(c, c.image)",
    ),
    Variable(
        "denied",
        "variables.containers.filter(c, !(c.image in variables.allowed) && !(c.image in variables.previous))",
    ),
    Variable(
        "slot",
        f"has(variables.template.metadata.labels) && '{labels.SLOT}' in variables.template.metadata.labels ? "
        f"variables.template.metadata.labels['{labels.SLOT}'] : ''",
    ),
    # The stack-file key that would admit an image for this pod: its slot's, else every key of its account.
    Variable(
        "allowedBy",
        "(variables.serviceAccount + '.key.' + variables.slot) in variables.entries ? "
        "variables.entries[variables.serviceAccount + '.key.' + variables.slot] : "
        "variables.entries.filter(k, k.startsWith(variables.serviceAccount + '.key.'))"
        ".map(k, variables.entries[k]).join(' or ')",
    ),
    Variable(
        "subject",
        "object.kind + ' ' + request.namespace + '/' + "
        "(has(object.metadata.name) && object.metadata.name != '' ? object.metadata.name : request.name)",
    ),
)

MSG_IMAGE = (
    "variables.subject + ': ' + variables.denied.map(c, c.kind + ' ' + string(c.name) + ' runs image ' + "
    "string(c.image)).join('; ') + ', not admitted in namespace ' + request.namespace + ' for service account ' + "
    "variables.serviceAccount + ': only digests declared in the stack file run here' + "
    "(variables.allowedBy != '' ? '; declare it at ' + variables.allowedBy : "
    "'; declare a workload of this namespace in nhi-platform:workloads')"
)
MSG_SERVICE_ACCOUNT = (
    "variables.subject + ': ' + (variables.serviceAccount == 'default' ? "
    "'runs as the namespace\\'s default service account' : "
    "'runs as service account ' + variables.serviceAccount + ', which the stack file does not declare in "
    "namespace ' + request.namespace) + ': pods here run only as a declared workload\\'s own service account "
    "(its name in nhi-platform:workloads, or <name>-gate for its rollout gate)'"
)

ALLOWLIST = PolicySpec(
    name=ALLOWLIST_POLICY,
    rules=(
        ResourceRule("", ("pods", "replicationcontrollers"), CREATE_UPDATE),
        # `kubectl debug` adds ephemeral containers through this subresource (an UPDATE of the whole Pod).
        ResourceRule("", ("pods/ephemeralcontainers",), ("UPDATE",)),
        ResourceRule("apps", ("deployments", "statefulsets", "daemonsets", "replicasets"), CREATE_UPDATE),
        ResourceRule("batch", ("jobs", "cronjobs"), CREATE_UPDATE),
    ),
    variables=_ALLOWLIST_VARIABLES,
    validations=(
        Validation("images", "size(variables.denied) == 0", MSG_IMAGE),
        Validation(
            "service-account",
            "variables.serviceAccount == variables.previousServiceAccount || "
            "(variables.serviceAccount != 'default' && "
            "variables.entries.exists(k, k.startsWith(variables.serviceAccount + '.image.')))",
            MSG_SERVICE_ACCOUNT,
        ),
    ),
    uses_params=True,
)

MSG_TOKEN = (
    "'Secret ' + request.namespace + '/' + request.name + ' is of type "
    f"{LONG_LIVED_CREDENTIAL_TYPE}: a long-lived credential that never expires; pods get short-lived projected "
    "tokens (TokenRequest) instead, and workloads reach AWS through their IAM role'"
)

NO_TOKEN_SECRETS = PolicySpec(
    name=CREDENTIAL_POLICY,
    rules=(ResourceRule("", ("secrets",), CREATE_UPDATE),),
    variables=(),
    validations=(
        Validation(
            "no-token-secret",
            f"!has(object.type) || object.type != '{LONG_LIVED_CREDENTIAL_TYPE}'",
            MSG_TOKEN,
        ),
    ),
    uses_params=False,
)

ENTRY_SUBRESOURCES = ("exec", "attach", "ephemeralcontainers")
MSG_NO_ENTRY = (
    "'pods/' + request.subResource + ' on ' + request.namespace + '/' + request.name + ' is denied: workload "
    "pods of this environment are immutable (replace a pod, never enter it); break glass by removing the "
    f"binding of {NO_ENTRY_POLICY} with pulumi up (docs/admission.md)'"
)

NO_POD_ENTRY = PolicySpec(
    name=NO_ENTRY_POLICY,
    rules=(
        # The validating policy plugin handles CONNECT like CREATE, UPDATE and DELETE (k8s.io/apiserver
        # pkg/admission/plugin/policy/validating/plugin.go: admission.NewHandler(Connect, Create, Delete, Update));
        # `object` is then the PodExecOptions / PodAttachOptions of the request.
        ResourceRule("", ("pods/exec", "pods/attach"), ("CONNECT",)),
        ResourceRule("", ("pods/ephemeralcontainers",), ("UPDATE",)),
    ),
    variables=(),
    validations=(
        Validation(
            "no-entry",
            "!(request.subResource in [" + ", ".join(f"'{s}'" for s in ENTRY_SUBRESOURCES) + "])",
            MSG_NO_ENTRY,
        ),
    ),
    uses_params=False,
)

ALL_POLICIES = (ALLOWLIST, NO_TOKEN_SECRETS, NO_POD_ENTRY)
