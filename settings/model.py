"""The typed shape of a stack file's `config:` section.

Every model is frozen and refuses unknown keys, so a typo is an error that names the key instead of a
setting silently ignored. Field-level rules live here; rules that relate several fields or several
workloads live in `settings.crosscheck`, so that both kinds are reported together.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

PROJECT = "nhi-platform"

DIGEST_REF_RE = re.compile(r"^(?P<repository>(?P<registry>[a-z0-9.-]+(?::[0-9]+)?)/[a-z0-9._/-]+)@sha256:[0-9a-f]{64}$")
DNS_LABEL_RE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$")
POLICY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[\w+=,.@/-]{1,512}$")
# Bottlerocket releases are published as <semver>-<8 hex commit>; EKS takes them as `releaseVersion`.
BOTTLEROCKET_RELEASE_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+-[0-9a-f]{8}$")
K8S_VERSION_RE = re.compile(r"^1\.[0-9]{2}$")
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
ADDON_VERSION_RE = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$")
# Graviton families carry a `g` right after the generation digit (m7g, c6gn, t4g, x2gd, g5g); the rest are x86.
GRAVITON_INSTANCE_RE = re.compile(r"^[a-z]+[0-9]+g[a-z]*\.")
# The widest allow-list entry for a public API endpoint: offices and CI runners, never a continent.
MIN_PUBLIC_PREFIX = {4: 16, 6: 48}
# GitHub's own rules: an owner is 1-39 letters, digits or single inner hyphens; a repository 1-100 letters, digits,
# '.', '_' or '-'. Neither admits '*' or '?', so the OIDC subject built from them can never be a pattern.
GITHUB_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")
GITHUB_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")

# The pipeline's identity (nhi-platform:ci): GitHub Actions' OIDC issuer and the audience AWS's STS expects.
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# Every role and policy of the pipeline lives under this path, so that grants and denies can name them all.
CI_ROLE_PATH = "/nhi-platform/ci/"

# Kubernetes versions in EKS standard support that this platform is tested against. The EKS calendar ends
# standard support for 1.31-1.33 by 2026-07-29 and for 1.34 on 2026-12-02: add 1.35 (with its verified add-on
# versions below) before then.
SUPPORTED_KUBERNETES_VERSIONS = ("1.34",)


class Environment(str, Enum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class IdentityMode(str, Enum):
    POD_IDENTITY = "pod-identity"
    IRSA = "irsa"


class ProbeKind(str, Enum):
    """How the kubelet checks a workload: an HTTP GET on a path, or a TCP connect (for non-HTTP servers)."""

    HTTP = "http"
    TCP = "tcp"


class Architecture(str, Enum):
    """CPU architecture of a node group, from its instance types; picks the Bottlerocket AMI type."""

    X86_64 = "x86_64"
    ARM_64 = "arm64"


def instance_architecture(instance_type: str) -> Architecture:
    return Architecture.ARM_64 if GRAVITON_INSTANCE_RE.match(instance_type) else Architecture.X86_64


@dataclass(frozen=True)
class AddonVersions:
    """Pinned EKS add-on versions (`aws eks describe-addon-versions` lists what a cluster version accepts)."""

    vpc_cni: str
    coredns: str
    kube_proxy: str
    pod_identity_agent: str


# Defaults per Kubernetes version: the EKS User Guide's "latest version" tables (vpc-cni, CoreDNS, kube-proxy)
# and the pod identity agent release of the same period. Pinned so that an `up` never upgrades an add-on by
# itself; bump them here (or per stack with `cluster.addonVersions`) and let the preview show the change.
DEFAULT_ADDON_VERSIONS: dict[str, AddonVersions] = {
    "1.34": AddonVersions("v1.20.4-eksbuild.1", "v1.12.4-eksbuild.1", "v1.34.1-eksbuild.2", "v1.3.9-eksbuild.3"),
}


class OidcProviderMode(str, Enum):
    """Who owns the account's GitHub OIDC provider: IAM allows one provider per URL in an account."""

    CREATE = "create"
    """This stack creates it (one stack per account)."""
    EXISTING = "existing"
    """Another stack of the same account created it; this one trusts it by its well-known ARN."""


class Slot(str, Enum):
    BLUE = "blue"
    GREEN = "green"

    @property
    def other(self) -> Slot:
        return Slot.GREEN if self is Slot.BLUE else Slot.BLUE


