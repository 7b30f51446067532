"""The typed shape of a stack file's `config:` section, and the component arguments it builds.

Every model is frozen and refuses unknown keys, so a typo is an error that names the key instead of a setting
silently ignored. Every field is documented where it is declared (its docstring is its description in the JSON
schema, from which docs/reference/settings.md is made). Field-level rules live here and in `settings.fields`;
rules that relate several fields or several workloads live in `settings.crosscheck`, so that both kinds are
reported together.

Settings build what the components take, and nothing else does: `StackSettings.cluster_args()` and its siblings
return each component's own Args, so `__main__.py` only wires. The enums and value types the components own
(IdentityMode, Slot, ComputeResources...) are used here as they are, never copied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, TypeVar

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from components.addons import AddonVersions
from components.admission import AdmissionArgs, AllowedIdentity, AllowedImage, NamespaceAllowList, PodEntry
from components.cluster import ClusterArgs
from components.cluster_dns_policy import ClusterDnsPolicyArgs
from components.deployer_identity import (
    ENVIRONMENT_TAG,
    DeployerIdentityArgs,
    Environment,
    OidcProviderMode,
    ci_role_arn,
    ci_role_names,
)
from components.detective import DetectiveControlsArgs
from components.identifiers import partition_of
from components.identity import IdentityMode
from components.namespaces import NamespacesArgs
from components.network import InternetEgress
from components.network_policies import Peer
from components.node_group import AmiType, Architecture, NodeGroupOptions, instance_architecture
from components.pods import DIGEST_REF_RE as DIGEST_REF_RE  # re-exported: `nhi rollout` reads it here
from components.pods import ComputeResources, HealthChecks
from components.rollout import Slot, gate_service_account_name
from components.runner import ComputeType, DeploymentRunnerArgs, runner_project_name
from components.state_backend import StateBackend
from components.values import Value
from components.workload import WorkloadArgs
from components.workloads import WorkloadsArgs
from nhi_rules.lib.addresses import LIMIT, VERSIONS, Ranges

from .errors import join_path
from .fields import (
    AccountId,
    AddonVersion,
    BottlerocketRelease,
    Cidr,
    ConnectionArn,
    DnsLabel,
    GitHubOwner,
    GitHubRepository,
    ImageDigest,
    KmsKeyArn,
    PolicyArn,
    Port,
    PublicCidrs,
    Region,
    RegistryHost,
    RoleArn,
    S3BucketName,
    StatePrefix,
    VpcCidr,
    internet_problem,
)

RevocationTime = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]
"""A revocation time as `nhi revoke` writes it and IAM's DateLessThan compares it: ISO 8601, UTC, seconds."""

PROJECT = "nhi-platform"
# The keys of a stack file's `config:` that settings read, each into one StackSettings field.
REGION = "aws:region"
ALLOWED_ACCOUNT_IDS = "aws:allowedAccountIds"
DEFAULT_TAGS = "aws:defaultTags"
ENVIRONMENT = f"{PROJECT}:environment"
CLUSTER = f"{PROJECT}:cluster"
WORKLOADS = f"{PROJECT}:workloads"
ALLOWED_REGISTRIES = f"{PROJECT}:allowedRegistries"
PERMISSIONS_BOUNDARY_ARN = f"{PROJECT}:permissionsBoundaryArn"
CI = f"{PROJECT}:ci"
ROLLOUT_GATE = f"{PROJECT}:rolloutGate"
RUNNER = f"{PROJECT}:runner"
VPC_ENDPOINTS = f"{PROJECT}:vpcEndpoints"

# Defaults per Kubernetes version: the EKS User Guide's "latest version" tables (vpc-cni, CoreDNS, kube-proxy)
# and the pod identity agent release of the same period. Pinned so that an `up` never upgrades an add-on by
# itself; bump them here (or per stack with `cluster.addonVersions`) and let the preview show the change.
DEFAULT_ADDON_VERSIONS: Mapping[str, AddonVersions] = {
    "1.34": AddonVersions("v1.20.4-eksbuild.1", "v1.12.4-eksbuild.1", "v1.34.1-eksbuild.2", "v1.3.9-eksbuild.3"),
}
# Kubernetes versions in EKS standard support that this platform is tested against: those with verified add-on
# versions. The EKS calendar ends standard support for 1.31-1.33 by 2026-07-29 and for 1.34 on 2026-12-02: add
# 1.35 (with its add-on versions above) before then.
SUPPORTED_KUBERNETES_VERSIONS = tuple(DEFAULT_ADDON_VERSIONS)


def _kubernetes_version(value: str) -> str:
    if value not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(
            f"expected one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)} (as a quoted string), got {value!r}"
        )
    return value


KubernetesVersion = Annotated[str, AfterValidator(_kubernetes_version)]


