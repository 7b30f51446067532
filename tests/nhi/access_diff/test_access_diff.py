"""`nhi access-diff` on changes to the dev stack file: each change gives the expected report and exit code.
Comparisons run on two captures of our program (the base capture is cached); the command line, with a git
ref and with two files, is exercised end to end at the bottom."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from nhi.access_diff import report
from nhi.access_diff.diff import FLOWS, IDENTITIES, OTHER, PERMISSIONS, TRUST, AccessDiff, compare
from nhi.cli import main
from nhi.error_handler import EXIT_ACCESS_WIDENS
from nhi.inventory.build import build
from nhi.inventory.model import Inventory
from nhi.preflight.capture import Capture
from tests.conftest import REPO, capture_stack, stack_file_config, write_stack_file

Change = Callable[[dict[str, Any]], None]
EVENTS = "arn:aws:sqs:eu-west-1:111122223333:dev-cart-events"


@lru_cache(maxsize=1)
def dev() -> Inventory:
    return build(capture_stack("dev"))


def workload(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(w for w in config["nhi-platform:workloads"] if w["name"] == name)


def diff_of(capture_config: Callable[..., Capture], change: Change) -> AccessDiff:
    return compare(dev(), build(capture_config("dev", change)), "`main`", "the working tree")


def summary(diff: AccessDiff) -> set[tuple[str, str, str, str, str, bool]]:
    return {(c.section, c.change, c.identity, c.what, c.detail, c.widens) for c in diff.changes}


def add_sqs_access(config: dict[str, Any]) -> None:
    workload(config, "cart")["access"].append({"service": "sqs", "level": "send", "resources": [EVENTS]})


def test_adding_an_access_entry_to_a_workload_widens(capture_config: Callable[..., Capture]) -> None:
    diff = diff_of(capture_config, add_sqs_access)
    assert summary(diff) == {
        (PERMISSIONS, "added", "workloads-cart-identity-role", "allow", f"sqs:GetQueueUrl on {EVENTS} (Read)", True),
        (PERMISSIONS, "added", "workloads-cart-identity-role", "allow", f"sqs:SendMessage on {EVENTS} (Write)", True),
    }
    assert diff.widens
    text = report.to_markdown(diff)
    assert "**Access widens**: 2 change(s)" in text
    assert (
        f"| added | **widens** | `workloads-cart-identity-role` | allow | sqs:SendMessage on {EVENTS} (Write) |" in text
    )


def test_adding_an_eks_admin_access_entry_is_a_new_identity(capture_config: Callable[..., Capture]) -> None:
    def add_admin(config: dict[str, Any]) -> None:
        config["nhi-platform:cluster"]["adminRoleArns"].append("arn:aws:iam::111122223333:role/break-glass")

    diff = diff_of(capture_config, add_admin)
    assert summary(diff) == {
        (IDENTITIES, "added", "dev-core: break-glass", "eks-access-entry", "admin", True),
        (
            PERMISSIONS,
            "added",
            "dev-core: break-glass",
            "EKS access policy",
            "AmazonEKSClusterAdminPolicy on dev-core (cluster)",
            True,
        ),
        (
            TRUST,
            "added",
            "dev-core: break-glass",
            "trusted principal",
            "AWS arn:aws:iam::111122223333:role/break-glass",
            True,
        ),
    }


def test_opening_a_flow_widens(capture_config: Callable[..., Capture]) -> None:
    def open_flow(config: dict[str, Any]) -> None:
        workload(config, "cart")["egress"].append({"to": "fraud", "port": 8080})
        workload(config, "fraud")["ingress"].append({"from": "cart", "port": 8080})

    diff = diff_of(capture_config, open_flow)
    assert summary(diff) == {(FLOWS, "added", "shop/cart", "flow opened", "shop/cart -> payments/fraud:8080", True)}
    assert (
        "| added | **widens** | `shop/cart` | flow opened | shop/cart -> payments/fraud:8080 |"
        in report.to_markdown(diff)
    )


def test_switching_irsa_to_pod_identity_changes_the_mode_and_the_trusted_principal(
    capture_config: Callable[..., Capture],
) -> None:
    def switch(config: dict[str, Any]) -> None:
        workload(config, "ledger")["identity"] = "pod-identity"

    diff = diff_of(capture_config, switch)
    oidc = next(p.value for p in dev().by_id()["iam-role:workloads-ledger-identity-role"].trusted)
    assert summary(diff) == {
        (
            TRUST,
            "added",
            "workloads-ledger-identity-role",
            "trusted principal",
            "pods.eks.amazonaws.com for payments/ledger",
            True,
        ),
        (
            TRUST,
            "removed",
            "workloads-ledger-identity-role",
            "trusted principal",
            f"Federated {oidc} for payments/ledger",
            False,
        ),
        (
            TRUST,
            "added",
            "payments/ledger",
            "binding",
            "payments/ledger -> workloads-ledger-identity-role (pod-identity)",
            True,
        ),
        (
            TRUST,
            "removed",
            "payments/ledger",
            "binding",
            "payments/ledger -> workloads-ledger-identity-role (irsa)",
            False,
        ),
        (TRUST, "changed", "payments/ledger", "identity mode", "irsa -> pod-identity", True),
    }
    assert "| changed | **widens** | `payments/ledger` | identity mode | irsa -> pod-identity |" in report.to_markdown(
        diff
    )


def test_a_rollout_touches_no_access(capture_config: Callable[..., Capture]) -> None:
    new = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/fraud@sha256:" + "1" * 64

    def roll(config: dict[str, Any]) -> None:
        fraud = workload(config, "fraud")
        fraud["rollout"].update(active="green", blue=new)  # the idle slot gets a new digest, traffic moves
        fraud["replicas"] = 2

    diff = diff_of(capture_config, roll)
    old_blue = next(i for i in dev().by_id()["k8s-service-account:payments/fraud"].images if "acaeb743" in i)
    gate_runs = {c for c in summary(diff) if c[2] == "payments/fraud-gate"}
    assert summary(diff) - gate_runs == {
        (OTHER, "added", "payments/fraud", "image", new, False),
        (OTHER, "removed", "payments/fraud", "image", old_blue, False),
    }
    # The release replaces the blue slot's gate Job (its name carries the digest); the gate's account has
    # no role and no token, so the new Job is reported and does not widen access.
    assert {(c[1], c[3], c[4].split("/")[1], c[5]) for c in gate_runs} == {
        ("added", "runs in pods of", "Job", False),
        ("removed", "runs in pods of", "Job", False),
    }
    assert not diff.widens
    assert "Access does not widen" in report.to_markdown(diff)


def test_removing_access_narrows_and_does_not_widen(capture_config: Callable[..., Capture]) -> None:
    def drop(config: dict[str, Any]) -> None:
        workload(config, "fraud")["access"] = [a for a in workload(config, "fraud")["access"] if a["service"] != "sns"]

    diff = diff_of(capture_config, drop)
    assert {(c.change, c.detail, c.widens) for c in diff.changes} == {
        ("removed", "sns:Publish on arn:aws:sns:eu-west-1:111122223333:dev-fraud-alerts (Write)", False)
    }
    assert not diff.widens


# --- the command line, end to end --------------------------------------------------------------------------
def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_against_a_git_ref_exits_3_when_access_widens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(REPO / "stacks" / "Pulumi.dev.yaml", repo / "Pulumi.dev.yaml")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "empty")
    git(repo, "add", "Pulumi.dev.yaml")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "dev")
    config = stack_file_config("dev")
    add_sqs_access(config)
    write_stack_file(repo, "dev", config)  # the working tree changes; HEAD keeps the old file

    assert (
        main(["access-diff", "--stack-file", str(repo / "Pulumi.dev.yaml"), "--against", "HEAD"])
        == EXIT_ACCESS_WIDENS
        == 3
    )
    out = capsys.readouterr().out
    assert out.startswith("### Access diff of stack `dev`: the working tree against `HEAD`")
    assert f"sqs:SendMessage on {EVENTS} (Write)" in out

    # The first commit has no stack file: one clear paragraph, exit 2.
    assert main(["access-diff", "--stack-file", str(repo / "Pulumi.dev.yaml"), "--against", "HEAD~1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nhi access-diff: Cannot read") and "at git ref 'HEAD~1'" in err


def test_two_identical_files_exit_0_with_no_change(capsys: pytest.CaptureFixture[str]) -> None:
    dev_file = str(REPO / "stacks" / "Pulumi.dev.yaml")
    assert main(["access-diff", "--stack-file", dev_file, "--against-file", dev_file, "--format", "json"]) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["widens"] is False and data["changes"] == []


def test_a_missing_against_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["access-diff", "--stack", "dev"])
    assert stopped.value.code == 2


# --- new pods under a service account ------------------------------------------------------------------------


def _account(*pods: str, bound: bool = False, token: bool = False) -> Any:
    from nhi.access_diff.diff import _identity_changes
    from nhi.inventory.model import SERVICE_ACCOUNT, Binding, Credential, Identity, Principal

    identity = Identity(
        id="k8s-service-account:apps/api",
        kind=SERVICE_ACCOUNT,
        name="apps/api",
        category="workload",
        namespace="apps",
        trusted=tuple(Principal("Pods", p) for p in pods),
        bindings=(Binding("pod-identity", "apps", "api", "role:api", "association"),) if bound else (),
        credential=Credential("kubernetes-token", "API token") if token else Credential("none", "no API token"),
    )
    return identity, _identity_changes


@pytest.mark.parametrize(
    ("bound", "token", "widens"),
    [
        (True, False, True),  # new code runs with the account's IAM role
        (False, True, True),  # new code holds the account's Kubernetes API token
        (False, False, False),  # the account carries no access: a replaced Job gains nothing
    ],
)
def test_new_pods_widen_only_when_the_account_carries_access(bound: bool, token: bool, widens: bool) -> None:
    old, changes = _account("apps/Job/api-gate-1", bound=bound, token=token)
    new, _ = _account("apps/Job/api-gate-2", bound=bound, token=token)
    added = [c for c in changes(old, new) if c.change == "added" and c.what == "runs in pods of"]
    assert [(c.detail, c.widens) for c in added] == [("apps/Job/api-gate-2", widens)]