def _dns_label(value: str) -> str:
    if not DNS_LABEL_RE.match(value):
        raise ValueError(
            "expected a DNS label (lowercase letters, digits and '-', starting with a letter, "
            f"at most 63 characters), got {value!r}"
        )
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(f"expected a CIDR block such as 10.40.0.0/16, got {value!r}") from None
    return str(network)


def _public_cidr(value: str) -> str:
    value = _cidr(value)
    network = ipaddress.ip_network(value)
    if network.prefixlen == 0:
        raise ValueError(
            f"the API endpoint is never open to the whole internet: {value!r} is refused; "
            "list the CIDRs of your offices or CI runners, or leave the list empty for a private endpoint"
        )
    # 0.0.0.0/1 + 128.0.0.0/1 is the whole internet too: bound each entry, not only /0.
    widest = MIN_PUBLIC_PREFIX[network.version]
    if network.prefixlen < widest:
        raise ValueError(
            f"expected a CIDR of /{widest} or narrower for the public API endpoint, got {value!r}: "
            "list the ranges of your offices or CI runners"
        )
    return value


def _vpc_cidr(value: str) -> str:
    value = _cidr(value)
    network = ipaddress.ip_network(value)
    if network.version != 4 or not 16 <= network.prefixlen <= 20 or not network.is_private:
        raise ValueError(
            f"expected a private IPv4 CIDR from /16 to /20 (room for 3 public and 3 private subnets), got {value!r}"
        )
    return value


def _role_arn(value: str) -> str:
    if not ROLE_ARN_RE.match(value):
        raise ValueError(
            f"expected an IAM role ARN such as arn:aws:iam::111122223333:role/platform-admins, got {value!r}"
        )
    return value


def _policy_arn(value: str) -> str:
    if not POLICY_ARN_RE.match(value):
        raise ValueError(
            f"expected a customer-managed IAM policy ARN such as "
            f"arn:aws:iam::111122223333:policy/workload-boundary, got {value!r}"
        )
    return value


def _github_owner(value: str) -> str:
    if len(value) > 39 or not GITHUB_OWNER_RE.match(value):
        raise ValueError(
            f"expected a GitHub organisation or user name (letters, digits and inner single '-', "
            f"at most 39), got {value!r}"
        )
    return value


def _github_repository(value: str) -> str:
    if not GITHUB_REPOSITORY_RE.match(value) or value in (".", ".."):
        raise ValueError(
            f"expected a GitHub repository name (letters, digits, '.', '_' and '-', at most 100), got {value!r}"
        )
    return value


def _bottlerocket_release(value: str) -> str:
    if not BOTTLEROCKET_RELEASE_RE.match(value):
        raise ValueError(
            f"expected a pinned Bottlerocket release such as '1.41.0-2b4c1d53' (version-commit), got {value!r}"
        )
    return value


def _addon_version(value: str) -> str:
    if not ADDON_VERSION_RE.match(value):
        raise ValueError(f"expected a pinned EKS add-on version such as 'v1.20.4-eksbuild.1', got {value!r}")
    return value


def _kubernetes_version(value: str) -> str:
    if value not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(
            f"expected one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)} (as a quoted string), got {value!r}"
        )
    return value


def _image_digest(value: str) -> str:
    if not DIGEST_REF_RE.match(value):
        raise ValueError(
            "expected an image pinned by digest, REGISTRY/REPOSITORY@sha256:<64 hex>, "
            f"got {value!r} (tags are mutable and are refused)"
        )
    return value


def _registry_host(value: str) -> str:
    if not re.match(r"^[a-z0-9.-]+(:[0-9]+)?$", value):
        raise ValueError(
            f"expected a registry host such as 111122223333.dkr.ecr.eu-west-1.amazonaws.com, got {value!r}"
        )
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Cidr = Annotated[str, AfterValidator(_cidr)]
PublicCidr = Annotated[str, AfterValidator(_public_cidr)]
VpcCidr = Annotated[str, AfterValidator(_vpc_cidr)]
RoleArn = Annotated[str, AfterValidator(_role_arn)]
PolicyArn = Annotated[str, AfterValidator(_policy_arn)]
BottlerocketRelease = Annotated[str, AfterValidator(_bottlerocket_release)]
GitHubOwner = Annotated[str, AfterValidator(_github_owner)]
GitHubRepository = Annotated[str, AfterValidator(_github_repository)]
KubernetesVersion = Annotated[str, AfterValidator(_kubernetes_version)]
AddonVersion = Annotated[str, AfterValidator(_addon_version)]
ImageDigest = Annotated[str, AfterValidator(_image_digest)]
RegistryHost = Annotated[str, AfterValidator(_registry_host)]
Port = Annotated[int, Field(ge=1, le=65535)]

