"""Property test: an escalation in any shape is flagged, and what IAM or RBAC would refuse is not.

The robustness and gRPC fuzz tests prove that nothing raises; this one proves what issue 19's rules must catch:
RBAC rules that reach exec, tokens or the kubelet through exact names, `*` or `*/sub`, among other verbs and
resources; escalation actions spelt in any case or through wildcards, cancelled by a Deny, narrowed to AWS
managed policies; trust in a whole account; and escalation paths split over any two of a role's policy kinds,
or over any binding kind plus any pod controller.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhi_rules.iam import iam_policy_disallow_privilege_escalation as escalation
from nhi_rules.iam import iam_role_disallow_account_root_trust as account_trust
from nhi_rules.kubernetes import kubernetes_role_disallow_node_proxy as node_proxy
from nhi_rules.kubernetes import kubernetes_role_disallow_pod_exec as pod_exec
from nhi_rules.kubernetes import kubernetes_role_disallow_token_creation as token_creation
from nhi_rules.stack import eks_identity_disallow_escalation_paths as paths
from tests.policy.harness import Verdict, build_stack, run_resource, run_stack, template_regex

FEW = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
IAM_ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ACCOUNT = "111122223333"
NOISE_VERBS = ["get", "list", "watch", "patch", "delete", "deletecollection"]
NOISE_RESOURCES = ["configmaps", "services", "pods/log", "endpoints", "events"]


def flagged(verdict: Verdict, module: ModuleType, *constants: str) -> bool:
    templates = [template_regex(getattr(module, name)) for name in constants]
    return any(template.search(message) for message in verdict.messages for template in templates)


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- RBAC: exec, tokens and the kubelet, through every spelling RBAC accepts ------------------------------------


@st.composite
def rbac_rule(draw: st.DrawFn, resource: str, verbs: list[str]) -> dict[str, Any]:
    """A rule that reaches `resource` with one of `verbs`: named, `*`, or `*/<subresource>`; amid noise."""
    subresource = resource.partition("/")[2]
    reach = draw(st.sampled_from([resource, "*", f"*/{subresource}"]))
    verb = draw(st.sampled_from([*verbs, "*"]))
    return {
        "apiGroups": draw(st.sampled_from([[""], ["*"], ["", "apps"]])),
        "resources": draw(st.permutations([reach, *draw(st.lists(st.sampled_from(NOISE_RESOURCES), max_size=3))])),
        "verbs": draw(st.permutations([verb, *draw(st.lists(st.sampled_from(NOISE_VERBS), max_size=3))])),
    }


TARGETS = [
    (pod_exec, "MSG_POD_EXEC", "pods/exec", ["create", "get"]),
    (pod_exec, "MSG_POD_EXEC", "pods/attach", ["create", "get"]),
    (pod_exec, "MSG_POD_EXEC", "pods/portforward", ["create", "get"]),
    (token_creation, "MSG_MINTS_TOKENS", "serviceaccounts/token", ["create"]),
    (node_proxy, "MSG_NODE_PROXY", "nodes/proxy", ["get", "create"]),
]


@FEW
@given(data=st.data(), target=st.sampled_from(TARGETS), kind=st.sampled_from([ROLE, CLUSTER_ROLE]))
def test_rbac_reaching_a_workloads_identity_is_flagged(data: st.DataObject, target: tuple, kind: str) -> None:
    module, message, resource, verbs = target
    rules = [data.draw(rbac_rule(resource, verbs)), {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]
    props = {"metadata": {"name": "r", "namespace": "shop"}, "rules": data.draw(st.permutations(rules))}
    assert flagged(run_resource(module.POLICY, kind, props), module, message)


@FEW
@given(
    target=st.sampled_from(TARGETS),
    group=st.sampled_from(["apps", "batch", "metrics.k8s.io"]),
    verbs=st.lists(st.sampled_from(["list", "watch", "deletecollection"]), min_size=1, max_size=3),
)
def test_rbac_that_cannot_reach_it_is_not_flagged(target: tuple, group: str, verbs: list[str]) -> None:
    """Another API group, or verbs the subresource does not answer to: the authorizer would refuse."""
    module, _, resource, _ = target
    for rule in (
        {"apiGroups": [group], "resources": [resource, "*"], "verbs": ["*"]},
        {"apiGroups": [""], "resources": [resource], "verbs": verbs},
    ):
        props = {"metadata": {"name": "r", "namespace": "shop"}, "rules": [rule]}
        assert run_resource(module.POLICY, ROLE, props).violations == []


# --- IAM: escalation actions in any spelling, and what IAM's evaluation takes away -------------------------------

EDITING = st.sampled_from(list(escalation.ESCALATION_ACTIONS))


@st.composite
def spelling(draw: st.DrawFn, action: str) -> str:
    """The action as written, in another case, or through a wildcard that covers it."""
    service, _, name = action.partition(":")
    cut = draw(st.integers(0, len(name) - 1))
    return draw(
        st.sampled_from(
            [
                action,
                action.lower(),
                action.upper(),
                f"{service}:{name[:cut]}*",
                f"{service}:*",
                "*",
                f"{service}:{name[:-1]}?",
            ]
        )
    )


@FEW
@given(data=st.data(), action=EDITING)
def test_an_escalation_action_in_any_spelling_is_flagged(data: st.DataObject, action: str) -> None:
    statement = {"Effect": "Allow", "Action": data.draw(spelling(action)), "Resource": "*"}
    verdict = run_resource(escalation.POLICY, ROLE_POLICY, {"role": "app", "policy": _doc(statement)})
    assert flagged(verdict, escalation, "MSG_ESCALATION")


@FEW
@given(data=st.data(), action=EDITING, deny_first=st.booleans())
def test_an_explicit_deny_wins(data: st.DataObject, action: str, deny_first: bool) -> None:
    """A Deny that covers every action the Allow grants (by name, by service, `*`, or a NotAction that leaves it
    in) cancels it, whichever comes first."""
    spelled = data.draw(spelling(action))
    allow = {"Effect": "Allow", "Action": spelled, "Resource": "*"}
    service = action.partition(":")[0]
    covering: list[dict[str, Any]] = [{"Action": "*"}, {"NotAction": "s3:*"}]
    if spelled != "*":
        covering.append({"Action": f"{service}:*"})
    deny = {"Effect": "Deny", **data.draw(st.sampled_from(covering)), "Resource": "*"}
    statements = (deny, allow) if deny_first else (allow, deny)
    verdict = run_resource(escalation.POLICY, POLICY, {"policy": _doc(*statements)})
    assert verdict.violations == []


@FEW
@given(
    actions=st.lists(st.sampled_from(["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"]), min_size=1),
    name=st.sampled_from(
        ["ReadOnlyAccess", "AdministratorAccess", "service-role/AWSLambdaRole", "job-function/ViewOnlyAccess"]
    ),
)
def test_aws_managed_policies_cannot_be_versioned(actions: list[str], name: str) -> None:
    statement = {"Effect": "Allow", "Action": actions, "Resource": f"arn:aws:iam::aws:policy/{name}"}
    assert run_resource(escalation.POLICY, POLICY, {"policy": _doc(statement)}).violations == []


@FEW
@given(
    principal=st.sampled_from([f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "arn:aws:iam::444455556666:root"]),
    listed=st.booleans(),
    narrowing=st.sampled_from([None, "aws:PrincipalArn", "aws:PrincipalTag/team"]),
)
def test_trust_in_a_whole_account_is_flagged_unless_a_principal_is_named(
    principal: str, listed: bool, narrowing: str | None
) -> None:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": [principal] if listed else principal},
        "Action": "sts:AssumeRole",
    }
    if narrowing:
        statement["Condition"] = {"StringLike": {narrowing: "*"}}
    verdict = run_resource(account_trust.POLICY, IAM_ROLE, {"assumeRolePolicy": _doc(statement)})
    assert flagged(verdict, account_trust, "MSG_ACCOUNT_TRUST") is (narrowing is None)


# --- the whole identity: a path split over any two of a role's policy kinds ---------------------------------------

PASS = {
    "Effect": "Allow",
    "Action": "iam:PassRole",
    "Resource": f"arn:aws:iam::{ACCOUNT}:role/fn-runtime",
    "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
}
RUN = {
    "Effect": "Allow",
    "Action": "lambda:CreateFunction",
    "Resource": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:app",
}


def _holding(kind: str, statement: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """Resources that give the role `builder` one statement: inline, a RolePolicy, or an attached Policy."""
    if kind == "inline":
        return []
    if kind == "role-policy":
        return [{"type": ROLE_POLICY, "name": f"p{index}", "props": {"role": "builder", "policy": _doc(statement)}}]
    arn = f"arn:aws:iam::{ACCOUNT}:policy/p{index}"
    return [
        {"type": POLICY, "name": f"p{index}", "props": {"name": f"p{index}", "arn": arn, "policy": _doc(statement)}},
        {"type": ATTACHMENT, "name": f"a{index}", "props": {"role": "builder", "policyArn": arn}},
    ]


def _role(name: str, service: str, inline: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    trust = _doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})
    policies = [{"name": f"i{i}", "policy": _doc(s)} for i, s in enumerate(inline)]
    props = {"name": name, "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "assumeRolePolicy": trust}
    return {"type": IAM_ROLE, "name": name, "props": {**props, "inlinePolicies": policies, **extra}}


KINDS = st.sampled_from(["inline", "role-policy", "attached"])
STRONGER = st.sampled_from(
    [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::acme-prod-*"},
    ]
)


@FEW
@given(pass_kind=KINDS, run_kind=KINDS, stronger=STRONGER)
def test_a_pass_role_path_split_over_two_policies_is_found(pass_kind: str, run_kind: str, stronger: dict) -> None:
    inline = [s for kind, s in ((pass_kind, PASS), (run_kind, RUN)) if kind == "inline"]
    resources = [
        _role("builder", "codebuild.amazonaws.com", inline),
        *_holding(pass_kind, PASS, 0),
        *_holding(run_kind, RUN, 1),
        _role("fn-runtime", "lambda.amazonaws.com", [stronger]),
    ]
    verdict = run_stack(paths.POLICY, build_stack(resources))
    assert flagged(verdict, paths, "MSG_PASSES_ROLE")


@FEW
@given(pass_kind=KINDS, run_kind=KINDS)
def test_a_role_no_stronger_than_the_holder_is_no_path(pass_kind: str, run_kind: str) -> None:
    inline = [s for kind, s in ((pass_kind, PASS), (run_kind, RUN)) if kind == "inline"]
    resources = [
        _role("builder", "codebuild.amazonaws.com", inline),
        *_holding(pass_kind, PASS, 0),
        *_holding(run_kind, RUN, 1),
        _role("fn-runtime", "lambda.amazonaws.com", [RUN]),
    ]
    assert run_stack(paths.POLICY, build_stack(resources)).violations == []


# --- the whole identity: a binding of any kind plus a pod controller of any kind --------------------------------

CONTROLLERS = {
    "kubernetes:apps/v1:Deployment": ("apps", "deployments"),
    "kubernetes:apps/v1:StatefulSet": ("apps", "statefulsets"),
    "kubernetes:apps/v1:DaemonSet": ("apps", "daemonsets"),
    "kubernetes:batch/v1:Job": ("batch", "jobs"),
    "kubernetes:core/v1:Pod": ("", "pods"),
}


def _template(kind: str) -> dict[str, Any]:
    spec = {"serviceAccountName": "cart", "containers": [{"name": "app", "image": "x"}]}
    if kind.endswith(":Pod"):
        return {"metadata": {"name": "cart", "namespace": "shop"}, "spec": spec}
    return {"metadata": {"name": "cart", "namespace": "shop"}, "spec": {"template": {"spec": spec}}}


@FEW
@given(
    controller=st.sampled_from(sorted(CONTROLLERS)),
    cluster_wide=st.booleans(),
    verb=st.sampled_from(["create", "update", "patch", "*"]),
    group_subject=st.booleans(),
)
def test_a_binding_plus_a_pod_template_is_found(
    controller: str, cluster_wide: bool, verb: str, group_subject: bool
) -> None:
    group, resource = CONTROLLERS[controller]
    if resource == "pods" and verb in ("update", "patch"):
        verb = "create"  # a pod's service account cannot be changed after creation
    role_kind = "ClusterRole" if cluster_wide else "Role"
    role_meta = {"name": "deployer"} if cluster_wide else {"name": "deployer", "namespace": "shop"}
    subject = (
        {"kind": "Group", "name": "system:serviceaccounts:shop"}
        if group_subject
        else {"kind": "ServiceAccount", "name": "rollout", "namespace": "shop"}
    )
    binding_type = f"kubernetes:rbac.authorization.k8s.io/v1:{role_kind}Binding"
    resources = [
        {
            "type": "kubernetes:core/v1:ServiceAccount",
            "name": "rollout",
            "props": {"metadata": {"name": "rollout", "namespace": "shop"}},
        },
        {
            "type": f"kubernetes:rbac.authorization.k8s.io/v1:{role_kind}",
            "name": "deployer",
            "props": {
                "metadata": role_meta,
                "rules": [{"apiGroups": [group], "resources": [resource], "verbs": [verb]}],
            },
        },
        {
            "type": binding_type,
            "name": "deployer-binding",
            "props": {
                "metadata": {"name": "deployer", "namespace": "shop"},
                "roleRef": {"kind": role_kind, "name": "deployer"},
                "subjects": [subject],
            },
        },
        {"type": controller, "name": "cart", "props": _template(controller)},
        _role(
            "prod-cart", "pods.eks.amazonaws.com", [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}]
        ),
        {
            "type": "aws:eks/podIdentityAssociation:PodIdentityAssociation",
            "name": "cart-association",
            "props": {
                "namespace": "shop",
                "serviceAccount": "cart",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/prod-cart",
            },
            "propertyDependencies": {"roleArn": ["prod-cart"]},
        },
    ]
    verdict = run_stack(paths.POLICY, build_stack(resources))
    assert flagged(verdict, paths, "MSG_RUNS_AS")