class _Model(BaseModel):
    """Frozen, strict, unknown keys refused, camelCase keys: the configuration of the components' value types that
    stack files spell (components.values.Value), so that both parse the same way."""

    model_config = Value.model_config


class NodeGroupSettings(_Model):
    """A managed node group of Bottlerocket nodes (`nodeGroups[]`); a new `bottlerocketRelease` replaces the nodes.

    Fixed, not settings: a launch template with no key pair and no remote access, Bottlerocket user data with the
    admin and control host containers off and kernel lockdown `integrity`, nodes in private subnets only, and a node
    role with `AmazonEKSWorkerNodePolicy` and `AmazonEC2ContainerRegistryPullOnly` only (never
    `AmazonEKS_CNI_Policy`: the VPC CNI has its own Pod Identity role)."""

    name: DnsLabel
    """Node group name, unique in the cluster; the node group is named `<cluster>-<name>`."""
    instance_types: Annotated[list[str], Field(min_length=1)]
    """EC2 instance types, at least one, of one architecture: Graviton types (`m7g`, `c6gn`, `t4g`...) select
    `BOTTLEROCKET_ARM_64`, others `BOTTLEROCKET_x86_64`; a group mixing both is refused (one AMI type per group)."""
    min_size: Annotated[int, Field(ge=0)]
    """Fewest nodes of the group (scaling bounds: minSize <= desiredSize <= maxSize)."""
    desired_size: Annotated[int, Field(ge=0)]
    """Nodes the group starts with, between minSize and maxSize."""
    max_size: Annotated[int, Field(ge=1)]
    """Most nodes of the group, at least minSize and desiredSize."""
    bottlerocket_release: BottlerocketRelease
    """Pinned Bottlerocket release, `X.Y.Z-<8 hex>`: the node group's `releaseVersion`, required so that nodes never
    float to a new AMI. Changing it replaces the nodes (bounded by `maxUnavailablePercentage`) and changes nothing
    else in the stack."""
    metadata_hop_limit: Annotated[int, Field(ge=1, le=1)] = 1
    """IMDSv2 PUT response hop limit. IMDSv2 is required (`httpTokens: required`) and only 1 is accepted, so pods
    cannot reach the node role's credentials."""
    disk_size_gib: Annotated[int, Field(ge=20, le=16384)] = 50
    """Size in GiB of Bottlerocket's data volume (`/dev/xvdb`: images, container storage). Both volumes are encrypted
    with a customer-managed key."""
    max_unavailable_percentage: Annotated[int, Field(ge=1, le=100)] = 33
    """`updateConfig`: at most this share of nodes is replaced at once when the release changes."""

    @property
    def architecture(self) -> Architecture:
        """The group's architecture (settings refuse groups that mix architectures)."""
        return instance_architecture(self.instance_types[0])

    def options(self) -> NodeGroupOptions:
        """The group as the cluster takes it (`ClusterArgs.node_groups`): `diskSizeGib` sizes its data volume, the
        instance types' architecture picks its AMI type."""
        return NodeGroupOptions(
            name=self.name,
            instance_types=self.instance_types,
            ami_type=AmiType.for_architecture(self.architecture),
            bottlerocket_release=self.bottlerocket_release,
            min_size=self.min_size,
            desired_size=self.desired_size,
            max_size=self.max_size,
            data_volume_gib=self.disk_size_gib,
            max_unavailable_percentage=self.max_unavailable_percentage,
            metadata_hop_limit=self.metadata_hop_limit,
        )


class AddonVersionSettings(_Model):
    """Per-stack overrides of the pinned EKS add-on versions, each `vX.Y.Z-eksbuild.N`; an omitted key keeps the
    default for the cluster's Kubernetes version (DEFAULT_ADDON_VERSIONS)."""

    vpc_cni: AddonVersion | None = None
    """vpc-cni version. Default: the pin for the cluster's Kubernetes version."""
    coredns: AddonVersion | None = None
    """CoreDNS version. Default: the pin for the cluster's Kubernetes version."""
    kube_proxy: AddonVersion | None = None
    """kube-proxy version; must match the cluster's Kubernetes minor version (v1.34.x for 1.34). Default: the pin for
    the cluster's Kubernetes version."""
    pod_identity_agent: AddonVersion | None = None
    """eks-pod-identity-agent version. Default: the pin for the cluster's Kubernetes version."""