# Kubernetes quantities, in the forms this platform accepts (no exponents, no decimal SI suffixes for memory).
CPU_RE = re.compile(r"^(?P<milli>[1-9][0-9]*)m$|^(?P<cores>[0-9]+(\.[0-9]{1,3})?)$")
MEMORY_RE = re.compile(r"^(?P<amount>[1-9][0-9]*)(?P<unit>Ki|Mi|Gi)$")
HTTP_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/-]*$")


def cpu_millicores(value: str) -> int:
    match = CPU_RE.match(value)
    if not match:
        raise ValueError(f"expected a CPU quantity such as '250m' or '1', got {value!r}")
    if match.group("milli"):
        return int(match.group("milli"))
    return round(float(match.group("cores")) * 1000)


def memory_bytes(value: str) -> int:
    match = MEMORY_RE.match(value)
    if not match:
        raise ValueError(f"expected a memory quantity such as '256Mi' or '1Gi', got {value!r}")
    return int(match.group("amount")) * {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}[match.group("unit")]


def _cpu(value: str) -> str:
    if cpu_millicores(value) <= 0:
        raise ValueError(f"expected a positive CPU quantity, got {value!r}")
    return value


def _memory(value: str) -> str:
    memory_bytes(value)
    return value


def _http_path(value: str) -> str:
    if not HTTP_PATH_RE.match(value):
        raise ValueError(f"expected an absolute HTTP path such as /readyz, got {value!r}")
    return value


Cpu = Annotated[str, AfterValidator(_cpu)]
Memory = Annotated[str, AfterValidator(_memory)]
HttpPath = Annotated[str, AfterValidator(_http_path)]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
    )


class NodeGroupSettings(_Model):
    """A managed node group of Bottlerocket nodes; a new `bottlerocketRelease` replaces the nodes."""

    name: DnsLabel
    """Node group name, unique in the cluster."""
    instance_types: Annotated[list[str], Field(min_length=1)]
    """EC2 instance types, at least one (for example m7i.large)."""
    min_size: Annotated[int, Field(ge=0)]
    desired_size: Annotated[int, Field(ge=0)]
    max_size: Annotated[int, Field(ge=1)]
    bottlerocket_release: BottlerocketRelease
    """Pinned Bottlerocket release (`releaseVersion`); required so that nodes never float."""
    metadata_hop_limit: Annotated[int, Field(ge=1, le=1)] = 1
    """IMDSv2 PUT response hop limit. Only 1 is accepted: pods must not reach the node's credentials."""
    disk_size_gib: Annotated[int, Field(ge=20, le=16384)] = 50
    """Size of the encrypted data volume in GiB."""
    max_unavailable_percentage: Annotated[int, Field(ge=1, le=100)] = 33
    """At most this share of nodes is replaced at once when the release changes."""

    @property
    def architecture(self) -> Architecture:
        """The group's architecture (settings refuse groups that mix architectures)."""
        return instance_architecture(self.instance_types[0])


class AddonVersionSettings(_Model):
    """Per-stack overrides of the pinned add-on versions; an omitted key keeps the default for the cluster's
    Kubernetes version (settings.model.DEFAULT_ADDON_VERSIONS)."""

    vpc_cni: AddonVersion | None = None
    coredns: AddonVersion | None = None
    kube_proxy: AddonVersion | None = None
    """Must match the cluster's Kubernetes minor version (v1.33.x for 1.33)."""
    pod_identity_agent: AddonVersion | None = None


