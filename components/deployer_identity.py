"""The pipeline's identity: GitHub Actions federated into AWS through OIDC, so that no cloud key is stored anywhere.

One stack, one environment:
- the account's GitHub OIDC provider (created here, or trusted by its well-known ARN when it exists already:
  IAM allows one provider per URL and account);
- a deploy role that only a job running in the GitHub environment named after this stack's environment can
  assume (`StringEquals` on `aud` and on the exact `sub`, never a pattern);
- a read-only preview role for pull requests (`sub` = `repo:ORG/REPO:pull_request`), metadata reads only (and, with a
  self-managed S3 backend, the stack's own state and its secrets key: state_grants);
- a permissions boundary over both: a ceiling of exactly the pipeline's actions on the grants' resources, and
  denies no later attachment can lift (its own identity, other roles' boundaries, role chaining, unbounded roles).

What `pulumi up` of this program may do is written below as grants, one statement each, scoped by resource ARNs
(this account, region and cluster) and by the `nhi-platform/environment` tag that the provider puts on every
resource (`aws:defaultTags`): a resource this environment creates carries it (`aws:RequestTag`), and only such
a resource may be changed (`aws:ResourceTag`). Resource '*' appears only for actions that have no resource
types, pinned to the stack's region. Identities are not the pipeline's to change: roles, their policies and
Pod Identity associations only under the stack's permissions boundary (never without one); cluster access,
trust, OIDC providers and the pipeline's own identity only by an administrator's `pulumi up` (docs/ci.md).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pulumi
import pulumi_aws as aws

from nhi_rules.contract import EXEMPTION_PREFIX, REVOKE_POLICY_NAME, SESSIONS_REVOKED_TAG

from .cluster import CONTROL_PLANE_SERVICE
from .encryption import KEY_SPEC, KEY_USAGE
from .identifiers import (
    ACCOUNT_RE,
    POLICY_ARN_RE,
    REGION_RE,
    ROLE_ARN_RE,
    is_github_owner,
    is_github_repository,
    partition_of,
)
from .identity import POD_IDENTITY_PRINCIPAL, revoke_older_sessions
from .identity import ROLE_PATH as WORKLOAD_ROLE_PATH
from .network import FLOW_LOGS_SERVICE
from .policy_documents import MAX_SESSION_SECONDS, POLICY_VERSION, STS_AUDIENCE
from .state_backend import KMS_KEY_ARN_RE, StateBackend


class Environment(str, Enum):
    """A stack's environment: its pipeline role trusts only the GitHub environment of the same name, and every AWS
    resource of the stack carries it (ENVIRONMENT_TAG)."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class OidcProviderMode(str, Enum):
    """Who owns the account's GitHub OIDC provider: IAM allows one provider per URL in an account."""

    CREATE = "create"
    """This stack creates it (one stack per account)."""
    EXISTING = "existing"
    """Another stack of the same account created it; this one trusts it by its well-known ARN."""


# GitHub Actions' OIDC issuer; its tokens carry the STS audience.
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
# Every role and policy of the pipeline lives under this path, so that grants and denies can name them all.
CI_ROLE_PATH = "/nhi-platform/ci/"
# Every AWS resource of a stack carries its environment under this key (through `aws:defaultTags`): the
# pipeline's grants create only resources tagged so and change only resources tagged so.
ENVIRONMENT_TAG = "nhi-platform/environment"
WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity"
AUDIENCE_KEY = f"{GITHUB_OIDC_HOST}:aud"
SUBJECT_KEY = f"{GITHUB_OIDC_HOST}:sub"


def ci_role_names(environment: Environment) -> tuple[str, str]:
    """(deploy, preview) role names of a stack's pipeline identity, under CI_ROLE_PATH."""
    return f"{environment.value}-deploy", f"{environment.value}-preview"


def ci_role_arn(*, region: str, account_id: str, name: str) -> str:
    """The ARN of a pipeline role (known before it exists: its name and path are fixed)."""
    return f"arn:{partition_of(region)}:iam::{account_id}:role{CI_ROLE_PATH}{name}"


def environment_subject(org: str, repository: str, environment: Environment) -> str:
    """The OIDC `sub` of a job that runs in a GitHub environment: the only subject a deploy role trusts."""
    return f"repo:{org}/{repository}:environment:{environment.value}"


def pull_request_subject(org: str, repository: str) -> str:
    """The OIDC `sub` of a job run for a pull request: a subject the preview role trusts."""
    return f"repo:{org}/{repository}:pull_request"


AUDIT_ENVIRONMENT_SUFFIX = "-audit"


def audit_environment(environment: Environment) -> str:
    """The GitHub environment the scheduled audit of a stack runs in (.github/workflows/audit.yml): a scheduled job
    has no pull request, so the preview role trusts this environment's subject too (read-only, as for a preview)."""
    return f"{environment.value}{AUDIT_ENVIRONMENT_SUFFIX}"


def audit_subject(org: str, repository: str, environment: Environment) -> str:
    """The OIDC `sub` of the scheduled audit's job: the preview role's other subject."""
    return f"repo:{org}/{repository}:environment:{audit_environment(environment)}"


# The deploy grants are the privilege-escalation rule's textbook case by design (they create and edit roles); the
# exemption is visible in every verdict, and each environment's pack config decides whether it is honoured.
ESCALATION_RULE = "iam-policy-disallow-privilege-escalation"
ESCALATION_REASON = (
    "pipeline deploy identity: creates and edits only this environment's roles, under a permissions "
    "boundary it cannot change (components/deployer_identity.py)"
)


Conditions = Mapping[str, Mapping[str, Any]]
"""An IAM `Condition` block: operator -> condition key -> value (a template, filled per stack)."""


