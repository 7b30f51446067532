"""The inventory of a program that is not ours (tests/programs/legacy_ci): it reads resource types and
properties, so it finds and flags a static key, a wildcard OIDC subject, long sessions, an in-stack managed
policy, and a pod with unrestricted traffic running as the default service account."""

from __future__ import annotations

from functools import lru_cache

from nhi.inventory import formats
from nhi.inventory.build import build
from nhi.inventory.model import IAM_ROLE, IAM_USER, SERVICE_ACCOUNT, Inventory
from tests.conftest import REPO, capture_stack_file

PROGRAM = REPO / "tests" / "programs" / "legacy_ci"


@lru_cache(maxsize=1)
def legacy() -> Inventory:
    return build(capture_stack_file(PROGRAM / "Pulumi.test.yaml", program_dir=PROGRAM))


def test_identities_of_another_program() -> None:
    inventory = legacy()
    assert {(i.kind, i.name) for i in inventory.identities} == {
        (IAM_USER, "ci-deployer"),
        (IAM_ROLE, "release"),
        (SERVICE_ACCOUNT, "legacy/default"),
    }


def test_a_static_key_and_a_wildcard_action_are_flagged() -> None:
    user = legacy().by_id()[f"{IAM_USER}:ci-deployer"]
    assert user.credential.static and user.credential.type == "static-access-key"
    assert formats.row(user)["CREDENTIALS"] == ["STATIC: 1 access key(s) that never expire"]
    assert "static access key" in user.flags
    assert any(flag.startswith("inline:ci-deployer-artifacts: wildcard action s3:*") for flag in user.flags)
    # s3:* spans every access level; the grant keeps the pattern as written.
    assert set(user.levels_by_service()["s3"]) == {"List", "Read", "Write", "Permissions management", "Tagging"}
    assert {g.action for g in user.grants} == {"s3:*"}


def test_a_federated_role_with_an_in_stack_managed_policy() -> None:
    role = legacy().by_id()[f"{IAM_ROLE}:release"]
    assert role.category == "federated"
    assert {(p.kind, p.subject) for p in role.trusted} == {("Federated", "repo:acme/*")}
    assert "trust: wildcard OIDC subject repo:acme/*" in role.flags
    assert "sessions up to 12h (more than IAM's 1h default)" in role.flags
    assert role.credential.max_session_seconds == 43200
    # The in-stack policy's document is read; the AWS managed one is listed by name.
    assert {(g.action, g.level, g.source.split(":")[0]) for g in role.grants} == {
        ("ecr:BatchGetImage", "Read", "managed"),
        ("ecr:PutImage", "Write", "managed"),
    }
    assert "ReadOnlyAccess" in role.managed_policies and len(role.managed_policies) == 2


def test_an_unisolated_pod_on_the_default_service_account() -> None:
    account = legacy().by_id()[f"{SERVICE_ACCOUNT}:legacy/default"]
    assert account.workloads == ("legacy/Deployment/web",)
    assert {(f.direction, f.peer_kind) for f in account.egress + account.ingress} == {
        ("egress", "any"),
        ("ingress", "any"),
    }
    assert formats.row(account)["REACHES"] == ["anywhere (no NetworkPolicy)"]
    assert set(account.flags) == {
        "Kubernetes API token mounted in legacy/Deployment/web",
        "egress not restricted by any NetworkPolicy",
        "ingress not restricted by any NetworkPolicy",
        "image not pinned by digest: nginx:1.27",
        "pods run as a service account this stack does not create",
        "pods run as the namespace's default service account",
    }