class ClusterSettings(_Model):
    """The EKS cluster; every default is the hardened choice."""

    name: DnsLabel
    kubernetes_version: KubernetesVersion
    vpc_cidr: VpcCidr
    public_endpoint_cidrs: list[PublicCidr] = []
    """Empty: the API endpoint is private only. Never 0.0.0.0/0 or ::/0."""
    admin_role_arns: Annotated[list[RoleArn], Field(min_length=1)]
    """IAM roles given cluster-admin through EKS access entries (no aws-auth ConfigMap)."""
    node_groups: Annotated[list[NodeGroupSettings], Field(min_length=1)]
    availability_zones: Annotated[int, Field(ge=2, le=6)] | None = None
    """How many AZs the VPC spans. Default: 3 in prod, 2 elsewhere; prod refuses fewer than 3."""
    log_retention_days: Annotated[int, Field(ge=1)] | None = None
    """Retention of control-plane and flow logs. Default: 365 in prod, 90 elsewhere."""
    detective_controls: bool | None = None
    """GuardDuty with EKS audit-log and runtime monitoring. Default: on in prod, off elsewhere."""
    addon_versions: AddonVersionSettings = AddonVersionSettings()
    """Pinned versions of vpc-cni, coredns, kube-proxy and the pod identity agent. Default: per Kubernetes version."""


class Rollout(_Model):
    """Blue-green slots: each pinned to a digest; `active` receives the traffic (Service `<name>`), the other
    slot is idle (Service `<name>-preview`): a release puts a new digest on the idle slot, a promote flips
    `active`, a rollback flips it back (`nhi rollout`, README: Releases)."""

    active: Slot
    """The live slot: `blue` or `green`."""
    blue: ImageDigest
    """Image of the blue slot, REGISTRY/REPOSITORY@sha256:<64 hex>."""
    green: ImageDigest
    """Image of the green slot, REGISTRY/REPOSITORY@sha256:<64 hex>."""
    idle_replicas: Annotated[int, Field(ge=0, le=500)] | None = None
    """Replicas kept on the idle slot, at most `replicas`. Default: full size in prod (a rollback is a
    selector flip), 1 elsewhere. 0 saves the pods but drops the health gate (nothing runs to test) and makes
    a rollback wait for the old slot to start."""

    @property
    def idle(self) -> Slot:
        """The slot that receives releases and that the preview Service selects."""
        return self.active.other

    def image(self, slot: Slot) -> str:
        return self.blue if slot is Slot.BLUE else self.green


class RolloutGate(_Model):
    """The health gate of every workload's rollout: a Job per slot that smoke-tests the idle slot through the
    preview Service before traffic may move to it (`components.rollout`)."""

    image: ImageDigest
    """The gate's image, by digest from an allowed registry. It must provide `curl` (HTTP GET of the
    readiness path, for `probe: http`) and `nc` with `-z` (TCP connect, for `probe: tcp`) on its PATH, and
    run as any non-root user with a read-only root filesystem."""


class AccessGrant(_Model):
    """AWS permissions of a workload: one service, one level, named resources. Services, levels and the
    ARN each service takes come from `components.access_catalog` (checked in `settings.crosscheck`)."""

    service: str
    level: str
    resources: Annotated[list[str], Field(min_length=1)]


def _check_peer(workload: str | None, cidr: str | None, *, key: str, direction: str) -> None:
    """A flow names exactly one peer: a workload or an address range, never the whole internet."""
    if (workload is None) == (cidr is None):
        raise ValueError(f"expected exactly one of '{key}' (a workload) or 'cidr' (an address range), with 'port'")
    if cidr is not None and ipaddress.ip_network(cidr).prefixlen == 0:
        raise ValueError(f"{direction} the whole internet ({cidr}) is refused: name the range you need")


class IngressFlow(_Model):
    """Either `from` (a workload of this stack) or `cidr` (for example the VPC, for a load balancer), and a port."""

    from_: Annotated[DnsLabel | None, Field(alias="from")] = None
    cidr: Cidr | None = None
    port: Port

    @model_validator(mode="after")
    def _exactly_one_source(self) -> IngressFlow:
        _check_peer(self.from_, self.cidr, key="from", direction="ingress from")
        return self


class EgressFlow(_Model):
    """Either `to` (a workload of this stack) or `cidr` (an address range outside the cluster), and a port."""

    to: DnsLabel | None = None
    cidr: Cidr | None = None
    port: Port

    @model_validator(mode="after")
    def _exactly_one_target(self) -> EgressFlow:
        _check_peer(self.to, self.cidr, key="to", direction="egress to")
        return self


