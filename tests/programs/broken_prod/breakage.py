"""What the broken copy of prod breaks: one violation per rule family, each injected into one real prod
resource by a stack transformation, each naming the rule that must block it.

Transformations see a resource's inputs as the program built them: a dict of Python (snake_case) names at
the top, then `*Args` objects, plain dicts, lists, and Outputs (edited inside `apply`). IAM documents are
JSON strings (or Outputs of them) and are edited as parsed objects.

The Kubernetes breakages are ones Checkov also has checks for where it has any (privileged, privilege
escalation, capabilities, root user, image tag instead of digest, secrets in env, token automount, writable
root filesystem, limits), so the performance comparison with Checkov scans the same mistakes.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

Path = tuple[str | int, ...]
DELETE = object()
"""Returned by an edit to remove the key (a property the program set is then omitted)."""

# Resource types the breakages touch.
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
KMS_KEY = "aws:kms/key:Key"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
REPOSITORY = "aws:ecr/repository:Repository"
ADDON = "aws:eks/addon:Addon"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE = "kubernetes:core/v1:Service"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ADMISSION_POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
ADMISSION_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"

# AWS's own documentation example credentials: obviously fake, and still caught as secrets.
AWS_DOCS_EXAMPLE_CREDENTIAL = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
FOREIGN_IMAGE = "docker.io/library/nginx@sha256:" + "4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac"


# ---- editing what a transformation receives -------------------------------------------------------------


def _child(value: Any, key: str | int) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    if isinstance(value, (list, tuple)):
        return value[key]
    return pulumi.get(value, key)  # an *Args input type


def _replaced(value: Any, key: str | int, new: Any) -> Any:
    """A shallow copy of `value` with `key` set to `new` (or removed): the program's objects stay untouched."""
    if isinstance(value, (list, tuple)):
        items = list(value)
        items[key] = new  # type: ignore[index]
        return items
    if isinstance(value, dict):  # a plain mapping; the SDK's *Args input types are classes, not dicts
        result = dict(value)
        if new is DELETE:
            result.pop(key, None)
        else:
            result[key] = new
        return result
    result = copy.copy(value)
    if new is DELETE:
        result.__dict__.pop(key, None)
    else:
        pulumi.set(result, key, new)  # type: ignore[arg-type]
    return result


@dataclass(frozen=True)
class to:
    """A change that ignores the old value, so an Output there is replaced without waiting for it."""

    new: Any

    def __call__(self, _old: Any) -> Any:
        return self.new


def edit(value: Any, path: Path, change: Callable[[Any], Any]) -> Any:
    """`value` with the part at `path` replaced by `change(part)`, looking through Outputs."""
    if not path and isinstance(change, to):
        return change.new
    if isinstance(value, pulumi.Output):
        return value.apply(lambda resolved: edit(resolved, path, change))
    if not path:
        return change(value)
    key, rest = path[0], path[1:]
    return _replaced(value, key, edit(_child(value, key), rest, change))


def json_doc(change: Callable[[dict], None]) -> Callable[[Any], Any]:
    """Edits a JSON policy document (a string) in place of its parsed object."""

    def apply(text: Any) -> Any:
        document = json.loads(text)
        change(document)
        return json.dumps(document)

    return apply


POD_SPEC: Path = ("spec", "template", "spec")
APP: Path = (*POD_SPEC, "containers", 0)  # a Deployment's one container


# ---- the breakages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakage:
    rule: str
    """The rule that must block this mistake."""
    type: str
    name: str
    """Logical name of the prod resource it lands in."""
    path: Path
    change: Callable[[Any], Any]
    why: str
    also: tuple[str, ...] = ()
    """Other rules that, rightly, block the same mistake."""


def _drop_condition(operator: str, key_suffix: str) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        conditions = document["Statement"][0]["Condition"][operator]
        for key in [k for k in conditions if k.endswith(key_suffix)]:
            del conditions[key]

    return change


