"""Names the pack shares with the program and the command line, defined once, here.

The pack never imports the program, so what both sides must spell alike lives in the pack, in this module with
no dependencies: the pack imports it from its own import root (policy/), the program and `nhi` import it as
`nhi_rules.contract` (pyproject.toml installs the `nhi_rules` package from policy/).
"""

from __future__ import annotations

from collections.abc import Mapping

EXEMPTION_PREFIX = "exempt.policy.nhi-platform.io/"
"""A tag (AWS) or annotation (Kubernetes) `<prefix><rule-name>: <written reason>` asks the pack to exempt the
resource from that rule (nhi_rules.lib.exemptions says when it is honoured)."""

WORKLOAD_TEMPLATES: Mapping[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": (),
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:core/v1:ReplicationController": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
}
"""Every Kubernetes type that runs pods -> the property path from the object to its pod template (the object with
`metadata` and `spec`; empty for a Pod itself). The pod rules judge these, and `nhi inventory` reads them."""

SESSIONS_REVOKED_TAG = "nhi-platform/sessions-revoked-before"
"""On a role whose sessions were revoked (`nhi revoke`): the time, ISO 8601 UTC. The pack checks that the role then
carries AWS's deny-older-sessions statement for that time (iam-role-enforce-session-revocation)."""
REVOKE_SID = "RevokeOlderSessions"
"""The Sid of that statement, in the role's inline policy REVOKE_POLICY_NAME."""
REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"
"""The inline policy name the IAM console gives the same statement ("Revoke active sessions")."""