class ComputeResources(_Model):
    """Requests and limits of the workload's container; every pod gets both (no unbounded pods)."""

    cpu_request: Cpu = "100m"
    cpu_limit: Cpu = "500m"
    memory_request: Memory = "128Mi"
    memory_limit: Memory = "256Mi"

    @model_validator(mode="after")
    def _requests_within_limits(self) -> ComputeResources:
        if cpu_millicores(self.cpu_request) > cpu_millicores(self.cpu_limit):
            raise ValueError(f"expected cpuRequest <= cpuLimit, got {self.cpu_request} > {self.cpu_limit}")
        if memory_bytes(self.memory_request) > memory_bytes(self.memory_limit):
            raise ValueError(f"expected memoryRequest <= memoryLimit, got {self.memory_request} > {self.memory_limit}")
        return self


class HealthChecks(_Model):
    """Readiness and liveness probes on the workload's port: HTTP paths, or a TCP connect."""

    probe: ProbeKind = ProbeKind.HTTP
    readiness_path: HttpPath = "/readyz"
    """HTTP path that answers 2xx when the pod may receive traffic (ignored for `probe: tcp`)."""
    liveness_path: HttpPath = "/livez"
    """HTTP path that answers 2xx while the process is healthy (ignored for `probe: tcp`)."""


class WorkloadSettings(_Model):
    """A service: one ServiceAccount, one IAM role, hardened pods, declared flows only."""

    name: DnsLabel
    namespace: DnsLabel
    port: Port
    replicas: Annotated[int, Field(ge=1, le=500)]
    identity: IdentityMode = IdentityMode.POD_IDENTITY
    rollout: Rollout
    access: list[AccessGrant] = []
    ingress: list[IngressFlow] = []
    egress: list[EgressFlow] = []
    kubernetes_api_access: bool = False
    """Mount a service-account token (only for workloads that call the Kubernetes API; the API endpoint
    must then be declared as an egress CIDR flow on port 443, default-deny applies to it too)."""
    resources: ComputeResources = ComputeResources()
    """CPU and memory requests and limits of the container."""
    health: HealthChecks = HealthChecks()
    """Readiness and liveness probes."""
    run_as_user: Annotated[int, Field(ge=1000, le=2147483647)] = 10001
    """Numeric user (and group) the container runs as; never root, never a system user."""


class CiSettings(_Model):
    """The pipeline's identity: which GitHub repository's Actions may preview and deploy this stack, keyless."""

    org: GitHubOwner
    """The GitHub organisation (or user) that owns the repository, spelled as GitHub shows it."""
    repository: GitHubRepository
    """The repository name, without the owner."""
    environments: Annotated[list[Environment], Field(min_length=1)]
    """GitHub environments in promotion order, each named after an nhi-platform environment; this stack's deploy
    role trusts only the one named after its own environment."""
    oidc_provider: OidcProviderMode
    """`create` in at most one stack per account, `existing` elsewhere: IAM has one provider per URL and account,
    so the stack file says which stack owns it (many accounts have it already, from a landing zone)."""

    @model_validator(mode="after")
    def _environments_once(self) -> CiSettings:
        seen = [e.value for e in self.environments]
        repeated = sorted({e for e in seen if seen.count(e) > 1})
        if repeated:
            raise ValueError(
                f"expected each environment once in the promotion order, got {', '.join(repeated)} repeated"
            )
        return self

    def environment_subject(self, environment: Environment) -> str:
        """The OIDC `sub` of a job that runs in a GitHub environment: the only subject a deploy role trusts."""
        return f"repo:{self.org}/{self.repository}:environment:{environment.value}"

    @property
    def pull_request_subject(self) -> str:
        """The OIDC `sub` of a job run for a pull request: the only subject the preview role trusts."""
        return f"repo:{self.org}/{self.repository}:pull_request"


class ProviderDefaultTags(_Model):
    """`aws:defaultTags`: tags the AWS provider puts on every resource of the stack."""

    tags: dict[str, str]


# Every AWS resource of a stack carries its environment under this key (through `aws:defaultTags`): the
# pipeline's grants create only resources tagged so and change only resources tagged so.
ENVIRONMENT_TAG = "nhi-platform/environment"


def partition_of(region: str) -> str:
    """The AWS partition of a region, for ARNs built before any resource exists."""
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def ci_role_names(environment: Environment) -> tuple[str, str]:
    """(deploy, preview) role names of a stack's pipeline identity, under CI_ROLE_PATH."""
    return f"{environment.value}-deploy", f"{environment.value}-preview"


def ci_role_arn(*, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition_of(region)}:iam::{account_id}:role{CI_ROLE_PATH}{name}"