class ClusterSettings(_Model):
    """The EKS cluster (`nhi-platform:cluster`); every default is the hardened choice, and unsafe values are refused,
    never widened.

    Fixed, not settings: deletion protection in prod, secrets envelope-encrypted with a rotated customer-managed key,
    one KMS key per use (secrets, logs, node volumes, images), Service CIDR `172.20.0.0/16`, and the VPC CNI enforcing
    NetworkPolicies in strict mode (every pod, CoreDNS included, is default-deny until a policy allows its traffic)."""

    name: DnsLabel
    """The EKS cluster name; also names the log group `/aws/eks/<name>/cluster` and prefixes every child resource."""
    kubernetes_version: KubernetesVersion
    """Kubernetes version, quoted (`"1.34"`). Pinned: an `up` never upgrades the control plane by itself. Only
    versions in EKS standard support (`upgradePolicy.supportType: STANDARD`)."""
    vpc_cidr: VpcCidr
    """Private IPv4 range of the VPC, /16 to /20: room for one large private subnet per AZ (pod IPs come from the VPC
    with the VPC CNI) and small public subnets for the NAT gateways."""
    public_endpoint_cidrs: PublicCidrs = []
    """Ranges the public API endpoint is open to, each /16 or narrower (IPv6 /48), together fewer public addresses
    than a /8 (IPv6 /32). Default: empty, the API endpoint is private only (`endpointPublicAccess: false`,
    `endpointPrivateAccess: true`). A listed range turns the public endpoint on for that range only. `0.0.0.0/0`,
    `::/0`, any range wider than /16 (e.g. two /1 halves) and ranges that add up to the internet (256 /16s) are
    refused, and so are ranges inside the VPC (the VPC uses the private endpoint). There is no separate on/off key."""
    admin_role_arns: Annotated[list[RoleArn], Field(min_length=1)]
    """IAM roles given cluster-admin, at least one, role names unique: each gets an EKS access entry with
    `AmazonEKSClusterAdminPolicy` (cluster scope). Authentication is `API` only (no aws-auth ConfigMap) and the
    creator gets no implicit admin (`bootstrapClusterCreatorAdminPermissions: false`): the identity that runs
    `pulumi up` must be one of these roles, or it cannot create the namespaces."""
    node_groups: Annotated[list[NodeGroupSettings], Field(min_length=1)]
    """Managed Bottlerocket node groups, at least one, names unique."""
    availability_zones: Annotated[int, Field(ge=2, le=6)] | None = None
    """AZs of the VPC (2 to 6), with one private subnet, public subnet and NAT gateway each. Default: 3 in prod,
    2 elsewhere; prod refuses fewer than 3."""
    log_retention_days: Annotated[int, Field(ge=1)] | None = None
    """Retention in days of the control-plane log group (all five types: api, audit, authenticator,
    controllerManager, scheduler) and of the VPC flow-log group, both KMS-encrypted. Default: 365 in prod,
    90 elsewhere."""
    detective_controls: bool | None = None
    """GuardDuty detector with `EKS_AUDIT_LOGS` and `RUNTIME_MONITORING` (agent add-on managed by GuardDuty).
    Default: on in prod, off elsewhere; prod refuses `false`. One detector per account and region: enable it in one
    stack per account."""
    addon_versions: AddonVersionSettings = AddonVersionSettings()
    """Pinned versions of vpc-cni, coredns, kube-proxy and the pod identity agent (keys `vpcCni`, `coredns`,
    `kubeProxy`, `podIdentityAgent`). Default: the pins for the Kubernetes version; an omitted key keeps its pin."""


class Rollout(_Model):
    """Blue-green slots: each pinned to a digest; `active` receives the traffic (Service `<name>`), the other
    slot is idle (Service `<name>-preview`): a release puts a new digest on the idle slot, a promote flips
    `active`, a rollback flips it back (`nhi rollout`)."""

    active: Slot
    """The live slot: `blue` or `green`."""
    blue: ImageDigest
    """Image of the blue slot, REGISTRY/REPOSITORY@sha256:<64 hex> from an allowed registry (tags are refused)."""
    green: ImageDigest
    """Image of the green slot, REGISTRY/REPOSITORY@sha256:<64 hex> from an allowed registry (tags are refused)."""
    idle_replicas: Annotated[int, Field(ge=0, le=500)] | None = None
    """Replicas kept on the idle slot, at most `replicas`. Default: full size in prod (a rollback is a selector
    flip), 1 elsewhere. 0 saves the pods but drops the health gate (nothing runs to test) and makes a rollback
    wait for the old slot to start."""

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
    """AWS permissions of a workload: one service, one level, named resources. Each level is the smallest action set
    for its use, scoped to the ARNs listed in `resources` (or ARNs derived from them: objects of a bucket, indexes of
    a table); no level uses a wildcard action or `Resource: "*"`. Services, levels and the ARN each service takes
    come from the access catalog (`components.access_catalog`, checked in `settings.crosscheck`)."""

    service: str
    """A service of the access catalog, such as `s3`, `dynamodb` or `sqs`."""
    level: str
    """A level of that service in the access catalog, such as `read` or `write`."""
    resources: Annotated[list[str], Field(min_length=1)]
    """The ARNs the level applies to, at least one: plain ARNs of that service, no wildcards, no object paths."""