def _wildcard_subject(document: dict) -> None:
    equals = document["Statement"][0]["Condition"]["StringEquals"]
    sub = next(k for k in equals if k.endswith(":sub"))
    namespace = equals.pop(sub).split(":")[2]
    document["Statement"][0]["Condition"]["StringLike"] = {sub: f"system:serviceaccount:{namespace}:*"}


def _second_subject(document: dict) -> None:
    equals = document["Statement"][0]["Condition"]["StringEquals"]
    sub = next(k for k in equals if k.endswith(":sub"))
    equals[sub] = [equals[sub], "system:serviceaccount:notifications:notifier"]


def _github_subject(subject: str) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        document["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] = subject

    return change


def _statement(index: int, key: str, value: Any) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        document["Statement"][index][key] = value

    return change


def _add_action(action: str) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        document["Statement"][0]["Action"] = [*document["Statement"][0]["Action"], action]

    return change


def _append_statement(statement: dict) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        document["Statement"].append(statement)

    return change


def _user_data_with_secret(encoded: Any) -> str:
    text = base64.b64decode(encoded).decode()
    text += f'\n[settings.aws]\naws_secret_access_key = "{AWS_DOCS_EXAMPLE_CREDENTIAL}"\n'
    return base64.b64encode(text.encode()).decode()


def _without_psa_labels(labels: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if not k.startswith("pod-security.kubernetes.io/")}


def _security_context(**changes: Any) -> Callable[[Any], Any]:
    def change(context: Any) -> Any:
        for key, value in changes.items():
            context = _replaced(context, key, value)
        return context

    return change


BREAKAGES: tuple[Breakage, ...] = (
    # -- EKS control plane
    Breakage(
        "eks-cluster-disallow-public-endpoint",
        CLUSTER,
        "prod-core-eks",
        ("vpc_config", "endpoint_public_access"),
        to(True),
        "API endpoint public to the internet (no CIDRs)",
    ),
    Breakage(
        "eks-cluster-disallow-creator-admin",
        CLUSTER,
        "prod-core-eks",
        ("access_config", "bootstrap_cluster_creator_admin_permissions"),
        to(True),
        "the creator gets cluster-admin",
    ),
    Breakage(
        "eks-cluster-enforce-api-authentication",
        CLUSTER,
        "prod-core-eks",
        ("access_config", "authentication_mode"),
        to("API_AND_CONFIG_MAP"),
        "aws-auth ConfigMap accepted again",
    ),
    Breakage(
        "eks-cluster-require-control-plane-logs",
        CLUSTER,
        "prod-core-eks",
        ("enabled_cluster_log_types",),
        lambda types: [t for t in types if t != "audit"],
        "audit log off",
    ),
    Breakage(
        "eks-cluster-require-secrets-encryption",
        CLUSTER,
        "prod-core-eks",
        ("encryption_config",),
        to(DELETE),
        "Secrets not envelope-encrypted",
    ),
    Breakage(
        "eks-cluster-require-standard-support",
        CLUSTER,
        "prod-core-eks",
        ("upgrade_policy", "support_type"),
        to("EXTENDED"),
        "the cluster may sit on an old version for a paid extra year",
    ),
    Breakage(
        "eks-cluster-require-deletion-protection",
        CLUSTER,
        "prod-core-eks",
        ("deletion_protection",),
        to(False),
        "a stray destroy deletes prod",
    ),
    # -- nodes
    Breakage(
        "ec2-launchtemplate-limit-metadata-hop-limit",
        LAUNCH_TEMPLATE,
        "prod-core-general-lt",
        ("metadata_options", "http_put_response_hop_limit"),
        to(2),
        "IMDS hop limit 2: pods reach the node role",
    ),
    Breakage(
        "ec2-launchtemplate-require-imdsv2",
        LAUNCH_TEMPLATE,
        "prod-core-general-lt",
        ("metadata_options", "http_tokens"),
        to("optional"),
        "IMDSv1 allowed",
    ),
    Breakage(
        "ec2-launchtemplate-disallow-userdata-secrets",
        LAUNCH_TEMPLATE,
        "prod-core-general-lt",
        ("user_data",),
        _user_data_with_secret,
        "an AWS secret key in user data",
    ),
    Breakage(
        "ec2-launchtemplate-require-encrypted-volumes",
        LAUNCH_TEMPLATE,
        "prod-core-compute-lt",
        ("block_device_mappings", 1, "ebs", "encrypted"),
        to("false"),
        "an unencrypted data volume",
    ),
    Breakage(
        "eks-nodegroup-require-pinned-release",
        NODE_GROUP,
        "prod-core-general-ng",
        ("release_version",),
        to(DELETE),
        "AMI release floats",
    ),
    Breakage(
        "eks-nodegroup-disallow-remote-access",
        NODE_GROUP,
        "prod-core-general-ng",
        ("remote_access",),
        to({"ec2_ssh_key": "ops-break-glass"}),
        "SSH into nodes",
    ),
    Breakage(
        "eks-nodegroup-require-launch-template",
        NODE_GROUP,
        "prod-core-compute-ng",
        ("launch_template",),
        to(DELETE),
        "EKS default launch template (hop limit 2)",
    ),
    Breakage(
        "eks-nodegroup-require-bottlerocket",
        NODE_GROUP,
        "prod-core-compute-ng",
        ("ami_type",),
        to("AL2_x86_64"),
        "a general-purpose OS with a shell and a package manager",
    ),
    Breakage(
        "eks-nodegroup-limit-update-disruption",
        NODE_GROUP,
        "prod-core-general-ng",
        ("update_config",),
        to(DELETE),
        "node replacement not bounded explicitly",
    ),
    Breakage(
        "eks-nodegroup-limit-role-permissions",
        ATTACHMENT,
        "prod-core-node-AmazonEC2ContainerRegistryPullOnly",
        ("policy_arn",),
        to("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"),
        "nodes (and pods through IMDS) can push images",
    ),
    # -- network, keys, registry, add-ons, logs, detection
    Breakage(
        "ec2-securitygroup-disallow-open-admin-ports",
        DEFAULT_SG,
        "prod-core-network-default-sg",
        ("ingress",),
        to([{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}]),
        "SSH open to the internet on the VPC's default security group",
    ),
    Breakage(
        "ec2-securitygroup-disallow-open-all-ports",
        DEFAULT_SG,
        "prod-core-network-default-sg",
        ("ingress",),
        lambda rules: [*rules, {"protocol": "-1", "from_port": 0, "to_port": 0, "ipv6_cidr_blocks": ["::/0"]}],
        "all traffic from the IPv6 internet on the same group",
    ),
    Breakage(
        "ec2-vpcendpoint-disallow-full-access",
        VPC_ENDPOINT,
        "prod-core-network-sts-endpoint",
        ("policy",),
        to(DELETE),
        "the STS endpoint left with AWS's default full-access policy",
    ),
    Breakage(
        "kms-key-require-rotation",
        KMS_KEY,
        "prod-core-images-key",
        ("enable_key_rotation",),
        to(False),
        "key rotation off",
    ),
    Breakage(
        "ecr-repository-require-immutable-tags",
        REPOSITORY,
        "prod-core-registry-gateway",
        ("image_tag_mutability",),
        to("MUTABLE"),
        "tags can be overwritten",
    ),
    Breakage(
        "ecr-repository-require-scan-on-push",
        REPOSITORY,
        "prod-core-registry-catalog",
        ("image_scanning_configuration", "scan_on_push"),
        to(False),
        "no scan on push",
    ),
    Breakage(
        "eks-addon-require-network-policy",
        ADDON,
        "prod-core-bootstrap-addons-vpc-cni",
        ("configuration_values",),
        to(json.dumps({"enableNetworkPolicy": "false"})),
        "NetworkPolicies not enforced",
    ),
    Breakage(
        "cloudwatch-loggroup-require-encryption",
        LOG_GROUP,
        "prod-core-network-flow-logs",
        ("kms_key_id",),
        to(DELETE),
        "flow logs unencrypted",
    ),
    Breakage(
        "cloudwatch-loggroup-require-retention",
        LOG_GROUP,
        "prod-core-control-plane-logs",
        ("retention_in_days",),
        to(7),
        "a week of audit logs",
    ),
    Breakage(
        "guardduty-detector-require-eks-protection",
        DETECTOR_FEATURE,
        "detective-runtime-monitoring",
        ("status",),
        to("DISABLED"),
        "no runtime monitoring",
    ),
    # -- IAM permissions
    Breakage(
        "iam-policy-disallow-wildcard-actions",
        ROLE_POLICY,
        "workloads-cart-identity-access",
        ("policy",),
        json_doc(_statement(0, "Action", "*")),
        'Action "*" (on the cart table)',
    ),  # no escalation: evaluated as IAM does, "*" on a table ARN grants no IAM action (iam:PutRolePolicy & co.)
    Breakage(
        "iam-policy-disallow-privilege-escalation",
        ROLE_POLICY,
        "workloads-orders-identity-access",
        ("policy",),
        json_doc(
            _append_statement(
                {
                    "Effect": "Allow",
                    "Action": "iam:PutRolePolicy",
                    "Resource": "arn:aws:iam::111122223333:role/prod-orders-helper",
                }
            )
        ),
        "the workload can edit a role's policy",
    ),
    Breakage(
        "iam-policy-disallow-wildcard-resources",
        ROLE_POLICY,
        "workloads-inventory-identity-access",
        ("policy",),
        json_doc(_statement(0, "Resource", "*")),
        "table writes on every table",
    ),
    Breakage(
        "iam-policy-require-valid-grammar",
        ROLE_POLICY,
        "workloads-fraud-identity-access",
        ("policy",),
        json_doc(_add_action("dynamodb:GetItems")),
        "a misspelled action",
    ),
    Breakage(
        "iam-policy-disallow-admin-attachment",
        ATTACHMENT,
        "prod-core-cluster-policy",
        ("policy_arn",),
        to("arn:aws:iam::aws:policy/AdministratorAccess"),
        "AdministratorAccess on the control plane role",
    ),
    # -- IAM trust
    Breakage(
        "iam-role-disallow-public-trust",
        ROLE,
        "prod-core-node-role",
        ("assume_role_policy",),
        json_doc(_statement(0, "Principal", {"AWS": "*"})),
        'Principal "*"',
    ),
    Breakage(
        "iam-role-enforce-oidc-trust-conditions",
        ROLE,
        "workloads-ledger-identity-role",
        ("assume_role_policy",),
        json_doc(_drop_condition("StringEquals", ":aud")),
        "IRSA trust without aud",
    ),
    Breakage(
        "iam-role-disallow-wildcard-oidc-subject",
        ROLE,
        "workloads-notifier-identity-role",
        ("assume_role_policy",),
        json_doc(_wildcard_subject),
        "IRSA trust for every SA of the namespace",
        also=("eks-identity-require-matching-trust",),
    ),  # the trust no longer names the bound SA exactly
    Breakage(
        "iam-role-enforce-pod-identity-trust-conditions",
        ROLE,
        "workloads-accounts-identity-role",
        ("assume_role_policy",),
        json_doc(_drop_condition("StringEquals", "aws:SourceAccount")),
        "Pod Identity trust without the confused-deputy guard",
    ),
    Breakage(
        "iam-role-limit-service-account-bindings",
        ROLE,
        "workloads-mailer-identity-role",
        ("assume_role_policy",),
        json_doc(_second_subject),
        "one role trusted by two service accounts",
    ),
    Breakage(
        "iam-role-enforce-github-oidc-trust",
        ROLE,
        "pipeline-deploy",
        ("assume_role_policy",),
        json_doc(_github_subject("repo:acme/nhi-platform:ref:refs/heads/main")),
        "prod deploys from any push to main, past the protected environment",
    ),
    Breakage(
        "eks-identity-require-matching-trust",
        ASSOCIATION,
        "workloads-auth-identity-association",
        ("service_account",),
        to("auth-v2"),
        "an association for a SA that neither exists nor is trusted",
    ),
    Breakage(
        "eks-podidentity-require-session-tags",
        ASSOCIATION,
        "workloads-fraud-identity-association",
        ("disable_session_tags",),
        to(True),
        "session tags off: trust conditions stop working",
    ),
    Breakage(
        "iam-role-disallow-account-root-trust",
        ROLE,
        "prod-core-network-flow-logs-role",
        ("assume_role_policy",),
        json_doc(
            _append_statement(
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}
            )
        ),
        "every principal of the account may assume the flow-logs role",
    ),
    Breakage(
        "eks-identity-disallow-escalation-paths",
        ROLE_POLICY,
        "workloads-checkout-identity-access",
        ("policy",),
        json_doc(
            _append_statement(
                {
                    "Effect": "Allow",
                    "Action": "iam:UpdateAssumeRolePolicy",
                    "Resource": "arn:aws:iam::111122223333:role/nhi-platform/workloads/*",
                }
            )
        ),
        "the checkout workload can rewrite the other workloads' trust and become them",
        also=("iam-policy-disallow-privilege-escalation",),
    ),
    # -- pods (Checkov has checks for each of these but hostPath)
    Breakage(
        "kubernetes-pod-enforce-security-standards",
        DEPLOYMENT,
        "workloads-gateway-rollout-blue",
        (*APP, "security_context"),
        _security_context(
            privileged=True,
            allow_privilege_escalation=True,
            capabilities=k8s.core.v1.CapabilitiesArgs(add=["NET_ADMIN", "SYS_ADMIN"]),
        ),
        "privileged, privilege escalation, added capabilities",
    ),
    Breakage(
        "kubernetes-pod-enforce-security-standards",
        DEPLOYMENT,
        "workloads-catalog-rollout-blue",
        (*APP, "security_context"),
        _security_context(run_as_user=0, run_as_non_root=False),
        "root user",
    ),
    Breakage(
        "kubernetes-pod-enforce-security-standards",
        DEPLOYMENT,
        "workloads-cart-rollout-blue",
        (*POD_SPEC, "volumes"),
        lambda volumes: [
            *volumes,
            k8s.core.v1.VolumeArgs(name="host-docker", host_path=k8s.core.v1.HostPathVolumeSourceArgs(path="/var/run")),
        ],
        "a hostPath volume",
    ),
    Breakage(
        "kubernetes-pod-require-image-digest",
        DEPLOYMENT,
        "workloads-checkout-rollout-blue",
        (*APP, "image"),
        lambda image: image.split("@")[0] + ":1.4.2",
        "a tag instead of a digest",
    ),
    Breakage(
        "kubernetes-pod-limit-image-registries",
        DEPLOYMENT,
        "workloads-orders-rollout-blue",
        (*APP, "image"),
        to(FOREIGN_IMAGE),
        "an image from Docker Hub (pinned, but not ours)",
    ),
    Breakage(
        "kubernetes-pod-disallow-env-secrets",
        DEPLOYMENT,
        "workloads-payments-rollout-blue",
        (*APP, "env"),
        to([k8s.core.v1.EnvVarArgs(name="AWS_SECRET_ACCESS_KEY", value=AWS_DOCS_EXAMPLE_CREDENTIAL)]),
        "a plaintext secret in env",
    ),
    Breakage(
        "kubernetes-pod-disallow-token-automount",
        DEPLOYMENT,
        "workloads-fraud-rollout-blue",
        (*POD_SPEC, "automount_service_account_token"),
        to(True),
        "the API token mounted",
    ),
    Breakage(
        "kubernetes-pod-require-readonly-rootfs",
        DEPLOYMENT,
        "workloads-accounts-rollout-blue",
        (*APP, "security_context", "read_only_root_filesystem"),
        to(False),
        "writable root filesystem",
    ),
    Breakage(
        "kubernetes-pod-require-resource-limits",
        DEPLOYMENT,
        "workloads-auth-rollout-blue",
        (*APP, "resources", "limits"),
        to(DELETE),
        "no limits",
    ),
    Breakage(
        "kubernetes-pod-disallow-default-identity",
        DEPLOYMENT,
        "workloads-mailer-rollout-blue",
        (*POD_SPEC, "service_account_name"),
        to("default"),
        "the namespace's default ServiceAccount",
    ),
    # -- namespaces, services, network policies
    Breakage(
        "kubernetes-namespace-require-pod-security-labels",
        NAMESPACE,
        "workload-namespaces-data",
        ("metadata", "labels"),
        _without_psa_labels,
        "no Pod Security Admission labels",
    ),
    Breakage(
        "kubernetes-service-require-internal-loadbalancer",
        SERVICE,
        "workloads-gateway-rollout-service",
        ("spec", "type"),
        to("LoadBalancer"),
        "an internet-facing load balancer",
    ),
    Breakage(
        "kubernetes-networkpolicy-disallow-allow-all",
        NETWORK_POLICY,
        "workloads-ledger-flows",
        ("spec", "ingress", 0, "from_"),
        to(DELETE),
        "ingress to the ledger from anywhere",
    ),
    Breakage(
        "kubernetes-namespace-require-default-deny",
        NETWORK_POLICY,
        "workloads-ns-identity-default-deny",
        ("spec", "policy_types"),
        to(["Ingress"]),
        "default-deny for egress removed",
    ),
    Breakage(
        "kubernetes-pod-require-network-policy-coverage",
        NETWORK_POLICY,
        "workloads-reporting-flows",
        ("spec", "pod_selector", "match_labels"),
        to({"app.kubernetes.io/name": "reporting-v0"}),
        "the reporting pods' own policy selects nothing",
    ),
    # -- Run-time admission
    Breakage(
        "kubernetes-namespace-require-admission-allowlist",
        ADMISSION_BINDING,
        "admission-binding-nhi-platform-workload-allowlist-data",
        ("spec", "validation_actions"),
        to(["Audit"]),
        "the data namespace's image allow-list only audits: any image runs there",
        also=("kubernetes-admissionpolicy-require-fail-closed",),
    ),
    Breakage(
        "kubernetes-admissionpolicy-require-fail-closed",
        ADMISSION_POLICY,
        "admission-policy-nhi-platform-no-token-secrets",
        ("spec", "failure_policy"),
        to("Ignore"),
        "the token-Secret policy admits whatever it cannot evaluate",
    ),
)


class Injector:
    """The stack transformation: applies each breakage to its resource and remembers which landed."""

    def __init__(self, breakages: Sequence[Breakage]) -> None:
        self.breakages = breakages
        self.applied: set[int] = set()

    def __call__(self, args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        props: Any = args.props
        changed = False
        for index, breakage in enumerate(self.breakages):
            if breakage.type == args.type_ and breakage.name == args.name:
                props = edit(props, breakage.path, breakage.change)
                self.applied.add(index)
                changed = True
        return pulumi.ResourceTransformationResult(props, args.opts) if changed else None

    def require_all_applied(self) -> None:
        missing = [f"{b.type} {b.name} ({b.rule})" for i, b in enumerate(self.breakages) if i not in self.applied]
        if missing:
            raise RuntimeError("breakages whose resource the program no longer creates: " + "; ".join(missing))


def expected_rules() -> set[str]:
    return {rule for breakage in BREAKAGES for rule in (breakage.rule, *breakage.also)}
