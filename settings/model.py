"""The typed shape of a stack file's `config:` section.

Every model is frozen and refuses unknown keys, so a typo is an error that names the key instead of a
setting silently ignored. Field-level rules live here; rules that relate several fields or several
workloads live in `settings.crosscheck`, so that both kinds are reported together.
"""

from __future__ import annotations

import ipaddress
import re
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
# GitHub's own rules: an owner is 1-39 letters, digits or single inner hyphens; a repository 1-100 letters, digits,
# '.', '_' or '-'. Neither admits '*' or '?', so the OIDC subject built from them can never be a pattern.
GITHUB_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")
GITHUB_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")

# The pipeline's identity (nhi-platform:ci): GitHub Actions' OIDC issuer and the audience AWS's STS expects.
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# Every role and policy of the pipeline lives under this path, so that grants and denies can name them all.
CI_ROLE_PATH = "/nhi-platform/ci/"

# Kubernetes versions in EKS standard support that this platform is tested against.
SUPPORTED_KUBERNETES_VERSIONS = ("1.31", "1.32", "1.33", "1.34")


class Environment(str, Enum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class IdentityMode(str, Enum):
    POD_IDENTITY = "pod-identity"
    IRSA = "irsa"


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
    def other(self) -> "Slot":
        return Slot.GREEN if self is Slot.BLUE else Slot.BLUE


def _dns_label(value: str) -> str:
    if not DNS_LABEL_RE.match(value):
        raise ValueError("expected a DNS label (lowercase letters, digits and '-', starting with a letter, "
                         f"at most 63 characters), got {value!r}")
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(f"expected a CIDR block such as 10.40.0.0/16, got {value!r}") from None
    return str(network)


def _public_cidr(value: str) -> str:
    value = _cidr(value)
    if ipaddress.ip_network(value).prefixlen == 0:
        raise ValueError(f"the API endpoint is never open to the whole internet: {value!r} is refused; "
                         "list the CIDRs of your offices or CI runners, or leave the list empty for a private endpoint")
    return value


def _vpc_cidr(value: str) -> str:
    value = _cidr(value)
    network = ipaddress.ip_network(value)
    if network.version != 4 or not 16 <= network.prefixlen <= 20 or not network.is_private:
        raise ValueError(f"expected a private IPv4 CIDR from /16 to /20 (room for 3 public and 3 private subnets), "
                         f"got {value!r}")
    return value


def _role_arn(value: str) -> str:
    if not ROLE_ARN_RE.match(value):
        raise ValueError(f"expected an IAM role ARN such as arn:aws:iam::111122223333:role/platform-admins, got {value!r}")
    return value


def _policy_arn(value: str) -> str:
    if not POLICY_ARN_RE.match(value):
        raise ValueError(f"expected a customer-managed IAM policy ARN such as "
                         f"arn:aws:iam::111122223333:policy/workload-boundary, got {value!r}")
    return value


def _github_owner(value: str) -> str:
    if len(value) > 39 or not GITHUB_OWNER_RE.match(value):
        raise ValueError(f"expected a GitHub organisation or user name (letters, digits and inner single '-', "
                         f"at most 39), got {value!r}")
    return value


def _github_repository(value: str) -> str:
    if not GITHUB_REPOSITORY_RE.match(value) or value in (".", ".."):
        raise ValueError(f"expected a GitHub repository name (letters, digits, '.', '_' and '-', at most 100), "
                         f"got {value!r}")
    return value


def _bottlerocket_release(value: str) -> str:
    if not BOTTLEROCKET_RELEASE_RE.match(value):
        raise ValueError(f"expected a pinned Bottlerocket release such as '1.41.0-2b4c1d53' (version-commit), "
                         f"got {value!r}")
    return value


def _kubernetes_version(value: str) -> str:
    if value not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(f"expected one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)} (as a quoted string), "
                         f"got {value!r}")
    return value


def _image_digest(value: str) -> str:
    if not DIGEST_REF_RE.match(value):
        raise ValueError("expected an image pinned by digest, REGISTRY/REPOSITORY@sha256:<64 hex>, "
                         f"got {value!r} (tags are mutable and are refused)")
    return value


def _registry_host(value: str) -> str:
    if not re.match(r"^[a-z0-9.-]+(:[0-9]+)?$", value):
        raise ValueError(f"expected a registry host such as 111122223333.dkr.ecr.eu-west-1.amazonaws.com, got {value!r}")
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
ImageDigest = Annotated[str, AfterValidator(_image_digest)]
RegistryHost = Annotated[str, AfterValidator(_registry_host)]
Port = Annotated[int, Field(ge=1, le=65535)]


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


class Rollout(_Model):
    """Blue-green slots: each pinned to a digest; `active` receives the traffic."""

    active: Slot
    blue: ImageDigest
    green: ImageDigest
    idle_replicas: Annotated[int, Field(ge=0)] | None = None
    """Replicas kept on the idle slot. Default: full size in prod (instant rollback), 1 elsewhere."""


class AccessGrant(_Model):
    """AWS permissions of a workload: one service, one level, named resources."""

    service: str
    level: str
    resources: Annotated[list[str], Field(min_length=1)]


class IngressFlow(_Model):
    """Either `from` (a workload of this stack) or `cidr` (for example the VPC, for a load balancer), and a port."""

    from_: Annotated[DnsLabel | None, Field(alias="from")] = None
    cidr: Cidr | None = None
    port: Port

    @model_validator(mode="after")
    def _exactly_one_source(self) -> "IngressFlow":
        if (self.from_ is None) == (self.cidr is None):
            raise ValueError("expected exactly one of 'from' (a workload) or 'cidr' (an address range), with 'port'")
        if self.cidr is not None and ipaddress.ip_network(self.cidr).prefixlen == 0:
            raise ValueError(f"ingress from the whole internet ({self.cidr}) is refused: name the range you need")
        return self


class EgressFlow(_Model):
    """Either `to` (a workload of this stack) or `cidr` (an address range outside the cluster), and a port."""

    to: DnsLabel | None = None
    cidr: Cidr | None = None
    port: Port

    @model_validator(mode="after")
    def _exactly_one_target(self) -> "EgressFlow":
        if (self.to is None) == (self.cidr is None):
            raise ValueError("expected exactly one of 'to' (a workload) or 'cidr' (an address range), with 'port'")
        if self.cidr is not None and ipaddress.ip_network(self.cidr).prefixlen == 0:
            raise ValueError(f"egress to the whole internet ({self.cidr}) is refused: name the range you need")
        return self


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
    """Mount a service-account token (only for workloads that call the Kubernetes API)."""


class CiSettings(_Model):
    """The pipeline's identity: which GitHub repository's Actions may preview and deploy this stack, keyless."""

    org: GitHubOwner
    """The GitHub organisation (or user) that owns the repository, spelled as GitHub shows it."""
    repository: GitHubRepository
    """The repository name, without the owner."""
    environments: Annotated[list[Environment], Field(min_length=1)]
    """GitHub environments in promotion order, each named after an nhi-platform environment; this stack's deploy
    role trusts only the one named after its own environment."""
    oidc_provider: OidcProviderMode = OidcProviderMode.CREATE
    """`create` in one stack per account, `existing` in the others (IAM has one provider per URL and account)."""

    @model_validator(mode="after")
    def _environments_once(self) -> "CiSettings":
        seen = [e.value for e in self.environments]
        repeated = sorted({e for e in seen if seen.count(e) > 1})
        if repeated:
            raise ValueError(f"expected each environment once in the promotion order, got {', '.join(repeated)} repeated")
        return self

    def environment_subject(self, environment: Environment) -> str:
        """The OIDC `sub` of a job that runs in a GitHub environment: the only subject a deploy role trusts."""
        return f"repo:{self.org}/{self.repository}:environment:{environment.value}"

    @property
    def pull_request_subject(self) -> str:
        """The OIDC `sub` of a job run for a pull request: the only subject the preview role trusts."""
        return f"repo:{self.org}/{self.repository}:pull_request"


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
    ci: Annotated[CiSettings | None, Field(alias=f"{PROJECT}:ci")] = None
    """The pipeline's identity (GitHub Actions OIDC). None: no pipeline roles; deploy from a workstation."""

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
    def availability_zone_count(self) -> int:
        return self.cluster.availability_zones or (3 if self.is_prod else 2)

    @property
    def log_retention_days(self) -> int:
        return self.cluster.log_retention_days or (365 if self.is_prod else 90)

    @property
    def detective_controls(self) -> bool:
        return self.is_prod if self.cluster.detective_controls is None else self.cluster.detective_controls

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
        if workload.rollout.idle_replicas is not None:
            return workload.rollout.idle_replicas
        return workload.replicas if self.is_prod else 1


KNOWN_TOP_LEVEL_KEYS = frozenset(
    field.alias for field in StackSettings.model_fields.values() if field.alias
)