class StackSettings(_Model):
    """The whole stack: the only object components are built from."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, populate_by_name=True)

    region: Annotated[str, Field(alias="aws:region")]
    allowed_account_ids: Annotated[list[str], Field(alias="aws:allowedAccountIds", min_length=1, max_length=1)]
    environment: Annotated[Environment, Field(alias=f"{PROJECT}:environment")]
    cluster: Annotated[ClusterSettings, Field(alias=f"{PROJECT}:cluster")]
    workloads: Annotated[list[WorkloadSettings], Field(alias=f"{PROJECT}:workloads")] = []
    allowed_registries: Annotated[list[RegistryHost], Field(alias=f"{PROJECT}:allowedRegistries")] = []
    """Registries images may come from. Default: this account's ECR registry in this region."""
    permissions_boundary_arn: Annotated[PolicyArn | None, Field(alias=f"{PROJECT}:permissionsBoundaryArn")] = None
    """A permissions boundary attached to every workload role, when set."""
    default_tags: Annotated[ProviderDefaultTags | None, Field(alias="aws:defaultTags")] = None
    """The AWS provider's default tags; with `nhi-platform:ci`, they carry the environment tag."""
    ci: Annotated[CiSettings | None, Field(alias=f"{PROJECT}:ci")] = None
    """The pipeline's identity (GitHub Actions OIDC). None: no pipeline roles; deploy from a workstation."""
    rollout_gate: Annotated[RolloutGate | None, Field(alias=f"{PROJECT}:rolloutGate")] = None
    """The health gate's image; required when the stack has workloads (settings.crosscheck)."""

    @property
    def account_id(self) -> str:
        return self.allowed_account_ids[0]

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD

    @property
    def registries(self) -> tuple[str, ...]:
        if self.allowed_registries:
            return tuple(self.allowed_registries)
        return (f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com",)

    @property
    def gate_image(self) -> str | None:
        """The rollout health gate's image (settings.crosscheck requires it when there are workloads)."""
        return self.rollout_gate.image if self.rollout_gate is not None else None

    @property
    def availability_zone_count(self) -> int:
        return self.cluster.availability_zones or (3 if self.is_prod else 2)

    @property
    def log_retention_days(self) -> int:
        return self.cluster.log_retention_days or (365 if self.is_prod else 90)

    @property
    def detective_controls(self) -> bool:
        return self.is_prod if self.cluster.detective_controls is None else self.cluster.detective_controls

    @property
    def partition(self) -> str:
        """The AWS partition of the region (ARNs of managed policies, key policies)."""
        return partition_of(self.region)

    @property
    def deletion_protection(self) -> bool:
        """EKS deletion protection: on in prod, so that a stray `destroy` cannot remove the cluster."""
        return self.is_prod

    @property
    def addon_versions(self) -> AddonVersions:
        chosen = self.cluster.addon_versions
        default = DEFAULT_ADDON_VERSIONS[self.cluster.kubernetes_version]
        return AddonVersions(
            vpc_cni=chosen.vpc_cni or default.vpc_cni,
            coredns=chosen.coredns or default.coredns,
            kube_proxy=chosen.kube_proxy or default.kube_proxy,
            pod_identity_agent=chosen.pod_identity_agent or default.pod_identity_agent,
        )

    @property
    def namespaces(self) -> tuple[str, ...]:
        """The application namespaces, sorted: one Kubernetes Namespace each."""
        return tuple(sorted({workload.namespace for workload in self.workloads}))

    @property
    def ci_deploy_role_arn(self) -> str | None:
        """The ARN of this stack's deploy role (known before it exists: its name and path are fixed)."""
        if self.ci is None:
            return None
        return ci_role_arn(region=self.region, account_id=self.account_id, name=ci_role_names(self.environment)[0])

    @property
    def ci_preview_role_arn(self) -> str | None:
        """The ARN of this stack's read-only preview role, for pull requests."""
        if self.ci is None:
            return None
        return ci_role_arn(region=self.region, account_id=self.account_id, name=ci_role_names(self.environment)[1])

    def idle_replicas(self, workload: WorkloadSettings) -> int:
        """Replicas of the idle slot: the workload's `rollout.idleReplicas`, else full size in prod, 1 elsewhere."""
        if workload.rollout.idle_replicas is not None:
            return workload.rollout.idle_replicas
        return workload.replicas if self.is_prod else 1


KNOWN_TOP_LEVEL_KEYS = frozenset(field.alias for field in StackSettings.model_fields.values() if field.alias)