def _check_peer(workload: str | None, cidr: str | None, *, key: str, direction: str) -> None:
    """A flow names exactly one peer: a workload or an address range, never the internet."""
    if (workload is None) == (cidr is None):
        raise ValueError(f"expected exactly one of '{key}' (a workload) or 'cidr' (an address range), with 'port'")
    if cidr is None:
        return
    reached = Ranges.of([cidr])
    for version in VERSIONS:
        if reached.is_whole_internet(version):
            raise ValueError(f"{direction} the whole internet ({cidr}) is refused: name the range you need")
        if reached.reaches_internet(version):
            raise ValueError(
                f"{direction} {cidr} is refused: it reaches {reached.reach(version)}, the internet ({LIMIT}); "
                "name the range you need"
            )


Flow = TypeVar("Flow", "IngressFlow", "EgressFlow")


def _flows_not_the_internet(flows: list[Flow]) -> list[Flow]:
    """The `cidr` flows together reach fewer public addresses than a /8 (IPv6 /32)."""
    internet_problem([flow.cidr for flow in flows if flow.cidr is not None], "name the ranges you need")
    return flows


class IngressFlow(_Model):
    """Either `from` (a workload of this stack) or `cidr` (for example the VPC, for a load balancer), and a port.
    Flows are declared at both ends, on the port the receiving workload listens on."""

    from_: Annotated[DnsLabel | None, Field(alias="from")] = None
    """A workload of this stack that may connect; it declares the matching egress `{to: <this workload>, port}`."""
    cidr: Cidr | None = None
    """An address range that may connect, such as the VPC for a load balancer; `0.0.0.0/0` is refused."""
    port: Port
    """The port of this workload the peer connects to: the workload's own `port`."""

    @model_validator(mode="after")
    def _exactly_one_source(self) -> IngressFlow:
        _check_peer(self.from_, self.cidr, key="from", direction="ingress from")
        return self


class EgressFlow(_Model):
    """Either `to` (a workload of this stack) or `cidr` (an address range outside the cluster), and a port.
    Flows are declared at both ends, on the port the receiving workload listens on."""

    to: DnsLabel | None = None
    """A workload of this stack to connect to; it declares the matching ingress `{from: <this workload>, port}`."""
    cidr: Cidr | None = None
    """An address range outside the cluster, such as the Kubernetes API endpoint's; `0.0.0.0/0` is refused."""
    port: Port
    """The port to connect to: for a workload, the port it listens on."""

    @model_validator(mode="after")
    def _exactly_one_target(self) -> EgressFlow:
        _check_peer(self.to, self.cidr, key="to", direction="egress to")
        return self


class WorkloadSettings(_Model):
    """A service (`nhi-platform:workloads[]`): one ServiceAccount, one IAM role, hardened pods in blue-green slots,
    declared flows only. Each becomes one non-human identity with exactly the access and the network reach it
    declares."""

    name: DnsLabel
    """The workload's ServiceAccount, Service and `app.kubernetes.io/name` label; unique across the stack (flows name
    workloads). `<other>-preview` and `<other>-gate` are refused: the rollout of `<other>` uses those names."""
    namespace: DnsLabel
    """An application namespace (never `default` or `kube-*`); each gets Pod Security `restricted`, default-deny
    network policies and DNS to kube-dns only."""
    port: Port
    """The port the container listens on (named `app`); the Services, probes and flows use it."""
    replicas: Annotated[int, Field(ge=1, le=500)]
    """Pods of the live slot."""
    identity: IdentityMode = IdentityMode.POD_IDENTITY
    """How pods get the role's credentials: `pod-identity` (default; the role trusts `pods.eks.amazonaws.com` for this
    cluster, namespace and service account only) or `irsa` (the role trusts the cluster's OIDC provider for
    `system:serviceaccount:<namespace>:<name>` and the STS audience)."""
    rollout: Rollout
    """Blue-green slots, each pinned to a digest, and which one is live."""
    access: list[AccessGrant] = []
    """AWS permissions of the workload's role, each a service and level of the access catalog on named resources.
    Default: none (the role exists with no permissions)."""
    ingress: Annotated[list[IngressFlow], AfterValidator(_flows_not_the_internet)] = []
    """Inbound flows; the other end declares the matching egress. Default: none (nothing may connect)."""
    egress: Annotated[list[EgressFlow], AfterValidator(_flows_not_the_internet)] = []
    """Outbound flows (DNS is always allowed); the other end declares the matching ingress. Default: none."""
    kubernetes_api_access: bool = False
    """Mount a service-account token (only for workloads that call the Kubernetes API; the API endpoint
    must then be declared as an egress CIDR flow on port 443, default-deny applies to it too). Default: no token."""
    resources: ComputeResources = ComputeResources()
    """CPU and memory requests and limits of the container. Default: 100m/500m CPU, 128Mi/256Mi memory."""
    health: HealthChecks = HealthChecks()
    """Readiness and liveness probes. Default: HTTP GET of /readyz and /livez (`probe: tcp` for non-HTTP servers)."""
    run_as_user: Annotated[int, Field(ge=1000, le=2147483647)] = 10001
    """Numeric user (and group) the container runs as; never root, never a system user."""
    revoke_sessions_before: RevocationTime | None = None
    """Written by `nhi revoke` (docs/audit.md): sessions of the workload's role issued before this time
    (`YYYY-MM-DDTHH:MM:SSZ`, UTC) are denied every action (AWS's deny-older-sessions policy), and the pods are
    replaced so that they start with fresh sessions. Default: none."""


