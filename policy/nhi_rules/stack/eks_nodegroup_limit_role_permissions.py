"""The node role holds what the kubelet needs and no more: no VPC CNI policy (the vpc-cni add-on has a role of
its own, so pods cannot borrow network-admin rights through IMDS) and pull-only access to ECR."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib import iamdb
from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import POLICY as MANAGED_POLICY
from nhi_rules.lib.iam import ROLE, ROLE_POLICY, Document, parsed_statements, permission_documents
from nhi_rules.lib.props import as_str, strings
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import RoleIndex, by_type, known, known_at

NAME = "eks-nodegroup-limit-role-permissions"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ECR_SERVICES = ("ecr", "ecr-public")

MSG_CNI_POLICY = (
    "node role {role!r} has {arn} ({path}): remove it and give the vpc-cni add-on its own role "
    "(Pod Identity or IRSA), so pods cannot use network-admin rights through the node"
)
MSG_ECR_POLICY = (
    "node role {role!r} has {arn} ({path}), which can change images: nodes only pull, attach one of {allowed} instead"
)
MSG_ECR_WRITE = (
    "node role {role!r} is granted {action} by {where}: nodes only pull images; remove ECR write "
    "actions from the node role"
)

CONFIG = {
    "disallowedPolicyNames": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["AmazonEKS_CNI_Policy", "AmazonEKS_CNI_IPv6_Policy"],
        "description": "AWS-managed policies the node role must not have (the VPC CNI's belong to its add-on role).",
    },
    "allowedEcrPolicyNames": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["AmazonEC2ContainerRegistryPullOnly", "AmazonEC2ContainerRegistryReadOnly"],
        "description": "AWS-managed ECR policies the node role may have; any other ECR managed policy is refused.",
    },
}


def _aws_managed_name(arn: str) -> str | None:
    return arn.rsplit("/", 1)[-1] if ":iam::aws:policy/" in arn else None


def _documents(resource_type: str, props: Any) -> list[Document]:
    return list(permission_documents(resource_type, props))


def _ecr_writes(document: Document) -> list[str]:
    """ECR actions of write, permissions-management or tagging level that a document allows (one per pattern)."""
    found: list[str] = []
    for statement in parsed_statements(document):
        if not statement.allows:
            continue
        for pattern in statement.actions:
            text = pattern.strip()
            # '*' grants every ECR action too; expanding only ECR's keeps the other services unindexed.
            ecr_patterns = [f"{s}:*" for s in ECR_SERVICES] if text == "*" else [text]
            for ecr_pattern in ecr_patterns:
                if ecr_pattern.partition(":")[0].lower() not in ECR_SERVICES:
                    continue
                writes = [a for a in iamdb.expand(ecr_pattern) if a.access_level in iamdb.WRITE_LEVELS]
                if writes:
                    found.append(writes[0].full_name)
                    break
    return found


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    roles = RoleIndex(index.get(ROLE, []))
    node_roles: dict[str, PolicyResource] = {}
    for group in index.get(NODE_GROUP, []):
        role = roles.resolve(group, "nodeRoleArn", known_at(as_str, group.props, "nodeRoleArn"))
        if role is not None:
            node_roles[role.urn] = role
    if not node_roles:
        return
    policies = {p.urn: p for p in index.get(MANAGED_POLICY, [])}

    def judge_arn(role: PolicyResource, arn: str, path: str, anchor: str) -> Iterator[tuple[str, str | None]]:
        name = _aws_managed_name(arn)
        if name in config["disallowedPolicyNames"]:
            yield MSG_CNI_POLICY.format(role=role.name, arn=arn, path=path), anchor
        elif name is not None and "ContainerRegistry" in name and name not in config["allowedEcrPolicyNames"]:
            yield (
                MSG_ECR_POLICY.format(
                    role=role.name, arn=arn, path=path, allowed=", ".join(config["allowedEcrPolicyNames"])
                ),
                anchor,
            )

    for node_role in node_roles.values():
        for position, managed_arn in enumerate(known_at(strings, node_role.props, "managedPolicyArns") or []):
            yield from judge_arn(node_role, managed_arn, f"managedPolicyArns[{position}]", node_role.urn)
        for document in known(_documents, ROLE, node_role.props) or []:
            for action in known(_ecr_writes, document) or []:
                yield MSG_ECR_WRITE.format(role=node_role.name, action=action, where=document.path), node_role.urn

    for attachment in index.get(ATTACHMENT, []):
        role = roles.resolve(attachment, "role", known_at(as_str, attachment.props, "role"))
        if role is None or role.urn not in node_roles:
            continue
        attached_arn = known_at(as_str, attachment.props, "policyArn")
        if attached_arn:
            yield from judge_arn(role, attached_arn, f"attachment {attachment.name}", attachment.urn)
        # A customer-managed policy of this stack: judge its document.
        policy = next(
            (policies[d.urn] for d in attachment.property_dependencies.get("policyArn", []) if d.urn in policies), None
        )
        if policy is not None:
            for document in known(_documents, MANAGED_POLICY, policy.props) or []:
                for action in known(_ecr_writes, document) or []:
                    yield (
                        MSG_ECR_WRITE.format(role=role.name, action=action, where=f"policy {policy.name}"),
                        attachment.urn,
                    )

    for inline in index.get(ROLE_POLICY, []):
        role = roles.resolve(inline, "role", known_at(as_str, inline.props, "role"))
        if role is None or role.urn not in node_roles:
            continue
        for document in known(_documents, ROLE_POLICY, inline.props) or []:
            for action in known(_ecr_writes, document) or []:
                yield (
                    MSG_ECR_WRITE.format(role=role.name, action=action, where=f"role policy {inline.name}"),
                    inline.urn,
                )


POLICY = stack_rule(
    name=NAME,
    description="Node roles of EKS node groups have no VPC CNI policy and only pull access to ECR.",
    resource_types=(NODE_GROUP, ROLE, ATTACHMENT, ROLE_POLICY, MANAGED_POLICY),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-09", "Update the aws-node daemonset to use IRSA (or Pod Identity)"),
    tags=["aws", "iam", "eks", "nodes", "least-privilege", "cis-eks:5.1.3", "stack"],
    remediation_steps=(
        "Attach only AmazonEKSWorkerNodePolicy and AmazonEC2ContainerRegistryPullOnly to the node "
        "role; give the vpc-cni add-on its own role with AmazonEKS_CNI_Policy."
    ),
    config=CONFIG,
)
