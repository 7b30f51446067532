"""The in-VPC deployment runner: AWS CodeBuild-hosted GitHub Actions runners. GitHub's `workflow_job` webhook
(event `WORKFLOW_JOB_QUEUED`, through an administrator's CodeConnections connection) starts one fresh build
container per queued job whose `runs-on` names this project (`codebuild-<project>-<run id>-<attempt>`); the
container registers as an ephemeral runner, runs that one job in the runner subnets and is gone.

Why CodeBuild: nothing to keep alive or patch (no instance, no autoscaler, no registration token stored), one
container per job, ENIs in this VPC, logs in this account, and its identity is a role this stack declares. The job
itself gets no AWS credentials from the runner: it still assumes the environment's deploy role through GitHub
OIDC. The runner's own role may only write its build logs, pull its image, manage the build's network interfaces
in the runner subnets, and fetch the connection's token that registers the runner with GitHub.

Reach: its security group admits nothing and sends HTTPS only; inside the VPC only the cluster's API endpoint
(an ingress rule this component adds to the endpoint's security group) and the AWS service endpoints admit it.
Outside, its subnets route through NAT to GitHub and the package registries a job uses (PyPI, the Pulumi CLI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

import pulumi
import pulumi_aws as aws

from .deployer_identity import CI_ROLE_PATH, Environment
from .network import HTTPS
from .pods import DIGEST_REF_RE
from .policy_documents import document, service_trust

CODEBUILD_SERVICE = "codebuild.amazonaws.com"
WORKFLOW_JOB_QUEUED = "WORKFLOW_JOB_QUEUED"
"""The GitHub webhook event that starts a runner (CodeBuild User Guide, "Tutorial: Configure a CodeBuild-hosted
GitHub Actions runner")."""
INTERNET = "0.0.0.0/0"


class ComputeType(str, Enum):
    """CodeBuild's on-demand container sizes for a runner."""

    SMALL = "BUILD_GENERAL1_SMALL"
    MEDIUM = "BUILD_GENERAL1_MEDIUM"
    LARGE = "BUILD_GENERAL1_LARGE"


def runner_project_name(environment: Environment) -> str:
    """The CodeBuild project of an environment's runner; workflows name it in `runs-on` (docs/ci.md)."""
    return f"nhi-platform-{environment.value}-deploy"


def runner_label(environment: Environment) -> str:
    """The `runs-on` label that sends a job to this environment's runner (CodeBuild's documented form)."""
    return f"codebuild-{runner_project_name(environment)}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"


def runner_role_name(environment: Environment) -> str:
    """The runner's role, under the pipeline's path: the deploy role may never change it (docs/ci.md)."""
    return f"{environment.value}-runner"


def log_group_name(environment: Environment) -> str:
    return f"/aws/codebuild/{runner_project_name(environment)}"


def repository_of(image: str) -> tuple[str, str, str]:
    """(account, region, repository) of an ECR image reference by digest."""
    match = DIGEST_REF_RE.fullmatch(image)
    if match is None:
        raise ValueError(f"runner image must be pinned by digest, REGISTRY/REPOSITORY@sha256:<64 hex>, got {image!r}")
    host = match["registry"]
    parts = host.split(".")
    if len(parts) < 6 or parts[1:3] != ["dkr", "ecr"]:
        raise ValueError(f"runner image must come from an ECR registry (ACCOUNT.dkr.ecr.REGION...), got {image!r}")
    return parts[0], parts[3], match["repository"].removeprefix(f"{host}/")


@dataclass(frozen=True, kw_only=True)
class DeploymentRunnerArgs:
    environment: Environment
    """The stack's environment: names the project, its role and its log group."""
    repository_url: str
    """The GitHub repository whose workflow jobs may start runners (`https://github.com/ORG/REPO`)."""
    connection_arn: str
    """An administrator's CodeConnections connection to GitHub (created once per account and authorised in the
    console: a connection starts PENDING)."""
    image: str
    """The runner's build image, by digest from this account's ECR
    (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…`)."""
    vpc_id: pulumi.Input[str]
    """The cluster's VPC."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The runner subnets (NAT egress, no node in them)."""
    api_security_group_id: pulumi.Input[str]
    """The cluster API endpoint's security group: this component adds the rule that admits the runner on 443."""
    endpoint_security_group_id: pulumi.Input[str]
    """The AWS service endpoints' security group (they admit HTTPS from the VPC)."""
    log_key_arn: pulumi.Input[str]
    """KMS key (use: logs) that encrypts the runner's log group."""
    log_retention_days: int
    """Retention of the runner's build logs."""
    account_id: str
    region: str
    partition: str = "aws"
    compute_type: ComputeType = ComputeType.MEDIUM
    """The build container's size."""
    timeout_minutes: int = 60
    """A job's longest run; a deploy job's timeout is 60 minutes (the deploy role's session)."""
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        account, _, _ = repository_of(self.image)
        if account != self.account_id:
            raise ValueError(
                f"runner image must come from this account's ECR ({self.account_id}.dkr.ecr...), got {self.image!r}"
            )
        if not self.subnet_ids:
            raise ValueError("subnet_ids: the runner needs its subnets (the network's runner subnets)")
        if not 5 <= self.timeout_minutes <= 480:
            raise ValueError(f"timeout_minutes must be 5..480 (CodeBuild's range), got {self.timeout_minutes}")

    @property
    def project_name(self) -> str:
        return runner_project_name(self.environment)

    @property
    def project_arn(self) -> str:
        return f"arn:{self.partition}:codebuild:{self.region}:{self.account_id}:project/{self.project_name}"

    @property
    def log_group_arn(self) -> str:
        return f"arn:{self.partition}:logs:{self.region}:{self.account_id}:log-group:{log_group_name(self.environment)}"

    @property
    def repository_arn(self) -> str:
        account, region, repository = repository_of(self.image)
        return f"arn:{self.partition}:ecr:{region}:{account}:repository/{repository}"


def runner_grants(args: DeploymentRunnerArgs, subnet_ids: Sequence[str], security_group_id: str) -> str:
    """The runner role's only policy: its build logs, its image, its build's network interfaces in the runner
    subnets, and the connection's token. No STS, no S3, no KMS, no IAM: a job's AWS access is the OIDC role's."""
    ec2 = f"arn:{args.partition}:ec2:{args.region}:{args.account_id}"
    subnets = [f"{ec2}:subnet/{subnet}" for subnet in subnet_ids]
    return document(
        {
            "Sid": "WriteItsBuildLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{args.log_group_arn}:log-stream:*"],
        },
        {
            "Sid": "PullItsImage",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": [args.repository_arn],
        },
        # GetAuthorizationToken and the Describe calls have no resource type in IAM.
        {
            "Sid": "LogInToTheRegistryAndSeeTheNetwork",
            "Effect": "Allow",
            "Action": [
                "ecr:GetAuthorizationToken",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": args.region}},
        },
        # CodeBuild User Guide, "Use AWS CodeBuild with Amazon VPC": the build's ENI in the runner subnets only.
        {
            "Sid": "ItsBuildNetworkInterface",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface"],
            "Resource": [f"{ec2}:network-interface/*", *subnets, f"{ec2}:security-group/{security_group_id}"],
        },
        {
            "Sid": "HandItsInterfaceToCodeBuild",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterfacePermission"],
            "Resource": [f"{ec2}:network-interface/*"],
            "Condition": {
                "StringEquals": {"ec2:AuthorizedService": CODEBUILD_SERVICE},
                "ArnEquals": {"ec2:Subnet": subnets},
            },
        },
        {
            "Sid": "RemoveItsInterface",
            "Effect": "Allow",
            "Action": ["ec2:DeleteNetworkInterface"],
            "Resource": [f"{ec2}:network-interface/*"],
            "Condition": {"ArnEquals": {"ec2:Subnet": subnets}},
        },
        {
            "Sid": "RegisterWithGitHub",
            "Effect": "Allow",
            "Action": ["codeconnections:GetConnectionToken", "codeconnections:GetConnection"],
            "Resource": [args.connection_arn],
        },
    )


class DeploymentRunner(pulumi.ComponentResource):
    """A CodeBuild project that GitHub's queued workflow jobs start as ephemeral runners in the runner subnets."""

    project_name: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: DeploymentRunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:runner:DeploymentRunner", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"Deployment runner {args.project_name}: no ingress, HTTPS out only",
            tags={**tags, "Name": f"{name}-runner"},
            opts=child,
        )
        for suffix, target, description in (
            ("to-cluster-api", args.api_security_group_id, "The cluster's private API endpoint"),
            (
                "to-aws-endpoints",
                args.endpoint_security_group_id,
                "AWS service endpoints (STS, EKS, EC2, ECR, Logs...)",
            ),
        ):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{suffix}",
                security_group_id=group.id,
                referenced_security_group_id=target,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                description=description,
                tags=tags,
                opts=child,
            )
        # GitHub and package registries publish no stable, complete address list: HTTPS to any address, through
        # the runner subnets' NAT. Inside the VPC nothing else admits this group (nodes admit only themselves).
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-github-and-registries",
            security_group_id=group.id,
            cidr_ipv4=INTERNET,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="GitHub (the job, actions) and package registries (PyPI, the Pulumi CLI), through NAT",
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-into-cluster-api",
            security_group_id=args.api_security_group_id,
            referenced_security_group_id=group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description=f"Deployment runner {args.project_name} to the Kubernetes API",
            tags=tags,
            opts=child,
        )

        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name(args.environment),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key_arn,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            name=runner_role_name(args.environment),
            path=CI_ROLE_PATH,
            description=f"CodeBuild deployment runner {args.project_name}: logs, image, network interfaces only",
            assume_role_policy=service_trust(
                CODEBUILD_SERVICE,
                conditions={
                    "StringEquals": {"aws:SourceAccount": args.account_id},
                    "ArnLike": {"aws:SourceArn": args.project_arn},
                },
            ),
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-grants",
            role=role.id,
            policy=pulumi.Output.all(group.id, *args.subnet_ids).apply(
                lambda ids: runner_grants(args, ids[1:], ids[0])
            ),
            opts=child,
        )
        project = aws.codebuild.Project(
            f"{name}-project",
            name=args.project_name,
            description="Ephemeral GitHub Actions runners in the cluster's VPC (one container per queued job)",
            service_role=role.arn,
            build_timeout=args.timeout_minutes,
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=args.repository_url,
                git_clone_depth=1,
                auth=aws.codebuild.ProjectSourceAuthArgs(type="CODECONNECTIONS", resource=args.connection_arn),
            ),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER",
                compute_type=args.compute_type.value,
                image=args.image,
                image_pull_credentials_type="SERVICE_ROLE",
                privileged_mode=False,
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id, subnets=list(args.subnet_ids), security_group_ids=[group.id]
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=logs.name
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=project.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[aws.codebuild.WebhookFilterGroupFilterArgs(type="EVENT", pattern=WORKFLOW_JOB_QUEUED)]
                )
            ],
            opts=child,
        )
        self.project_name = project.name
        self.role_arn = role.arn
        self.security_group_id = group.id
        self.register_outputs(
            {"project_name": self.project_name, "role_arn": self.role_arn, "security_group_id": self.security_group_id}
        )