class StateBackendSettings(_Model):
    """A self-managed Pulumi backend in S3 with an AWS KMS secrets provider (`nhi-platform:ci.stateBackend`), reached
    with the pipeline's own roles (docs/ci.md): the deploy role may read and write this stack's state objects and
    take its lock (`.pulumi/stacks/<project>/<stack>.json*`, its history, backups and locks), the preview role may
    only read them (a preview takes no lock and writes nothing); both read `.pulumi/meta.yaml`, may list only the
    prefixes the CLI lists, and decrypt with the key. Set `PULUMI_BACKEND_URL` to `s3://<bucket>/<prefix>?region=...`
    to match."""

    bucket: S3BucketName
    """The backend's S3 bucket (private, versioned, encrypted), by name."""
    prefix: StatePrefix | None = None
    """The path of the backend URL (`s3://<bucket>/<prefix>`) without leading or trailing `/`, when the state lives
    under one. Default: none (the bucket's root)."""
    secrets_key_arn: KmsKeyArn
    """The KMS key of the stacks' `awskms://` secrets provider, by key ARN (not an alias), in this stack's account and
    region. If the bucket's default encryption is SSE-KMS, use this key: S3 may then use it for the deploy role."""


class CiSettings(_Model):
    """The pipeline's identity: which GitHub repository's Actions may preview and deploy this stack, keyless."""

    org: GitHubOwner
    """The GitHub organisation (or user) that owns the repository, spelled as GitHub shows it (the OIDC subject is
    case-sensitive)."""
    repository: GitHubRepository
    """The repository name, without the owner."""
    environments: Annotated[list[Environment], Field(min_length=1)]
    """GitHub environments in promotion order, each named after an nhi-platform environment; must hold this stack's
    own: its deploy role trusts only the GitHub environment named after its environment."""
    revoke_sessions_before: RevocationTime | None = None
    """Written by `nhi revoke --pipeline` (docs/audit.md): sessions of the deploy and preview roles issued before
    this time (`YYYY-MM-DDTHH:MM:SSZ`, UTC) are denied every action. Default: none."""
    oidc_provider: OidcProviderMode
    """`create` in at most one stack per account, `existing` elsewhere: IAM has one provider per URL and account,
    so the stack file says which stack owns it (many accounts have it already, from a landing zone)."""
    state_backend: StateBackendSettings | None = None
    """A self-managed S3 backend: the pipeline's roles are granted this stack's state and its secrets key. Default:
    none (Pulumi Cloud, reached by OIDC token exchange)."""

    @model_validator(mode="after")
    def _environments_once(self) -> CiSettings:
        seen = [e.value for e in self.environments]
        repeated = sorted({e for e in seen if seen.count(e) > 1})
        if repeated:
            raise ValueError(
                f"expected each environment once in the promotion order, got {', '.join(repeated)} repeated"
            )
        return self


class RunnerSettings(_Model):
    """The in-VPC deployment runner (`nhi-platform:runner`): AWS CodeBuild-hosted GitHub Actions runners in the
    cluster's VPC, one fresh container per queued job, for the jobs that reach the private API endpoint (docs/ci.md).
    The project is `nhi-platform-<environment>-deploy`; jobs select it with
    `runs-on: codebuild-nhi-platform-<environment>-deploy-${{ github.run_id }}-${{ github.run_attempt }}`.

    Fixed, not settings: the runner subnets (one per AZ, the only subnets with a route to the internet, through NAT),
    a security group with no ingress that sends HTTPS only, an ingress rule on the API endpoint's security group for
    it, a KMS-encrypted log group, and a role under the pipeline's path that may write the runner's logs, pull its
    image, manage its build's network interfaces and read the connection's token, nothing else. Requires
    `nhi-platform:ci` (the repository whose jobs start runners)."""

    connection_arn: ConnectionArn
    """The CodeConnections connection to GitHub (`arn:aws:codeconnections:REGION:ACCOUNT:connection/<uuid>`), created
    once per account by an administrator and authorised in the console (a new connection is PENDING)."""
    image: ImageDigest
    """The runner's build image by digest, from this account's ECR: Linux with git, make,
    Python 3.11 and Node.js for JavaScript actions (CodeBuild's standard image, mirrored and pinned, serves)."""
    compute_type: ComputeType = ComputeType.MEDIUM
    """The build container's size: `BUILD_GENERAL1_SMALL`, `BUILD_GENERAL1_MEDIUM` (default) or
    `BUILD_GENERAL1_LARGE`."""