class Access(str, Enum):
    """Who holds a grant: reads go to both roles, writes to the deploy role only."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Grant:
    """One policy statement of the pipeline. Templates use {p} partition, {a} account, {r} region, {c} cluster,
    {e} environment, {ci} pipeline path, {wl} workload role path, {b} boundary of created roles."""

    sid: str
    access: Access
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Conditions = field(default_factory=dict)
    group: str = "read"
    """The managed policy the statement lands in (IAM caps each at 6,144 characters)."""


@dataclass(frozen=True)
class Scope:
    """The stable facts a grant is scoped by; none of them changes when workloads come and go, so the pipeline
    keeps working without touching its own policies."""

    partition: str
    account_id: str
    region: str
    environment: Environment
    cluster_name: str
    cluster_admin_role_arns: tuple[str, ...]
    role_boundary_arn: str | None
    detective_controls: bool
    state_backend: StateBackend | None = None

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.format(
                p=self.partition,
                a=self.account_id,
                r=self.region,
                c=self.cluster_name,
                e=self.environment.value,
                ci=CI_ROLE_PATH,
                wl=WORKLOAD_ROLE_PATH,
                b=self.role_boundary_arn or "",
            )
        if isinstance(value, (list, tuple)):
            return [self.fill(v) for v in value]
        if isinstance(value, Mapping):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        return value


IN_REGION: Conditions = {"StringEquals": {"aws:RequestedRegion": "{r}"}}
TAGGED_ON_CREATE: Conditions = {"StringEquals": {f"aws:RequestTag/{ENVIRONMENT_TAG}": "{e}"}}
THIS_ENVIRONMENTS: Conditions = {"StringEquals": {f"aws:ResourceTag/{ENVIRONMENT_TAG}": "{e}"}}
# Retagging keeps a resource in its environment: the tag cannot be moved to another one.
STAYS_IN_ENVIRONMENT: Conditions = {
    **THIS_ENVIRONMENTS,
    "StringEqualsIfExists": {f"aws:RequestTag/{ENVIRONMENT_TAG}": "{e}"},
}
# Untagging never removes the environment tag (which would take a resource out of every environment's reach).
KEEPS_ENVIRONMENT_TAG: Conditions = {
    **THIS_ENVIRONMENTS,
    "ForAllValues:StringNotEquals": {"aws:TagKeys": [ENVIRONMENT_TAG]},
}

EC2 = "arn:{p}:ec2:{r}:{a}"
EC2_CREATED = tuple(
    f"{EC2}:{kind}/*"
    for kind in (
        "vpc",
        "subnet",
        "internet-gateway",
        "elastic-ip",
        "natgateway",
        "route-table",
        "vpc-flow-log",
        "launch-template",
    )
)
EC2_OWNED = (*EC2_CREATED, f"{EC2}:security-group/*")
EC2_CREATE_ACTIONS = (
    "ec2:CreateVpc",
    "ec2:CreateSubnet",
    "ec2:CreateInternetGateway",
    "ec2:AllocateAddress",
    "ec2:CreateNatGateway",
    "ec2:CreateRouteTable",
    "ec2:CreateFlowLogs",
    "ec2:CreateLaunchTemplate",
)
EKS = "arn:{p}:eks:{r}:{a}"
EKS_CLUSTER = f"{EKS}:cluster/{{c}}"
# One '*' per ARN segment after the cluster name (IAM's '*' spans '/', but this form shows the type's shape).
EKS_ASSOCIATIONS = f"{EKS}:podidentityassociation/{{c}}/*"
EKS_CHILDREN = (
    f"{EKS}:nodegroup/{{c}}/*/*",
    f"{EKS}:addon/{{c}}/*/*",
    f"{EKS}:access-entry/{{c}}/*/*/*/*",
    EKS_ASSOCIATIONS,
)
IAM = "arn:{p}:iam::{a}"
STACK_ROLES = (f"{IAM}:role/{{c}}-*", f"{IAM}:role{{wl}}*")
PIPELINE_ROLES = f"{IAM}:role{{ci}}*"
PIPELINE_POLICIES = f"{IAM}:policy{{ci}}*"
GITHUB_PROVIDER = f"{IAM}:oidc-provider/{GITHUB_OIDC_HOST}"
CLUSTER_PROVIDERS = f"{IAM}:oidc-provider/oidc.eks.{{r}}.amazonaws.com/id/*"
KEYS = "arn:{p}:kms:{r}:{a}:key/*"
LOG_GROUPS = ("arn:{p}:logs:{r}:{a}:log-group:/aws/eks/{c}/*", "arn:{p}:logs:{r}:{a}:log-group:/aws/vpc/{c}/*")
REPOSITORIES = "arn:{p}:ecr:{r}:{a}:repository/*"
DETECTORS = "arn:{p}:guardduty:{r}:{a}:detector/*"

# Reads: what `pulumi preview --refresh` and the provider's reads after each change need. Metadata only: no
# object, secret, item or plaintext is readable (no s3:GetObject, secretsmanager:GetSecretValue, kms:Decrypt), but
# for the stack's own state in a self-managed backend (state_grants).
READ_GRANTS = (
    # Resource '*': these Describe/List actions have no resource types in IAM; pinned to the stack's region.
    Grant(
        "DescribeWithoutResourceTypes",
        Access.READ,
        (
            "ec2:DescribeAccountAttributes",
            "ec2:DescribeAddresses",
            "ec2:DescribeAddressesAttribute",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeFlowLogs",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeLaunchTemplateVersions",
            "ec2:DescribeLaunchTemplates",
            "ec2:DescribeNatGateways",
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribePrefixLists",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroupRules",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeTags",
            "ec2:DescribeVpcs",
            "eks:DescribeAddonVersions",
            "eks:DescribeAddonConfiguration",
            "kms:ListAliases",
            "logs:DescribeLogGroups",
        ),
        ("*",),
        IN_REGION,
    ),
    Grant("ReadNetworkAttributes", Access.READ, ("ec2:DescribeVpcAttribute",), (f"{EC2}:vpc/*",)),
    Grant(
        "ReadTheCluster",
        Access.READ,
        (
            "eks:DescribeCluster",
            "eks:DescribeUpdate",
            "eks:ListTagsForResource",
            "eks:ListNodegroups",
            "eks:ListAddons",
            "eks:ListAccessEntries",
            "eks:ListPodIdentityAssociations",
            "eks:DescribeNodegroup",
            "eks:DescribeAddon",
            "eks:DescribeAccessEntry",
            "eks:ListAssociatedAccessPolicies",
            "eks:DescribePodIdentityAssociation",
        ),
        (EKS_CLUSTER, *EKS_CHILDREN),
    ),
    Grant(
        "ReadStackRoles",
        Access.READ,
        (
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            # iam:ListRoleTags: AuditRoleTags grants it on every role of the account.
        ),
        (*STACK_ROLES, PIPELINE_ROLES),
    ),
    Grant(
        "ReadPipelinePoliciesAndProviders",
        Access.READ,
        (
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListPolicyVersions",
            "iam:ListPolicyTags",
            "iam:GetOpenIDConnectProvider",
            "iam:ListOpenIDConnectProviderTags",
        ),
        (PIPELINE_POLICIES, GITHUB_PROVIDER, CLUSTER_PROVIDERS),
    ),
    Grant(
        "ReadKeysLogsAndRepositories",
        Access.READ,
        (
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListResourceTags",
            "logs:ListTagsForResource",
            "logs:ListTagsLogGroup",
            "ecr:DescribeRepositories",
            "ecr:GetLifecyclePolicy",
            "ecr:GetRepositoryPolicy",
            "ecr:ListTagsForResource",
        ),
        (KEYS, *LOG_GROUPS, REPOSITORIES),
    ),
)

# What `nhi audit` reads (docs/audit.md): every role's trust policy and tags, every user's keys and console login,
# and which services the stack's roles used. IAM is global: no region condition (aws:RequestedRegion is us-east-1).
ACCOUNT_ROLES = f"{IAM}:role/*"
ACCOUNT_USERS = f"{IAM}:user/*"
AUDIT_GRANTS = (
    # IAM gives these two list actions no resource type: '*' is the only form.
    Grant("AuditListIdentitiesOfTheAccount", Access.READ, ("iam:ListRoles", "iam:ListUsers"), ("*",)),
    Grant("AuditRoleTags", Access.READ, ("iam:ListRoleTags",), (ACCOUNT_ROLES,)),
    Grant(
        "AuditUserCredentials",
        Access.READ,
        ("iam:ListUserTags", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile"),
        (ACCOUNT_USERS,),
    ),
    Grant(
        "AuditServicesUsedByStackRoles",
        Access.READ,
        ("iam:GenerateServiceLastAccessedDetails",),
        (f"{IAM}:role{{wl}}*", PIPELINE_ROLES),
    ),
    # The report of a job started above, named by its job id: IAM gives it no resource type.
    Grant("AuditReadServiceLastAccessedReports", Access.READ, ("iam:GetServiceLastAccessedDetails",), ("*",)),
)

WRITE_GRANTS = (
    # EC2: a new resource is tagged with this environment as it is created; everything else needs that tag.
    Grant("CreateNetworkOfThisEnvironment", Access.WRITE, EC2_CREATE_ACTIONS, EC2_CREATED, TAGGED_ON_CREATE, "ec2"),
    Grant(
        "TagNetworkOnCreate",
        Access.WRITE,
        ("ec2:CreateTags",),
        EC2_CREATED,
        {
            "StringEquals": {
                "ec2:CreateAction": [a.removeprefix("ec2:") for a in EC2_CREATE_ACTIONS],
                f"aws:RequestTag/{ENVIRONMENT_TAG}": "{e}",
            }
        },
        "ec2",
    ),
    # The default security group and main route table come untagged from AWS: the bootstrap `up` adopts them.
    Grant(
        "ChangeNetworkOfThisEnvironment",
        Access.WRITE,
        (
            "ec2:CreateSubnet",
            "ec2:CreateRouteTable",
            "ec2:CreateNatGateway",
            "ec2:CreateFlowLogs",
            "ec2:AttachInternetGateway",
            "ec2:DetachInternetGateway",
            "ec2:DeleteInternetGateway",
            "ec2:ModifyVpcAttribute",
            "ec2:DeleteVpc",
            "ec2:ModifySubnetAttribute",
            "ec2:DeleteSubnet",
            "ec2:ReleaseAddress",
            "ec2:DeleteNatGateway",
            "ec2:CreateRoute",
            "ec2:ReplaceRoute",
            "ec2:DeleteRoute",
            "ec2:AssociateRouteTable",
            "ec2:DisassociateRouteTable",
            "ec2:ReplaceRouteTableAssociation",
            "ec2:DeleteRouteTable",
            "ec2:DeleteFlowLogs",
            "ec2:CreateLaunchTemplateVersion",
            "ec2:ModifyLaunchTemplate",
            "ec2:DeleteLaunchTemplate",
            "ec2:DeleteLaunchTemplateVersions",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
        ),
        EC2_OWNED,
        THIS_ENVIRONMENTS,
        "ec2",
    ),
    Grant("RetagNetworkOfThisEnvironment", Access.WRITE, ("ec2:CreateTags",), EC2_OWNED, STAYS_IN_ENVIRONMENT, "ec2"),
    Grant("UntagNetworkOfThisEnvironment", Access.WRITE, ("ec2:DeleteTags",), EC2_OWNED, KEEPS_ENVIRONMENT_TAG, "ec2"),
    # EKS: CreateCluster has no resource type ('*'), so it is pinned to the region and to this environment's tag.
    Grant(
        "CreateTheCluster",
        Access.WRITE,
        ("eks:CreateCluster",),
        ("*",),
        {"StringEquals": {"aws:RequestedRegion": "{r}", f"aws:RequestTag/{ENVIRONMENT_TAG}": "{e}"}},
        "eks",
    ),
    Grant(
        "ManageTheCluster",
        Access.WRITE,
        (
            "eks:UpdateClusterConfig",
            "eks:UpdateClusterVersion",
            "eks:AssociateEncryptionConfig",
            "eks:DeleteCluster",
            "eks:CreateNodegroup",
            "eks:UpdateNodegroupConfig",
            "eks:UpdateNodegroupVersion",
            "eks:DeleteNodegroup",
            "eks:CreateAddon",
            "eks:UpdateAddon",
            "eks:DeleteAddon",
            "eks:TagResource",
            "eks:UntagResource",
            # An add-on's own Pod Identity association (the VPC CNI's) is part of the add-on request.
        ),
        (EKS_CLUSTER, f"{EKS}:nodegroup/{{c}}/*/*", f"{EKS}:addon/{{c}}/*/*", EKS_ASSOCIATIONS),
        group="eks",
    ),
    # IAM: the cluster's roles go to the services that use them. Every other IAM change is an identity change:
    # see _identity_grants (only under a permissions boundary) and docs/ci.md (an administrator's `up`).
    Grant(
        "PassClusterRolesToTheirServices",
        Access.WRITE,
        ("iam:PassRole",),
        (f"{IAM}:role/{{c}}-*",),
        {
            "StringEquals": {
                "iam:PassedToService": [CONTROL_PLANE_SERVICE, POD_IDENTITY_PRINCIPAL, FLOW_LOGS_SERVICE],
                f"aws:ResourceTag/{ENVIRONMENT_TAG}": "{e}",
            }
        },
        "iam",
    ),
    # KMS: CreateKey has no resource type ('*'): pinned to the region, this environment's tag and symmetric keys.
    Grant(
        "CreateKeysOfThisEnvironment",
        Access.WRITE,
        ("kms:CreateKey",),
        ("*",),
        {
            "StringEquals": {
                "aws:RequestedRegion": "{r}",
                f"aws:RequestTag/{ENVIRONMENT_TAG}": "{e}",
                "kms:KeySpec": KEY_SPEC,
                "kms:KeyUsage": KEY_USAGE,
            }
        },
        "data",
    ),
    Grant(
        "ManageKeysOfThisEnvironment",
        Access.WRITE,
        (
            "kms:PutKeyPolicy",
            "kms:EnableKeyRotation",
            "kms:UpdateKeyDescription",
            "kms:ScheduleKeyDeletion",
            "kms:CreateAlias",
            "kms:UpdateAlias",
            "kms:DeleteAlias",
        ),
        (KEYS,),
        THIS_ENVIRONMENTS,
        "data",
    ),
    Grant("TagKeysOfThisEnvironment", Access.WRITE, ("kms:TagResource",), (KEYS,), STAYS_IN_ENVIRONMENT, "data"),
    Grant("UntagKeysOfThisEnvironment", Access.WRITE, ("kms:UntagResource",), (KEYS,), KEEPS_ENVIRONMENT_TAG, "data"),
    Grant(
        "NameKeysAfterTheCluster",
        Access.WRITE,
        ("kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"),
        ("arn:{p}:kms:{r}:{a}:alias/{c}-*",),
        group="data",
    ),
    # EKS (secrets) and ECR (images) create grants on the keys as they create the cluster and the repositories.
    Grant(
        "LetServicesUseKeysOfThisEnvironment",
        Access.WRITE,
        ("kms:CreateGrant",),
        (KEYS,),
        {**THIS_ENVIRONMENTS, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        "data",
    ),
    Grant(
        "ManageClusterLogGroups",
        Access.WRITE,
        (
            "logs:CreateLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:AssociateKmsKey",
            "logs:DisassociateKmsKey",
            "logs:TagResource",
            "logs:UntagResource",
            "logs:TagLogGroup",
            "logs:UntagLogGroup",
            "logs:DeleteLogGroup",
        ),
        LOG_GROUPS,
        group="data",
    ),
    Grant(
        "CreateRepositoriesOfThisEnvironment",
        Access.WRITE,
        ("ecr:CreateRepository",),
        (REPOSITORIES,),
        TAGGED_ON_CREATE,
        "data",
    ),
    Grant(
        "ManageRepositoriesOfThisEnvironment",
        Access.WRITE,
        (
            "ecr:PutImageScanningConfiguration",
            "ecr:PutImageTagMutability",
            "ecr:PutLifecyclePolicy",
            "ecr:DeleteLifecyclePolicy",
            "ecr:DeleteRepository",
        ),
        (REPOSITORIES,),
        THIS_ENVIRONMENTS,
        "data",
    ),
    Grant(
        "TagRepositoriesOfThisEnvironment",
        Access.WRITE,
        ("ecr:TagResource",),
        (REPOSITORIES,),
        STAYS_IN_ENVIRONMENT,
        "data",
    ),
    Grant(
        "UntagRepositoriesOfThisEnvironment",
        Access.WRITE,
        ("ecr:UntagResource",),
        (REPOSITORIES,),
        KEEPS_ENVIRONMENT_TAG,
        "data",
    ),
)

# Only when the stack manages GuardDuty (detective controls): CreateDetector has no resource type ('*').
DETECTIVE_GRANTS = (
    Grant("ListDetectors", Access.READ, ("guardduty:ListDetectors",), ("*",), IN_REGION),
    Grant("ReadDetectors", Access.READ, ("guardduty:GetDetector", "guardduty:ListTagsForResource"), (DETECTORS,)),
    Grant(
        "CreateDetectorOfThisEnvironment",
        Access.WRITE,
        ("guardduty:CreateDetector",),
        ("*",),
        {"StringEquals": {"aws:RequestedRegion": "{r}", f"aws:RequestTag/{ENVIRONMENT_TAG}": "{e}"}},
        "data",
    ),
    Grant(
        "ManageDetectorOfThisEnvironment",
        Access.WRITE,
        ("guardduty:UpdateDetector", "guardduty:DeleteDetector"),
        (DETECTORS,),
        THIS_ENVIRONMENTS,
        "data",
    ),
    Grant(
        "TagDetectorOfThisEnvironment",
        Access.WRITE,
        ("guardduty:TagResource",),
        (DETECTORS,),
        STAYS_IN_ENVIRONMENT,
        "data",
    ),
    Grant(
        "UntagDetectorOfThisEnvironment",
        Access.WRITE,
        ("guardduty:UntagResource",),
        (DETECTORS,),
        KEEPS_ENVIRONMENT_TAG,
        "data",
    ),
)

# What the pipeline may deploy: the action that creates each AWS type (for types AWS creates itself, the one that
# changes them). The tests hold every registered type against these tables: a new kind of resource cannot slip
# past the grants unnoticed.
DEPLOYED_BY: Mapping[str, str] = {
    "aws:ec2/vpc:Vpc": "ec2:CreateVpc",
    "aws:ec2/subnet:Subnet": "ec2:CreateSubnet",
    "aws:ec2/internetGateway:InternetGateway": "ec2:CreateInternetGateway",
    "aws:ec2/eip:Eip": "ec2:AllocateAddress",
    "aws:ec2/natGateway:NatGateway": "ec2:CreateNatGateway",
    "aws:ec2/routeTable:RouteTable": "ec2:CreateRouteTable",
    "aws:ec2/route:Route": "ec2:CreateRoute",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "ec2:AssociateRouteTable",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "ec2:RevokeSecurityGroupIngress",
    "aws:ec2/flowLog:FlowLog": "ec2:CreateFlowLogs",
    "aws:ec2/launchTemplate:LaunchTemplate": "ec2:CreateLaunchTemplate",
    "aws:eks/cluster:Cluster": "eks:CreateCluster",
    "aws:eks/nodeGroup:NodeGroup": "eks:CreateNodegroup",
    "aws:eks/addon:Addon": "eks:CreateAddon",
    "aws:kms/key:Key": "kms:CreateKey",
    "aws:kms/alias:Alias": "kms:CreateAlias",
    "aws:cloudwatch/logGroup:LogGroup": "logs:CreateLogGroup",
    "aws:ecr/repository:Repository": "ecr:CreateRepository",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "ecr:PutLifecyclePolicy",
    "aws:guardduty/detector:Detector": "guardduty:CreateDetector",
    "aws:guardduty/detectorFeature:DetectorFeature": "guardduty:UpdateDetector",
}
# Identity changes the pipeline makes only under the stack's permissions boundary (_identity_grants).
DEPLOYED_UNDER_BOUNDARY: Mapping[str, str] = {
    "aws:iam/role:Role": "iam:CreateRole",
    "aws:iam/rolePolicy:RolePolicy": "iam:PutRolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "iam:AttachRolePolicy",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "eks:CreatePodIdentityAssociation",
}
# Always an administrator's (docs/ci.md): who administers the cluster and who may assume roles.
ADMINISTERED = frozenset(
    {
        "aws:eks/accessEntry:AccessEntry",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        # The network perimeter and the deployment runner (docs/ci.md): who may reach the API endpoint and AWS
        # from inside the VPC, and the runner that carries the pipeline's jobs, are never the pipeline's to change.
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:codebuild/project:Project",
        "aws:codebuild/webhook:Webhook",
    }
)

# Service-linked roles the program's services need once per account (EKS, managed node groups, Auto Scaling).
SERVICE_LINKED_ROLES = (CONTROL_PLANE_SERVICE, "eks-nodegroup.amazonaws.com", "autoscaling.amazonaws.com")


def _identity_grants(scope: Scope) -> tuple[Grant, ...]:
    """Identity changes: roles, their policies and tags, and Pod Identity associations. Granted only when every
    such role carries the stack's permissions boundary (so the pipeline can never make a role that outgrows it).
    Without a boundary, they are an administrator's: the pipeline can deploy, but never mint or widen an identity.
    Who administers the cluster (access entries), who may assume roles (trust policies, OIDC providers) and the
    pipeline's own identity are an administrator's in both cases."""
    services = [*SERVICE_LINKED_ROLES, *(["guardduty.amazonaws.com"] if scope.detective_controls else [])]
    grants = [
        Grant(
            "CreateServiceLinkedRoles",
            Access.WRITE,
            ("iam:CreateServiceLinkedRole",),
            (f"{IAM}:role/aws-service-role/*",),
            {"StringEquals": {"iam:AWSServiceName": services}},
            "iam",
        )
    ]
    if scope.role_boundary_arn is None:
        return tuple(grants)
    bounded = {"iam:PermissionsBoundary": "{b}", f"aws:ResourceTag/{ENVIRONMENT_TAG}": "{e}"}
    return (
        *grants,
        Grant(
            "CreateRolesUnderTheBoundary",
            Access.WRITE,
            ("iam:CreateRole",),
            STACK_ROLES,
            {"StringEquals": {"iam:PermissionsBoundary": "{b}", f"aws:RequestTag/{ENVIRONMENT_TAG}": "{e}"}},
            "iam",
        ),
        Grant(
            "EditRolesUnderTheBoundary",
            Access.WRITE,
            (
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:DeleteRole",
            ),
            STACK_ROLES,
            {"StringEquals": bounded},
            "iam",
        ),
        Grant("TagRolesOfThisEnvironment", Access.WRITE, ("iam:TagRole",), STACK_ROLES, STAYS_IN_ENVIRONMENT, "iam"),
        Grant(
            "UntagRolesOfThisEnvironment", Access.WRITE, ("iam:UntagRole",), STACK_ROLES, KEEPS_ENVIRONMENT_TAG, "iam"
        ),
        Grant(
            "PassWorkloadRolesToPodIdentity",
            Access.WRITE,
            ("iam:PassRole",),
            (f"{IAM}:role{{wl}}*",),
            {
                "StringEquals": {
                    "iam:PassedToService": POD_IDENTITY_PRINCIPAL,
                    f"aws:ResourceTag/{ENVIRONMENT_TAG}": "{e}",
                }
            },
            "iam",
        ),
        Grant("BindWorkloadRoles", Access.WRITE, ("eks:CreatePodIdentityAssociation",), (EKS_CLUSTER,), group="eks"),
        Grant(
            "RebindWorkloadRoles",
            Access.WRITE,
            (
                "eks:UpdatePodIdentityAssociation",
                "eks:DeletePodIdentityAssociation",
            ),
            (EKS_ASSOCIATIONS,),
            group="eks",
        ),
    )


def _dns_suffix(partition: str) -> str:
    """The service endpoints' domain of a partition (China's regions have their own)."""
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def state_grants(scope: Scope) -> tuple[Grant, ...]:
    """The stack's own state in a self-managed S3 backend, and its secrets key (none without `state_backend`).

    From pulumi/pulumi pkg/backend/diy: every command reads `.pulumi/meta.yaml` (meta.go), lists the checkpoint's
    name to find its compressed form (state.go `stackPath`), reads the checkpoint and `<stack>.pulumi-tags`. Only
    `pulumi up` writes: it lists and puts its lock, reads another's to report it, deletes its own (lock.go), puts
    the checkpoint and its `.bak` copy, a history entry and a backup (state.go). `pulumi preview` takes no lock
    and writes nothing (backend.go `Preview` and `apply` with DryRun: no lock, no snapshot manager, no history):
    the preview role only reads. The `awskms://` secrets provider decrypts the stack's data key (pulumi
    pkg/secrets/cloud: kms:Decrypt, called by the CLI itself, so no kms:ViaService; gocloud's awskms keeper sends
    no encryption context); kms:Encrypt only mints a data key at `pulumi stack init` or change-secrets-provider,
    an administrator's step. If the bucket encrypts with this key (SSE-KMS), S3 asks it for data keys on the
    deploy role's behalf: kms:GenerateDataKey only through S3."""
    state = scope.state_backend
    if state is None:
        return ()
    p = scope.partition
    # `<stack>.json*`: the checkpoint, its `.gz`/`.zst` forms, their `.bak` copies and retained checkpoints
    # (`.<unix-nanos>`, PULUMI_RETAIN_CHECKPOINTS): names with a timestamp cannot be listed one by one.
    checkpoints = state.object_arn(p, state.checkpoint_key + "*")
    locks = state.object_arn(p, state.locks_dir + "*")
    return (
        Grant(
            "ReadTheStackState",
            Access.READ,
            ("s3:GetObject",),
            (state.object_arn(p, state.meta_key), checkpoints, state.object_arn(p, state.tags_key)),
        ),
        Grant(
            "FindTheStackCheckpoint",
            Access.READ,
            ("s3:ListBucket",),
            (state.bucket_arn(p),),
            {"StringEquals": {"s3:prefix": state.checkpoint_key}},
        ),
        Grant("DecryptTheStackSecrets", Access.READ, ("kms:Decrypt",), (state.secrets_key_arn,)),
        Grant(
            "WriteTheStackState",
            Access.WRITE,
            ("s3:PutObject",),
            (checkpoints, state.object_arn(p, state.history_dir + "*"), state.object_arn(p, state.backups_dir + "*")),
            group="state",
        ),
        Grant(
            "LockTheStack", Access.WRITE, ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), (locks,), group="state"
        ),
        Grant(
            "ListTheStackLocks",
            Access.WRITE,
            ("s3:ListBucket",),
            (state.bucket_arn(p),),
            {"StringEquals": {"s3:prefix": state.locks_dir}},
            "state",
        ),
        Grant(
            "LetS3EncryptTheState",
            Access.WRITE,
            ("kms:GenerateDataKey",),
            (state.secrets_key_arn,),
            {"StringEquals": {"kms:ViaService": f"s3.{scope.region}.{_dns_suffix(scope.partition)}"}},
            "state",
        ),
    )


