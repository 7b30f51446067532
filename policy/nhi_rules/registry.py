"""The explicit list of every rule in the pack. A layout test fails when a rule module is missing here."""

from __future__ import annotations

from pulumi_policy import Policy

from nhi_rules.aws import (
    cloudwatch_loggroup_require_encryption,
    cloudwatch_loggroup_require_retention,
    ec2_launchtemplate_disallow_userdata_secrets,
    ec2_launchtemplate_limit_metadata_hop_limit,
    ec2_launchtemplate_require_encrypted_volumes,
    ec2_launchtemplate_require_imdsv2,
    ec2_securitygroup_disallow_open_admin_ports,
    ec2_securitygroup_disallow_open_all_ports,
    ecr_repository_require_immutable_tags,
    ecr_repository_require_scan_on_push,
    eks_addon_require_network_policy,
    eks_cluster_disallow_creator_admin,
    eks_cluster_disallow_public_endpoint,
    eks_cluster_enforce_api_authentication,
    eks_cluster_require_control_plane_logs,
    eks_cluster_require_secrets_encryption,
    eks_nodegroup_disallow_remote_access,
    eks_nodegroup_require_launch_template,
    eks_nodegroup_require_pinned_release,
    eks_podidentity_require_session_tags,
    kms_key_require_rotation,
)
from nhi_rules.iam import (
    iam_policy_disallow_admin_attachment,
    iam_policy_disallow_privilege_escalation,
    iam_policy_disallow_wildcard_actions,
    iam_policy_disallow_wildcard_resources,
    iam_policy_require_valid_grammar,
    iam_role_disallow_public_trust,
    iam_role_disallow_wildcard_oidc_subject,
    iam_role_enforce_oidc_trust_conditions,
    iam_role_enforce_pod_identity_trust_conditions,
    iam_user_disallow_static_credentials,
)

RULE_MODULES = (
    # aws
    cloudwatch_loggroup_require_encryption,
    cloudwatch_loggroup_require_retention,
    ec2_launchtemplate_disallow_userdata_secrets,
    ec2_launchtemplate_limit_metadata_hop_limit,
    ec2_launchtemplate_require_encrypted_volumes,
    ec2_launchtemplate_require_imdsv2,
    ec2_securitygroup_disallow_open_admin_ports,
    ec2_securitygroup_disallow_open_all_ports,
    ecr_repository_require_immutable_tags,
    ecr_repository_require_scan_on_push,
    eks_addon_require_network_policy,
    eks_cluster_disallow_creator_admin,
    eks_cluster_disallow_public_endpoint,
    eks_cluster_enforce_api_authentication,
    eks_cluster_require_control_plane_logs,
    eks_cluster_require_secrets_encryption,
    eks_nodegroup_disallow_remote_access,
    eks_nodegroup_require_launch_template,
    eks_nodegroup_require_pinned_release,
    eks_podidentity_require_session_tags,
    kms_key_require_rotation,
    # iam
    iam_policy_disallow_admin_attachment,
    iam_policy_disallow_privilege_escalation,
    iam_policy_disallow_wildcard_actions,
    iam_policy_disallow_wildcard_resources,
    iam_policy_require_valid_grammar,
    iam_role_disallow_public_trust,
    iam_role_disallow_wildcard_oidc_subject,
    iam_role_enforce_oidc_trust_conditions,
    iam_role_enforce_pod_identity_trust_conditions,
    iam_user_disallow_static_credentials,
)

POLICIES: list[Policy] = [module.POLICY for module in RULE_MODULES]