class VpcEndpointSettings(_Model):
    """The VPC endpoints (`nhi-platform:vpcEndpoints`). The node subnets have no route to the internet: the nodes, the
    Pod Identity agent, the workloads and the runner reach AWS through interface endpoints for ECR (api, dkr), STS,
    CloudWatch Logs, EC2, EKS and EKS Auth, a gateway endpoint for S3, and one endpoint per service the workloads'
    `access` names (gateway for DynamoDB). Each endpoint's policy admits only this account's principals calling
    this account's resources (`aws:PrincipalAccount`, `aws:ResourceAccount`), plus the EKS add-on images of AWS's
    registry for the region and ECR's layer bucket."""

    image_registry_accounts: list[AccountId] = []
    """Further AWS-owned registry accounts whose images the nodes pull, such as the GuardDuty runtime agent's for
    the region (GuardDuty User Guide, "Amazon ECR repository hosting GuardDuty agent"). Default: none."""


class ProviderDefaultTags(_Model):
    """`aws:defaultTags`: tags the AWS provider puts on every resource of the stack."""

    tags: dict[str, str]
    """Tag key to value. With `nhi-platform:ci`, `nhi-platform/environment` must be this stack's environment: the
    pipeline creates and changes only resources tagged with their environment."""


class StackSettings(_Model):
    """The whole stack: the only object components are built from."""

    # Keys of other namespaces pass through; an unknown `nhi-platform:` key is reported by `settings.parse_config`.
    model_config = ConfigDict(extra="ignore")

    region: Annotated[Region, Field(alias=REGION)]
    """The AWS region of the stack."""
    allowed_account_ids: Annotated[list[str], Field(alias=ALLOWED_ACCOUNT_IDS, min_length=1, max_length=1)]
    """The stack's account, as a list of one 12-digit string: the AWS provider refuses credentials of any other."""
    environment: Annotated[Environment, Field(alias=ENVIRONMENT)]
    """`dev`, `staging` or `prod`: sets the hardened defaults that differ per environment (availability zones, log
    retention, detective controls, deletion protection, idle replicas)."""
    cluster: Annotated[ClusterSettings, Field(alias=CLUSTER)]
    """The EKS cluster."""
    workloads: Annotated[list[WorkloadSettings], Field(alias=WORKLOADS)] = []
    """The workloads. Default: none."""
    allowed_registries: Annotated[list[RegistryHost], Field(alias=ALLOWED_REGISTRIES)] = []
    """Registry hosts images may come from. Default: this account's ECR registry in this region."""
    permissions_boundary_arn: Annotated[PolicyArn | None, Field(alias=PERMISSIONS_BOUNDARY_ARN)] = None
    """A customer-managed policy attached as the permissions boundary of every workload role (and required on every
    role the pipeline creates). Default: none."""
    default_tags: Annotated[ProviderDefaultTags | None, Field(alias=DEFAULT_TAGS)] = None
    """The AWS provider's default tags; with `nhi-platform:ci`, they carry the environment tag. Default: none."""
    ci: Annotated[CiSettings | None, Field(alias=CI)] = None
    """The pipeline's identity (GitHub Actions OIDC). Default: none, no pipeline roles; deploy from a workstation."""
    runner: Annotated[RunnerSettings | None, Field(alias=RUNNER)] = None
    """The in-VPC deployment runner for the jobs that reach the private API endpoint. Default: none (no route to the
    internet anywhere in the VPC; the pack requires a runner when the endpoint is private and the stack manages
    Kubernetes objects)."""
    vpc_endpoints: Annotated[VpcEndpointSettings, Field(alias=VPC_ENDPOINTS)] = VpcEndpointSettings()
    """The VPC endpoints' extra registry accounts. Default: the base endpoints and the workloads' services."""
    rollout_gate: Annotated[RolloutGate | None, Field(alias=ROLLOUT_GATE)] = None
    """`{image: REGISTRY/REPOSITORY@sha256:…}`: the image of the health gate that smoke-tests every release.
    Required when the stack has workloads (settings.crosscheck)."""

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

    @property
    def runner_project_name(self) -> str | None:
        """The CodeBuild project of this stack's deployment runner (workflows name it in `runs-on`)."""
        return runner_project_name(self.environment) if self.runner is not None else None

    @property
    def endpoint_services(self) -> tuple[str, ...]:
        """The AWS services the workloads' access names, sorted: each gets a VPC endpoint."""
        return tuple(sorted({grant.service for workload in self.workloads for grant in workload.access}))

    def idle_replicas(self, workload: WorkloadSettings) -> int:
        """Replicas of the idle slot: the workload's `rollout.idleReplicas`, else full size in prod, 1 elsewhere."""
        if workload.rollout.idle_replicas is not None:
            return workload.rollout.idle_replicas
        return workload.replicas if self.is_prod else 1

    # --- What the components take ---------------------------------------------------------------------------------

    def resource_tags(self, stack_name: str) -> dict[str, str]:
        """Tags the program puts on the AWS resources of its components: the stack's name and environment."""
        return {f"{PROJECT}/stack": stack_name, ENVIRONMENT_TAG: self.environment.value}

    def cluster_args(self, tags: Mapping[str, str]) -> ClusterArgs:
        """The Cluster component's arguments: the cluster settings with this environment's defaults, and one image
        repository per workload."""
        return ClusterArgs(
            kubernetes_version=self.cluster.kubernetes_version,
            vpc_cidr=self.cluster.vpc_cidr,
            availability_zone_count=self.availability_zone_count,
            public_endpoint_cidrs=self.cluster.public_endpoint_cidrs,
            admin_role_arns=self.cluster.admin_role_arns,
            node_groups=[group.options() for group in self.cluster.node_groups],
            addon_versions=self.addon_versions,
            account_id=self.account_id,
            region=self.region,
            partition=self.partition,
            log_retention_days=self.log_retention_days,
            deletion_protection=self.deletion_protection,
            repositories=[workload.name for workload in self.workloads],
            internet_egress=InternetEgress.RUNNER_SUBNETS if self.runner is not None else InternetEgress.NONE,
            endpoint_services=self.endpoint_services,
            image_registry_accounts=self.vpc_endpoints.image_registry_accounts,
            tags=tags,
        )

    def namespaces_args(self) -> NamespacesArgs:
        """The Namespaces component's arguments: the workloads' namespaces, pinned to the cluster's version."""
        return NamespacesArgs(names=self.namespaces, kubernetes_version=self.cluster.kubernetes_version)

    def cluster_dns_policy_args(self, service_ipv4_cidr: str) -> ClusterDnsPolicyArgs:
        """The ClusterDnsPolicy component's arguments: CoreDNS serves the workloads' namespaces."""
        return ClusterDnsPolicyArgs(
            client_namespaces=self.namespaces, vpc_cidr=self.cluster.vpc_cidr, service_ipv4_cidr=service_ipv4_cidr
        )

    def detective_controls_args(self, tags: Mapping[str, str]) -> DetectiveControlsArgs | None:
        """The DetectiveControls component's arguments, or None when this stack leaves GuardDuty alone."""
        return DetectiveControlsArgs(tags=tags) if self.detective_controls else None

    def workloads_args(
        self,
        *,
        cluster_name: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        oidc_provider_arn: pulumi.Input[str],
        oidc_issuer_url: pulumi.Input[str],
        namespace_outputs: Mapping[str, pulumi.Input[str]],
        admitted_after: Mapping[str, Sequence[pulumi.Resource]] | None = None,
    ) -> WorkloadsArgs:
        """The Workloads component's arguments: each workload with its flows by workload name resolved to peers in
        that workload's namespace, and the cluster's identity plumbing."""
        namespaces = {w.name: w.namespace for w in self.workloads}
        outputs = dict(namespace_outputs)

        def workload(w: WorkloadSettings) -> WorkloadArgs:
            return WorkloadArgs(
                name=w.name,
                namespace=w.namespace,
                namespace_output=outputs.get(w.namespace),
                admitted_after=tuple((admitted_after or {}).get(w.namespace, ())),
                port=w.port,
                images={slot: w.rollout.image(slot) for slot in Slot},
                active=w.rollout.active,
                replicas=w.replicas,
                idle_replicas=self.idle_replicas(w),
                allowed_registries=self.registries,
                gate_image=self.gate_image,
                account_id=self.account_id,
                cluster_name=cluster_name,
                cluster_arn=cluster_arn,
                oidc_provider_arn=oidc_provider_arn,
                oidc_issuer_url=oidc_issuer_url,
                identity=w.identity,
                grants=tuple(w.access),
                permissions_boundary_arn=self.permissions_boundary_arn,
                ingress=tuple(
                    Peer(port=f.port, workload=f.from_, namespace=namespaces.get(f.from_ or ""), cidr=f.cidr)
                    if f.from_
                    else Peer(port=f.port, cidr=f.cidr)
                    for f in w.ingress
                ),
                egress=tuple(
                    Peer(port=f.port, workload=f.to, namespace=namespaces.get(f.to or ""))
                    if f.to
                    else Peer(port=f.port, cidr=f.cidr)
                    for f in w.egress
                ),
                resources=w.resources,
                health=w.health,
                run_as_user=w.run_as_user,
                kubernetes_api_access=w.kubernetes_api_access,
                revoke_sessions_before=w.revoke_sessions_before,
            )

        return WorkloadsArgs(workloads=tuple(workload(w) for w in self.workloads), namespace_outputs=outputs)

    def admission_args(self, namespace_outputs: Mapping[str, pulumi.Input[str]]) -> AdmissionArgs:
        """The Admission component's arguments: per workload namespace, each workload's service account with the
        digests of its two slots, and its gate's service account with the gate image (when releases are gated),
        each image with the stack-file key that declares it; in prod nobody enters a running pod."""
        found: dict[str, list[AllowedIdentity]] = {namespace: [] for namespace in self.namespaces}
        for index, w in enumerate(self.workloads):
            slots = tuple(
                AllowedImage(
                    entry=slot.value,
                    image=w.rollout.image(slot),
                    stack_key=join_path((WORKLOADS, index, "rollout", slot.value)),
                )
                for slot in Slot
            )
            found[w.namespace].append(AllowedIdentity(service_account=w.name, images=slots))
            if self.idle_replicas(w) > 0 and self.gate_image is not None:
                gate = AllowedImage(entry="gate", image=self.gate_image, stack_key=join_path((ROLLOUT_GATE, "image")))
                found[w.namespace].append(
                    AllowedIdentity(service_account=gate_service_account_name(w.name), images=(gate,))
                )
        return AdmissionArgs(
            namespaces=tuple(
                NamespaceAllowList(namespace=namespace, identities=tuple(identities))
                for namespace, identities in found.items()
            ),
            pod_entry=PodEntry.DENIED if self.is_prod else PodEntry.ALLOWED,
            namespace_outputs=dict(namespace_outputs),
        )

    def deployer_identity_args(self, tags: Mapping[str, str]) -> DeployerIdentityArgs | None:
        """The DeployerIdentity component's arguments (the pipeline's roles), or None without `nhi-platform:ci`."""
        if self.ci is None:
            return None
        return DeployerIdentityArgs(
            org=self.ci.org,
            repository=self.ci.repository,
            environment=self.environment,
            account_id=self.account_id,
            region=self.region,
            partition=self.partition,
            cluster_name=self.cluster.name,
            cluster_admin_role_arns=self.cluster.admin_role_arns,
            oidc_provider=self.ci.oidc_provider,
            role_boundary_arn=self.permissions_boundary_arn,
            detective_controls=self.detective_controls,
            tags=tags,
            revoke_sessions_before=self.ci.revoke_sessions_before,
            state_backend=self._state_backend(),
        )

    def _state_backend(self) -> StateBackend | None:
        """The stack's state in its self-managed backend: the project and stack names are the running program's."""
        backend = self.ci.state_backend if self.ci is not None else None
        if backend is None:
            return None
        return StateBackend(
            bucket=backend.bucket,
            prefix=backend.prefix or "",
            secrets_key_arn=backend.secrets_key_arn,
            project=pulumi.get_project(),
            stack=pulumi.get_stack(),
        )

    def runner_args(
        self,
        tags: Mapping[str, str],
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: list[pulumi.Output[str]],
        api_security_group_id: pulumi.Input[str],
        endpoint_security_group_id: pulumi.Input[str],
        log_key_arn: pulumi.Input[str],
    ) -> DeploymentRunnerArgs | None:
        """The DeploymentRunner component's arguments, or None without `nhi-platform:runner` (crosscheck requires
        `nhi-platform:ci` with it)."""
        if self.runner is None or self.ci is None:
            return None
        return DeploymentRunnerArgs(
            environment=self.environment,
            repository_url=f"https://github.com/{self.ci.org}/{self.ci.repository}",
            connection_arn=self.runner.connection_arn,
            image=self.runner.image,
            compute_type=self.runner.compute_type,
            vpc_id=vpc_id,
            subnet_ids=subnet_ids,
            api_security_group_id=api_security_group_id,
            endpoint_security_group_id=endpoint_security_group_id,
            log_key_arn=log_key_arn,
            log_retention_days=self.log_retention_days,
            account_id=self.account_id,
            region=self.region,
            partition=self.partition,
            tags=tags,
        )


KNOWN_TOP_LEVEL_KEYS = frozenset(field.alias for field in StackSettings.model_fields.values() if field.alias)