def pipeline_grants(scope: Scope) -> tuple[Grant, ...]:
    """Every statement of the pipeline for one stack: reads (both roles) and writes (deploy role)."""
    return (
        *READ_GRANTS,
        *AUDIT_GRANTS,
        *WRITE_GRANTS,
        *_identity_grants(scope),
        *(DETECTIVE_GRANTS if scope.detective_controls else ()),
        *state_grants(scope),
    )


def statement(grant: Grant, scope: Scope) -> dict[str, Any]:
    conditions = {
        op: {
            key: (list(scope.cluster_admin_role_arns) if value == "{admins}" else scope.fill(value))
            for key, value in entries.items()
        }
        for op, entries in grant.conditions.items()
    }
    result: dict[str, Any] = {
        "Sid": grant.sid,
        "Effect": "Allow",
        "Action": list(grant.actions),
        "Resource": scope.fill(list(grant.resources)),
    }
    if conditions:
        result["Condition"] = conditions
    return result


def document(statements: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": POLICY_VERSION, "Statement": list(statements)}, sort_keys=True)


def policy_documents(scope: Scope) -> dict[str, str]:
    """Managed policy documents by group: `read` (both roles) and one per service group (deploy role only)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for grant in pipeline_grants(scope):
        group = "read" if grant.access is Access.READ else grant.group
        grouped.setdefault(group, []).append(statement(grant, scope))
    return {group: document(statements) for group, statements in grouped.items()}


READ_VERBS = ("Describe", "Get", "List")


def _ceiling(actions: Iterable[str]) -> list[str]:
    """Reads collapse to `svc:Describe*`/`Get*`/`List*` (IAM caps a managed policy at 6,144 characters);
    every write stays listed one by one, so the ceiling never allows a write the grants do not."""
    result: list[str] = []
    for action in actions:
        service, name = action.split(":")
        verb = next((v for v in READ_VERBS if name.startswith(v)), None)
        entry = f"{service}:{verb}*" if verb else action
        if entry not in result:
            result.append(entry)
    return result


def boundary_document(scope: Scope) -> str:
    """The permissions boundary of both pipeline roles: the grants' actions on the grants' resources (without
    their conditions), and the denies that no policy attached later can lift."""
    state = state_grants(scope)
    # The audit's and the state's grants have their own ceilings below: the account-wide reads must not widen the
    # writes' ceiling, nor the state's key the account's keys.
    stack_grants = [g for g in pipeline_grants(scope) if g not in AUDIT_GRANTS and g not in state]
    regional_reads = _ceiling(a for g in stack_grants if g.resources == ("*",) for a in g.actions)
    audit_resources = list(dict.fromkeys(r for grant in AUDIT_GRANTS for r in scope.fill(list(grant.resources))))
    # The audit lists the account's roles and users ('*'): its reads hold on every resource, so '*' alone says it.
    audit_resources = ["*"] if "*" in audit_resources else audit_resources
    audit_reads = _ceiling(action for grant in AUDIT_GRANTS for action in grant.actions)
    # A read already admitted on '*' (in the stack's region for the regional services, IAM's everywhere) is not
    # repeated below, nor are the resources of grants that hold only such reads.
    admitted_everywhere = {*regional_reads, *(audit_reads if audit_resources == ["*"] else [])}
    actions: list[str] = []
    resources: list[str] = []
    for grant in stack_grants:
        patterns = [p for p in _ceiling(grant.actions) if p not in admitted_everywhere]
        if grant.resources == ("*",) or not patterns:
            continue
        actions += [p for p in patterns if p not in actions]
        resources += [r for r in scope.fill(list(grant.resources)) if r not in resources]
    ceiling = [
        {
            "Sid": "CeilingWithoutResourceTypes",
            "Effect": "Allow",
            "Action": regional_reads,
            "Resource": "*",
            "Condition": scope.fill(IN_REGION),
        },
        # Every service's actions on the union of the grants' resources, without their conditions, in one statement
        # (IAM caps the boundary at 6,144 characters): IAM authorises each of these actions against resources of its
        # own service only, so the union admits what one statement per service would (a test holds every action
        # to the service authorization reference).
        {"Sid": "CeilingOnTheStackResources", "Effect": "Allow", "Action": actions, "Resource": resources},
    ]
    ceiling.append({"Sid": "CeilingOfTheAudit", "Effect": "Allow", "Action": audit_reads, "Resource": audit_resources})
    ceiling += _state_ceiling(scope, state)
    iam = f"arn:{scope.partition}:iam::{scope.account_id}"
    denies: list[dict[str, Any]] = [
        # Its roles, policies and the GitHub provider change only through an administrator's `pulumi up`.
        {
            "Sid": "NeverChangeThePipelineIdentity",
            "Effect": "Deny",
            "Action": [
                "iam:Create*",
                "iam:Delete*",
                "iam:Put*",
                "iam:Attach*",
                "iam:Detach*",
                "iam:Update*",
                "iam:Tag*",
                "iam:Untag*",
                "iam:Set*",
                "iam:Add*",
                "iam:Remove*",
            ],
            "Resource": [
                f"{iam}:role{CI_ROLE_PATH}*",
                f"{iam}:policy{CI_ROLE_PATH}*",
                f"{iam}:oidc-provider/{GITHUB_OIDC_HOST}",
            ],
        },
        {
            "Sid": "NeverRemoveABoundary",
            "Effect": "Deny",
            "Action": ["iam:DeleteRolePermissionsBoundary"],
            "Resource": "*",
        },
        # No role chaining: the pipeline's reach is its own grant, not that of a role it could talk into trusting it.
        {"Sid": "NeverAssumeOtherRoles", "Effect": "Deny", "Action": ["sts:AssumeRole"], "Resource": "*"},
    ]
    role_edits = ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"]
    if scope.role_boundary_arn is None:
        denies.append(
            {"Sid": "NeverCreateOrEditRolePermissions", "Effect": "Deny", "Action": role_edits, "Resource": "*"}
        )
    else:
        denies.append(
            {
                "Sid": "OnlyRolesUnderTheBoundary",
                "Effect": "Deny",
                "Action": role_edits,
                "Resource": "*",
                "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": scope.role_boundary_arn}},
            }
        )
    return document([*ceiling, *denies])


def _state_ceiling(scope: Scope, grants: Sequence[Grant]) -> list[dict[str, Any]]:
    """The state's grants as a ceiling: every state action on what the deploy role writes (the stack's checkpoints,
    its own directories, the bucket for listing, the key), reads only on what it only reads (the store's `meta.yaml`,
    shared by every project, and the stack's tags). Actions one by one, without conditions, like the other ceilings;
    the stack's history, backups and locks as one pattern (StateBackend.own_dirs) to keep within IAM's size limit."""
    state = scope.state_backend
    if state is None:
        return []
    p = scope.partition
    own_dirs = {state.object_arn(p, d + "*") for d in (state.history_dir, state.backups_dir, state.locks_dir)}
    written = {r for grant in grants if grant.access is Access.WRITE for r in grant.resources}
    every = list(dict.fromkeys(r for grant in grants for r in grant.resources))
    read_only = [r for r in every if r not in written]
    return [
        {
            "Sid": "CeilingOfTheState",
            "Effect": "Allow",
            "Action": list(dict.fromkeys(a for grant in grants for a in grant.actions)),
            "Resource": [r for r in every if r in written and r not in own_dirs]
            + [state.object_arn(p, state.own_dirs)],
        },
        {
            "Sid": "CeilingOfTheStateReads",
            "Effect": "Allow",
            "Action": list(dict.fromkeys(a for g in grants if set(g.resources) & set(read_only) for a in g.actions)),
            "Resource": read_only,
        },
    ]


def web_identity_trust(provider_arn: str, subject: str | Sequence[str]) -> str:
    """Trust for exact GitHub OIDC subjects (one, or a list), with the STS audience: both `StringEquals`, never a
    pattern."""
    subject = subject if isinstance(subject, str) else list(subject)
    return document(
        [
            {
                "Sid": "GitHubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": WEB_IDENTITY_ACTION,
                "Condition": {"StringEquals": {AUDIENCE_KEY: STS_AUDIENCE, SUBJECT_KEY: subject}},
            }
        ]
    )


@dataclass(frozen=True, kw_only=True)
class DeployerIdentityArgs:
    """The pipeline identity of one stack. Every field is required except the hardened defaults."""

    org: str
    """GitHub organisation (or user) owning the repository, exactly as GitHub spells it."""
    repository: str
    """Repository name without the owner."""
    environment: Environment
    """The stack's environment: its deploy role trusts only the GitHub environment of the same name."""
    account_id: str
    """The 12-digit account of the stack."""
    region: str
    """The stack's region: regional grants name it, '*' grants are pinned to it."""
    partition: str
    """The AWS partition (aws, aws-cn, aws-us-gov)."""
    cluster_name: str
    """The stack's EKS cluster: cluster, log group, key alias and cluster role names start with it."""
    cluster_admin_role_arns: Sequence[str]
    """The only principals the pipeline may give an access entry (the stack's cluster admins)."""
    oidc_provider: OidcProviderMode = OidcProviderMode.CREATE
    """`create` the account's GitHub provider here, or trust the `existing` one (another stack owns it)."""
    role_boundary_arn: str | None = None
    """The boundary every role the pipeline creates or edits must carry. None (default): it creates and edits none."""
    detective_controls: bool = False
    """The stack manages GuardDuty, so the deploy role may too."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every resource; `nhi-platform/environment` is set to the environment whatever is given."""
    revoke_sessions_before: str | None = None
    """ISO 8601 UTC time (`nhi revoke --pipeline`): both roles deny sessions issued before it. Default: none."""
    state_backend: StateBackend | None = None
    """The stack's self-managed S3 backend and secrets key: the deploy role reads and writes the stack's state and
    lock, the preview role reads it; both decrypt with the key. None (default): a Pulumi Cloud backend."""

    def __post_init__(self) -> None:
        problems = []
        if not is_github_owner(self.org):
            problems.append(f"org must be a GitHub owner name (no wildcard), got {self.org!r}")
        if not is_github_repository(self.repository):
            problems.append(f"repository must be a GitHub repository name (no wildcard), got {self.repository!r}")
        if not ACCOUNT_RE.fullmatch(self.account_id):
            problems.append(f"account_id must be 12 digits, got {self.account_id!r}")
        if not REGION_RE.fullmatch(self.region):
            problems.append(f"region must be an AWS region such as eu-west-1, got {self.region!r}")
        if not self.cluster_name or any(ch in self.cluster_name for ch in "*?/"):
            problems.append(f"cluster_name must be the cluster's name (no wildcard), got {self.cluster_name!r}")
        for arn in self.cluster_admin_role_arns:
            if not ROLE_ARN_RE.fullmatch(arn) or "*" in arn:
                problems.append(f"cluster_admin_role_arns must hold role ARNs, got {arn!r}")
        if self.role_boundary_arn is not None and not POLICY_ARN_RE.fullmatch(self.role_boundary_arn):
            problems.append(f"role_boundary_arn must be a customer-managed policy ARN, got {self.role_boundary_arn!r}")
        if self.state_backend is not None:
            key = KMS_KEY_ARN_RE.fullmatch(self.state_backend.secrets_key_arn)
            here = (self.partition, self.region, self.account_id)
            if key is None or (key["partition"], key["region"], key["account"]) != here:
                problems.append(
                    f"state_backend.secrets_key_arn must be a KMS key of this stack's account {self.account_id} and "
                    f"region {self.region}, got {self.state_backend.secrets_key_arn!r}"
                )
        if problems:
            raise ValueError("DeployerIdentityArgs: " + "; ".join(problems))

    @property
    def scope(self) -> Scope:
        return Scope(
            self.partition,
            self.account_id,
            self.region,
            self.environment,
            self.cluster_name,
            tuple(self.cluster_admin_role_arns),
            self.role_boundary_arn,
            self.detective_controls,
            self.state_backend,
        )

    @property
    def deploy_subject(self) -> str:
        return environment_subject(self.org, self.repository, self.environment)

    @property
    def preview_subject(self) -> str:
        return pull_request_subject(self.org, self.repository)

    @property
    def preview_subjects(self) -> tuple[str, str]:
        """Pull requests, and the scheduled audit in its GitHub environment (docs/audit.md)."""
        return self.preview_subject, audit_subject(self.org, self.repository, self.environment)


class DeployerIdentity(pulumi.ComponentResource):
    """GitHub OIDC provider (or a reference to it), deploy and preview roles, their policies and boundary."""

    oidc_provider_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]
    boundary_arn: pulumi.Output[str]

    def __init__(self, name: str, args: DeployerIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:deployer_identity:DeployerIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        env = args.environment.value
        tags = {**args.tags, ENVIRONMENT_TAG: env}
        exempt = {**tags, EXEMPTION_PREFIX + ESCALATION_RULE: ESCALATION_REASON}

        if args.oidc_provider is OidcProviderMode.CREATE:
            # No thumbprint: IAM trusts GitHub's issuer through its own certificate store.
            provider_arn: pulumi.Output[str] = aws.iam.OpenIdConnectProvider(
                f"{name}-github", url=GITHUB_OIDC_URL, client_id_lists=[STS_AUDIENCE], tags=tags, opts=child
            ).arn
        else:
            provider_arn = pulumi.Output.from_input(
                f"arn:{args.partition}:iam::{args.account_id}:oidc-provider/{GITHUB_OIDC_HOST}"
            )

        boundary = aws.iam.Policy(
            f"{name}-boundary",
            name=f"{env}-ci-boundary",
            path=CI_ROLE_PATH,
            description=f"Ceiling of the {env} pipeline roles; denies they cannot lift",
            policy=boundary_document(scope),
            tags=exempt,
            opts=child,
        )

        deploy_name, preview_name = ci_role_names(args.environment)
        roles: dict[str, aws.iam.Role] = {}
        subjects: tuple[tuple[str, str | tuple[str, ...], str], ...] = (
            (deploy_name, args.deploy_subject, "pulumi up"),
            (preview_name, args.preview_subjects, "pulumi preview and nhi audit (read-only)"),
        )
        for role_name, subject, purpose in subjects:
            roles[role_name] = aws.iam.Role(
                f"{name}-{role_name.removeprefix(env + '-')}",
                name=role_name,
                path=CI_ROLE_PATH,
                description=f"GitHub Actions {subject if isinstance(subject, str) else ' and '.join(subject)}: "
                f"{purpose} of the {env} stack",
                assume_role_policy=provider_arn.apply(functools.partial(web_identity_trust, subject=subject)),
                max_session_duration=MAX_SESSION_SECONDS,
                permissions_boundary=boundary.arn,
                tags=tags
                if args.revoke_sessions_before is None
                else {**tags, SESSIONS_REVOKED_TAG: args.revoke_sessions_before},
                opts=child,
            )
            if args.revoke_sessions_before is not None:
                aws.iam.RolePolicy(
                    f"{name}-{role_name.removeprefix(env + '-')}-revoke-older-sessions",
                    role=roles[role_name].name,
                    name=REVOKE_POLICY_NAME,
                    policy=json.dumps(revoke_older_sessions(args.revoke_sessions_before)),
                    opts=child,
                )

        read_purpose = "metadata reads" + (" and the stack's state" if args.state_backend else "")
        for group, text in policy_documents(scope).items():
            policy = aws.iam.Policy(
                f"{name}-{group}",
                name=f"{env}-ci-{group}",
                path=CI_ROLE_PATH,
                description=f"{env} pipeline: {read_purpose if group == 'read' else group + ' changes'}",
                policy=text,
                tags=tags if group == "read" else exempt,
                opts=child,
            )
            holders = [deploy_name, preview_name] if group == "read" else [deploy_name]
            for holder in holders:
                aws.iam.RolePolicyAttachment(
                    f"{name}-{holder.removeprefix(env + '-')}-{group}",
                    role=roles[holder].name,
                    policy_arn=policy.arn,
                    opts=child,
                )

        self.oidc_provider_arn = provider_arn
        self.deploy_role_arn = roles[deploy_name].arn
        self.preview_role_arn = roles[preview_name].arn
        self.boundary_arn = boundary.arn
        self.register_outputs(
            {
                "oidc_provider_arn": self.oidc_provider_arn,
                "deploy_role_arn": self.deploy_role_arn,
                "preview_role_arn": self.preview_role_arn,
                "boundary_arn": self.boundary_arn,
            }
        )
