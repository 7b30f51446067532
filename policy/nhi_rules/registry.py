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
    iam_role_enforce_github_oidc_trust,
    iam_role_enforce_oidc_trust_conditions,
    iam_role_enforce_pod_identity_trust_conditions,
    iam_user_disallow_static_credentials,
)
from nhi_rules.kubernetes import (
    kubernetes_namespace_require_pod_security_labels,
    kubernetes_networkpolicy_disallow_allow_all,
    kubernetes_pod_disallow_default_identity,
    kubernetes_pod_disallow_env_secrets,
    kubernetes_pod_disallow_token_automount,
    kubernetes_pod_enforce_security_standards,
    kubernetes_pod_limit_image_registries,
    kubernetes_pod_require_image_digest,
    kubernetes_pod_require_readonly_rootfs,
    kubernetes_pod_require_resource_limits,
    kubernetes_service_require_internal_loadbalancer,
)
from nhi_rules.stack import (
    eks_identity_require_matching_trust,
    guardduty_detector_require_eks_protection,
    iam_role_limit_service_account_bindings,
    kubernetes_namespace_require_default_deny,
    kubernetes_pod_require_network_policy_coverage,
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
    iam_role_enforce_github_oidc_trust,
    iam_role_enforce_oidc_trust_conditions,
    iam_role_enforce_pod_identity_trust_conditions,
    iam_user_disallow_static_credentials,
    # kubernetes
    kubernetes_namespace_require_pod_security_labels,
    kubernetes_networkpolicy_disallow_allow_all,
    kubernetes_pod_disallow_default_identity,
    kubernetes_pod_disallow_env_secrets,
    kubernetes_pod_disallow_token_automount,
    kubernetes_pod_enforce_security_standards,
    kubernetes_pod_limit_image_registries,
    kubernetes_pod_require_image_digest,
    kubernetes_pod_require_readonly_rootfs,
    kubernetes_pod_require_resource_limits,
    kubernetes_service_require_internal_loadbalancer,
    # stack
    eks_identity_require_matching_trust,
    guardduty_detector_require_eks_protection,
    iam_role_limit_service_account_bindings,
    kubernetes_namespace_require_default_deny,
    kubernetes_pod_require_network_policy_coverage,
)

POLICIES: list[Policy] = [module.POLICY for module in RULE_MODULES]
