"""Parts judged apart (`Subject.apart`): an unknown value in one part leaves the verdict open only when no
known part fails. The per-rule cases cover this where one change can express it; these two need two."""

from __future__ import annotations

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from nhi_rules.kubernetes import kubernetes_pod_disallow_default_identity as default_identity
from tests.policy.harness import run_resource, template_regex

POD = "kubernetes:core/v1:Pod"


def _pod(namespace: str, service_account: str) -> dict:
    return {
        "metadata": {"name": "cart", "namespace": namespace},
        "spec": {"serviceAccountName": service_account, "containers": [{"name": "app"}]},
    }


def test_unknown_namespace_does_not_hide_the_default_service_account() -> None:
    verdict = run_resource(default_identity.POLICY, POD, _pod(UNKNOWN_STRING_VALUE, "default"))
    assert verdict.outcome == "fail"
    assert verdict.unknown, "the namespace stays undecided"
    assert [m for m in verdict.messages if template_regex(default_identity.MSG_DEFAULT_SA).search(m)]


def test_unknown_namespace_with_an_own_service_account_stays_open() -> None:
    verdict = run_resource(default_identity.POLICY, POD, _pod(UNKNOWN_STRING_VALUE, "cart"))
    assert verdict.outcome == "unknown"


def test_known_parts_decide_when_nothing_is_unknown() -> None:
    assert run_resource(default_identity.POLICY, POD, _pod("shop", "cart")).outcome == "pass"
    assert run_resource(default_identity.POLICY, POD, _pod("default", "cart")).outcome == "fail"
