"""IAM actions that lead to more privilege, named once for the policy rule and the identity-path stack rule.

Sources: the IAM privilege-escalation methods catalogued by Rhino Security Labs ("AWS IAM Privilege Escalation
- Methods and Mitigation") and by PMapper's edge checks, and the IAM User Guide's "Granting a user permissions
to pass a role to an AWS service".
"""

from __future__ import annotations

from nhi_rules.lib.iam import Statement, action_matches
from nhi_rules.lib.iam_eval import Grant

# Editing policies, roles, users' credentials and cluster access: each is a path to more privilege.
IDENTITY_EDITING = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:CreateRole",
    "eks:CreateAccessEntry",
    "eks:AssociateAccessPolicy",
    "eks:CreatePodIdentityAssociation",
    "eks:UpdatePodIdentityAssociation",
)
# Running code or commands where another identity's credentials already are: a function's code, a Glue dev
# endpoint's key, an instance's shell (SSM, EC2 Instance Connect), a stack's template, a notebook.
RUN_AS_ANOTHER = (
    "lambda:UpdateFunctionCode",
    "glue:UpdateDevEndpoint",
    "ssm:SendCommand",
    "ssm:StartSession",
    "ec2-instance-connect:SendSSHPublicKey",
    "cloudformation:UpdateStack",
    "sagemaker:CreatePresignedNotebookInstanceUrl",
)
# Harmless on named resources, an escalation on any role.
STAR_ONLY = ("iam:PassRole", "sts:AssumeRole")
PASSROLE_ACTION = "iam:PassRole"
RUN_INSTANCES = "ec2:RunInstances"
EC2_SERVICE = "ec2.amazonaws.com"
# The service a role is passed to -> the actions that make that service run code with it.
CODE_RUNNERS: dict[str, tuple[str, ...]] = {
    EC2_SERVICE: (RUN_INSTANCES,),
    "lambda.amazonaws.com": ("lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"),
    "glue.amazonaws.com": ("glue:CreateDevEndpoint", "glue:CreateJob", "glue:UpdateJob"),
    "cloudformation.amazonaws.com": ("cloudformation:CreateStack", "cloudformation:UpdateStack"),
    "ecs-tasks.amazonaws.com": ("ecs:RunTask", "ecs:StartTask"),
    "sagemaker.amazonaws.com": ("sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob"),
    "codebuild.amazonaws.com": ("codebuild:CreateProject", "codebuild:UpdateProject"),
}
"""Not here: EKS (a cluster or node group role runs AWS's code) and Pod Identity (an association runs nothing by
itself: the pods that use it are judged on the Kubernetes side)."""
# Actions that change a role's permissions (its own policies, attached ones, its boundary).
ROLE_EDITING = (
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
)
POLICY_VERSIONING = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
TRUST_EDITING = "iam:UpdateAssumeRolePolicy"


def passed_to(statement: Statement) -> tuple[str, ...] | None:
    """The services an iam:PassRole Allow may pass roles to (iam:PassedToService), or None for any service."""
    values = [
        value
        for operator, found in statement.condition_values("iam:PassedToService").items()
        if operator.rpartition(":")[2].startswith(("StringEquals", "StringLike"))
        for value in found
    ]
    return tuple(values) if values else None


def passes_to(grant: Grant, service: str) -> bool:
    """Whether an iam:PassRole grant may pass a role to `service`."""
    services = passed_to(grant.statement)
    return services is None or any(action_matches(pattern, service) for pattern in services)
